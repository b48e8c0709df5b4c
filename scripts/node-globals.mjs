// Injected into the bundle (scripts/build.mjs, esbuild's `inject`): every free use of these
// names in Warden's own modules becomes a use of the module binding exported here.
//
// Why: in Node 20 `Buffer`, `process` and `performance` are accessor properties of the global
// object, so each use is a global load plus a getter call even in optimised code: ~6–7 ns more
// per `Buffer.allocUnsafe` or `performance.now()` in a hot loop than through an import, and the
// relays use them on every read and statement. Same objects, nothing else changes.
export { Buffer } from 'node:buffer';
export { performance } from 'node:perf_hooks';
export { default as process } from 'node:process';
