// Opens N interactive shells (PTY) through the gateway and keeps them idle:
// prints `ready N` once every shell showed its prompt, then holds them until
// stdin closes. Used by bench/ssh-sessions.sh.
// Usage: node bench/ssh-idle.mjs PORT LOGIN TOKEN N
import ssh2 from 'ssh2';

const [port, login, token, n] = process.argv.slice(2);
const clients = [];

function open() {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.on('error', reject);
    client.on('ready', () =>
      client.shell({ term: 'xterm', cols: 80, rows: 24 }, (err, stream) => {
        if (err) return reject(err);
        let out = '';
        stream.on('data', (b) => {
          out += b.toString();
          if (/\$ $/.test(out)) {
            stream.removeAllListeners('data');
            stream.resume();
            resolve();
          }
        });
      }),
    );
    client.connect({ host: '127.0.0.1', port: Number(port), username: login, password: token, hostVerifier: () => true, readyTimeout: 60_000 });
    clients.push(client);
  });
}

// In batches, so sshd's MaxStartups and the gateway's login path are not flooded.
for (let done = 0; done < Number(n); ) {
  const batch = Math.min(20, Number(n) - done);
  await Promise.all(Array.from({ length: batch }, open));
  done += batch;
}
console.log(`ready ${clients.length}`);
process.stdin.resume();
process.stdin.on('end', () => {
  for (const c of clients) c.end();
  setTimeout(() => process.exit(0), 500);
});
