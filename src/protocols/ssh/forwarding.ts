import type { ClientChannel, Connection as SshConnection, ServerChannel, TcpipRequestInfo } from 'ssh2';
import { asWardenError } from '../../core/errors.ts';
import { destinationOf } from '../../core/policy/forwards.ts';
import type { Verdict } from '../../core/policy/types.ts';
import type { ForwardEvent } from '../../core/recording/types.ts';
import { recordedVerdict } from '../../core/recording/verdict.ts';
import type { ChannelContext } from './channel-context.ts';
import { RemoteForwards, type BindRequest } from './remote-forwarding.ts';

/**
 * Port and agent forwarding. `-L` (direct-tcpip) is judged by policy
 * (`forward` requests: only rules naming the destination allow it) and,
 * when allowed, relayed through the session's upstream connection, so the
 * destination is reached from the target's side exactly as with plain
 * OpenSSH; `-R` (tcpip-forward) is judged the same way on the address the
 * target would listen on (remote-forwarding.ts); Unix-socket forwards either
 * way are refused (no policy names sockets). Every request, relayed or
 * refused, is recorded as a `forward` event.
 */
export function serveForwards(conn: SshConnection, c: ChannelContext): void {
  conn.on('tcpip', (accept, reject, info) => void localForward(accept, reject, info, c));
  conn.on('openssh.streamlocal', (_accept, reject, info) => {
    reject();
    refused(c, 'local', `unix:${info.socketPath}`, 'forwarding to a Unix socket is not supported by Warden');
  });
  const remote = new RemoteForwards(conn, c);
  conn.on('request', (accept, reject, name: string, info: unknown) => {
    const bind = info as Partial<BindRequest> & { socketPath?: string };
    const tcp = { bindAddr: bind.bindAddr ?? '', bindPort: bind.bindPort ?? 0 };
    // fail closed: anything unexpected while granting is a refusal.
    if (name === 'tcpip-forward') return void remote.bind(accept, reject, tcp).catch(() => reject?.());
    if (name === 'cancel-tcpip-forward') return void remote.cancel(accept, reject, tcp).catch(() => reject?.());
    // fail closed: no other global request is granted (OpenSSH keepalives only need an answer).
    reject?.();
    if (name === 'streamlocal-forward@openssh.com') refused(c, 'remote', `unix:${bind.socketPath ?? ''}`, 'remote socket forwarding is not allowed through Warden');
  });
}

/** Agent forwarding (`ssh -A`) is refused: the target would use the user's keys as the user. */
export function refuseAgentForward(c: ChannelContext): void {
  refused(c, 'agent', 'ssh-agent', 'agent forwarding (-A) is not allowed through Warden');
}

function refused(c: ChannelContext, kind: ForwardEvent['kind'], destination: string, message: string): void {
  c.record({ type: 'forward', at: c.clock.now().toISOString(), seq: c.nextSeq(), kind, destination, bytesFromClient: 0, bytesToClient: 0, durationMs: 0, verdict: { effect: 'block', rules: ['gateway:forwarding'] }, error: { code: 'blocked', message } });
}

async function localForward(accept: () => ServerChannel, reject: () => void, info: TcpipRequestInfo, c: ChannelContext): Promise<void> {
  const at = c.clock.now();
  const t0 = performance.now();
  const seq = c.nextSeq();
  const destination = destinationOf({ host: info.destIP, port: info.destPort });
  const verdict = await c.decide({ kind: 'forward', host: info.destIP, port: info.destPort });
  const record = (counts: { fromClient: number; toClient: number }, error?: ForwardEvent['error']) => {
    const event: ForwardEvent = {
      type: 'forward',
      at: at.toISOString(),
      seq,
      kind: 'local',
      destination,
      origin: `${info.srcIP}:${info.srcPort}`,
      bytesFromClient: counts.fromClient,
      bytesToClient: counts.toClient,
      durationMs: Math.round(performance.now() - t0),
      verdict: recordedVerdict(verdict),
    };
    if (error) event.error = error;
    c.record(event);
  };
  if (verdict.effect !== 'allow') {
    // fail closed: a forward no rule allows never reaches the target (review is not offered for tunnels).
    reject();
    record({ fromClient: 0, toClient: 0 }, { code: 'blocked', message: blockedMessage(verdict, destination) });
    return;
  }
  let upstream: ClientChannel;
  try {
    const client = await c.upstream;
    upstream = await new Promise<ClientChannel>((resolve, fail) =>
      client.forwardOut(info.srcIP, info.srcPort, info.destIP, info.destPort, (err, ch) => (err ? fail(err) : resolve(ch))),
    );
  } catch (err) {
    reject();
    record({ fromClient: 0, toClient: 0 }, { code: 'target', message: asWardenError(err).kind === 'internal' ? `the target did not open ${destination}: ${(err as Error).message}` : asWardenError(err).message });
    return;
  }
  // Recorded from inside the relay's end, synchronously: after an await the session's end would come first.
  relayTunnel(accept(), upstream, c, record);
}

/**
 * Pipes both ways with backpressure until either side closes; then closes
 * the other. A session that ends first (client gone, killed, gateway
 * stopping) settles the tunnel at once, so its event is recorded before the
 * session's end.
 */
export function relayTunnel(channel: ServerChannel, upstream: ClientChannel, c: ChannelContext, done: (counts: { fromClient: number; toClient: number }) => void): void {
  const counts = { fromClient: 0, toClient: 0 };
  channel.on('data', (b: Buffer) => {
    counts.fromClient += b.length;
    c.bytes(b.length, 0);
  });
  upstream.on('data', (b: Buffer) => {
    counts.toClient += b.length;
    c.bytes(0, b.length);
  });
  channel.on('error', () => undefined);
  upstream.on('error', () => undefined);
  channel.pipe(upstream);
  upstream.pipe(channel);
  let over = false;
  const end = () => {
    if (over) return;
    over = true;
    c.ended.removeEventListener('abort', end);
    channel.close();
    upstream.close();
    done(counts);
  };
  channel.once('close', end);
  upstream.once('close', end);
  if (c.ended.aborted) end();
  else c.ended.addEventListener('abort', end, { once: true });
}

function blockedMessage(verdict: Exclude<Verdict, { effect: 'allow' }>, destination: string): string {
  if (verdict.effect === 'block') return verdict.message;
  if (verdict.effect === 'review') return `forwarding to ${destination} needs a review, which Warden does not offer for tunnels, so it is refused`;
  return `forwarding to ${destination} is refused`;
}
