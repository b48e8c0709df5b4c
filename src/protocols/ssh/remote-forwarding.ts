import type { Client, ClientChannel, Connection as SshConnection, ServerChannel, TcpConnectionDetails } from 'ssh2';
import { destinationOf } from '../../core/policy/forwards.ts';
import type { Verdict } from '../../core/policy/types.ts';
import type { ForwardEvent } from '../../core/recording/types.ts';
import { recordedVerdict } from '../../core/recording/verdict.ts';
import type { ChannelContext } from './channel-context.ts';
import { relayTunnel } from './forwarding.ts';

type Accept = ((port?: number) => void) | undefined;
type Reject = (() => void) | undefined;
export interface BindRequest {
  bindAddr: string;
  bindPort: number;
}

/**
 * Remote port forwarding (`ssh -R`, tcpip-forward): judged by policy on the
 * address the target is asked to listen on (`forwards:` rules written
 * `remote:host:port`; none matching refuses it), and when allowed asked of the
 * target on the session's upstream connection (forwardIn), so the target
 * listens exactly as with plain OpenSSH. Each connection the target accepts
 * there is opened back to the client as a forwarded-tcpip channel and relayed;
 * the grant (or refusal) and every relayed connection are recorded as
 * `remote` forward events.
 */
export class RemoteForwards {
  readonly #conn: SshConnection;
  readonly #c: ChannelContext;
  /** Ports the target listens on for this session, with the verdict that allowed each. */
  readonly #bound = new Map<number, { addr: string; verdict: Verdict }>();
  #listening = false;

  constructor(conn: SshConnection, c: ChannelContext) {
    this.#conn = conn;
    this.#c = c;
  }

  async bind(accept: Accept, reject: Reject, bind: BindRequest): Promise<void> {
    const c = this.#c;
    const at = c.clock.now();
    const seq = c.nextSeq();
    const asked = destinationOf({ host: bind.bindAddr, port: bind.bindPort });
    const verdict = await c.decide({ kind: 'forward', host: bind.bindAddr, port: bind.bindPort, remote: true });
    const record = (destination: string, error?: ForwardEvent['error']) => {
      const event: ForwardEvent = { type: 'forward', at: at.toISOString(), seq, kind: 'remote', destination, bytesFromClient: 0, bytesToClient: 0, durationMs: 0, verdict: recordedVerdict(verdict) };
      if (error) event.error = error;
      c.record(event);
    };
    if (verdict.effect !== 'allow') {
      // fail closed: the target never listens unless a `remote:` rule allows this address (review is not offered for tunnels).
      reject?.();
      return record(asked, { code: 'blocked', message: verdict.effect === 'block' ? verdict.message : `remote forwarding on ${asked} needs a review, which Warden does not offer for tunnels, so it is refused` });
    }
    let port: number;
    try {
      const client = await c.upstream;
      this.#listen(client);
      port = await new Promise<number>((resolve, fail) => client.forwardIn(bind.bindAddr, bind.bindPort, (err, p) => (err ? fail(err) : resolve(p))));
    } catch (err) {
      reject?.();
      return record(asked, { code: 'target', message: `the target did not listen on ${asked}: ${(err as Error).message}` });
    }
    this.#bound.set(port, { addr: bind.bindAddr, verdict });
    // ssh2 sends the port back only when the client asked for port 0 (the target chose it).
    accept?.(port);
    record(destinationOf({ host: bind.bindAddr, port }));
  }

  /** cancel-tcpip-forward: only a listener this session opened is closed. */
  async cancel(accept: Accept, reject: Reject, bind: BindRequest): Promise<void> {
    if (!this.#bound.has(bind.bindPort)) return reject?.();
    this.#bound.delete(bind.bindPort);
    try {
      const client = await this.#c.upstream;
      await new Promise<void>((resolve, fail) => client.unforwardIn(bind.bindAddr, bind.bindPort, (err) => (err ? fail(err) : resolve())));
      accept?.();
    } catch {
      reject?.();
    }
  }

  #listen(client: Client): void {
    if (this.#listening) return;
    this.#listening = true;
    client.on('tcp connection', (details, accept, reject) => this.#incoming(details, accept, reject));
  }

  /** A connection the target accepted on a forwarded port: opened back to the client and relayed. */
  #incoming(details: TcpConnectionDetails, accept: () => ClientChannel, reject: () => void): void {
    const bound = this.#bound.get(details.destPort);
    // fail closed: a connection on a port no allowed -R of this session opened is not passed to the client.
    if (!bound) return reject();
    const c = this.#c;
    const at = c.clock.now();
    const t0 = performance.now();
    const seq = c.nextSeq();
    const record = (counts: { fromClient: number; toClient: number }, error?: ForwardEvent['error']) => {
      const event: ForwardEvent = {
        type: 'forward',
        at: at.toISOString(),
        seq,
        kind: 'remote',
        destination: destinationOf({ host: bound.addr, port: details.destPort }),
        origin: destinationOf({ host: details.srcIP, port: details.srcPort }),
        bytesFromClient: counts.fromClient,
        bytesToClient: counts.toClient,
        durationMs: Math.round(performance.now() - t0),
        verdict: recordedVerdict(bound.verdict),
      };
      if (error) event.error = error;
      c.record(event);
    };
    if (c.ended.aborted) return reject();
    const failed = (err: Error) => {
      reject();
      record({ fromClient: 0, toClient: 0 }, { code: 'client', message: `the client did not open the forwarded connection: ${err.message}` });
    };
    try {
      this.#conn.forwardOut(details.destIP, details.destPort, details.srcIP, details.srcPort, (err, channel: ServerChannel) => (err ? failed(err) : relayTunnel(channel, accept(), c, record)));
    } catch (err) {
      // The client's connection may already be closing: ssh2 throws rather than calling back.
      failed(err as Error);
    }
  }
}
