import { anyGlob } from './glob.ts';
import type { Rule, RuleMatch } from './rules.ts';

/**
 * Port forwarding as policy sees it. `-L` (direct-tcpip): the destination
 * the user asks the gateway to reach from the target's side, matched by
 * `host:port` globs. `-R` (tcpip-forward): the address the target is asked
 * to listen on, matched only by globs written `remote:host:port` (and those
 * never match a `-L`), so a rule written for `-L` destinations — `'*'`
 * included — never opens a listener on the target. Only rules that name
 * forwards (`forwards:`) judge them, so a rule without `forwards:` (an
 * allow-everything rule included) never opens a tunnel: forwarding is denied
 * unless a rule allows it by name.
 */
export interface ForwardInfo {
  host: string;
  port: number;
  /** `-R`: host and port are the bind address on the target. */
  remote?: boolean;
}

const remotePrefix = 'remote:';
const isRemoteGlob = (glob: string): boolean => glob.toLowerCase().startsWith(remotePrefix);

export const hasForwardCriteria = (m: RuleMatch): boolean => m.forwards !== undefined;

/** `host:port`, with IPv6 addresses in brackets so `[::1]:22` cannot be read as host `:` port. */
export const destinationOf = (f: ForwardInfo): string => (f.host.includes(':') ? `[${f.host}]:${f.port}` : `${f.host}:${f.port}`);

/**
 * Whether a rule's criteria cover one forward: it must name destinations,
 * one of its globs of the forward's kind (`remote:` for `-R`) must match
 * `host:port` (case-insensitive), and it may carry no SQL, command or file
 * criteria.
 */
export function forwardMatches(rule: Rule, f: ForwardInfo): boolean {
  const m = rule.match;
  if (m.forwards === undefined) return false;
  if (m.classes !== undefined || m.kinds !== undefined || m.tables !== undefined || m.functions !== undefined || m.withoutWhere !== undefined || m.dangerous !== undefined || m.commands !== undefined) return false;
  if (m.files !== undefined || m.direction !== undefined) return false;
  const dest = destinationOf(f);
  if (f.remote) return m.forwards.some((g) => isRemoteGlob(g) && anyGlob([g.slice(remotePrefix.length)], dest));
  return anyGlob(m.forwards.filter((g) => !isRemoteGlob(g)), dest);
}
