// Opens N PostgreSQL sessions (the `pg` driver) to URL and keeps them idle:
// each runs one `select 1` so it is fully set up end to end, then nothing.
// Prints `ready N` once all are open, then holds them until stdin closes.
// Used by bench/agent-scale.sh. Usage: node bench/pg-idle.mjs URL N
import pg from 'pg';

const [url, n] = process.argv.slice(2);
const clients = [];

async function open() {
  const c = new pg.Client({ connectionString: url });
  c.on('error', (err) => {
    console.error(`session error: ${err.message}`);
    process.exit(1);
  });
  clients.push(c);
  await c.connect();
  await c.query('select 1');
}

// In batches, so the gateway's login path and the agent's dials are not flooded at once.
for (let done = 0; done < Number(n); ) {
  const batch = Math.min(25, Number(n) - done);
  await Promise.all(Array.from({ length: batch }, open));
  done += batch;
}
console.log(`ready ${clients.length}`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await Promise.allSettled(clients.map((c) => c.end()));
  process.exit(0);
});
