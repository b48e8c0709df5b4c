// The slice of oidc-provider's API these tests use (the package ships no types; @types/oidc-provider is not installed).
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  export interface Account {
    accountId: string;
    /** `use`: 'id_token' or 'userinfo'. */
    claims(use?: string): Promise<Record<string, unknown>>;
  }
  export default class Provider {
    constructor(
      issuer: string,
      configuration: Record<string, unknown> & { findAccount?(ctx: unknown, sub: string): Promise<Account | undefined> },
    );
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }
}
