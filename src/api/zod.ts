import type { FastifyInstance, FastifySchema, FastifyTypeProvider } from 'fastify';
import { z } from 'zod';

/**
 * Zod is the one schema language of the API: the same schema validates a
 * request, shapes a response, and becomes the JSON Schema in the OpenAPI
 * document. This file is the small glue that makes Fastify speak it.
 */
export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

/** Readable one-line summary of zod issues: `body.port: expected number`. */
export function describeIssues(part: string, error: z.ZodError): string {
  return error.issues.map((i) => `${[part, ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');
}

export function useZod(app: FastifyInstance): void {
  app.setValidatorCompiler<z.ZodType>(({ schema, httpPart }) => (data: unknown) => {
    const parsed = schema.safeParse(data);
    if (parsed.success) return { value: parsed.data };
    return { error: new Error(describeIssues(httpPart ?? 'request', parsed.error)) };
  });
  // Responses go through their schema too: zod objects drop keys they do not
  // declare, so a field added to a record by mistake (a hash, a sealed secret)
  // cannot reach a client.
  app.setSerializerCompiler<z.ZodType>(({ schema }) => (data: unknown) => JSON.stringify(schema.parse(data)));
}

const isZod = (v: unknown): v is z.ZodType => v instanceof z.ZodType;

function toJson(schema: unknown, io: 'input' | 'output'): unknown {
  if (!isZod(schema)) return schema;
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return json;
}

/** For @fastify/swagger: turns each zod schema of a route into JSON Schema. */
export function zodToOpenApi({ schema, url }: { schema: FastifySchema; url: string }): { schema: FastifySchema; url: string } {
  if (!schema) return { schema, url };
  const out: Record<string, unknown> = { ...schema };
  for (const part of ['body', 'querystring', 'params', 'headers'] as const) {
    if (schema[part] !== undefined) out[part] = toJson(schema[part], 'input');
  }
  if (schema.response && typeof schema.response === 'object') {
    out.response = Object.fromEntries(Object.entries(schema.response).map(([code, s]) => [code, toJson(s, 'output')]));
  }
  return { schema: out as FastifySchema, url };
}
