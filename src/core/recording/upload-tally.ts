import { createHash, type Hash } from 'node:crypto';
import type { StatementUpload } from './types.ts';

/**
 * Bytes and SHA-256 of data a client uploads through a statement (LOAD DATA LOCAL INFILE, COPY
 * FROM STDIN), tallied chunk by chunk as the relay passes them on: the data is never buffered.
 * `result` can be asked at any point (a load cut short records what passed until then).
 */
export class UploadTally {
  readonly #hash: Hash = createHash('sha256');
  readonly #name: string | undefined;
  #bytes = 0;
  #result: StatementUpload | undefined;

  /** `name`: the file the target asked for, when the protocol names one. */
  constructor(name?: string) {
    this.#name = name;
  }

  /** Data that passed, in order; ignored once `result` was taken (the hash is final then). */
  add(data: Uint8Array): void {
    if (this.#result !== undefined || data.length === 0) return;
    this.#bytes += data.length;
    this.#hash.update(data);
  }

  /** What passed so far; the tally is closed by the first call (later calls give the same). */
  result(): StatementUpload {
    if (this.#result === undefined) {
      const r: StatementUpload = { bytes: this.#bytes, sha256: this.#hash.digest('hex') };
      if (this.#name !== undefined) r.name = this.#name;
      this.#result = r;
    }
    return this.#result;
  }
}
