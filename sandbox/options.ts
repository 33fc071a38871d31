import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { BankQuirks } from "./quirks.js";

const Base62 = z.string().regex(/^[0-9a-zA-Z]{1,22}$/);
const OrgId = z.string().regex(/^[0-9a-zA-Z]{1,35}$/);

export const SoftwareConfig = z.strictObject({
  software_id: Base62,
  software_client_id: Base62.optional(),
  software_client_name: z.string().max(40).default("Sandbox TPP App"),
  software_client_description: z.string().max(256).default("A sandbox third-party provider application"),
  software_version: z.string().max(42).default("1.0"),
  software_environment: z.string().default("sandbox"),
  software_mode: z.enum(["Test", "Live"]).default("Test"),
  software_roles: z
    .array(z.enum(["AISP", "PISP", "CBPII"]))
    .min(1)
    .default(["AISP", "PISP"]),
  software_redirect_uris: z
    .array(z.url())
    .min(1)
    .default(["https://tpp.example.com/callback", "https://tpp.example.com/callback2"]),
  software_logo_uri: z.url().default("https://tpp.example.com/logo.png"),
  software_tos_uri: z.url().default("https://tpp.example.com/tos"),
  software_policy_uri: z.url().default("https://tpp.example.com/policy"),
  /** Publish an extra (revoked) key in the software JWKS and list it in the revoked JWKS. */
  revoked_key: z.boolean().default(true),
});
export type SoftwareConfig = z.infer<typeof SoftwareConfig>;

export const OrgConfig = z.strictObject({
  org_id: OrgId,
  org_name: z.string().max(140).default("Sandbox TPP Ltd"),
  /** A bank refuses SSAs of an org that is not Active (`unapproved_software_statement`). */
  org_status: z.enum(["Active", "Revoked", "Withdrawn"]).default("Active"),
  /** organizationIdentifier (2.5.4.97) of the transport certificates. */
  organization_identifier: z.string().default("PSDGB-FCA-123456"),
  softwares: z.array(SoftwareConfig).min(1),
});
export type OrgConfig = z.infer<typeof OrgConfig>;

export const TokenEndpointAuthMethod = z.enum([
  "private_key_jwt",
  "tls_client_auth",
  "client_secret_basic",
  // Registered (a client secret is issued) but not taken at the token endpoint: a client ob-dcr
  // cannot ask a management token for.
  "client_secret_jwt",
  "client_secret_post",
]);
export type TokenEndpointAuthMethod = z.infer<typeof TokenEndpointAuthMethod>;

export const BankConfig = z.strictObject({
  /** URL-safe name, unique. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/),
  /** Listening port (0 = ephemeral). */
  port: z.number().int().min(0).max(65535).default(0),
  /** The bank's OB Directory org id (the expected `aud` by default). */
  org_id: OrgId.default("0015800000jfQ9aAAE"),
  /** Management of registrations: OBIE client_credentials token, or RFC 7592 registration access token. */
  management: z.enum(["client_credentials", "registration_access_token"]).default("client_credentials"),
  /** Body of POST/PUT /register: a signed JWT (UK) or RFC 7591 JSON with `software_statement`. */
  request_format: z.enum(["jwt", "json"]).default("jwt"),
  token_endpoint_auth_methods_supported: z
    .array(TokenEndpointAuthMethod)
    .min(1)
    .default(["private_key_jwt", "tls_client_auth", "client_secret_basic"]),
  scopes_supported: z.array(z.string()).default(["openid", "accounts", "payments", "fundsconfirmations"]),
  quirks: BankQuirks.default(BankQuirks.parse({})),
});
export type BankConfig = z.infer<typeof BankConfig>;
export type BankConfigInput = z.input<typeof BankConfig>;

export const DEFAULT_ORG_ID = "0015800001041RHAAY";
export const DEFAULT_SOFTWARE_ID = "2cfGqDWH4LgtDRHd5JtFp8";
/** A second default software whose id fits obie-3.1's 18-character limit on `iss`/`software_id`. */
export const DEFAULT_SOFTWARE_ID_18 = "7hKzq3RmVbX2Lc9NwT";

export function repoRoot(): string {
  // sandbox/options.ts (sources) or dist/sandbox/options.js (build): the repo is the nearest folder with package.json.
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

/**
 * The sandbox's data folder when none is given: `.sandbox/` at the root of a clone of the
 * repository (its TypeScript sources are there), as the demo, the docs and the tests expect;
 * `.sandbox/` in the current folder for an installed package, whose own folder is under
 * node_modules, which `npm install`/`npm ci` replace (a new CA every time) and which may be read-only.
 */
export function defaultDataDir(root: string = repoRoot(), cwd: string = process.cwd()): string {
  const checkout = fs.existsSync(path.join(root, "sandbox", "index.ts"));
  return path.resolve(checkout ? root : cwd, ".sandbox");
}

export const SandboxOptions = z.strictObject({
  /** Registrations, manifest, PKI (default `defaultDataDir()`: `.sandbox/` at a clone's root, else in the current folder). */
  dataDir: z.string().optional(),
  /** PKI cache folder (default `<dataDir>/pki`); share one between sandboxes to skip key generation. */
  pkiDir: z.string().optional(),
  host: z.literal("localhost").default("localhost"),
  ports: z
    .strictObject({
      directory: z.number().int().min(0).max(65535).default(0),
      admin: z.number().int().min(0).max(65535).default(0),
    })
    .default({ directory: 0, admin: 0 }),
  banks: z
    .array(BankConfig)
    .min(1)
    .default(() => [BankConfig.parse({ name: "sandbox-bank" })]),
  orgs: z
    .array(OrgConfig)
    .min(1)
    .default(() => [
      OrgConfig.parse({
        org_id: DEFAULT_ORG_ID,
        softwares: [
          SoftwareConfig.parse({ software_id: DEFAULT_SOFTWARE_ID }),
          SoftwareConfig.parse({
            software_id: DEFAULT_SOFTWARE_ID_18,
            software_client_name: "Sandbox TPP App (3.1)",
          }),
        ],
      }),
    ]),
  /**
   * The directory's SCIM list of ASPSPs (directories.md §3.6): which banks are listed at start
   * (default all; the admin adds the others), the spec's pitfall entries, `size` synthetic ASPSPs.
   */
  listing: z
    .strictObject({
      banks: z.array(z.string()).optional(),
      fixtures: z.boolean().default(true),
      size: z.number().int().min(0).max(5000).default(0),
    })
    .default({ fixtures: true, size: 0 }),
  /** Log one line per request to stderr (never bodies, keys or tokens). */
  log: z.boolean().default(false),
});
export type SandboxOptions = z.input<typeof SandboxOptions>;
export type ResolvedSandboxOptions = z.infer<typeof SandboxOptions>;
