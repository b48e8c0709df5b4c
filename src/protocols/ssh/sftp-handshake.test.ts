import { describe, expect, it } from 'vitest';
import { WardenError } from '../../core/errors.ts';
import { greetTarget } from './sftp-handshake.ts';
import { fallbackLimits, limitsExtension, limitsReply, relayChunk } from './sftp-limits.ts';
import { encodePacket, FX, FXP, statusPacket } from './sftp-packets.ts';

/** A target scripted by its answers, in order; notes what the gateway asked. */
function scripted(answers: Buffer[]) {
  const asked: Buffer[] = [];
  const ask = (packet: Buffer) => {
    asked.push(packet);
    const next = answers.shift();
    return next ? Promise.resolve(next) : Promise.reject(new Error('asked more than the script holds'));
  };
  return { asked, ask };
}

const home = (path: string) => encodePacket(FXP.NAME, [2, 1, path, path, { raw: Buffer.alloc(4) }]);

describe('greetTarget', () => {
  it("asks for the limits when offered and takes them capped, and the home directory from REALPATH '.'", async () => {
    const limits = { maxPacketLength: 256 * 1024, maxReadLength: 1024 * 1024, maxWriteLength: 1024 * 1024, maxOpenHandles: 1024 };
    const t = scripted([encodePacket(FXP.VERSION, [3, 'posix-rename@openssh.com', '1', limitsExtension, '1']), limitsReply(1, limits), home('/home/u')]);
    const g = await greetTarget(t.ask);
    expect(g).toEqual({
      limits: { ...limits, maxReadLength: relayChunk, maxWriteLength: relayChunk },
      home: '/home/u',
      extensions: new Map([['posix-rename@openssh.com', '1'], [limitsExtension, '1']]),
    });
    expect(t.asked).toEqual([encodePacket(FXP.INIT, [3]), encodePacket(FXP.EXTENDED, [1, limitsExtension]), encodePacket(FXP.REALPATH, [2, '.'])]);
  });

  it('uses the fallback limits without the extension, and knows no home directory when REALPATH fails', async () => {
    const t = scripted([encodePacket(FXP.VERSION, [3]), statusPacket(2, FX.PERMISSION_DENIED)]);
    expect(await greetTarget(t.ask)).toEqual({ limits: fallbackLimits, home: undefined, extensions: new Map() });
    expect(t.asked).toHaveLength(2);
  });

  it('refuses a target below version 3, or one that answers INIT with something else', async () => {
    await expect(greetTarget(scripted([encodePacket(FXP.VERSION, [2])]).ask)).rejects.toThrow(/version 3/);
    await expect(greetTarget(scripted([statusPacket(0, FX.FAILURE)]).ask)).rejects.toThrow(/version 3/);
    await expect(greetTarget(scripted([encodePacket(FXP.VERSION, [3, 'half'])]).ask)).rejects.toThrow(WardenError);
  });
});
