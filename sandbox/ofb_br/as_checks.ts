/**
 * What an OFB authorization server checks in a registration (POST /register and DCM PUT), as pure
 * functions (digest §2.2–2.5, checklist BR 4–13). Each refusal is a 400 with the checklist's code.
 */
import type * as jose from "jose";
import { badRequest, type SandboxHttpError } from "../http.js";
import { JwtCheckError, verifyWithJwks } from "../jwt.js";
import { ROLE_SCOPES } from "./directory_ssa.js";
import { certSubject, dnMatch, OID, ofbDnFormatProblem, subjectValues, writeOfbDn } from "./dn.js";
import type { OfbBrServerConfig } from "./options.js";

export type Claims = Record<string, unknown>;
const metadata = (d: string): SandboxHttpError => badRequest("invalid_client_metadata", d);
const badSsa = (d: string): SandboxHttpError => badRequest("invalid_software_statement", d);

/** Future skew allowed on the SSA `iat` (clock differences between the directory and the AS). */
export const SSA_FUTURE_SKEW_SECONDS = 60;
/** The one signing algorithm (PS256) of the OFB profile. */
export const ALGS = ["PS256"] as const;
export const AUTH_METHODS = ["private_key_jwt", "tls_client_auth"] as const;
export const GRANT_TYPES = ["authorization_code", "client_credentials", "refresh_token"] as const;
export const ENC_ALGS = ["RSA-OAEP", "RSA-OAEP-256"] as const;
export const ENC_ENCS = ["A256GCM", "A128CBC-HS256"] as const;
/** Matches a webhook URI (digest §2.3). */
const WEBHOOK = /^https:\/\/[^\s/?#]+(\/[^\s/?#]+)*$/;

export interface SsaRules {
  jwks: jose.JSONWebKeySet;
  issuer: string;
  maxAgeSeconds: number;
  now: number;
}

/** BR 4–5: a compact PS256 JWS signed by the directory, with the expected `iss` and a fresh `iat`. */
export async function verifySoftwareStatement(ssa: unknown, rules: SsaRules): Promise<Claims> {
  if (typeof ssa !== "string" || ssa.length === 0) throw badSsa("software_statement is missing");
  let payload: jose.JWTPayload;
  try {
    ({ payload } = await verifyWithJwks(ssa, { algorithms: ALGS, jwks: rules.jwks }));
  } catch (err) {
    if (err instanceof JwtCheckError) throw badSsa(`software_statement: ${err.reason}`);
    throw err;
  }
  if (payload.iss !== rules.issuer) throw badSsa("software_statement iss is not the directory's SSA issuer");
  const iat = payload.iat;
  if (typeof iat !== "number" || !Number.isFinite(iat)) throw badSsa("software_statement iat is missing");
  if (iat > rules.now + SSA_FUTURE_SKEW_SECONDS) throw badSsa("software_statement iat is in the future");
  if (rules.now - iat > rules.maxAgeSeconds)
    throw badSsa(`software_statement is older than ${rules.maxAgeSeconds} s (iat); fetch a fresh one`);
  for (const c of ["software_id", "org_id", "software_jwks_uri"])
    if (typeof payload[c] !== "string") throw badSsa(`software_statement has no ${c}`);
  if (!Array.isArray(payload.software_redirect_uris))
    throw badSsa("software_statement has no software_redirect_uris");
  return payload as Claims;
}

/** The roles of `software_statement_roles` whose status is Active. */
export function activeRoles(claims: Claims): string[] {
  const roles = Array.isArray(claims.software_statement_roles) ? claims.software_statement_roles : [];
  return roles
    .filter((r): r is { role: string; status: string } => typeof r === "object" && r !== null)
    .filter((r) => r.status === "Active" && typeof r.role === "string")
    .map((r) => r.role);
}

/** BR 6: the organisation and at least one role are Active. */
export function checkApproval(claims: Claims): void {
  if (claims.org_status !== "Active")
    throw badRequest("unapproved_software_statement", "the organisation is not Active in the directory");
  if (claims.software_status !== undefined && claims.software_status !== "Active")
    throw badRequest("unapproved_software_statement", "the software statement is not Active");
  if (activeRoles(claims).length === 0)
    throw badRequest("unapproved_software_statement", "software_statement_roles has no Active role");
}

/** BR 7: the certificate's organizationIdentifier (or legacy OU) names the SSA org, its UID the software. */
export function checkCertBinding(
  claims: Claims,
  certDer: Uint8Array,
  code: OfbBrServerConfig["cert_binding_error"],
): void {
  const v = subjectValues(certDer);
  const orgOk =
    v.get(OID.organizationIdentifier) === `OFBBR-${claims.org_id}` || v.get(OID.OU) === claims.org_id;
  if (!orgOk)
    throw badRequest(code, "the client certificate's organizationIdentifier does not name the SSA org_id");
  if (v.get(OID.UID) !== claims.software_id)
    throw badRequest(code, "the client certificate's UID is not the SSA software_id");
}

const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === "string");

function optionalAlg(body: Claims, field: string): string {
  const v = body[field];
  if (v === undefined) return "PS256"; // missing ⇒ the AS's strongest (digest §2.4)
  if (v !== "PS256") throw metadata(`${field} must be PS256`);
  return v;
}

/** Copies optional encryption pairs (`_alg` required with `_enc`, both from the supported sets). */
function encryption(body: Claims, prefix: string, out: Claims): void {
  const alg = body[`${prefix}_alg`];
  const enc = body[`${prefix}_enc`];
  if (enc !== undefined && alg === undefined) throw metadata(`${prefix}_enc needs ${prefix}_alg`);
  if (alg !== undefined) {
    if (!(ENC_ALGS as readonly unknown[]).includes(alg)) throw metadata(`${prefix}_alg is not supported`);
    out[`${prefix}_alg`] = alg;
  }
  if (enc !== undefined) {
    if (!(ENC_ENCS as readonly unknown[]).includes(enc)) throw metadata(`${prefix}_enc is not supported`);
    out[`${prefix}_enc`] = enc;
  }
}

const BOOLEANS = [
  "require_signed_request_object",
  "require_pushed_authorization_requests",
  "tls_client_certificate_bound_access_tokens",
  "require_auth_time",
] as const;

/** BR 8: keys come from the directory only. */
function checkKeys(body: Claims, claims: Claims): void {
  if (body.jwks !== undefined) throw metadata("jwks is not allowed: keys are read from software_jwks_uri");
  if (body.jwks_uri !== undefined && body.jwks_uri !== claims.software_jwks_uri)
    throw metadata("jwks_uri must equal the SSA software_jwks_uri");
}

/** BR 9: redirect_uris required, each ≤ 255 and listed in the SSA. */
function checkRedirects(body: Claims, claims: Claims): string[] {
  const redirects = body.redirect_uris;
  const allowed = claims.software_redirect_uris as unknown[];
  if (!isStringArray(redirects) || redirects.length === 0)
    throw badRequest("invalid_redirect_uri", "redirect_uris is required (a non-empty array)");
  for (const r of redirects) {
    if (r.length > 255)
      throw badRequest("invalid_redirect_uri", "a redirect URI is longer than 255 characters");
    if (!allowed.includes(r))
      throw badRequest("invalid_redirect_uri", "a redirect URI is not in the SSA software_redirect_uris");
  }
  return redirects;
}

/** BR 10: webhook_uris, when sent, match the pattern and are exactly the SSA's set (absent ⇒ webhooks off). */
function checkWebhooks(body: Claims, claims: Claims): Claims {
  if (body.webhook_uris === undefined) return {};
  const hooks = body.webhook_uris;
  const listed = isStringArray(claims.software_api_webhook_uris) ? claims.software_api_webhook_uris : [];
  if (!isStringArray(hooks))
    throw badRequest("invalid_webhook_uris", "webhook_uris must be an array of URIs");
  for (const h of hooks)
    if (h.length > 255 || !WEBHOOK.test(h))
      throw badRequest("invalid_webhook_uris", "a webhook URI is not an https URI without query or fragment");
  const same =
    hooks.length === listed.length &&
    new Set(hooks).size === hooks.length &&
    hooks.every((h) => listed.includes(h));
  if (!same)
    throw badRequest("invalid_webhook_uris", "webhook_uris must equal the SSA software_api_webhook_uris");
  return { webhook_uris: hooks };
}

/** BR 11–12: the auth method, and the subject DN iff tls_client_auth (§2.5 format, dnMatch vs the certificate). */
function checkClientAuth(body: Claims, certDer: Uint8Array, cfg: OfbBrServerConfig): Claims {
  const method = body.token_endpoint_auth_method;
  if (!(AUTH_METHODS as readonly unknown[]).includes(method))
    throw metadata("token_endpoint_auth_method must be private_key_jwt or tls_client_auth");
  const san = Object.keys(body).find((k) => k.startsWith("tls_client_auth_san_"));
  if (san) throw metadata(`${san} is not allowed: use tls_client_auth_subject_dn`);
  const signingAlg = optionalAlg(body, "token_endpoint_auth_signing_alg");
  const dn = body.tls_client_auth_subject_dn;
  if (method === "private_key_jwt") {
    if (dn !== undefined) throw metadata("tls_client_auth_subject_dn is only for tls_client_auth");
    return { token_endpoint_auth_method: method, token_endpoint_auth_signing_alg: signingAlg };
  }
  if (typeof dn !== "string" || dn.length === 0)
    throw metadata("tls_client_auth needs tls_client_auth_subject_dn");
  const problem = ofbDnFormatProblem(dn);
  if (problem)
    throw metadata(`tls_client_auth_subject_dn is not in the Open Finance Brasil format: ${problem}`);
  if (!dnMatch(dn, writeOfbDn(certSubject(certDer)), cfg.dn_match))
    throw metadata("tls_client_auth_subject_dn does not match the client certificate's subject");
  return { token_endpoint_auth_method: method, tls_client_auth_subject_dn: dn };
}

/** BR 13: scope ⊆ the scopes of the Active roles (omitted ⇒ all of them). */
function checkScope(body: Claims, claims: Claims): string {
  const roleScopes = new Set(activeRoles(claims).flatMap((r) => ROLE_SCOPES[r] ?? []));
  if (body.scope === undefined) return [...roleScopes].join(" ");
  if (typeof body.scope !== "string" || body.scope.trim() === "")
    throw metadata("scope must be a space-separated string");
  const scopes = body.scope.split(" ").filter(Boolean);
  const extra = scopes.filter((s) => !roleScopes.has(s));
  if (extra.length > 0) throw metadata(`scope outside the software's active roles: ${extra.join(" ")}`);
  return scopes.join(" ");
}

/** A non-empty array of strings from `allowed`, or the default when absent. */
function checkList(body: Claims, field: string, allowed: readonly string[], fallback: string[]): string[] {
  const v = body[field] ?? fallback;
  if (!isStringArray(v) || v.length === 0) throw metadata(`${field} must be a non-empty array`);
  for (const x of v) if (!allowed.includes(x)) throw metadata(`${field}: ${x} is not supported`);
  return v;
}

/** BR 13: algorithms (PS256; RS256 and none refused), encryption, response and grant types, flags. */
function checkClientOptions(body: Claims, cfg: OfbBrServerConfig): Claims {
  const out: Claims = {
    id_token_signed_response_alg: optionalAlg(body, "id_token_signed_response_alg"),
    request_object_signing_alg: optionalAlg(body, "request_object_signing_alg"),
  };
  for (const f of ["authorization_signed_response_alg", "userinfo_signed_response_alg"])
    if (body[f] !== undefined) out[f] = optionalAlg(body, f);
  encryption(body, "id_token_encrypted_response", out);
  encryption(body, "request_object_encryption", out);
  out.response_types = checkList(body, "response_types", cfg.response_types_supported, [
    cfg.response_types_supported[0]!,
  ]);
  // Missing ⇒ the AS's choice: the three grant types of the OFB profile.
  out.grant_types = checkList(body, "grant_types", GRANT_TYPES, [...GRANT_TYPES]);
  for (const b of BOOLEANS) {
    if (body[b] === undefined) continue;
    if (typeof body[b] !== "boolean") throw metadata(`${b} must be a boolean`);
    out[b] = body[b];
  }
  if (body.subject_type !== undefined && body.subject_type !== "public")
    throw metadata("subject_type must be public");
  const appType = body.application_type ?? "web";
  if (appType !== "web" && appType !== "native") throw metadata("application_type must be web or native");
  return { ...out, subject_type: "public", application_type: appType };
}

/**
 * BR 8–13: the request metadata against the SSA and the certificate; returns the metadata to
 * register, with the SSA's values overriding the request's (conflicts are not errors, §2.4).
 * Fields the AS does not know are dropped.
 */
export function checkMetadata(
  body: Claims,
  claims: Claims,
  certDer: Uint8Array,
  cfg: OfbBrServerConfig,
): Claims {
  checkKeys(body, claims);
  const redirect_uris = checkRedirects(body, claims);
  const webhooks = checkWebhooks(body, claims);
  const auth = checkClientAuth(body, certDer, cfg);
  const scope = checkScope(body, claims);
  const options = checkClientOptions(body, cfg);
  return {
    redirect_uris,
    ...webhooks,
    ...auth,
    scope,
    ...options,
    // The SSA wins over the request (§2.4): names, URIs and keys come from the directory.
    jwks_uri: claims.software_jwks_uri,
    client_name: claims.software_client_name,
    client_uri: claims.software_client_uri,
    logo_uri: claims.software_logo_uri,
    tos_uri: claims.software_tos_uri,
    policy_uri: claims.software_policy_uri,
    software_id: claims.software_id,
    software_version: claims.software_version,
    software_roles: claims.software_roles,
  };
}
