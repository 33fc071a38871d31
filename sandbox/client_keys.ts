/** RFC 7591 client keys: `jwks` / `jwks_uri` at registration, and the keys a bank's /token trusts. */
import type * as jose from "jose";
import { z } from "zod";
import { metadataError } from "./http.js";
import {
  checkAudience,
  checkTimes,
  decodeUnverified,
  type JtiCache,
  JwtCheckError,
  verifyWithJwks,
} from "./jwt.js";
import type { BankQuirks } from "./quirks.js";
import type { StoredRegistration } from "./store.js";

export const KEYS_MANDATORY = "jwks or jwks_uri is mandatory for this client";

/** JWK members that only a private (or symmetric) key has: a client must never register them. */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

const PublicJwks = z.object({
  keys: z
    .array(
      z
        .looseObject({ kty: z.enum(["RSA", "EC"]), kid: z.string().min(1) })
        .refine((k) => PRIVATE_MEMBERS.every((m) => !(m in k)), "private key members are not accepted"),
    )
    .min(1),
});

function httpsUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    return new URL(value).protocol === "https:";
  } catch {
    return false;
  }
}

/**
 * Checks `jwks` / `jwks_uri` of a registration request (metadata after the generic checks).
 * UK default: no keys by value, `jwks_uri` only as the SSA's software_jwks_endpoint (an open
 * registration without an SSA needs an https `jwks_uri` for private_key_jwt). `require_client_keys`:
 * a private_key_jwt client must send exactly one of `jwks` (public keys) and an https `jwks_uri`.
 */
export function checkClientKeys(
  quirks: BankQuirks,
  md: Record<string, unknown>,
  ssaJwksEndpoint: string | undefined,
): void {
  const hasJwks = md.jwks !== undefined;
  const hasUri = md.jwks_uri !== undefined;
  const privateKeyJwt = md.token_endpoint_auth_method === "private_key_jwt";
  if (!quirks.require_client_keys) {
    if (hasJwks) throw metadataError("jwks by value is not accepted; keys come from the SSA");
    if (ssaJwksEndpoint !== undefined) {
      if (hasUri && md.jwks_uri !== ssaJwksEndpoint)
        throw metadataError("jwks_uri must equal the SSA software_jwks_endpoint");
      return;
    }
    // Open registration (no SSA): the request is the only place keys can come from.
    if (privateKeyJwt && !hasUri)
      throw metadataError("jwks_uri is mandatory for a private_key_jwt client without a software_statement");
    if (hasUri && !httpsUrl(md.jwks_uri)) throw metadataError("jwks_uri must be an https URL");
    return;
  }
  // RFC 7591 §2: jwks and jwks_uri MUST NOT both be present.
  if (hasJwks && hasUri) throw metadataError("jwks and jwks_uri must not both be sent");
  if (privateKeyJwt && !hasJwks && !hasUri) throw metadataError(KEYS_MANDATORY);
  if (hasJwks) {
    const parsed = PublicJwks.safeParse(md.jwks);
    if (!parsed.success)
      throw metadataError(
        `jwks must be a JWK Set of public RSA/EC keys with kid: ${parsed.error.issues.map((i) => i.message).join("; ")}`,
      );
  }
  if (hasUri && !httpsUrl(md.jwks_uri)) throw metadataError("jwks_uri must be an https URL");
}

export interface AssertionDeps {
  registration(clientId: string): StoredRegistration | undefined;
  fetchJwks(url: string): Promise<jose.JSONWebKeySet>;
  /** Re-points a stored directory URL to the directory's current port (registrations from an earlier run). */
  directoryUrl(stored: string): string;
  /** Accepted `aud` values (token endpoint, issuer). */
  audiences: string[];
  now: number;
  tolerance: number;
  jtis: JtiCache;
  algorithms: readonly string[];
}

function sameOrigin(a: string, b: string | undefined): boolean {
  try {
    return b !== undefined && new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

async function fetchOrFail(deps: AssertionDeps, url: string, what: string): Promise<jose.JSONWebKeySet> {
  try {
    return await deps.fetchJwks(url);
  } catch (err) {
    throw new JwtCheckError(`cannot fetch ${what}: ${(err as Error).message}`);
  }
}

/**
 * The keys a client's assertions are verified with: the registered `jwks`, else the registered
 * `jwks_uri`, else the SSA's software_jwks_endpoint. The SSA's revoked keys are refused in every case.
 */
async function assertionKeys(
  deps: AssertionDeps,
  reg: StoredRegistration,
): Promise<{ jwks: jose.JSONWebKeySet; revokedKids: Set<string> }> {
  const md = reg.metadata;
  let jwks: jose.JSONWebKeySet;
  if (typeof md.jwks === "object" && md.jwks !== null) jwks = md.jwks as jose.JSONWebKeySet;
  else if (typeof md.jwks_uri === "string")
    jwks = await fetchOrFail(
      deps,
      // A URL on the directory the SSA came from is re-pointed (an earlier run's port); others are the client's.
      sameOrigin(md.jwks_uri, reg.software_jwks_endpoint) ? deps.directoryUrl(md.jwks_uri) : md.jwks_uri,
      "jwks_uri",
    );
  else if (reg.software_jwks_endpoint)
    jwks = await fetchOrFail(deps, deps.directoryUrl(reg.software_jwks_endpoint), "software JWKS");
  else throw new JwtCheckError("no keys are registered for this client");
  const revoked = reg.software_jwks_revoked_endpoint
    ? await fetchOrFail(deps, deps.directoryUrl(reg.software_jwks_revoked_endpoint), "revoked JWKS")
    : { keys: [] };
  return { jwks, revokedKids: new Set(revoked.keys.map((k) => k.kid ?? "")) };
}

/**
 * Verifies a private_key_jwt client assertion at a bank's /token: signature with the client's keys,
 * iss = sub = client_id, aud, iat/exp, jti not replayed. Returns the client_id.
 * Throws JwtCheckError (the caller answers 401 invalid_client).
 */
export async function verifyClientAssertion(
  deps: AssertionDeps,
  assertion: string,
  formClientId: string | undefined,
): Promise<string> {
  const { payload: unverified } = decodeUnverified(assertion);
  const clientId = formClientId ?? (typeof unverified.iss === "string" ? unverified.iss : undefined);
  const reg = clientId ? deps.registration(clientId) : undefined;
  if (!clientId || !reg) throw new JwtCheckError("unknown client");
  const alg = reg.metadata.token_endpoint_auth_signing_alg;
  const { jwks, revokedKids } = await assertionKeys(deps, reg);
  const { payload } = await verifyWithJwks(assertion, {
    algorithms: typeof alg === "string" ? [alg] : deps.algorithms,
    jwks,
    revokedKids,
  });
  if (payload.iss !== clientId || payload.sub !== clientId)
    throw new JwtCheckError("iss and sub must equal client_id");
  checkAudience(payload, deps.audiences);
  checkTimes(payload, { now: deps.now, tolerance: deps.tolerance, maxLifetime: 3600 });
  if (
    typeof payload.jti !== "string" ||
    !deps.jtis.remember(payload.jti, (payload.exp as number) + 60, deps.now)
  )
    throw new JwtCheckError("jti missing or replayed");
  return clientId;
}
