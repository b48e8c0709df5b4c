import { WardenError } from '../core/errors.ts';

/**
 * The targets this agent may dial, as exact `host:port` pairs. The agent
 * enforces it itself: a compromised gateway cannot make it reach anything else.
 * No wildcards yet; hosts compare case-insensitively, IPv6 as `[addr]:port`.
 */
export class Allowlist {
  readonly #entries: Set<string>;

  constructor(entries: readonly string[]) {
    this.#entries = new Set(entries.map(parseEntry));
  }

  get size(): number {
    return this.#entries.size;
  }

  allows(host: string, port: number): boolean {
    return this.#entries.has(key(host, port));
  }

  list(): string[] {
    return [...this.#entries];
  }
}

function parseEntry(entry: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(entry.trim());
  const port = m ? Number(m[2]) : 0;
  if (m === null || port < 1 || port > 65535) {
    throw new WardenError('bad_request', `allowlist entry "${entry}" is not host:port (e.g. 127.0.0.1:5432 or [::1]:5432)`);
  }
  return key(m[1]!.replace(/^\[|\]$/g, ''), port);
}

function key(host: string, port: number): string {
  const h = host.toLowerCase();
  return h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`;
}
