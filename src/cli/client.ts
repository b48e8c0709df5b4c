import type {
  AppliedPolicy,
  ConnectionView,
  CreateConnection,
  CreateToken,
  CreateUser,
  IssuedToken,
  PatchConnection,
  PatchUser,
  PolicyTest,
  PolicyTestResult,
  PolicyView,
  SessionsQuery,
  SessionView,
  TokenView,
  UserView,
  Whoami,
} from '../api/schemas.ts';
import type { AuditEventView, AuditQuery } from '../api/routes/audit.ts';
import type { AddSshKey, SshKeyView } from '../api/routes/ssh-keys.ts';
import type { AccessRequestBody, ReviewsQuery, ReviewView } from '../api/routes/reviews-schemas.ts';
import { errorKinds, WardenError, type ErrorKind } from '../core/errors.ts';
import type { RecordingEvent } from '../core/recording/types.ts';

/**
 * A small typed client for the Warden REST API. Every failure is a
 * WardenError carrying the API's own message, so the CLI prints it as is.
 */
export class ApiClient {
  readonly #base: string;
  readonly #token: string;

  constructor(opts: { url: string; token: string }) {
    this.#base = opts.url.replace(/\/+$/, '');
    this.#token = opts.token;
  }

  get url(): string {
    return this.#base;
  }

  whoami = () => this.#json<Whoami>('GET', '/api/v1/whoami');

  listUsers = () => this.#json<UserView[]>('GET', '/api/v1/users');
  getUser = (name: string) => this.#json<UserView>('GET', `/api/v1/users/${enc(name)}`);
  createUser = (body: CreateUser) => this.#json<UserView>('POST', '/api/v1/users', body);
  patchUser = (name: string, body: PatchUser) => this.#json<UserView>('PATCH', `/api/v1/users/${enc(name)}`, body);
  deleteUser = (name: string) => this.#json<void>('DELETE', `/api/v1/users/${enc(name)}`);

  createToken = (user: string, body: CreateToken) => this.#json<IssuedToken>('POST', `/api/v1/users/${enc(user)}/tokens`, body);
  listTokens = (user: string) => this.#json<TokenView[]>('GET', `/api/v1/users/${enc(user)}/tokens`);
  revokeToken = (id: string) => this.#json<void>('DELETE', `/api/v1/tokens/${enc(id)}`);

  listSshKeys = (user: string) => this.#json<SshKeyView[]>('GET', `/api/v1/users/${enc(user)}/ssh-keys`);
  addSshKey = (user: string, body: AddSshKey) => this.#json<SshKeyView>('POST', `/api/v1/users/${enc(user)}/ssh-keys`, body);
  removeSshKey = (user: string, key: string) => this.#json<void>('DELETE', `/api/v1/users/${enc(user)}/ssh-keys/${enc(key)}`);

  listConnections = () => this.#json<ConnectionView[]>('GET', '/api/v1/connections');
  getConnection = (name: string) => this.#json<ConnectionView>('GET', `/api/v1/connections/${enc(name)}`);
  createConnection = (body: CreateConnection) => this.#json<ConnectionView>('POST', '/api/v1/connections', body);
  patchConnection = (name: string, body: PatchConnection) => this.#json<ConnectionView>('PATCH', `/api/v1/connections/${enc(name)}`, body);
  deleteConnection = (name: string) => this.#json<void>('DELETE', `/api/v1/connections/${enc(name)}`);

  listSessions = (query: Partial<SessionsQuery> = {}) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.size > 0 ? `?${params}` : '';
    return this.#json<SessionView[]>('GET', `/api/v1/sessions${qs}`);
  };
  getSession = (id: string) => this.#json<SessionView>('GET', `/api/v1/sessions/${enc(id)}`);
  killSession = (id: string) => this.#json<void>('DELETE', `/api/v1/sessions/${enc(id)}`);

  listAudit = (query: Partial<AuditQuery> = {}) => this.#json<AuditEventView[]>('GET', `/api/v1/audit${qs(query)}`);

  getPolicy = () => this.#json<PolicyView>('GET', '/api/v1/policy');
  applyPolicy = (yaml: string) => this.#json<AppliedPolicy>('PUT', '/api/v1/policy', { yaml });
  testPolicy = (body: PolicyTest) => this.#json<PolicyTestResult>('POST', '/api/v1/policy/test', body);

  listReviews = (query: Partial<ReviewsQuery> = {}) => this.#json<ReviewView[]>('GET', `/api/v1/reviews${qs(query)}`);
  reviewInbox = () => this.#json<ReviewView[]>('GET', '/api/v1/reviews/inbox');
  getReview = (id: string) => this.#json<ReviewView>('GET', `/api/v1/reviews/${enc(id)}`);
  decideReview = (id: string, decision: 'approve' | 'deny' | 'force-approve', reason?: string) =>
    this.#json<ReviewView>('POST', `/api/v1/reviews/${enc(id)}/${decision}`, reason === undefined ? {} : { reason });
  requestAccess = (body: AccessRequestBody) => this.#json<ReviewView>('POST', '/api/v1/access-requests', body);

  /** The recording as raw JSON-lines bytes, streamed. */
  async sessionEventsRaw(id: string): Promise<ReadableStream<Uint8Array>> {
    const res = await this.#send('GET', `/api/v1/sessions/${enc(id)}/events`);
    if (!res.body) return new ReadableStream({ start: (c) => c.close() });
    return res.body;
  }

  /** The `n`th interactive shell of a session as asciicast v2 (a stream of JSON lines). */
  async sessionCastRaw(id: string, n = 1): Promise<ReadableStream<Uint8Array>> {
    const res = await this.#send('GET', `/api/v1/sessions/${enc(id)}/cast${n === 1 ? '' : `?shell=${n}`}`);
    if (!res.body) return new ReadableStream({ start: (c) => c.close() });
    return res.body;
  }

  /** The recording's events, parsed one line at a time (never the whole recording in memory). */
  async *sessionEvents(id: string): AsyncGenerator<RecordingEvent> {
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of await this.sessionEventsRaw(id)) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') yield JSON.parse(line) as RecordingEvent;
    }
    if (pending.trim() !== '') yield JSON.parse(pending) as RecordingEvent;
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#send(method, path, body);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  async #send(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.#base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (err) {
      const why = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new WardenError('upstream_unavailable', `cannot reach the Warden API at ${this.#base} (${why?.code ?? why?.message ?? (err as Error).message}); is the gateway running and the URL right?`);
    }
    if (res.ok) return res;
    throw await apiError(res);
  }
}

const enc = encodeURIComponent;

/** `?a=1&b=2` from the defined values, or '' when there are none. */
function qs(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  return params.size > 0 ? `?${params}` : '';
}

async function apiError(res: Response): Promise<WardenError> {
  const text = await res.text();
  let body: { error?: unknown; message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON: a proxy in the way, or not a Warden API at all
  }
  const kind = errorKinds.includes(body.error as ErrorKind) ? (body.error as ErrorKind) : 'internal';
  const message = typeof body.message === 'string' ? body.message : `the API answered HTTP ${res.status}; is this a Warden API URL?`;
  return new WardenError(kind, message, { code: String(res.status) });
}
