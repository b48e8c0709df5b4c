import { describe, expect, it } from 'vitest';
import { shippedDefaults } from './defaults.ts';
import { evaluateFile } from './evaluate.ts';
import { directionOf, pathGlob, shippedFileDefaults, type FileOp } from './files.ts';
import { loadRulesYaml } from './load.ts';
import type { PolicySubject } from './types.ts';

const alice: PolicySubject = { user: 'alice', groups: ['dev'], connection: 'box', connectionTags: [], at: new Date('2026-01-05T12:00:00Z') };
const rules = `
- { id: no-shadow, match: { files: [/etc/shadow, '/root/*'], direction: download }, effect: block, message: secrets stay on the server }
- { id: uploads-only-to-tmp, match: { files: ['!/tmp/*'], direction: upload }, effect: block }
- { id: review-etc-writes, match: { files: ['/etc/*'], direction: upload }, effect: review, approvers: [ops] }
- { id: sql-only, match: { classes: [read] }, effect: block }
- { id: cmd-only, match: { commands: ['*'] }, effect: block }
- { id: fwd-only, match: { forwards: ['*'] }, effect: block }
- { id: shell-only, match: { shell: true }, effect: block }
`;
const run = (op: FileOp, paths: string[], yaml = rules, defaults = [...shippedFileDefaults(), ...shippedDefaults()]) => evaluateFile(loadRulesYaml(yaml), alice, { op, paths }, defaults);

describe('file policy', () => {
  it('classes operations by direction', () => {
    expect(['download', 'list'].map((o) => directionOf(o as FileOp))).toEqual(['download', 'download']);
    expect(['upload', 'remove', 'rename', 'mkdir', 'rmdir', 'setstat', 'symlink', 'hardlink'].every((o) => directionOf(o as FileOp) === 'upload')).toBe(true);
  });

  it('path globs are case-sensitive, cross slashes, and ! negates', () => {
    expect(pathGlob('/tmp/*', '/tmp/a/b')).toBe(true);
    expect(pathGlob('/tmp/*', '/TMP/a')).toBe(false);
    expect(pathGlob('!/tmp/*', '/TMP/a')).toBe(true);
    expect(pathGlob('!/tmp/*', '/tmp/a')).toBe(false);
  });

  it('blocks by path and direction, naming the rule; SQL and command rules never match a file', () => {
    expect(run('download', ['/etc/shadow'])).toMatchObject({ effect: 'block', rules: [{ id: 'no-shadow' }], message: expect.stringContaining('secrets stay on the server') });
    expect(run('download', ['/etc/passwd'])).toMatchObject({ effect: 'allow', rules: [{ id: 'default:file-allow' }] });
    expect(run('upload', ['/tmp/x'])).toMatchObject({ effect: 'allow', rules: [{ id: 'default:file-allow' }] });
  });

  it('most restrictive wins: an upload outside /tmp is blocked even where a review rule matches too', () => {
    expect(run('upload', ['/home/alice/x'])).toMatchObject({ effect: 'block', rules: [{ id: 'uploads-only-to-tmp' }] });
    expect(run('mkdir', ['/etc/x'])).toMatchObject({ effect: 'block', rules: [{ id: 'uploads-only-to-tmp' }] });
    expect(run('upload', ['/etc/x'], '- { id: r, match: { files: [/etc/*] }, effect: review }')).toMatchObject({ effect: 'review', rules: [{ id: 'r' }] });
  });

  it('a rename matches a block rule by either path, an allow rule only by both', () => {
    expect(run('rename', ['/tmp/a', '/home/alice/a'])).toMatchObject({ effect: 'block', rules: [{ id: 'uploads-only-to-tmp' }] });
    const allowTmp = '- { id: tmp-ok, match: { files: [/tmp/*] }, effect: allow }';
    expect(run('rename', ['/tmp/a', '/tmp/b'], allowTmp)).toMatchObject({ effect: 'allow', rules: [{ id: 'tmp-ok' }] });
    // Not covered by the allow (one path is outside): the defaults decide.
    expect(run('rename', ['/tmp/a', '/etc/b'], allowTmp, [])).toMatchObject({ effect: 'block', rules: [{ id: 'default:uncovered' }] });
  });

  it('rules without criteria (who/where/when only) cover file operations; a connection default can tighten the shipped one', () => {
    expect(run('download', ['/x'], '- { id: nobody, match: { users: [alice] }, effect: block }')).toMatchObject({ effect: 'block', rules: [{ id: 'nobody' }] });
    expect(run('download', ['/x'], '[]', [...shippedFileDefaults(), ...loadRulesYaml('- { id: lockdown, effect: block }')])).toMatchObject({ effect: 'block', rules: [{ id: 'lockdown' }] });
  });

  it('file rules do not refuse the session when it opens, nor judge SQL', async () => {
    const { evaluate } = await import('./evaluate.ts');
    expect(evaluate(loadRulesYaml(rules), alice, [], [])).toMatchObject({ effect: 'allow' });
  });
});
