import ssh2, { type ClientChannel } from 'ssh2';

/**
 * An ssh2 client as a user's terminal: a PTY shell through the gateway, keys
 * typed on demand, and the screen output to wait on. `exited` resolves with
 * the exit status once the shell's channel closes.
 */
export interface Terminal {
  type(keys: string): void;
  /** Waits until the output (stdout and stderr) after `from` matches; the text so far on timeout is in the error. */
  waitFor(pattern: RegExp, from?: number): Promise<string>;
  readonly output: string;
  exited: Promise<number | undefined>;
  /** The client's TCP socket, to drop the connection abruptly. */
  destroy(): void;
  close(): void;
}

export function openTerminal(port: number, login: string, token: string, opts: { cols?: number; rows?: number } = {}): Promise<Terminal> {
  const client = new ssh2.Client();
  return new Promise((resolve, reject) => {
    client.on('error', reject);
    client.on('ready', () => {
      client.shell({ term: 'xterm', cols: opts.cols ?? 100, rows: opts.rows ?? 30 }, (err, stream: ClientChannel) => {
        if (err) return reject(err);
        let output = '';
        const waiters = new Set<() => void>();
        const grew = (b: Buffer) => {
          output += b.toString();
          for (const w of waiters) w();
        };
        stream.on('data', grew);
        stream.stderr.on('data', grew);
        let code: number | undefined;
        stream.on('exit', (c: number) => (code = c));
        const exited = new Promise<number | undefined>((done) =>
          stream.on('close', () => {
            client.end();
            done(code);
          }),
        );
        resolve({
          type: (keys) => stream.write(keys),
          get output() {
            return output;
          },
          waitFor: (pattern, from = 0) =>
            new Promise((ok, fail) => {
              const check = () => {
                const seen = output.slice(from);
                if (!pattern.test(seen)) return;
                waiters.delete(check);
                clearTimeout(timer);
                ok(seen);
              };
              const timer = setTimeout(() => {
                waiters.delete(check);
                fail(new Error(`no ${pattern} in terminal output: ${JSON.stringify(output.slice(from))}`));
              }, 20_000);
              waiters.add(check);
              check();
            }),
          exited,
          destroy: () => (client as unknown as { _sock?: { destroy(): void } })._sock?.destroy(),
          close: () => client.end(),
        });
      });
    });
    client.connect({ host: '127.0.0.1', port, username: login, password: token, hostVerifier: () => true });
  });
}
