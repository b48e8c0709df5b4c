#!/usr/bin/env node
// The floor for an SSH gateway built on ssh2: a server that accepts any login
// and pipes each exec and subsystem channel to the same on one ssh2 client
// connection to the target, understanding nothing. bench/ssh.sh runs `ssh cat`
// and scp through it beside Warden, so what Warden costs above it is the price
// of judging and recording, and what it costs below direct is ssh2's.
// Each leg offers the ciphers Warden's does by default: AES-GCM alone to clients (the config's
// `ssh.clientCiphers`), and towards the target AES-GCM first, chacha20-poly1305 next when ssh2's
// native binding is loaded, then CTR (src/protocols/ssh/algorithms.ts), so a client with OpenSSH's
// default cipher order lands on the same cipher through either relay; the target socket has Nagle
// off, as Warden's has.
//
// Usage: BARE_TARGET_PASSWORD=… node bench/ssh-bare-relay.mjs LISTEN_PORT TARGET_HOST TARGET_PORT TARGET_USER
// Listens on 127.0.0.1 only. Plain JS, ssh2 only, on purpose; for benches, never a gateway.
import { createRequire } from 'node:module';
import ssh2 from 'ssh2';

const [listenPort, host, port, username] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4]), process.argv[5]];
const password = process.env.BARE_TARGET_PASSWORD;
if (!Number.isInteger(listenPort) || !host || !Number.isInteger(port) || !username || password === undefined) {
  console.error('usage: BARE_TARGET_PASSWORD=… node bench/ssh-bare-relay.mjs LISTEN_PORT TARGET_HOST TARGET_PORT TARGET_USER');
  process.exit(2);
}
const binding = createRequire(import.meta.url)('ssh2/lib/protocol/crypto.js').bindingAvailable === true;
const clientCipher = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'];
const cipher = [...clientCipher, ...(binding ? ['chacha20-poly1305@openssh.com'] : []), 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'];
// ssh2 writes an unreadable ed25519 pair about once in 230 (src/core/ssh-key-parser.ts): draw again.
let hostKey;
do hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;
while (ssh2.utils.parseKey(hostKey) instanceof Error);

const server = new ssh2.Server({ hostKeys: [hostKey], algorithms: { cipher: clientCipher } }, (client) => {
  client.on('error', () => undefined);
  client.on('authentication', (auth) => auth.accept());
  client.on('ready', () => {
    const target = new ssh2.Client();
    const up = new Promise((resolve, reject) => target.once('ready', () => resolve(target)).once('error', reject));
    target.on('error', () => client.end());
    target.on('close', () => client.end());
    client.on('close', () => target.end());
    target.connect({ host, port, username, password, algorithms: { cipher } });
    target.setNoDelay(true);
    client.on('session', (accept) => {
      const session = accept();
      session.on('env', (ok) => ok?.());
      // Accepted at once, as Warden does: a client may send EOF right after the request, and ssh2 refuses a late accept then.
      session.on('exec', (ok, _no, info) => {
        const channel = ok();
        void up.then((t) => t.exec(info.command, (err, s) => (err ? client.end() : pipe(channel, s))));
      });
      session.on('subsystem', (ok, _no, info) => {
        const channel = ok();
        void up.then((t) => t.subsys(info.name, (err, s) => (err ? client.end() : pipe(channel, s))));
      });
    });
  });
});

/** Both ways with backpressure; the exit status passed on before the client's channel ends. */
function pipe(channel, stream) {
  let exited = false;
  const exit = (code, signal) => {
    if (exited || (typeof code !== 'number' && !signal)) return;
    exited = true;
    if (typeof code === 'number') channel.exit(code);
    else channel.exit(signal.replace(/^SIG/, ''), false, '');
  };
  stream.pipe(channel, { end: false });
  stream.stderr.pipe(channel.stderr, { end: false });
  channel.pipe(stream);
  stream.on('exit', exit);
  stream.on('close', (code, signal) => {
    exit(code, signal);
    if (!exited) channel.exit(0);
    channel.end();
  });
  channel.on('close', () => stream.close());
  channel.on('error', () => undefined);
  stream.on('error', () => undefined);
}

server.listen(listenPort, '127.0.0.1', () => console.log(`ssh-bare-relay: 127.0.0.1:${listenPort} -> ${username}@${host}:${port}`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
