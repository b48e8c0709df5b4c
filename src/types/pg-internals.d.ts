// Types for the parts of the `pg` driver Warden reuses for target authentication.
declare module 'pg/lib/crypto/sasl.js' {
  interface ScramSession {
    mechanism: string;
    response: string;
  }
  const sasl: {
    startSession(mechanisms: string[], stream?: unknown): ScramSession;
    continueSession(session: ScramSession, password: string, serverData: string, stream?: unknown): Promise<void>;
    finalizeSession(session: ScramSession, serverData: string): void;
  };
  export default sasl;
}

declare module 'pg/lib/crypto/utils.js' {
  const utils: {
    postgresMd5PasswordHash(user: string, password: string, salt: Buffer): Promise<string>;
  };
  export default utils;
}
