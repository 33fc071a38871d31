import type { ProfileName, SigningAlg } from "../schemas/common.js";

/** Which directory issues the SSA (see `core/directory/profiles.ts`). */
export type DirectoryKind = "ob-directory" | "cdr-register" | "ofb-directory";

/** What a registration profile declares: claims, limits, content type and management style. */
export interface Profile {
  readonly name: ProfileName;
  /** `jwt`: the body is a signed request JWT; `json`: plain RFC 7591 metadata. */
  readonly format: "jwt" | "json";
  readonly content_type: string;
  /**
   * How registrations are managed, named as the bank profile names them (`management.style`,
   * `.scope`, `.gone_statuses`, `.rat_may_rotate`): the spec layer of `bank_profile.management`.
   */
  readonly management: {
    /** `obie`: a client_credentials token at the bank; `rfc7592`: the registration access token. */
    readonly style: "obie" | "rfc7592";
    /** Scope of the OBIE-style management token (`null`: none; CDR: `cdr:registration`). */
    readonly scope: string | null;
    /** Statuses meaning the client is unknown or deleted. */
    readonly gone_statuses: readonly number[];
    /**
     * The spec lets the server issue a new registration access token on any management call, a GET
     * included (Brazil): a 401 for the stored token is then ambiguous.
     */
    readonly rat_may_rotate?: boolean;
  };
  /** Max length of `iss` / `software_id` (Base62). */
  readonly software_id_max: number | undefined;
  /** Name of the subject-DN claim. */
  readonly dn_claim: "tls_client_auth_dn" | "tls_client_auth_subject_dn";
  /** Max length of a given `tls_client_auth_subject_dn` (OBIE 128; ICP-Brasil DNs are longer). */
  readonly dn_max: number | undefined;
  readonly scope_format: "array" | "string";
  /** Whether `token_endpoint_auth_signing_alg` is always sent (3.1) or only for JWT auth methods. */
  readonly auth_signing_alg_always: boolean;
  readonly ciba: boolean;
  readonly application_types: readonly string[];
  readonly auth_methods: readonly string[];
  readonly algs: readonly SigningAlg[];
  readonly grant_types: readonly string[] | undefined;
  readonly response_types: readonly string[] | undefined;
  /** https redirect URIs only, no localhost, no fragment. */
  readonly strict_redirect_uris: boolean;
  /** The directory (register) whose SSAs this profile carries. */
  readonly directory: DirectoryKind;
  /** `client.scope` when not given (`[]`: no scope claim; the SSA's or the roles' scopes apply). */
  readonly default_scope: readonly string[];
  /** `client.response_types` when not given. */
  readonly default_response_types: readonly string[];
  /** The request carries a `software_id` claim (OBIE); CDR and OFB take it from the SSA only. */
  readonly software_id_claim: boolean;
  /** Request `aud` by default: the bank's directory org id (UK) or its issuer (CDR). */
  readonly aud: "org_id" | "issuer";
  /** The regime allows one live registration per software at a bank: replacing deletes first. */
  readonly refuses_duplicate_registration: boolean;
  /** Error codes this regime's servers use for "already registered" (the bank profile's `duplicate_errors` default). */
  readonly duplicate_errors: readonly string[];
  /**
   * Where the bank finds our keys: `free` (client.jwks / jwks_uri as given, RFC 7591), `ssa` (the
   * SSA's key URI, never sent: OBIE, CDR), `ssa_uri` (`jwks_uri` = the SSA's, sent; `jwks` refused: OFB).
   */
  readonly client_keys: "free" | "ssa" | "ssa_uri";
  /** `webhook_uris` is part of the regime (OFB: must equal the SSA's list). */
  readonly webhooks: boolean;
  /** CDR's conditional claims: id_token encryption only for hybrid, JARM algs when `code` is registered. */
  readonly cdr_claims: boolean;
  /** OFB's client checks (lengths, ICP-Brasil DN) and its directory token by `directory.client_id`. */
  readonly ofb_claims: boolean;
  /**
   * The regime registers only with a software statement: `directory`, `software` and the mTLS
   * certificate are required (every regime but plain RFC 7591).
   */
  readonly requires_ssa: boolean;
  /**
   * What the 201 must say about `registration_client_uri` / `registration_access_token`:
   * `required` (OFB: RFC 7592 is the only way to manage the client), `unused` (CDR: management is
   * by a `cdr:registration` token, the spec defines neither, so one alone is no fault); unset:
   * both or neither (RFC 7592 §3).
   */
  readonly management_credentials?: "required" | "unused";
  /** Accept of the registration calls when the regime answers JSON only (AU, BR); unset: JSON or JWT. */
  readonly accept?: string;
}
