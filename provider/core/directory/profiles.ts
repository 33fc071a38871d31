/**
 * What differs per regime on the directory side, as data: how the directory (register) token is
 * obtained, how the SSA URL and request look, how errors come back, and what a valid SSA is.
 * Read by small functions (`resolve.ts`, `http/directory*.ts`); no regime if/else elsewhere.
 */
import type { DirectoryKind } from "../profiles/types.js";
import type { SigningAlg } from "../schemas/common.js";
import type { ListingProfile } from "./listing.js";

/** Which software field fills an SSA URL template variable. */
export type SsaUrlSource = "org_id" | "software_id";

export interface DirectoryProfile {
  readonly kind: DirectoryKind;
  /** Human name for messages ("CDR Register"). */
  readonly label: string;
  /** Client authentication at the directory token endpoint (default; `directory.token_auth_method`). */
  readonly token_auth: "private_key_jwt" | "tls_client_auth";
  /** The token `client_id`: the software id, or `directory.client_id` (OFB: the SSA's software_client_id). */
  readonly token_client_id: "software_id" | "directory.client_id";
  /** Token scope (default; `directory.scope`). */
  readonly scope: readonly string[];
  /** SSA URL template variables and what fills them (`directory.ssa_endpoint`). */
  readonly ssa_url_vars: Readonly<Record<string, SsaUrlSource>>;
  /** Accept header of the SSA request. */
  readonly ssa_accept: string;
  /** The SSA API is versioned with `x-v` / `x-min-v` headers (CDR); default version. */
  readonly ssa_version: number | undefined;
  /** Default `x-min-v`, sent when below the `x-v` asked for (the oldest version whose SSA we take). */
  readonly ssa_min_version: number | undefined;
  /** Error body of the SSA API: RFC 6749 `{error}` or the CDS `{"errors":[…]}` list. */
  readonly error_format: "oauth" | "cds";
  /** Accepted SSA `iss` values when `directory.issuer` is not given. */
  readonly ssa_issuers: readonly string[];
  readonly ssa_algs: readonly SigningAlg[];
  /** Said when an SSA does not verify: which JWKS `directory.jwks_uri` must be. */
  readonly ssa_jwks_hint: string | undefined;
  /** A downloaded SSA is reused for this long, seconds (default; `directory.ssa_max_age_seconds`). */
  readonly ssa_reuse_seconds: number;
  /**
   * An SSA whose `iat` is older than this is stale, seconds (OFB: the AS refuses `iat` older than
   * 5 minutes, and the SSA has no `exp`); undefined: `exp` (if any) governs.
   */
  readonly ssa_fresh_seconds: number | undefined;
  /** The SSA claim listing the software's redirect URIs (named in messages). */
  readonly redirect_uris_claim: "software_redirect_uris" | "redirect_uris";
  /** The directory's list of banks (directories.md): where, how it pages, what it can filter by. */
  readonly listing: ListingProfile;
}

/** The directory a `kind`-less SSA is read as (the UK's). */
export const DEFAULT_DIRECTORY: DirectoryKind = "ob-directory";

export const DIRECTORY_PROFILES: Readonly<Record<DirectoryKind, DirectoryProfile>> = {
  // UK: OB Directory (dcr-digest.md).
  "ob-directory": {
    kind: "ob-directory",
    label: "Open Banking Directory",
    token_auth: "private_key_jwt",
    token_client_id: "software_id",
    scope: ["ASPSPReadAccess", "TPPReadAccess", "AuthoritiesReadAccess"],
    ssa_url_vars: { org_id: "org_id", software_id: "software_id" },
    ssa_accept: "application/jws+json, application/jws, application/jwt",
    ssa_version: undefined,
    ssa_min_version: undefined,
    error_format: "oauth",
    ssa_issuers: ["OpenBanking Ltd"],
    ssa_algs: ["PS256", "ES256"],
    ssa_jwks_hint: undefined,
    ssa_reuse_seconds: 300,
    ssa_fresh_seconds: undefined,
    redirect_uris_claim: "software_redirect_uris",
    // directories.md §3: SCIM OBAccountPaymentServiceProviders, MTLS + Bearer (ASPSPReadAccess).
    listing: {
      format: "scim-aspsp",
      default_url: "https://matls-api.openbanking.org.uk/scim/v2/OBAccountPaymentServiceProviders",
      auth: "directory-token",
      scope: ["ASPSPReadAccess"],
      headers: { accept: "application/scim+json, application/json;q=0.9" },
      paging: { kind: "scim", count: 100 },
      updated_since_param: undefined,
      filters: ["roles"],
      own_hosts: [],
      org_id_is_bank_org_id: true,
    },
  },
  // AU: CDR Register (regimes-au-br.md §1.1-1.2). client_id = software product id (the brand id is
  // being deprecated, and the mock refuses brand-id tokens for GetSSA); GetSSA v4, industry `all`.
  "cdr-register": {
    kind: "cdr-register",
    label: "CDR Register",
    token_auth: "private_key_jwt",
    token_client_id: "software_id",
    scope: ["cdr-register:read"],
    ssa_url_vars: { brand_id: "org_id", software_product_id: "software_id" },
    ssa_accept: "application/jwt, application/json;q=0.5",
    ssa_version: 4,
    // v3 (deprecated, same SSA) is all the ConsumerDataRight mock register serves: with x-min-v 3 a
    // Register answers the highest version it has in [3, 4] instead of 406 UnsupportedVersion.
    ssa_min_version: 3,
    error_format: "cds",
    ssa_issuers: ["cdr-register"],
    ssa_algs: ["PS256"],
    // §1.1: the IdP's jwks_uri verifies Register access tokens, not SSAs.
    ssa_jwks_hint:
      "directory.jwks_uri must be the Register's SSA JWKS (…/cdr-register/v1/jwks), not the jwks_uri of its IdP discovery (that one verifies access tokens)",
    // The SSA expires 600 s after iat: reuse it well inside that.
    ssa_reuse_seconds: 300,
    ssa_fresh_seconds: undefined,
    redirect_uris_claim: "redirect_uris",
    // directories.md §2: GetDataHolderBrands x-v 3 (MTLS + Bearer cdr-register:read), paged, ETag,
    // `updated-since` (strict lastUpdated >); every status is listed.
    listing: {
      format: "cds-brands",
      default_url: "https://secure.api.cdr.gov.au/cdr-register/v1/all/data-holders/brands",
      auth: "directory-token",
      scope: ["cdr-register:read"],
      headers: { accept: "application/json", "x-v": "3", "x-min-v": "3" },
      paging: { kind: "cds-links", page_size: 25 },
      updated_since_param: "updated-since",
      filters: ["industries"],
      own_hosts: [],
      org_id_is_bank_org_id: false,
    },
  },
  // BR: Open Finance Brasil Directory (regimes-au-br.md §2.1-2.2). tls_client_auth with
  // client_id = SSA software_client_id; the SSA has no exp and the AS refuses iat older than 5 min,
  // so it is fetched just in time and reused only briefly (one `up` across banks).
  "ofb-directory": {
    kind: "ofb-directory",
    label: "Open Finance Brasil Directory",
    token_auth: "tls_client_auth",
    token_client_id: "directory.client_id",
    scope: ["directory:software"],
    ssa_url_vars: { org_id: "org_id", software_statement_id: "software_id", software_id: "software_id" },
    ssa_accept: "application/jwt",
    ssa_version: undefined,
    ssa_min_version: undefined,
    error_format: "oauth",
    // The live `iss` is unconfirmed (§2.2): every variant the sources show is accepted by default.
    ssa_issuers: [
      "Open Finance Open Finance Brasil production SSA issuer",
      "Open Finance Open Finance Brasil sandbox SSA issuer",
      "Open Banking Open Banking Brasil prod SSA issuer",
      "Open Banking Open Banking Brasil production SSA issuer",
      "Open Banking Open Banking Brasil sandbox SSA issuer",
      "Open Banking Brasil sandbox SSA issuer",
    ],
    ssa_algs: ["PS256"],
    ssa_jwks_hint: undefined,
    ssa_reuse_seconds: 60,
    ssa_fresh_seconds: 300,
    redirect_uris_claim: "software_redirect_uris",
    // directories.md §1: the public participants list, one unauthenticated array (multi-MB).
    listing: {
      format: "ofb-participants",
      default_url: "https://data.directory.openbankingbrasil.org.br/participants",
      auth: "none",
      scope: undefined,
      headers: { accept: "application/json" },
      paging: { kind: "none" },
      updated_since_param: undefined,
      filters: ["families", "roles"],
      own_hosts: [
        "auth.directory.openbankingbrasil.org.br",
        "auth.sandbox.directory.openbankingbrasil.org.br",
      ],
      org_id_is_bank_org_id: false,
    },
  },
};
