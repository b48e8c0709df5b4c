import { connect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { relayed } from '../../src/protocols/mysql/codec/commands.ts';
import { buildHandshakeResponse, cap, parseGreeting } from '../../src/protocols/mysql/codec/handshake.ts';
import { packet } from '../../src/protocols/mysql/codec/packet.ts';
import { ResponseReader } from '../../src/protocols/mysql/codec/results.ts';
import { PacketReader } from '../../src/protocols/mysql/packet-reader.ts';

/**
 * A bare-hands MySQL client for what the CLI cannot do on demand: COM_PING,
 * packets out of order, garbage after login. Logs in by answering the
 * greeting with mysql_clear_password directly.
 */
export class RawClient {
  socket: Socket;
  reader: PacketReader;
  readonly closed: Promise<void>;
  /** The TCP socket (under TLS after loginTls). */
  readonly tcp: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.tcp = socket;
    this.reader = new PacketReader(socket, 1 << 24);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    return new RawClient(socket);
  }

  /** Reads the greeting and logs in; returns the answer's payload (OK or ERR). */
  async login(user: string, token: string, database: string): Promise<Buffer> {
    const greeting = await this.reader.next(AbortSignal.timeout(10_000));
    parseGreeting(greeting.payload);
    const caps = cap.protocol41 | cap.secureConnection | cap.pluginAuth | cap.pluginAuthLenencData | cap.connectWithDb | cap.multiResults | cap.longPassword;
    this.socket.write(packet(1, buildHandshakeResponse({ capabilities: caps, maxPacket: 1 << 24, charset: 45, user, authResponse: Buffer.from(token + '\0'), database, authPlugin: 'mysql_clear_password' })));
    return (await this.reader.next(AbortSignal.timeout(10_000))).payload;
  }

  /**
   * Logs in over TLS, sending the SSLRequest and the TLS ClientHello in one
   * write (as a hurried client may): the gateway must hand the early bytes to TLS.
   */
  async loginTls(user: string, token: string, database: string): Promise<Buffer> {
    await this.reader.next(AbortSignal.timeout(10_000));
    this.reader.detach();
    const caps = cap.protocol41 | cap.secureConnection | cap.pluginAuth | cap.pluginAuthLenencData | cap.connectWithDb | cap.multiResults | cap.longPassword | cap.ssl;
    const sslRequest = Buffer.alloc(32);
    sslRequest.writeUInt32LE(caps >>> 0, 0);
    sslRequest.writeUInt32LE(1 << 24, 4);
    sslRequest[8] = 45;
    const raw = this.socket;
    let first: Buffer | undefined = packet(1, sslRequest);
    const carrier = new Duplex({
      write(chunk: Buffer, _enc, cb) {
        raw.write(first ? Buffer.concat([first, chunk]) : chunk, cb);
        first = undefined;
      },
      read() {},
    });
    raw.on('data', (b: Buffer) => carrier.push(b));
    raw.on('end', () => carrier.push(null));
    const secure = tlsConnect({ socket: carrier, rejectUnauthorized: false });
    secure.on('error', () => undefined);
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    this.socket = secure as unknown as Socket;
    this.reader = new PacketReader(secure, 1 << 24);
    secure.write(packet(2, buildHandshakeResponse({ capabilities: caps, maxPacket: 1 << 24, charset: 45, user, authResponse: Buffer.from(token + '\0'), database, authPlugin: 'mysql_clear_password' })));
    return (await this.reader.next(AbortSignal.timeout(10_000))).payload;
  }

  /** Closes the connection at once, TLS or not. */
  destroy(): void {
    this.socket.destroy();
    this.tcp.destroy();
  }

  /** Sends one command and collects its whole answer. */
  async command(payload: Buffer): Promise<Buffer[]> {
    this.socket.write(packet(0, payload));
    const answer = new ResponseReader(relayed.get(payload[0]!) ?? 'single');
    const out: Buffer[] = [];
    while (!answer.done) {
      const p = (await this.reader.next(AbortSignal.timeout(10_000))).payload;
      out.push(p);
      answer.next(p);
    }
    return out;
  }
}
