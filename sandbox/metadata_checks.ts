/**
 * The client metadata of a registration request (POST/PUT /register), after the request itself was
 * authenticated: what a UK bank accepts, with the bank's quirks. Returns the metadata to store.
 */
import { checkClientKeys } from "./client_keys.js";
import { normalizeDn, subjectDn } from "./dn.js";
import { badRequest, metadataError, type Req } from "./http.js";
import type { CheckContext } from "./registration_checks.js";
import type { SsaClaims } from "./ssa_checks.js";
import type { StoredRegistration } from "./store.js";

export const SIGNING_ALGS = ["PS256", "ES256"] as const;
export const GRANT_TYPES = [
  "authorization_code",
  "client_credentials",
  "refresh_token",
  "urn:openid:params:grant-type:ciba",
] as const;
export const RESPONSE_TYPES = ["code", "code id_token"] as const;
export const APPLICATION_TYPES = ["web", "mobile", "native"] as const;
const ROLE_SCOPES: Record<string, string> = {
  AISP: "accounts",
  PISP: "payments",
  CBPII: "fundsconfirmations",
};
/** Claims of the request JWT that are not client metadata. */
const JWT_ONLY = ["iss", "iat", "exp", "aud", "jti", "nbf", "sub"];
/** Response members (RFC 7591 §3.2.1, RFC 7592): the bank issues them, a client never sends them. */
const BANK_ISSUED = [
  "registration_access_token",
  "registration_client_uri",
  "client_secret",
  "client_id_issued_at",
  "client_secret_expires_at",
];

function stringArray(value: unknown, claim: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === "string"))
    throw metadataError(`${claim} must be a non-empty array of strings`);
  return value as string[];
}

/** Checks the metadata claims of a registration request; returns them as the bank stores them. */
export function validateMetadata(
  ctx: CheckContext,
  req: Req,
  claims: Record<string, unknown>,
  ssa: SsaClaims | undefined,
): Record<string, unknown> {
  const strict = ctx.bank.request_format === "jwt";
  const md: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(claims)) if (!JWT_ONLY.includes(k) && k !== "client_id") md[k] = v;

  if (ssa) {
    if (md.software_id !== undefined && md.software_id !== ssa.software_id)
      throw metadataError("software_id does not match the SSA");
    md.software_id = ssa.software_id;
  } else if (md.software_id !== undefined && (typeof md.software_id !== "string" || md.software_id === ""))
    throw metadataError("software_id must be a non-empty string");

  checkRedirectUris(md, ssa);

  const method = md.token_endpoint_auth_method;
  if (typeof method !== "string") throw metadataError("token_endpoint_auth_method is required");
  if (!(ctx.bank.token_endpoint_auth_methods_supported as string[]).includes(method))
    throw metadataError(`token_endpoint_auth_method ${method} is not supported`);

  const signingAlg = md.token_endpoint_auth_signing_alg;
  if (method === "private_key_jwt" && signingAlg === undefined)
    throw metadataError("token_endpoint_auth_signing_alg is required for private_key_jwt");
  if (signingAlg !== undefined && !(SIGNING_ALGS as readonly unknown[]).includes(signingAlg))
    throw metadataError(`token_endpoint_auth_signing_alg must be one of ${SIGNING_ALGS.join(", ")}`);

  for (const [claim, want] of Object.entries(ctx.quirks.required_claims))
    if (JSON.stringify(claims[claim]) !== JSON.stringify(want))
      throw metadataError(`${claim} must be ${JSON.stringify(want)} at this bank`);
  checkDnClaim(ctx, req, md, method);

  if (md.grant_types !== undefined || strict) {
    const grants = stringArray(md.grant_types, "grant_types");
    for (const g of grants)
      if (!(GRANT_TYPES as readonly string[]).includes(g) || ctx.quirks.grant_types_refused.includes(g))
        throw metadataError(`grant_type ${g} is not supported`);
  }
  if (md.response_types !== undefined) {
    for (const r of stringArray(md.response_types, "response_types"))
      if (!(RESPONSE_TYPES as readonly string[]).includes(r))
        throw metadataError(`response_type ${r} is not supported`);
  }
  if (md.application_type !== undefined || strict) {
    if (!(APPLICATION_TYPES as readonly unknown[]).includes(md.application_type))
      throw metadataError("application_type must be web, mobile or native");
  }
  for (const claim of ["id_token_signed_response_alg", "request_object_signing_alg"]) {
    if (md[claim] === undefined && !strict) continue;
    if (!(SIGNING_ALGS as readonly unknown[]).includes(md[claim]))
      throw metadataError(`${claim} must be one of ${SIGNING_ALGS.join(", ")}`);
  }

  if (md.scope !== undefined || strict) checkScope(ctx, md, ssa);
  checkClientKeys(ctx.quirks, md, ssa?.software_jwks_endpoint);
  for (const forbidden of BANK_ISSUED)
    if (md[forbidden] !== undefined) throw metadataError(`${forbidden} must not be sent`);
  return md;
}

/**
 * redirect_uris: https, <=256, no fragment, a subset of the SSA's; omitted => the SSA's list
 * (an open registration without an SSA may omit them: a client_credentials-only client).
 */
function checkRedirectUris(md: Record<string, unknown>, ssa: SsaClaims | undefined): void {
  if (md.redirect_uris === undefined && ssa) md.redirect_uris = ssa.software_redirect_uris;
  if (md.redirect_uris !== undefined && (!Array.isArray(md.redirect_uris) || md.redirect_uris.length === 0))
    throw badRequest("invalid_redirect_uri", "redirect_uris must be a non-empty array");
  for (const uri of (md.redirect_uris as unknown[] | undefined) ?? []) {
    if (typeof uri !== "string" || uri.length > 256)
      throw badRequest("invalid_redirect_uri", "redirect URI invalid");
    let u: URL;
    try {
      u = new URL(uri);
    } catch {
      throw badRequest("invalid_redirect_uri", `redirect URI is not a URL: ${uri}`);
    }
    if (u.protocol !== "https:" || u.hash)
      throw badRequest("invalid_redirect_uri", `redirect URI must be https without fragment: ${uri}`);
    if (ssa && !ssa.software_redirect_uris.includes(uri))
      throw badRequest("invalid_redirect_uri", `redirect URI is not in the SSA: ${uri}`);
  }
}

/** The subject DN claim (under the bank's name for it): with tls_client_auth only, and the certificate's DN. */
function checkDnClaim(ctx: CheckContext, req: Req, md: Record<string, unknown>, method: string): void {
  const dnClaim = ctx.quirks.dn_claim;
  const otherDnClaim = dnClaim === "tls_client_auth_dn" ? "tls_client_auth_subject_dn" : "tls_client_auth_dn";
  if (md[otherDnClaim] !== undefined)
    throw metadataError(`${otherDnClaim} is not the claim name here; use ${dnClaim}`);
  const dn = md[dnClaim];
  if (method === "tls_client_auth") {
    if (typeof dn !== "string" || dn.length === 0)
      throw metadataError(`${dnClaim} is required for tls_client_auth`);
    const expected = subjectDn(req.peerCertDer!, ctx.quirks.subject_dn_encoding);
    if (normalizeDn(dn) !== normalizeDn(expected))
      throw metadataError(
        `${dnClaim} does not match the client certificate (this bank renders 2.5.4.97 as ${ctx.quirks.subject_dn_encoding})`,
      );
  } else if (dn !== undefined) {
    throw metadataError(`${dnClaim} is only allowed with tls_client_auth`);
  }
  // Stored under the current name; responses use the bank's name.
  if (dnClaim !== "tls_client_auth_subject_dn" && dn !== undefined) {
    md.tls_client_auth_subject_dn = dn;
    delete md[dnClaim];
  }
}

/** scope: a space-separated string (stored so, whatever the bank's request format), within the SSA's roles. */
function checkScope(ctx: CheckContext, md: Record<string, unknown>, ssa: SsaClaims | undefined): void {
  if (ctx.quirks.request_scope_format === "array") {
    if (!Array.isArray(md.scope) || !md.scope.every((x) => typeof x === "string"))
      throw metadataError("scope must be an array of strings at this bank");
    md.scope = md.scope.join(" "); // stored as a string
  }
  if (typeof md.scope !== "string" || md.scope.trim().length === 0 || md.scope.length > 256)
    throw metadataError("scope must be a space-separated string of at most 256 characters");
  // Without an SSA there are no roles: any scope the bank supports.
  const allowed = new Set(
    ssa
      ? ["openid", ...ssa.software_roles.map((r) => ROLE_SCOPES[r]).filter(Boolean)]
      : ctx.bank.scopes_supported,
  );
  for (const s of md.scope.split(" ").filter(Boolean)) {
    if (!allowed.has(s) || !ctx.bank.scopes_supported.includes(s))
      throw metadataError(`scope ${s} is not allowed for this software`);
  }
}

/** PUT: the update is for the registered software (an SSA's, or the request's for an open registration). */
export function checkSameSoftware(
  reg: Pick<StoredRegistration, "software_id">,
  metadata: Record<string, unknown>,
  ssa: SsaClaims | undefined,
): void {
  if (ssa) {
    if (ssa.software_id !== reg.software_id)
      throw badRequest("invalid_software_statement", "the SSA is for another software");
    return;
  }
  if (metadata.software_id !== undefined && metadata.software_id !== reg.software_id)
    throw metadataError("software_id does not match the registration");
}
