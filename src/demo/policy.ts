import { allowAll, type PolicyEngine } from '../core/policy/types.ts';

/** The demo's policy: filled in once the policy engine lands. */
export async function demoPolicy(): Promise<PolicyEngine> {
  return allowAll;
}
