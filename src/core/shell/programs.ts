import type { CommandClass } from './types.ts';
import type { Word } from './words.ts';

/**
 * What well-known programs do. A program not listed here is `unknown`
 * (blocked by default): an allow-list, so a new or renamed binary is never
 * mistaken for a harmless one.
 */
const table: Record<Exclude<CommandClass, 'unknown'>, readonly string[]> = {
  read: [
    'ls', 'll', 'dir', 'cat', 'head', 'tail', 'less', 'more', 'grep', 'egrep', 'fgrep', 'rg', 'zgrep', 'find', 'locate', 'wc', 'echo', 'printf',
    'pwd', 'whoami', 'id', 'date', 'uname', 'hostname', 'df', 'du', 'ps', 'top', 'htop', 'free', 'uptime', 'stat', 'file', 'which', 'type',
    'whereis', 'printenv', 'diff', 'cmp', 'sort', 'uniq', 'cut', 'tr', 'jq', 'md5sum', 'sha1sum', 'sha256sum', 'sha512sum', 'cksum',
    'basename', 'dirname', 'realpath', 'readlink', 'true', 'false', 'test', '[', ':', 'exit', 'cd', 'w', 'who', 'last', 'lsof', 'netstat',
    'ss', 'dmesg', 'lsblk', 'column', 'xxd', 'od', 'hexdump', 'strings', 'nl', 'tac', 'rev', 'fold', 'zcat', 'yes', 'sleep', 'seq',
    'locale', 'tty', 'groups', 'getent', 'journalctl', 'tree', 'awk', 'gawk', 'sed', 'comm', 'join', 'paste', 'expand', 'fmt', 'pr',
    'nproc', 'arch', 'lscpu', 'vmstat', 'iostat', 'env', 'history', 'wait', 'read', 'shift', 'set', 'unset', 'export', 'declare',
    'local', 'readonly', 'alias', 'umask', 'ulimit', 'pidof', 'pgrep', 'base64', 'cal', 'tput', 'clear', 'stty',
  ],
  write: [
    'cp', 'mv', 'rm', 'mkdir', 'rmdir', 'touch', 'ln', 'chmod', 'chown', 'chgrp', 'tee', 'truncate', 'tar', 'zip', 'unzip', 'gzip',
    'gunzip', 'bzip2', 'xz', 'install', 'vi', 'vim', 'nano', 'emacs', 'ed', 'patch', 'git', 'make', 'split', 'shred', 'mktemp', 'dd',
  ],
  network: ['curl', 'wget', 'ssh', 'scp', 'sftp', 'rsync', 'nc', 'ncat', 'netcat', 'telnet', 'ftp', 'ping', 'ping6', 'dig', 'nslookup', 'host', 'traceroute', 'socat', 'ip', 'ifconfig', 'nmap', 'tcpdump'],
  admin: [
    'sudo', 'su', 'doas', 'pkexec', 'systemctl', 'service', 'kill', 'killall', 'pkill', 'reboot', 'shutdown', 'halt', 'poweroff', 'init',
    'telinit', 'mount', 'umount', 'useradd', 'userdel', 'usermod', 'groupadd', 'groupdel', 'passwd', 'chpasswd', 'visudo', 'crontab',
    'iptables', 'ip6tables', 'nft', 'ufw', 'firewall-cmd', 'modprobe', 'insmod', 'rmmod', 'sysctl', 'fdisk', 'parted', 'wipefs', 'chroot',
    'apt', 'apt-get', 'yum', 'dnf', 'rpm', 'dpkg', 'snap', 'docker', 'podman', 'kubectl', 'setenforce', 'swapoff', 'swapon', 'hwclock',
    'timedatectl', 'hostnamectl', 'losetup', 'cryptsetup', 'mkswap', 'chattr',
  ],
};

const classOf = new Map<string, Exclude<CommandClass, 'unknown'>>();
for (const [cls, names] of Object.entries(table) as [Exclude<CommandClass, 'unknown'>, readonly string[]][]) for (const n of names) classOf.set(n, cls);

/** Programs that run code Warden cannot see (scripts, interpreters, `eval`): always unknown. */
const opaque = new Set(['eval', 'source', '.', 'python', 'python2', 'python3', 'perl', 'ruby', 'node', 'nodejs', 'php', 'lua', 'tclsh', 'expect', 'trap', 'alias']);

/** The class of one program with its arguments; `dynamic` args only matter where they change the answer. */
export function programClass(program: string, args: readonly Word[]): { class: CommandClass; reason: string } {
  if (opaque.has(program) || /^python\d/.test(program)) return { class: 'unknown', reason: `${program} runs code Warden cannot inspect` };
  if (program.startsWith('mkfs')) return { class: 'admin', reason: `${program} formats a filesystem` };
  const values = args.map((a) => a.value ?? '');
  if (program === 'sed' && values.some((v) => /^(-i|--in-place)/.test(v) || /^-[a-zA-Z]*i/.test(v))) return { class: 'write', reason: 'sed -i edits files in place' };
  if ((program === 'awk' || program === 'gawk') && args.some((a) => a.value === undefined || /system|getline|\||>|print\s*>/.test(a.value))) {
    return { class: 'unknown', reason: 'this awk program can run commands or write files' };
  }
  if (program === 'find' && values.includes('-delete')) return { class: 'write', reason: 'find -delete removes files' };
  if ((program === 'sort' || program === 'tree') && values.some((v) => v === '-o' || v.startsWith('--output'))) return { class: 'write', reason: `${program} -o writes a file` };
  if (program === 'hostname' && values.length > 0 && !values.every((v) => v.startsWith('-'))) return { class: 'admin', reason: 'hostname NAME changes the host name' };
  const cls = classOf.get(program);
  if (cls === undefined) return { class: 'unknown', reason: `${program} is not a program Warden knows` };
  return { class: cls, reason: `${program} is a ${cls} command` };
}
