import type { EventBus } from '../core/events.ts';
import type { Store } from './index.ts';

/**
 * The repositories whose writes other replicas must hear about at once, each
 * wrapped to publish its event after the write succeeded: a token revoked,
 * a policy applied, an agent revoked. Every caller (API, CLI, sweeps) goes
 * through the repository, so none can forget to publish.
 */
export function publishingRepos(store: Store, events: EventBus): Pick<Store, 'tokens' | 'policy' | 'agents'> {
  const { tokens, policy, agents } = store;
  return {
    tokens: {
      create: (t) => tokens.create(t),
      byId: (id) => tokens.byId(id),
      listForUser: (id) => tokens.listForUser(id),
      touch: (id, at) => tokens.touch(id, at),
      async revoke(id, at) {
        const revoked = await tokens.revoke(id, at);
        if (revoked) await events.publish({ type: 'token.revoked', tokenId: id });
        return revoked;
      },
    },
    policy: {
      get: () => policy.get(),
      async put(doc) {
        const version = await policy.put(doc);
        await events.publish({ type: 'policy.changed' });
        return version;
      },
    },
    agents: {
      create: (a) => agents.create(a),
      byId: (id) => agents.byId(id),
      byName: (name) => agents.byName(name),
      list: () => agents.list(),
      touch: (id, at, version) => agents.touch(id, at, version),
      async revoke(name, at) {
        const revoked = await agents.revoke(name, at);
        if (revoked) await events.publish({ type: 'agent.revoked', agent: name });
        return revoked;
      },
    },
  };
}
