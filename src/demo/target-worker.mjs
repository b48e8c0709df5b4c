// Worker thread of the demo target (see target.ts). PGlite runs WebAssembly on the
// thread that hosts it, and a long query blocks that thread whole; here it blocks
// only this worker, never the gateway's event loop. Plain JavaScript on purpose:
// a worker does not inherit the tsx loader that runs the TypeScript sources.
//
// Messages in:  { type: 'exec', id, sql } | { type: 'stop' }
// Messages out: { type: 'ready', port } | { type: 'failed', message } | { type: 'crashed', message }
//               { type: 'result', id, error? } | { type: 'stopped' }
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const { dataDir, host, port, maxConnections } = workerData;
const port_ = parentPort;

const COPY_FROM_STDIN = /\bcopy\b[\s\S]*\bfrom\s+stdin\b/i;
const decoder = new TextDecoder();

/** An ErrorResponse then ReadyForQuery, as the backend would send after a failed simple query. */
function refusal(sqlstate, message, status) {
  const fields = Buffer.from(`SERROR\0VERROR\0C${sqlstate}\0M${message}\0\0`);
  const error = Buffer.alloc(5 + fields.length);
  error.write('E', 0);
  error.writeInt32BE(4 + fields.length, 1);
  fields.copy(error, 5);
  return Buffer.concat([error, Buffer.from([0x5a, 0, 0, 0, 5, status.charCodeAt(0)])]);
}

/**
 * What pglite-socket gets instead of the PGlite instance: the same calls, with two guards.
 * 1. COPY … FROM STDIN is refused with a clear error: PGlite runs one message at a
 *    time, so its backend reads EOF where CopyData should be, exits, and the whole
 *    target is dead. (COPY … TO STDOUT works.)
 * 2. When PGlite dies anyway (an ExitStatus from WebAssembly), pglite-socket's queue
 *    stalls forever; instead we report the crash and exit, so clients get a refused
 *    connection rather than a hang.
 */
function guard(db) {
  return {
    get waitReady() { return db.waitReady; },
    runExclusive: (fn) => db.runExclusive(fn),
    isInTransaction: () => db.isInTransaction(),
    exec: (sql) => db.exec(sql),
    async execProtocolRawStream(message, options) {
      if (message[0] === 0x51 /* 'Q' */ && COPY_FROM_STDIN.test(decoder.decode(message.subarray(5)))) {
        options.onRawData(refusal('0A000', 'COPY FROM STDIN is not supported by the embedded demo target; use INSERT, or point Warden at a real PostgreSQL', db.isInTransaction() ? 'T' : 'I'));
        return;
      }
      try {
        return await db.execProtocolRawStream(message, options);
      } catch (err) {
        if (err?.name === 'ExitStatus') crashed(err);
        throw err;
      }
    },
  };
}

let db;
let server;
let crashing = false;
function crashed(err) {
  if (crashing) return;
  crashing = true;
  port_.postMessage({ type: 'crashed', message: `PGlite exited (${err.message})` });
  // The instance is unusable: end the worker, which closes the listener and every
  // client socket, so clients see a refused or closed connection instead of a hang.
  process.exit(1);
}

try {
  db = dataDir === undefined ? await PGlite.create() : await PGlite.create(dataDir);
  server = new PGLiteSocketServer({ db: guard(db), host, port, maxConnections });
  let actual = port;
  server.addEventListener('listening', (event) => {
    if (typeof event.detail?.port === 'number') actual = event.detail.port;
  });
  await server.start();
  port_.postMessage({ type: 'ready', port: actual });
} catch (err) {
  await db?.close().catch(() => {});
  port_.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  port_.close();
}

port_.on('message', async (msg) => {
  if (msg.type === 'exec') {
    try {
      await db.exec(msg.sql);
      port_.postMessage({ type: 'result', id: msg.id });
    } catch (err) {
      port_.postMessage({ type: 'result', id: msg.id, error: err instanceof Error ? err.message : String(err) });
    }
  } else if (msg.type === 'stop') {
    // The server waits for every client socket to close (open transactions are
    // rolled back first), so PGlite is idle when it is closed.
    await server.stop();
    await db.close();
    port_.postMessage({ type: 'stopped' });
    port_.close();
  }
});
