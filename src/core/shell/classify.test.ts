import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyCommand } from './classify.ts';

const programs = (line: string) => classifyCommand(line).map((c) => c.program);
const find = (line: string, program: string) => classifyCommand(line).find((c) => c.program === program);

describe('classifyCommand: structure', () => {
  it('finds every command in pipes, lists, subshells and substitutions', () => {
    expect(programs('a | b; c && d || e')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(programs('( cd /tmp; ls ) | grep x')).toEqual(['cd', 'ls', 'grep']);
    expect(programs('echo $(whoami) `id` <(hostname)')).toEqual(['echo', 'whoami', 'id', 'hostname']);
    expect(programs('for f in *; do cat "$f"; done; if true; then ls; fi')).toEqual(['cat', 'true', 'ls']);
  });

  it('takes the basename of the program and keeps arguments after quote removal', () => {
    expect(classifyCommand('/usr/bin/grep -n "a b" \'c\' d\\ e')[0]).toMatchObject({ program: 'grep', args: ['-n', 'a b', 'c', 'd e'], class: 'read', dynamic: false });
    expect(classifyCommand('cat "$HOME/x"')[0]).toMatchObject({ program: 'cat', args: ['"$HOME/x"'], dynamic: true });
  });

  it('classes: read, write, network, admin, unknown', () => {
    expect(find('ls -la', 'ls')!.class).toBe('read');
    expect(find('touch x', 'touch')!.class).toBe('write');
    expect(find('sed -i s/a/b/ f', 'sed')!.class).toBe('write');
    expect(find('sed s/a/b/ f', 'sed')!.class).toBe('read');
    expect(find('curl https://example.com', 'curl')!.class).toBe('network');
    expect(find('systemctl restart nginx', 'systemctl')!.class).toBe('admin');
    expect(find('kill -9 1', 'kill')!.class).toBe('admin');
    expect(find('frobnicate', 'frobnicate')!.class).toBe('unknown');
    expect(find('python3 -c "print(1)"', 'python3')!.class).toBe('unknown');
  });

  it('a write redirection is a write of its own; /dev/null and fd duplication are not', () => {
    expect(classifyCommand('echo hi > /etc/motd')).toContainEqual(expect.objectContaining({ program: '>', class: 'write', args: ['/etc/motd'] }));
    expect(programs('ls > /dev/null 2>&1 < in')).toEqual(['ls']);
    expect(classifyCommand('cat x > /dev/sda')).toContainEqual(expect.objectContaining({ program: '>', class: 'admin', dangerous: ['write to a device'] }));
  });

  it('unwraps sudo, env, nohup, nice, timeout, xargs, find -exec, exec, command', () => {
    expect(classifyCommand('sudo -u root ls /root')).toEqual([expect.objectContaining({ program: 'ls', sudo: true, via: ['sudo'], class: 'admin' })]);
    expect(classifyCommand('sudo -i')).toEqual([expect.objectContaining({ program: 'sudo', class: 'admin' })]);
    expect(classifyCommand('env -i A=1 B=2 ls')).toEqual([expect.objectContaining({ program: 'ls', via: ['env'], class: 'read' })]);
    expect(find('nohup nice -n 5 timeout 10 cat f', 'cat')).toMatchObject({ via: ['nohup', 'nice', 'timeout'] });
    expect(find('ls | xargs rm -f', 'rm')).toMatchObject({ via: ['xargs'], dynamic: true });
    expect(find('find . -name "*.log" -exec gzip {} +', 'gzip')).toMatchObject({ via: ['find -exec'], args: ['{}'] });
    expect(programs('exec ls; command -v ls; command ls')).toEqual(['ls', 'command', 'ls']);
  });

  it('parses the script of bash -c / sh -c / su -c recursively', () => {
    expect(classifyCommand("bash -lc 'ls | wc -l'").map((c) => [c.program, c.via])).toEqual([['ls', ['bash -c']], ['wc', ['bash -c']]]);
    expect(find(`sh -c "bash -c 'touch x'"`, 'touch')).toMatchObject({ via: ['sh -c', 'bash -c'] });
    expect(find("su - root -c 'id'", 'id')).toMatchObject({ sudo: true, class: 'admin' });
  });
});

describe('classifyCommand: fails closed', () => {
  it.each([
    ['eval "rm -rf /"', 'eval'],
    ['$CMD -rf /', 'a program known at run time'],
    ['$(echo rm) -rf /', 'a substituted program'],
    ['sh -c "$X"', 'a dynamic script'],
    ['bash script.sh', 'a script file'],
    ['bash', 'a shell reading stdin'],
    ["$'\\x72m' -rf /", 'ANSI-C quoting'],
    ['{rm,-rf,/}', 'brace expansion'],
    ["echo 'unterminated", 'unparseable input'],
    ['echo (', 'a syntax error'],
    ['', 'an empty line'],
    ['# just a comment', 'a comment only'],
    [':(){ :|:& };:', 'a fork bomb (function definition)'],
    ['PATH=/tmp/evil ls', 'a PATH hijack'],
    ['env -S "rm -rf /"', 'env -S'],
    ["awk 'BEGIN { system(\"rm -rf /\") }'", 'awk system()'],
  ])('%s (%s) yields an unknown command', (line) => {
    expect(classifyCommand(line).some((c) => c.class === 'unknown')).toBe(true);
  });

  it('reports the parse error', () => {
    expect(classifyCommand("echo 'x")[0]).toMatchObject({ class: 'unknown', program: '', error: expect.stringContaining('quote') });
  });

  it('never throws and never returns an empty list', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ab $()`\'"\\;|&<>{}-/\n*'.split('')), maxLength: 40 }), (line) => {
        expect(classifyCommand(line).length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('classifyCommand: evasions of rm -rf / are all found', () => {
  it.each([
    'rm -rf /',
    'ls; rm -rf /',
    'ls && rm -rf /',
    'false || rm -rf /',
    'ls | rm -rf /',
    'echo $(rm -rf /)',
    'echo "$(rm -rf /)"',
    '`rm -rf /`',
    "bash -c 'rm -rf /'",
    "sh -c 'ls; rm -rf /'",
    'sudo rm -rf /',
    'sudo -u root -- rm -rf /',
    'env X=1 rm -rf /',
    'nohup rm -rf / &',
    '/bin/rm -rf /',
    'r\\m -rf /',
    "'r''m' -rf /",
    '"rm" -rf "/"',
    'rm -r -f /*',
    'rm --recursive --force /etc',
    'rm -rf ~',
    '( rm -rf / )',
    '{ rm -rf /; }',
    'echo / | xargs rm -rf',
    'time rm -rf /',
    'watch rm -rf /',
  ])('%s', (line) => {
    const rm = classifyCommand(line).find((c) => c.program === 'rm');
    expect(rm).toMatchObject({ class: 'admin', dangerous: expect.arrayContaining(['rm -rf /']) });
  });

  it('find -exec rm is found as rm', () => {
    expect(find('find / -exec rm {} \\;', 'rm')).toMatchObject({ program: 'rm', via: ['find -exec'], class: 'write' });
  });

  it('an ordinary rm is a write, not destructive', () => {
    expect(classifyCommand('rm -rf ./build')).toEqual([expect.objectContaining({ program: 'rm', class: 'write', dangerous: [] })]);
    expect(classifyCommand('rm /tmp/x')).toEqual([expect.objectContaining({ class: 'write', dangerous: [] })]);
  });

  it('other destructive commands', () => {
    expect(classifyCommand('mkfs.ext4 /dev/sdb1')[0]).toMatchObject({ class: 'admin', dangerous: ['format a filesystem'] });
    expect(classifyCommand('dd if=/dev/zero of=/dev/sda')[0]).toMatchObject({ class: 'admin', dangerous: ['write to a device'] });
    expect(classifyCommand('chmod -R 777 /')[0]).toMatchObject({ class: 'admin', dangerous: ['chmod -R /'] });
  });
});
