/** Inputs of the high-level registration functions: one zod schema, types inferred from it. */
import { z } from "zod";
import { BankProfileInput } from "../bank_profiles/schema.js";
import { invalidInputFromZod } from "../errors.js";
import { getProfile } from "../profiles/index.js";
import { regimeIssues } from "../validate/regime.js";
import {
  ClientId,
  EndpointUrl,
  Jwk,
  Jwks,
  ProfileName,
  ScopeInput,
  SigningAlg,
  TokenEndpointAuthMethod,
} from "./common.js";

export const DEFAULT_DIRECTORY_SCOPES = [
  "ASPSPReadAccess",
  "TPPReadAccess",
  "AuthoritiesReadAccess",
] as const;

/**
 * A PKCS#11 token that holds the signing key (an HSM, a cloud HSM, SoftHSM). The private key never
 * leaves the token; the PIN is never an input: it comes from the environment variable `pin_env`
 * (default `OBDCR_PKCS11_PIN`) or a secret of the provider configuration.
 */
export const Pkcs11KeyParams = z
  .strictObject({
    /** Path of the PKCS#11 module (e.g. `/usr/lib/softhsm/libsofthsm2.so`). */
    module: z.string().min(1),
    /** CKA_LABEL of the token (`softhsm2-util --init-token --label`). */
    token_label: z.string().min(1),
    /** CKA_LABEL of the private key. Give this or `key_id`. */
    key_label: z.string().min(1).optional(),
    /** CKA_ID of the private key, hex (e.g. `01`). Give this or `key_label`. */
    key_id: z
      .string()
      .regex(/^([0-9a-fA-F]{2})+$/, { error: "must be hex (e.g. 01)" })
      .optional(),
    /** The environment variable that holds the user PIN (default `OBDCR_PKCS11_PIN`). */
    pin_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "must be an environment variable name" })
      .optional(),
  })
  .refine((k) => k.key_label !== undefined || k.key_id !== undefined, {
    error: "give key_label or key_id",
    path: ["key_label"],
  });
export type Pkcs11KeyParams = z.infer<typeof Pkcs11KeyParams>;

/**
 * An AWS KMS asymmetric key (SIGN_VERIFY: RSA_2048+ for PS256, ECC_NIST_P256 for ES256).
 * Credentials come the usual AWS way (environment, profile, role); none are inputs.
 */
export const AwsKmsKeyParams = z.strictObject({
  /** Key id, key ARN, alias name (`alias/...`) or alias ARN. */
  key_id: z.string().min(1),
  /** Default: the AWS SDK's (AWS_REGION, profile). */
  region: z.string().min(1).optional(),
  /** Another KMS endpoint (a VPC endpoint, an emulator). */
  endpoint: EndpointUrl.optional(),
});
export type AwsKmsKeyParams = z.infer<typeof AwsKmsKeyParams>;

export const SigningKeyParams = z
  .strictObject({
    kid: z.string().min(1),
    alg: SigningAlg.default("PS256"),
    /** PKCS#8 PEM string or a private JWK (the key signs in this process). */
    private_key: z.union([z.string().min(1), Jwk]).optional(),
    /** The key is in a PKCS#11 token (signs there). */
    pkcs11: Pkcs11KeyParams.optional(),
    /** The key is in AWS KMS (signs there). */
    aws_kms: AwsKmsKeyParams.optional(),
  })
  .superRefine((k, ctx) => {
    const given = (["private_key", "pkcs11", "aws_kms"] as const).filter((m) => k[m] !== undefined);
    if (given.length === 0)
      ctx.addIssue({
        code: "custom",
        path: ["private_key"],
        message: "give the private key (private_key), or where it is kept (pkcs11 or aws_kms)",
      });
    if (given.length > 1)
      ctx.addIssue({ code: "custom", path: [given[1]!], message: `give only one of ${given.join(", ")}` });
    if ((k.pkcs11 || k.aws_kms) && k.alg === "RS256")
      ctx.addIssue({
        code: "custom",
        path: ["alg"],
        message: "a key in an HSM or KMS signs PS256 or ES256",
      });
  });
export type SigningKeyParams = z.infer<typeof SigningKeyParams>;

const PemList = z.union([z.string().min(1), z.array(z.string().min(1))]);

export const TransportParams = z.strictObject({
  /** Client certificate (PEM, may include the chain); required by the OBIE profiles (mTLS). */
  cert: z.string().min(1).optional(),
  /** Client private key (PEM). */
  key: z.string().min(1).optional(),
  /** Trusted CA(s) for the servers (PEM). Default: Node's CA store. TLS verification is always on. */
  ca: PemList.optional(),
});
export type TransportParams = z.infer<typeof TransportParams>;

/**
 * Settings that moved to `bank_profile` (one name per setting): given under `bank`, each is refused
 * with the name to use instead.
 */
export const MOVED_BANK_SETTINGS = {
  aud: "bank_profile.aud ({ literal: ... })",
  content_type: "bank_profile.content_type",
  scope_format: "bank_profile.scope_format",
  jti_case: "bank_profile.jti_case",
  dn_format: "bank_profile.dn_format",
  extra_claims: "bank_profile.extra_claims",
  management:
    "bank_profile.management (style, scope, gone_statuses) and bank_profile.supports (read, update, delete)",
  request_ttl_seconds: "bank_profile.request_ttl_seconds",
  skip_discovery_checks: "bank_profile.skip_discovery_checks",
  client_id_hint: "bank_profile.client_id_hint",
} as const;

/** A setting that moved: refused, its issue naming the new home (`isMovedIssue` tells it apart). */
export const moved = (to: string) => z.undefined({ error: `moved: set ${to}` }).optional();

/** Whether an issue's message is a `moved` setting's (an old spelling, not a missing value). */
export const isMovedIssue = (message: string): boolean => message.startsWith("moved: ");

/** Where the bank is and who it is: endpoints and identity only (behaviour lives in `bank_profile`). */
export const BankParams = z
  .strictObject({
    discovery_url: EndpointUrl.optional(),
    issuer: z.string().optional(),
    registration_endpoint: EndpointUrl.optional(),
    token_endpoint: EndpointUrl.optional(),
    /** Bank's JWKS for signed registration responses (default: discovery `jwks_uri`). */
    jwks_uri: EndpointUrl.optional(),
    /** The bank's OB Directory organisation id (the request `aud` unless the bank profile says otherwise). */
    org_id: z.string().min(1).optional(),
    aud: moved(MOVED_BANK_SETTINGS.aud),
    content_type: moved(MOVED_BANK_SETTINGS.content_type),
    scope_format: moved(MOVED_BANK_SETTINGS.scope_format),
    jti_case: moved(MOVED_BANK_SETTINGS.jti_case),
    dn_format: moved(MOVED_BANK_SETTINGS.dn_format),
    extra_claims: moved(MOVED_BANK_SETTINGS.extra_claims),
    management: moved(MOVED_BANK_SETTINGS.management),
    request_ttl_seconds: moved(MOVED_BANK_SETTINGS.request_ttl_seconds),
    skip_discovery_checks: moved(MOVED_BANK_SETTINGS.skip_discovery_checks),
    client_id_hint: moved(MOVED_BANK_SETTINGS.client_id_hint),
  })
  .refine((b) => b.discovery_url || b.registration_endpoint, {
    error: "give discovery_url or registration_endpoint",
    path: ["discovery_url"],
  });
export type BankParams = z.infer<typeof BankParams>;

export const DirectoryParams = z
  .strictObject({
    token_endpoint: EndpointUrl.optional(),
    /**
     * SSA URL with template variables, per regime: UK `{org_id}`, `{software_id}`; AU `{brand_id}`,
     * `{software_product_id}`; BR `{org_id}`, `{software_statement_id}` (filled from `software`).
     */
    ssa_endpoint: z.string().optional(),
    /** An SSA given inline (offline use); no download happens. */
    software_statement: z.string().min(1).optional(),
    jwks_uri: EndpointUrl.optional(),
    /**
     * Where the directory publishes this software's public keys (the SSA's `software_jwks_endpoint`;
     * AU: the software product's `jwks_uri`). When given, the signing key is checked against it
     * before the directory token request, so an unpublished key is refused before anything is signed
     * for the directory or the bank.
     */
    software_jwks_endpoint: EndpointUrl.optional(),
    /** Inline directory JWKS (offline SSA verification). */
    jwks: Jwks.optional(),
    /** Expected SSA `iss`. Default per regime: `OpenBanking Ltd`, `cdr-register`, the known OFB variants. */
    issuer: z.string().min(1).optional(),
    /** Directory token scope. Default per regime (UK `ASPSPReadAccess TPPReadAccess AuthoritiesReadAccess`, AU `cdr-register:read`, BR `directory:software`). */
    scope: ScopeInput.optional(),
    /** A downloaded SSA is reused for this long, seconds. Default per regime (UK/AU 300, BR 60). */
    ssa_max_age_seconds: z.number().int().nonnegative().optional(),
    /**
     * The `client_id` at the directory token endpoint. Default: `software.software_id` (UK; AU: the
     * software product id). Required for ofb-br: the SSA's `software_client_id`.
     */
    client_id: z.string().min(1).optional(),
    /** Client authentication at the directory. Default per regime (BR `tls_client_auth`, else `private_key_jwt`). */
    token_auth_method: z.enum(["private_key_jwt", "tls_client_auth"]).optional(),
    /** AU GetSSA `x-v` header (default 4). */
    ssa_version: z.number().int().positive().optional(),
    /** AU GetSSA `x-min-v` header (default 3 while below x-v: a v3-only Register answers v3). */
    ssa_min_version: z.number().int().positive().optional(),
    /** BR: an SSA older than this (by `iat`) is refused before sending, seconds (default 300, the AS's limit). */
    ssa_fresh_seconds: z.number().int().positive().optional(),
  })
  .refine((d) => d.software_statement || (d.token_endpoint && d.ssa_endpoint), {
    error: "give software_statement, or token_endpoint and ssa_endpoint",
    path: ["software_statement"],
  });
export type DirectoryParams = z.infer<typeof DirectoryParams>;

export const SoftwareParams = z.strictObject({
  software_id: z.string().min(1),
  org_id: z.string().min(1),
});

export const CibaMode = z.enum(["poll", "ping", "push"]);

export const ClientParams = z.strictObject({
  /** Default: every redirect URI of the SSA. */
  redirect_uris: z.array(z.string()).optional(),
  /** Default per profile: `openid accounts` (UK, rfc7591); none for cdr-au and ofb-br (the SSA's / the roles' scopes). */
  scope: ScopeInput.optional(),
  /** Default: the bank profile's (spec: authorization_code, client_credentials, refresh_token). */
  grant_types: z.array(z.string()).optional(),
  /** Default per profile: `code id_token`; cdr-au `code`. */
  response_types: z.array(z.string()).optional(),
  token_endpoint_auth_method: TokenEndpointAuthMethod.default("private_key_jwt"),
  token_endpoint_auth_signing_alg: SigningAlg.optional(),
  id_token_signed_response_alg: SigningAlg.default("PS256"),
  request_object_signing_alg: SigningAlg.default("PS256"),
  application_type: z.enum(["web", "mobile", "native"]).default("web"),
  /** Default for tls_client_auth: derived from the transport certificate. */
  tls_client_auth_subject_dn: z.string().max(1024).optional(),
  /** Send `software_id` in the request (default true). */
  send_software_id: z.boolean().default(true),
  backchannel_token_delivery_mode: CibaMode.optional(),
  backchannel_client_notification_endpoint: z.string().optional(),
  backchannel_authentication_request_signing_alg: SigningAlg.optional(),
  backchannel_user_code_parameter_supported: z.boolean().optional(),
  /**
   * Where the bank finds our public keys (RFC 7591 §2). Default for an `rfc7591` `private_key_jwt`
   * client: the SSA's `software_jwks_endpoint`, else the signing key's public JWK as `jwks`.
   */
  jwks_uri: EndpointUrl.optional(),
  /** Our public keys by value (must hold the signing key); not together with `jwks_uri`. */
  jwks: Jwks.optional(),
  /** OFB: the webhook URIs; must equal the SSA's `software_api_webhook_uris` (absent: webhooks off). */
  webhook_uris: z.array(z.string()).optional(),
  /** OIDC: ID token encryption (CDR: only with `code id_token`, RSA-OAEP / RSA-OAEP-256). */
  id_token_encrypted_response_alg: z.string().min(1).optional(),
  /** OIDC: ID token encryption `enc` (CDR: A256GCM / A128CBC-HS256). */
  id_token_encrypted_response_enc: z.string().min(1).optional(),
  /** JARM signing alg (CDR: required when `code` is registered; default the signing key's alg). */
  authorization_signed_response_alg: SigningAlg.optional(),
  /** JARM encryption alg (CDR: RSA-OAEP / RSA-OAEP-256; required when `_enc` is sent). */
  authorization_encrypted_response_alg: z.string().min(1).optional(),
  /** JARM encryption `enc` (CDR: A256GCM / A128CBC-HS256). */
  authorization_encrypted_response_enc: z.string().min(1).optional(),
  /** Further RFC 7591 metadata (client_name, logo_uri, ...), sent as is. */
  extra: z.record(z.string(), z.unknown()).default({}),
});
export type ClientParams = z.infer<typeof ClientParams>;

export const RegistrationParams = z
  .strictObject({
    profile: ProfileName,
    /**
     * The bank's known deviations: a preset name (`"hsbc"`) or `{ preset?, ...overrides }`.
     * It supplies defaults for the same-named `bank.*` settings; explicit `bank.*` values win.
     */
    bank_profile: BankProfileInput.optional(),
    bank: BankParams,
    /** Optional only for `rfc7591` without a software statement. */
    directory: DirectoryParams.optional(),
    /** Optional only for `rfc7591` without a software statement. */
    software: SoftwareParams.optional(),
    signing_key: SigningKeyParams,
    transport: TransportParams.default({}),
    client: ClientParams.default(() => ClientParams.parse({})),
  })
  .superRefine((p, ctx) => {
    for (const i of regimeIssues(p)) ctx.addIssue({ code: "custom", path: i.path, message: i.message });
    if (!getProfile(p.profile).requires_ssa) {
      if (p.directory && !p.software)
        ctx.addIssue({ code: "custom", path: ["software"], message: "is required with a directory (SSA)" });
      return;
    }
    if (!p.directory)
      ctx.addIssue({ code: "custom", path: ["directory"], message: `is required by ${p.profile}` });
    if (!p.software)
      ctx.addIssue({ code: "custom", path: ["software"], message: `is required by ${p.profile}` });
    if (!p.transport.cert || !p.transport.key)
      ctx.addIssue({
        code: "custom",
        path: ["transport", "cert"],
        message: `cert and key are required by ${p.profile} (mTLS)`,
      });
  });
/** Validated parameters (defaults applied). */
export type RegistrationParams = z.infer<typeof RegistrationParams>;
/** What callers pass. */
export type RegistrationParamsInput = z.input<typeof RegistrationParams>;

/** What a caller keeps after a registration (the secrets belong in a secret store). */
export const RegistrationState = z.strictObject({
  client_id: ClientId,
  registration_client_uri: z.string().optional(),
  secrets: z
    .strictObject({
      client_secret: z.string().optional(),
      registration_access_token: z.string().optional(),
    })
    .default({}),
});
export type RegistrationState = z.infer<typeof RegistrationState>;
export type RegistrationStateInput = z.input<typeof RegistrationState>;

/** Parameters as given (snake_case), validated: an InvalidInputError names the first bad field. */
export function parseRegistrationParams(
  input: RegistrationParamsInput | RegistrationParams,
): RegistrationParams {
  const r = RegistrationParams.safeParse(input);
  if (!r.success) throw invalidInputFromZod("", r.error);
  return r.data;
}
