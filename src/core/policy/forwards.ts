import { anyGlob } from './glob.ts';
import type { Rule, RuleMatch } from './rules.ts';

/**
 * Port forwarding (SSH `-L`, direct-tcpip) as policy sees it: the
 * destination the user asks the gateway to reach from the target's side.
 * Only rules that name destinations (`forwards:` host:port globs) judge it,
 * so a rule without `forwards:` (an allow-everything rule included) never
 * opens a tunnel: forwarding is denied unless a rule allows it by name.
 */
export interface ForwardInfo {
  host: string;
  port: number;
}

export const hasForwardCriteria = (m: RuleMatch): boolean => m.forwards !== undefined;

/** `host:port`, with IPv6 addresses in brackets so `[::1]:22` cannot be read as host `:` port. */
export const destinationOf = (f: ForwardInfo): string => (f.host.includes(':') ? `[${f.host}]:${f.port}` : `${f.host}:${f.port}`);

/**
 * Whether a rule's criteria cover one forward: it must name destinations,
 * one of its globs must match `host:port` (case-insensitive), and it may
 * carry no SQL, command or file criteria.
 */
export function forwardMatches(rule: Rule, f: ForwardInfo): boolean {
  const m = rule.match;
  if (m.forwards === undefined) return false;
  if (m.classes !== undefined || m.kinds !== undefined || m.tables !== undefined || m.functions !== undefined || m.withoutWhere !== undefined || m.dangerous !== undefined || m.commands !== undefined) return false;
  if (m.files !== undefined || m.direction !== undefined) return false;
  return anyGlob(m.forwards, destinationOf(f));
}
