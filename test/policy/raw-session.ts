import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { parse, serialize } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';

/**
 * A bare PostgreSQL wire client for the cases a driver will not produce:
 * Execute without Describe, a Bind to a statement whose Parse was stopped,
 * row-limited Executes. Messages are built with pg-protocol's serializer and
 * read with its parser, so only the sequencing is ours.
 */
export class RawSession {
  readonly #socket: Socket;
  readonly #inbox: BackendMessage[] = [];
  #wake: (() => void) | undefined;
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    void parse(socket, (m) => {
      this.#inbox.push(m);
      this.#wake?.();
    }).finally(() => {
      this.#closed = true;
      this.#wake?.();
    });
  }

  /** Logs in through the gateway (token as cleartext password) and waits for ReadyForQuery. */
  static async open(port: number, user: string, token: string, database: string): Promise<RawSession> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const s = new RawSession(socket);
    socket.write(serialize.startup({ user, database }));
    const ask = await s.next();
    if (ask.name !== 'authenticationCleartextPassword') throw new Error(`unexpected login message ${ask.name}`);
    socket.write(serialize.password(token));
    const login = await s.untilReady();
    const err = login.find((m) => m.name === 'error');
    if (err) throw new Error(`login failed: ${(err as unknown as Error).message}`);
    return s;
  }

  send(...messages: Buffer[]): void {
    this.#socket.write(Buffer.concat(messages));
  }

  async next(): Promise<BackendMessage> {
    for (;;) {
      const m = this.#inbox.shift();
      if (m) return m;
      if (this.#closed) throw new Error('the gateway closed the connection');
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer from the gateway within 10 s')), 10_000);
        this.#wake = () => {
          clearTimeout(timer);
          this.#wake = undefined;
          resolve();
        };
      });
    }
  }

  /** Every message up to and including the next ReadyForQuery. */
  async untilReady(): Promise<BackendMessage[]> {
    const got: BackendMessage[] = [];
    for (;;) {
      const m = await this.next();
      got.push(m);
      if (m.name === 'readyForQuery') return got;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#socket.end(serialize.end());
    await once(this.#socket, 'close');
  }
}

/** SQLSTATE codes of the ErrorResponses among `messages`. */
export const errorCodes = (messages: BackendMessage[]): string[] =>
  messages.filter((m) => m.name === 'error').map((m) => (m as unknown as { code: string }).code);

/** Field values of the DataRows among `messages`. */
export const dataRows = (messages: BackendMessage[]): (string | null)[][] =>
  messages.filter((m) => m.name === 'dataRow').map((m) => (m as unknown as { fields: (string | null)[] }).fields);
