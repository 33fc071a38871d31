/**
 * Verifies a registration request (POST or PUT body) in the mock's order: the SSA against the
 * Register JWKS, the product's status at the Register, the request JWT against the SSA's jwks_uri
 * (§4 AU 8–10), then the SSA's sector_identifier_uri (AU 15).
 */
import type * as jose from "jose";
import { badRequest, type SandboxHttpError } from "../http.js";
import { checkAudience, decodeUnverified, JwtCheckError, verifyWithJwks } from "../jwt.js";
import { SSA_REQUIRED } from "./holder_checks.js";
import { type HolderState, holderUrls, SIGNING_ALGS } from "./holder_state.js";

const SSA_ISSUER = "cdr-register";

const ssaError = (d: string): SandboxHttpError => badRequest("invalid_software_statement", d);
const metadata = (d: string): SandboxHttpError => badRequest("invalid_client_metadata", d);

function asJwks(body: unknown): jose.JSONWebKeySet {
  if (typeof body !== "object" || body === null || !Array.isArray((body as { keys?: unknown }).keys))
    throw new Error("not a JWKS");
  return body as jose.JSONWebKeySet;
}

export interface VerifiedRequest {
  request: jose.JWTPayload;
  ssa: jose.JWTPayload;
  ssaJwt: string;
}

/** The SSA: Register signature (PS256), iss, not expired (no skew, like the mock), required claims. */
async function verifySsa(s: HolderState, ssaJwt: string): Promise<jose.JWTPayload> {
  let jwks: jose.JSONWebKeySet;
  try {
    jwks = asJwks(await s.fetchJson(s.registerJwksUrl));
  } catch {
    throw new Error("the Register JWKS could not be fetched");
  }
  try {
    const { payload } = await verifyWithJwks(ssaJwt, { algorithms: ["PS256"], jwks });
    if (payload.iss !== SSA_ISSUER) throw new JwtCheckError(`iss must be ${SSA_ISSUER}`);
    const missing = SSA_REQUIRED.filter((c) => payload[c] === undefined);
    if (missing.length > 0) throw new JwtCheckError(`required claims missing: ${missing.join(", ")}`);
    if (typeof payload.exp !== "number" || payload.exp <= Math.floor(Date.now() / 1000))
      throw new JwtCheckError("the SSA has expired");
    if (!Array.isArray(payload.redirect_uris) || typeof payload.jwks_uri !== "string")
      throw new JwtCheckError("redirect_uris or jwks_uri malformed");
    return payload;
  } catch (err) {
    if (err instanceof JwtCheckError) throw ssaError(`software_statement: ${err.reason}`);
    throw err;
  }
}

/** The request JWT: a key of the SSA's jwks_uri, aud = issuer, iss = software_id, exp/iat/jti, no replay. */
async function verifyRequestJwt(
  s: HolderState,
  body: string,
  ssa: jose.JWTPayload,
): Promise<jose.JWTPayload> {
  let jwks: jose.JSONWebKeySet;
  try {
    jwks = asJwks(await s.fetchJson(String(ssa.jwks_uri)));
  } catch {
    throw metadata("the SSA jwks_uri could not be fetched");
  }
  const now = Math.floor(Date.now() / 1000);
  try {
    const { payload } = await verifyWithJwks(body, { algorithms: SIGNING_ALGS, jwks });
    checkAudience(payload, [holderUrls(s).issuer]);
    if (payload.iss !== ssa.software_id) throw new JwtCheckError("iss must equal the SSA software_id");
    if (typeof payload.exp !== "number") throw new JwtCheckError("exp is required");
    if (payload.exp <= now) throw new JwtCheckError("the request has expired");
    if (typeof payload.iat !== "number") throw new JwtCheckError("iat is required");
    if (typeof payload.jti !== "string" || payload.jti.length === 0)
      throw new JwtCheckError("jti is required");
    if (!s.registrationJtis.remember(payload.jti, payload.exp + 60, now))
      throw new JwtCheckError("jti has been used before");
    return payload;
  } catch (err) {
    if (err instanceof JwtCheckError) throw metadata(`request: ${err.reason}`);
    throw err;
  }
}

export async function verifyRegistrationRequest(s: HolderState, body: string): Promise<VerifiedRequest> {
  let unverified: jose.JWTPayload;
  try {
    unverified = decodeUnverified(body).payload;
  } catch {
    throw metadata("the body must be a signed JWT (compact JWS)");
  }
  const ssaJwt = unverified.software_statement;
  if (typeof ssaJwt !== "string" || ssaJwt.length === 0) throw ssaError("software_statement is required");
  const ssa = await verifySsa(s, ssaJwt);
  if (s.productStatus(String(ssa.software_id)) !== "ACTIVE")
    throw badRequest(
      s.config.inactive_product_error,
      "the software product is not active at the CDR Register",
    );
  const request = await verifyRequestJwt(s, body, ssa);
  if (typeof ssa.sector_identifier_uri === "string") {
    try {
      const uris = await s.fetchJson(ssa.sector_identifier_uri);
      if (!Array.isArray(uris)) throw new Error("not a JSON array");
    } catch {
      throw metadata("sector_identifier_uri could not be fetched or is not a JSON array of URIs");
    }
  }
  return { request, ssa, ssaJwt };
}
