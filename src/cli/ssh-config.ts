/**
 * The OpenSSH client config block `warden connect` prints or writes, so
 * plain `ssh <alias>`, `scp` and `sftp` go through the gateway with the
 * login scheme `<warden user>@<connection>`. The block sits between marker
 * comments naming its alias, so writing it again replaces it in place
 * (idempotent) and leaves the rest of the file untouched.
 */
export interface HostBlock {
  alias: string;
  connection: string;
  user: string;
  host: string;
  port: number;
  identityFile?: string;
}

const begin = (alias: string) => `# >>> warden connect ${alias}`;
const end = (alias: string) => `# <<< warden connect ${alias}`;

/** ssh_config values with spaces must be quoted; a newline or quote would break out of the line, so is refused. */
function value(v: string): string {
  if (/["\r\n]/.test(v)) throw new Error(`cannot put ${JSON.stringify(v)} in an ssh config`);
  return /\s/.test(v) ? `"${v}"` : v;
}

export function hostBlock(b: HostBlock): string {
  const lines = [
    `${begin(b.alias)} (written by Warden; \`warden connect ${b.connection} --write\` rewrites it)`,
    `Host ${value(b.alias)}`,
    `  HostName ${value(b.host)}`,
    `  Port ${b.port}`,
    `  User ${value(`${b.user}@${b.connection}`)}`,
  ];
  if (b.identityFile !== undefined) lines.push(`  IdentityFile ${value(b.identityFile)}`, '  IdentitiesOnly yes');
  lines.push(end(b.alias));
  return `${lines.join('\n')}\n`;
}

/**
 * `config` with the block for `alias` replaced (or appended when there is
 * none); `changed` false when the file already says exactly this.
 */
export function withHostBlock(config: string, alias: string, block: string): { text: string; changed: boolean } {
  const lines = config.split('\n');
  const from = lines.findIndex((l) => l.startsWith(`${begin(alias)} `) || l === begin(alias));
  const to = from === -1 ? -1 : lines.findIndex((l, i) => i > from && l === end(alias));
  let text: string;
  if (from !== -1 && to !== -1) {
    text = [...lines.slice(0, from), block.replace(/\n$/, ''), ...lines.slice(to + 1)].join('\n');
  } else {
    const base = config === '' || config.endsWith('\n') ? config : `${config}\n`;
    text = `${base}${base === '' ? '' : '\n'}${block}`;
  }
  return { text, changed: text !== config };
}
