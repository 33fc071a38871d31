/**
 * Pure rules of a CDR registration request (§1.3, §4 AU 11–14, 18): metadata faults, redirect URIs,
 * and the registered metadata the DH echoes. No I/O here.
 */
import type * as jose from "jose";
import { GRANT_TYPES, JWE_ALGS, JWE_ENCS, RESPONSE_TYPES, SIGNING_ALGS } from "./holder_state.js";
import type { HolderConfig } from "./options.js";

/** Request claims a DH registers and echoes; every other claim (iss, aud, jti, unknown...) is dropped. */
export const REQUEST_METADATA = [
  "redirect_uris",
  "token_endpoint_auth_method",
  "token_endpoint_auth_signing_alg",
  "grant_types",
  "response_types",
  "application_type",
  "id_token_signed_response_alg",
  "id_token_encrypted_response_alg",
  "id_token_encrypted_response_enc",
  "authorization_signed_response_alg",
  "authorization_encrypted_response_alg",
  "authorization_encrypted_response_enc",
  "request_object_signing_alg",
] as const;

/** SSA claims that are about the SSA itself, not the client: not flattened into the registration. */
const SSA_ENVELOPE = new Set(["iss", "iat", "exp", "jti", "nbf", "aud"]);

/** Claims §1.2 marks required in an SSA. */
export const SSA_REQUIRED = [
  "iss",
  "iat",
  "exp",
  "jti",
  "org_id",
  "org_name",
  "client_name",
  "client_description",
  "client_uri",
  "logo_uri",
  "redirect_uris",
  "jwks_uri",
  "revocation_uri",
  "recipient_base_uri",
  "software_id",
  "software_roles",
  "scope",
] as const;

const oneOf = (v: unknown, allowed: readonly string[]): boolean =>
  typeof v === "string" && allowed.includes(v);

function stringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string");
}

/** Every metadata fault of a request (the mock collects them into one invalid_client_metadata). */
export function metadataFaults(md: jose.JWTPayload, config: HolderConfig): string[] {
  const faults: string[] = [];
  const need = (claim: string, allowed: readonly string[]) => {
    if (md[claim] === undefined) faults.push(`${claim} is required`);
    else if (!oneOf(md[claim], allowed)) faults.push(`${claim} must be one of ${allowed.join(", ")}`);
  };
  const may = (claim: string, allowed: readonly string[]) => {
    if (md[claim] !== undefined && !oneOf(md[claim], allowed))
      faults.push(`${claim} must be one of ${allowed.join(", ")}`);
  };

  need("token_endpoint_auth_method", ["private_key_jwt"]);
  need("token_endpoint_auth_signing_alg", SIGNING_ALGS);
  need("id_token_signed_response_alg", SIGNING_ALGS);
  may("request_object_signing_alg", SIGNING_ALGS);
  if (md.application_type !== undefined && md.application_type !== "web")
    faults.push("application_type must be web");

  const grants = md.grant_types;
  if (!stringArray(grants)) faults.push("grant_types is required (a non-empty array)");
  else {
    const bad = grants.filter((g) => !(GRANT_TYPES as readonly string[]).includes(g));
    if (bad.length > 0) faults.push(`grant_types not supported: ${bad.join(", ")}`);
    if (config.require_authorization_code_grant && !grants.includes("authorization_code"))
      faults.push("grant_types must include authorization_code");
  }

  const rts = md.response_types;
  let code = false;
  let hybrid = false;
  if (!stringArray(rts)) faults.push("response_types is required (a non-empty array)");
  else {
    const bad = rts.filter((r) => !(RESPONSE_TYPES as readonly string[]).includes(r));
    if (bad.length > 0) faults.push(`response_types not supported: ${bad.join(", ")}`);
    code = rts.includes("code");
    hybrid = rts.includes("code id_token");
  }

  // id_token encryption: required with the hybrid flow, forbidden with code alone.
  const idAlg = md.id_token_encrypted_response_alg;
  const idEnc = md.id_token_encrypted_response_enc;
  if (hybrid) {
    need("id_token_encrypted_response_alg", JWE_ALGS);
    need("id_token_encrypted_response_enc", JWE_ENCS);
  } else if (idAlg !== undefined || idEnc !== undefined)
    faults.push("id_token encryption is only allowed with response_types code id_token");

  // JARM: a signed authorization response with code (never alg none); encryption optional.
  const jarmSig = md.authorization_signed_response_alg;
  if (jarmSig === "none") faults.push("authorization_signed_response_alg none is not allowed");
  else if (code) need("authorization_signed_response_alg", SIGNING_ALGS);
  else may("authorization_signed_response_alg", SIGNING_ALGS);
  const jarmAlg = md.authorization_encrypted_response_alg;
  const jarmEnc = md.authorization_encrypted_response_enc;
  if (jarmEnc !== undefined && jarmAlg === undefined)
    faults.push("authorization_encrypted_response_enc requires authorization_encrypted_response_alg");
  may("authorization_encrypted_response_alg", JWE_ALGS);
  may("authorization_encrypted_response_enc", JWE_ENCS);
  return faults;
}

function absoluteHttps(u: string): boolean {
  try {
    return new URL(u).protocol === "https:";
  } catch {
    return false;
  }
}

/** Why the request's redirect_uris are refused (invalid_redirect_uri), or undefined. */
export function redirectFault(requested: unknown, ssaList: readonly string[]): string | undefined {
  if (requested === undefined) return undefined;
  if (!stringArray(requested)) return "redirect_uris must be a non-empty array of strings";
  const bad = requested.find((u) => !absoluteHttps(u));
  if (bad !== undefined) return `redirect URI ${bad} is not an absolute https URL`;
  const outside = requested.find((u) => !ssaList.includes(u));
  if (outside !== undefined) return `redirect URI ${outside} is not in the SSA redirect_uris`;
  return undefined;
}

/**
 * The registered metadata: SSA claims flattened to top level, the request's known metadata, the SSA
 * scopes the holder supports, and the SSA itself unmodified.
 */
export function registeredMetadata(
  request: jose.JWTPayload,
  ssa: jose.JWTPayload,
  ssaJwt: string,
  config: HolderConfig,
): Record<string, unknown> {
  const md: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ssa)) if (!SSA_ENVELOPE.has(k)) md[k] = v;
  for (const k of REQUEST_METADATA) if (request[k] !== undefined) md[k] = request[k];
  md.redirect_uris = request.redirect_uris ?? ssa.redirect_uris;
  md.application_type = request.application_type ?? "web";
  md.scope = String(ssa.scope)
    .split(" ")
    .filter((x) => x && config.scopes_supported.includes(x))
    .join(" ");
  md.software_statement = ssaJwt;
  return md;
}
