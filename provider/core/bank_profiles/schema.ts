/**
 * A bank profile: the known, small deviations of one bank from its DCR spec profile, as typed data.
 * The zod schemas here are the single source of truth; every type is inferred from them.
 * See docs/bank-profiles.md for the field-by-field reference and the presets' sources.
 */
import { z } from "zod";

/** Request JWT `aud`: the bank's OB Directory org id (UK spec), its issuer URL, or a literal. */
export const AudSetting = z.union([
  z.enum(["org_id", "issuer"]),
  z.strictObject({ literal: z.string().min(1) }),
]);
export type AudSetting = z.infer<typeof AudSetting>;

/** Request JWT `iss`: the SSA's software_id (UK spec), the TPP's org id, or a literal. */
export const IssSetting = z.union([
  z.enum(["software_id", "org_id"]),
  z.strictObject({ literal: z.string().min(1) }),
]);
export type IssSetting = z.infer<typeof IssSetting>;

export const RequestContentType = z.enum(["application/jwt", "application/jose", "application/json"]);
export type RequestContentType = z.infer<typeof RequestContentType>;

/** How OID 2.5.4.97 (organizationIdentifier) is written in `tls_client_auth_subject_dn`. */
export const DnFormat = z.enum(["hex", "name", "oid"]);
export type DnFormat = z.infer<typeof DnFormat>;

export const ProfileManagement = z.strictObject({
  /** `obie`: client_credentials token at the bank's token endpoint; `rfc7592`: registration access token. */
  style: z.enum(["obie", "rfc7592"]),
  /** Scope of the OBIE management token; `null` sends no scope parameter (the UK spec). */
  scope: z.string().nullable(),
  /** Statuses of /register/{client_id} that mean "this client is unknown or deleted". */
  gone_statuses: z.array(z.number().int().min(400).max(499)).min(1),
  /**
   * `invalid_client` at the bank's token endpoint (OBIE-style management) means the client is gone.
   * Off by default: a bank says the same when it cannot verify our client assertion (a wrong key),
   * so such an answer fails a refresh instead of dropping a live registration. Turn it on only for
   * a bank known to answer `invalid_client` for deleted clients alone.
   */
  invalid_client_is_gone: z.boolean(),
  /**
   * The bank may issue a new registration access token on any management call, a GET included
   * (RFC 7592 allows it; Open Finance Brasil says so). A 401 for the stored token is then
   * ambiguous: the client was deleted, or the token was superseded on a call whose answer was
   * never saved (`pulumi preview --refresh`, the preview of `pulumi refresh`, a killed run). Such a
   * 401 fails a refresh with OBDCR_GONE_UNCONFIRMED instead of dropping a live registration.
   */
  rat_may_rotate: z.boolean(),
  /**
   * Origins (`https://host[:port]`) besides the registration endpoint's where this bank's
   * `registration_client_uri` may point (RFC 7592). The registration access token and management
   * tokens are sent nowhere else; default none: management stays on the registration endpoint's origin.
   */
  allowed_origins: z.array(z.string().url().startsWith("https://")).max(16),
});

/** Which of GET / PUT / DELETE /register/{client_id} the bank offers. */
export const ProfileSupports = z.strictObject({
  read: z.boolean(),
  update: z.boolean(),
  delete: z.boolean(),
});

/**
 * What the bank's registration responses look like. Parsing stays lenient whatever is declared
 * (a created client is never lost over a cosmetic difference); a response that differs from the
 * declaration is reported in `RegistrationOutcome.response_deviations`.
 */
export const ProfileResponse = z.strictObject({
  /** `client_id_issued_at` (and echoed `iat`/`exp`): epoch seconds, milliseconds, or date strings. */
  timestamp_unit: z.enum(["s", "ms", "string"]),
  /** `scope` in responses: a space-delimited string or a JSON array. */
  scope_format: z.enum(["string", "array"]),
  /** Status of a successful POST /register. */
  created_status: z.union([z.literal(201), z.literal(200)]),
  /** Name of the subject-DN claim the bank returns (old name `tls_client_auth_dn` at some banks). */
  dn_claim: z.enum(["tls_client_auth_subject_dn", "tls_client_auth_dn"]),
});

/** A fully resolved bank profile (every field set). */
export const BankProfile = z.strictObject({
  /** Request media type of the registration body. */
  content_type: RequestContentType,
  aud: AudSetting,
  iss: IssSetting,
  /** Case of the request `jti` (a UUIDv4). */
  jti_case: z.enum(["lower", "upper"]),
  /** `scope` in requests: a space-delimited string (3.2+) or an array (3.1, some banks). */
  scope_format: z.enum(["string", "array"]),
  /** `grant_types` sent (the client's own `client.grant_types` wins when given). */
  grant_types: z.array(z.string().min(1)).min(1),
  /** Claims added to the request (e.g. `{ subject_type: "pairwise" }`). */
  extra_claims: z.record(z.string(), z.unknown()),
  dn_format: DnFormat,
  management: ProfileManagement,
  supports: ProfileSupports,
  response: ProfileResponse,
  /** A second live registration of the same software is refused: replacing must delete first. */
  refuses_duplicate_registration: z.boolean(),
  /**
   * Error codes with which this bank refuses a second registration (AU: invalid_client_metadata or
   * invalid_software_statement, unconfirmed; BR: invalid_client_metadata or invalid_request). A
   * refused POST with one of them is explained as a possible duplicate (adopt or delete).
   */
  duplicate_errors: z.array(z.string().min(1)),
  /**
   * The bank honours a `client_id` in the registration request (UK DCR: an optional hint the bank
   * may ignore). ob-dcr then sends one and, when a POST's answer is lost, finds the registration by
   * GET on that id instead of reporting an unknown outcome. Leave false unless the bank is known to.
   */
  client_id_hint: z.boolean(),
  /** Lifetime of the registration request JWT, seconds. */
  request_ttl_seconds: z.number().int().positive().max(3600),
  /** Skip the discovery capability checks (only when the bank publishes wrong metadata). */
  skip_discovery_checks: z.boolean(),
});
export type BankProfile = z.infer<typeof BankProfile>;

/** A partial profile: a preset's deviations, or a user's overrides. */
export const BankProfilePatch = z.strictObject({
  content_type: RequestContentType.optional(),
  aud: AudSetting.optional(),
  iss: IssSetting.optional(),
  jti_case: BankProfile.shape.jti_case.optional(),
  scope_format: BankProfile.shape.scope_format.optional(),
  grant_types: BankProfile.shape.grant_types.optional(),
  extra_claims: BankProfile.shape.extra_claims.optional(),
  dn_format: DnFormat.optional(),
  management: ProfileManagement.partial().optional(),
  supports: ProfileSupports.partial().optional(),
  response: ProfileResponse.partial().optional(),
  refuses_duplicate_registration: z.boolean().optional(),
  duplicate_errors: BankProfile.shape.duplicate_errors.optional(),
  client_id_hint: z.boolean().optional(),
  request_ttl_seconds: BankProfile.shape.request_ttl_seconds.optional(),
  skip_discovery_checks: z.boolean().optional(),
});
export type BankProfilePatch = z.infer<typeof BankProfilePatch>;

/** `RegistrationParams.bank_profile`: a preset name, or overrides on top of an optional preset. */
export const BankProfileInput = z.union([
  z.string().min(1),
  BankProfilePatch.extend({
    /** Preset to start from (see `BANK_PRESETS`). */
    preset: z.string().min(1).optional(),
  }),
]);
export type BankProfileInput = z.infer<typeof BankProfileInput>;

/** Dotted names of every leaf setting of a profile (the keys of `ResolvedBankProfile.sources`). */
export const BANK_PROFILE_FIELDS = [
  "content_type",
  "aud",
  "iss",
  "jti_case",
  "scope_format",
  "grant_types",
  "extra_claims",
  "dn_format",
  "management.style",
  "management.scope",
  "management.gone_statuses",
  "management.invalid_client_is_gone",
  "management.rat_may_rotate",
  "management.allowed_origins",
  "supports.read",
  "supports.update",
  "supports.delete",
  "response.timestamp_unit",
  "response.scope_format",
  "response.created_status",
  "response.dn_claim",
  "refuses_duplicate_registration",
  "duplicate_errors",
  "client_id_hint",
  "request_ttl_seconds",
  "skip_discovery_checks",
] as const;
export type BankProfileField = (typeof BANK_PROFILE_FIELDS)[number];

/** Where a resolved value came from, in resolution order. */
export const SettingSource = z.enum(["spec", "preset", "override"]);
export type SettingSource = z.infer<typeof SettingSource>;
