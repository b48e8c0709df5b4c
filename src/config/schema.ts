import { z } from 'zod';

/**
 * The whole configuration of a gateway, with a default for every option.
 * Paths left empty are resolved under `dataDir` by `resolvePaths`.
 */
const listener = (port: number, enabled = true) =>
  z
    .object({
      enabled: z.boolean().default(enabled),
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(port),
    })
    .strict()
    .prefault({});

/** The SSH ciphers a gateway can offer (ssh2's, without the CBC and 3DES ones). */
export const sshCiphers = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'] as const;
/** The AES-GCM ones among them (the SSH protocol's `protocols/ssh/algorithms.ts` orders its offers from these lists too). */
export const sshAesGcm = sshCiphers.filter((c) => c.endsWith('-gcm@openssh.com'));
export const sshAesCtr = sshCiphers.filter((c) => c.endsWith('-ctr'));

export const configSchema = z
  .object({
    dataDir: z.string().min(1).default('./warden-data'),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    /** Name of this gateway replica, shown in sessions and metrics. */
    replica: z.string().min(1).default('gw-1'),
    listeners: z
      .object({
        postgres: listener(15432),
        /**
         * MySQL/MariaDB clients; never 3306, which a local server may own. Off by default for now:
         * gateways started without a mysql entry (tests run in parallel, the demo) would all claim 13306.
         */
        mysql: listener(13306, false),
        api: listener(17080),
        /** SSH clients (`ssh -p 2222 <user>@<connection>@host`); off by default for the same reason as mysql. */
        ssh: listener(2222, false),
      })
      .strict()
      .prefault({}),
    tls: z
      .object({
        /** PEM files; when both are empty a self-signed pair is generated in the data dir on first start. */
        certFile: z.string().default(''),
        keyFile: z.string().default(''),
        /** Serve the API (and the agents' WebSocket endpoint) over HTTPS with this certificate; agents pin it with --ca or --pin. */
        api: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    store: z
      .object({
        /** Empty: SQLite at <dataDir>/warden.db. `postgres://…`: a shared PostgreSQL store. */
        url: z.string().default(''),
        /** PostgreSQL schema for Warden's tables. */
        schema: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('warden'),
      })
      .strict()
      .prefault({}),
    vault: z
      .object({
        /** Read when WARDEN_MASTER_KEY is unset; created 0600 on first start. Default <dataDir>/master.key. */
        masterKeyFile: z.string().default(''),
      })
      .strict()
      .prefault({}),
    recording: z
      .object({
        /** Default <dataDir>/recordings. */
        dir: z.string().default(''),
        maxRowsPerStatement: z.number().int().min(0).default(1000),
        maxBytesPerStatement: z.number().int().min(0).default(1024 * 1024),
        flushIntervalMs: z.number().int().min(10).max(1000).default(1000),
        /**
         * Ship recordings to S3-compatible object storage (docs/configuration.md, "Recordings on
         * object storage"): `dir` is then a local spool, and every replica reads every recording.
         */
        s3: z
          .object({
            /** The service's URL, e.g. https://s3.eu-west-1.amazonaws.com or http://minio.internal:9000. */
            endpoint: z.string().url(),
            /** Must exist: Warden does not create buckets. */
            bucket: z.string().min(3),
            region: z.string().default('us-east-1'),
            /** Prepended to every object key. */
            prefix: z.string().default('recordings/'),
            /** Path-style URLs (host/bucket/key), as MinIO and most self-hosted stores want; false for virtual-hosted AWS buckets. */
            pathStyle: z.boolean().default(true),
            /** How often live sessions' new bytes are shipped: at most this much of a dead host's recording is lost (ms). */
            shipIntervalMs: z.number().int().min(50).max(300_000).default(10_000),
            /** Environment variables holding the credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY when these are unset). */
            accessKeyEnv: z.string().default('WARDEN_S3_ACCESS_KEY'),
            secretKeyEnv: z.string().default('WARDEN_S3_SECRET_KEY'),
            /** Files holding the credentials (mounted secrets); they win over the environment. */
            accessKeyFile: z.string().default(''),
            secretKeyFile: z.string().default(''),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    policy: z
      .object({
        /** Rules (see docs/policy.md), validated when the gateway starts. */
        rules: z.array(z.unknown()).default([]),
        /** A YAML file of more rules, read at start. */
        rulesFile: z.string().default(''),
      })
      .strict()
      .prefault({}),
    reviews: z
      .object({
        /** Who may approve when a review rule names no approver groups. */
        defaultApproverGroups: z.array(z.string().min(1)).default(['approvers']),
        /** Members may force-approve (break-glass); loudly audited and notified. */
        breakGlassGroups: z.array(z.string().min(1)).default([]),
        /** Base URL put in notification links (default: the API listener's address). */
        publicUrl: z.string().default(''),
        /** Access requests that bring no setting of their own. */
        access: z
          .object({
            /** When a grant lapses, end the requester's open sessions on that connection. */
            closeSessionsOnExpiry: z.boolean().default(false),
          })
          .strict()
          .prefault({}),
        /** How often pending reviews are expired and lapsed grants close sessions (ms). */
        sweepIntervalMs: z.number().int().min(10).default(30_000),
        notifications: z
          .object({
            /** JSON webhooks; `secretEnv` names the env var holding the HMAC secret. */
            webhooks: z.array(z.object({ url: z.string().url(), secretEnv: z.string().default('') }).strict()).default([]),
            slack: z.array(z.object({ url: z.string().url() }).strict()).default([]),
            smtp: z
              .object({
                host: z.string().min(1),
                port: z.number().int().min(1).max(65535).default(587),
                secure: z.boolean().default(false),
                from: z.string().min(1),
                to: z.array(z.string().min(1)).min(1),
                user: z.string().default(''),
                /** Env var holding the SMTP password. */
                passwordEnv: z.string().default(''),
              })
              .strict()
              .optional(),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    identity: z
      .object({
        /**
         * Local people: users created in Warden (API/CLI) signing in with tokens an admin issued.
         * false: such tokens are refused and no new ones are issued or created, so people sign in only
         * through OIDC/SAML; admins, auditors and machine identities (the `machine` group) keep their
         * tokens, the admins being the documented break-glass path.
         */
        localUsers: z.boolean().default(true),
        /** OIDC sign-in (device flow for `warden login --oidc`); absent: OIDC is off. */
        oidc: z
          .object({
            /** The IdP's issuer URL (discovery at <issuer>/.well-known/openid-configuration); http only for loopback. */
            issuer: z.string().url(),
            clientId: z.string().min(1),
            /** Env var holding the client secret; empty: a public client (no secret). */
            clientSecretEnv: z.string().default(''),
            scope: z.string().min(1).default('openid profile groups'),
            /** ID token claim holding the IdP groups (array of strings, or one string). */
            groupsClaim: z.string().min(1).default('groups'),
            /** ID token claim that becomes the Warden user name. */
            usernameClaim: z.string().min(1).default('preferred_username'),
            /** IdP group → Warden groups; IdP groups not listed here grant nothing. */
            groupMap: z.record(z.string(), z.array(z.string().min(1))).default({}),
            /** Lifetime of the Warden token a login issues (default 12 h). */
            tokenTtlMs: z.number().int().min(60_000).default(12 * 60 * 60_000),
            /** Where the IdP groups are read: the ID token, the userinfo endpoint (with the access token), or both (union). */
            groupsFrom: z.enum(['idToken', 'userinfo', 'both']).default('idToken'),
            /**
             * How often the groups behind an IdP login are re-read at the IdP with its refresh token
             * (checked when a session starts or an API call arrives); a refused refresh ends the Warden token. 0: never.
             */
            refreshGroupsEvery: z.number().int().min(0).default(15 * 60_000),
            /** Browser sign-in: the redirect URI registered at the IdP; default <reviews.publicUrl or the API address>/auth/oidc/callback. */
            redirectUri: z.string().url().optional(),
            /** Lifetime of a browser session (the Warden token in the session cookie); default 8 h. */
            webSessionTtlMs: z.number().int().min(60_000).default(8 * 60 * 60_000),
          })
          .strict()
          .optional(),
        /** SAML 2.0 sign-in (SP-initiated, HTTP-POST to the ACS); absent: SAML is off. */
        saml: z
          .object({
            /** The IdP's single sign-on URL (HTTP-Redirect binding); default: the one in idpMetadata. */
            entryPoint: z.string().url().optional(),
            /**
             * The IdP's SAML metadata (a file path, or an https URL read at start): its entityID becomes the
             * expected Issuer, its signing certificates (several during a rotation) and SSO URL are used
             * alongside idpCert/idpCertFile/entryPoint when those are set too.
             */
            idpMetadata: z.string().min(1).optional(),
            /** This gateway's SP entity id, sent as the AuthnRequest issuer. */
            issuer: z.string().min(1),
            /** The IdP's signing certificate (PEM); exactly one of idpCert and idpCertFile. */
            idpCert: z.string().min(1).optional(),
            /** A file holding the IdP's signing certificate (PEM). */
            idpCertFile: z.string().min(1).optional(),
            /** The ACS URL the IdP posts to: <public API URL>/api/v1/auth/saml/acs; also the required Recipient. */
            callbackUrl: z.string().url(),
            /** The audience assertions must name; default: `issuer`. */
            audience: z.string().min(1).optional(),
            /** Assertion attribute holding the IdP groups (one or many values). */
            groupsAttribute: z.string().min(1).default('groups'),
            /** IdP group → Warden groups; IdP groups not listed here grant nothing. */
            groupMap: z.record(z.string(), z.array(z.string().min(1))).default({}),
            /** Lifetime of the Warden token a login issues (default 12 h). */
            tokenTtlMs: z.number().int().min(60_000).default(12 * 60 * 60_000),
          })
          .strict()
          .refine((s) => !(s.idpCert !== undefined && s.idpCertFile !== undefined) && (s.idpMetadata !== undefined || (s.idpCert === undefined) !== (s.idpCertFile === undefined)), {
            message: 'set exactly one of identity.saml.idpCert (PEM) and identity.saml.idpCertFile (a path), or identity.saml.idpMetadata',
          })
          .refine((s) => s.idpMetadata !== undefined || s.entryPoint !== undefined, {
            message: 'set identity.saml.entryPoint (the IdP SSO URL) or identity.saml.idpMetadata',
          })
          .optional(),
      })
      .strict()
      .prefault({}),
    /** The SSH listener's protocol settings (`listeners.ssh` says where it listens). */
    ssh: z
      .object({
        /**
         * Ciphers offered to SSH clients. The client's own order picks among them, and OpenSSH's
         * default order is chacha20-poly1305, CTR, then AES-GCM: only a list without the first two
         * makes a default client use AES-GCM, the cheapest cipher on CPUs with AES instructions
         * (a third less relay CPU per byte than chacha20 here, docs/performance.md). Add
         * 'chacha20-poly1305@openssh.com' (or 'aes128-ctr') for clients without AES-GCM, such as
         * PuTTY before 0.76, or on CPUs without AES instructions. The target leg always prefers AES-GCM.
         */
        clientCiphers: z.array(z.enum(sshCiphers)).min(1).default(sshAesGcm),
      })
      .strict()
      .prefault({}),
    /** Agents that dial out from private networks (WebSocket on the API listener). */
    agents: z
      .object({
        /** How long a new session waits for an offline agent before failing with "agent offline". */
        waitMs: z.number().int().min(0).default(5_000),
        /** Ping interval on each agent link; a link silent for a whole interval is dropped. */
        heartbeatMs: z.number().int().min(100).default(15_000),
        /**
         * The URL agents dial to reach this replica's API (told to every agent so it links to each
         * replica). Empty: http://<api host>:<api port>, which suits a bound address agents can reach.
         */
        advertiseUrl: z.string().default(''),
        /** How often this replica refreshes its row in the store; one silent for 3 intervals is dead to agents. */
        replicaHeartbeatMs: z.number().int().min(100).default(5_000),
      })
      .strict()
      .prefault({}),
    /** How long a session may wait for its target before it fails with a clear error. */
    upstreamConnectTimeoutMs: z.number().int().min(100).default(10_000),
  })
  .strict();

export type WardenConfig = z.infer<typeof configSchema>;
