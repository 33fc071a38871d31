import { z } from "zod";

/** How a bank renders organizationIdentifier (OID 2.5.4.97) in an RFC 4514 subject DN. */
export const DnEncoding = z.enum([
  /** `2.5.4.97=#<BER hex>` (RFC 4514 for an attribute without a registered short name; the default). */
  "hex",
  /** `organizationIdentifier=<text>` */
  "name",
  /** `2.5.4.97=<text>` */
  "oid",
]);
export type DnEncoding = z.infer<typeof DnEncoding>;

/** Per-bank deviations from the UK default behaviour. Every field has the UK/strict default. */
export const BankQuirks = z.strictObject({
  /** Expected request `aud`: the bank's directory org id (UK default), its issuer URL, or a literal. */
  aud: z
    .union([z.enum(["org_id", "issuer"]), z.strictObject({ literal: z.string().min(1) })])
    .default("org_id"),
  /** Expected request `iss`: the SSA software_id (UK default), the SSA org_id, or a literal. */
  iss: z
    .union([z.enum(["software_id", "org_id"]), z.strictObject({ literal: z.string().min(1) })])
    .default("software_id"),
  /** Required request media type for the signed registration JWT. */
  content_type: z.enum(["application/jwt", "application/jose"]).default("application/jwt"),
  /** Status of a successful POST /register. */
  created_status: z.union([z.literal(201), z.literal(200)]).default(201),
  /** Unit of `client_id_issued_at` in responses (`string`: an ISO 8601 date). */
  client_id_issued_at_unit: z.enum(["s", "ms", "string"]).default("s"),
  /** Shape of `scope` in responses. */
  scope_format: z.enum(["string", "array"]).default("string"),
  /** Registered metadata the bank overrides (stored and echoed back), e.g. `{ scope: "openid accounts" }`. */
  substitute: z.record(z.string(), z.unknown()).default({}),
  /** Unknown members the bank adds to every registration response, e.g. `{ jwt_replay_prevention: true }`. */
  extra_members: z.record(z.string(), z.unknown()).default({}),
  /** A scope the management (client_credentials) token must have been requested with. */
  management_scope_required: z.string().nullable().default(null),
  /** Scopes the bank's token endpoint refuses in a client_credentials request (e.g. `openid`). */
  management_scope_forbidden: z.array(z.string()).default([]),
  /** GET /register/{client_id} offered (405 otherwise). */
  allow_get: z.boolean().default(true),
  /** PUT /register/{client_id} offered (405 otherwise). */
  allow_put: z.boolean().default(true),
  /** DELETE /register/{client_id} offered (405 otherwise). */
  allow_delete: z.boolean().default(true),
  /** Status for an unknown or deleted client on /register/{client_id}: 401 (UK rule) or 404. */
  unknown_client_status: z.union([z.literal(401), z.literal(404)]).default(401),
  /**
   * Use the `client_id` of a registration request (UK DCR: a hint the bank may ignore) as the new
   * client's id; a hint that is already registered is refused (400 invalid_client_metadata).
   */
  honour_client_id_hint: z.boolean().default(false),
  /**
   * The bank verifies client assertions with a stale copy of the software JWKS, one from before
   * these kids were published (banks cache it for hours): after a rotation to one of them, /token
   * answers invalid_client although the directory publishes the key.
   */
  stale_client_keys: z.array(z.string()).default([]),
  /** Refuse a second live registration of the same software_id (400 invalid_client_metadata). */
  reject_duplicate_software: z.boolean().default(false),
  /** Required organizationIdentifier encoding in `tls_client_auth_subject_dn`. */
  subject_dn_encoding: DnEncoding.default("hex"),
  /** Require an all-lower-case `jti` in the registration JWT. */
  lowercase_jti: z.boolean().default(false),
  /** Case the request `jti` must have (`any`: either; `lowercase_jti: true` implies `lower`). */
  jti_case: z.enum(["any", "lower", "upper"]).default("any"),
  /** Required shape of `scope` in requests: a space-delimited string (3.2+) or an array (3.1). */
  request_scope_format: z.enum(["string", "array"]).default("string"),
  /** Grant types the bank refuses in requests (e.g. `refresh_token`). */
  grant_types_refused: z.array(z.string()).default([]),
  /** Claims the request must carry with exactly these values (e.g. `{ subject_type: "pairwise" }`). */
  required_claims: z.record(z.string(), z.unknown()).default({}),
  /** Name of the subject-DN claim in requests and responses (3.1 and some banks: `tls_client_auth_dn`). */
  dn_claim: z
    .enum(["tls_client_auth_subject_dn", "tls_client_auth_dn"])
    .default("tls_client_auth_subject_dn"),
  /** Name of the subject-DN claim in responses (default: `dn_claim`); Revolut answers with the old name. */
  response_dn_claim: z.enum(["tls_client_auth_subject_dn", "tls_client_auth_dn"]).nullable().default(null),
  /** Require the transport certificate's CN = SSA software_id and OU = SSA org_id. */
  transport_cert_binding: z.boolean().default(true),
  /**
   * RFC 7591 client keys, as a certified OpenID provider wants them: a `private_key_jwt` client must
   * send `jwks` (by value, otherwise refused) or an https `jwks_uri` (any, not only the SSA's), never
   * both; `/token` verifies assertions with those keys.
   */
  require_client_keys: z.boolean().default(false),
  /**
   * JSON mode only: false accepts a request without `software_statement` as an open RFC 7591
   * registration (no SSA checks, no transport-certificate binding). A request with an SSA is checked.
   */
  ssa_required: z.boolean().default(true),
  /** Every successful PUT of a `client_secret_*` client issues a new client_secret (the old one stops working). */
  rotate_client_secret_on_put: z.boolean().default(false),
  /** Maximum age of the SSA (`iat`), seconds. */
  ssa_max_age_seconds: z.number().int().positive().default(1800),
  /** Allowed clock skew for `iat`/`exp`, seconds. */
  clock_tolerance_seconds: z.number().int().nonnegative().default(30),
  /** Maximum `exp - iat` of the registration JWT, seconds. */
  max_jwt_lifetime_seconds: z.number().int().positive().default(3600),
  /** Request body cap, bytes (413 above). */
  max_body_bytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024),
});
export type BankQuirks = z.infer<typeof BankQuirks>;
export type BankQuirksInput = z.input<typeof BankQuirks>;

/** A partial quirk update (admin API / `admin.setQuirks`). */
export const BankQuirksPatch = BankQuirks.partial();
export type BankQuirksPatch = z.input<typeof BankQuirksPatch>;
