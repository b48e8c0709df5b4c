import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WardenError } from '../../core/errors.ts';

/**
 * Target host keys pinned on first use (trust on first use, like OpenSSH's
 * known_hosts), kept as SHA-256 fingerprints in `<dataDir>/ssh/known_targets.json`
 * by `host:port`. A key that differs from the pin refuses the connection:
 * either the target was rebuilt or someone sits in between, and only an admin
 * can tell which.
 */
export class TargetHostPins {
  readonly #file: string;

  constructor(dataDir: string) {
    const dir = join(dataDir, 'ssh');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.#file = join(dir, 'known_targets.json');
  }

  get file(): string {
    return this.#file;
  }

  /**
   * Returns true when the key matches the pin or was pinned now; throws
   * WardenError('upstream_unavailable') when it differs from the pin.
   */
  check(host: string, port: number, key: Buffer, connection: string): true {
    const address = `${host}:${port}`;
    const fingerprint = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
    const pins = this.#read();
    const pinned = pins[address];
    if (pinned === undefined) {
      pins[address] = fingerprint;
      this.#write(pins);
      return true;
    }
    // fail closed: a changed host key never connects, whatever the credential.
    if (pinned !== fingerprint) {
      throw new WardenError(
        'upstream_unavailable',
        `the SSH host key of connection "${connection}" (${address}) CHANGED: pinned ${pinned}, offered ${fingerprint}. ` +
          `Warden refused to connect. If the target was rebuilt, an admin removes "${address}" from ${this.#file}.`,
      );
    }
    return true;
  }

  #read(): Record<string, string> {
    if (!existsSync(this.#file)) return {};
    return JSON.parse(readFileSync(this.#file, 'utf8')) as Record<string, string>;
  }

  /** Write-then-rename: a crash never leaves a half-written pin file. */
  #write(pins: Record<string, string>): void {
    const tmp = `${this.#file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(pins, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.#file);
  }
}
