import * as jose from "jose";

/** Why a JWT was refused; `reason` is safe to return as error_description. */
export class JwtCheckError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.name = "JwtCheckError";
    this.reason = reason;
  }
}

const fail = (reason: string): never => {
  throw new JwtCheckError(reason);
};

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/** Decodes header and payload of a compact JWS without verifying it. */
export function decodeUnverified(token: string): {
  header: jose.ProtectedHeaderParameters;
  payload: jose.JWTPayload;
} {
  if (!COMPACT.test(token)) fail("not a compact JWS");
  try {
    const header = jose.decodeProtectedHeader(token);
    const payload = jose.decodeJwt(token);
    return { header, payload };
  } catch {
    return fail("malformed JWS header or payload");
  }
}

/** Header rules: alg in the allow-list (never none/HS*), kid present, no embedded keys or key URLs. */
export function checkHeader(header: jose.ProtectedHeaderParameters, algorithms: readonly string[]): void {
  const alg = header.alg;
  if (typeof alg !== "string") fail("JWS header has no alg");
  if (alg === "none") fail("alg none is refused");
  if (!algorithms.includes(alg as string))
    fail(`alg ${alg} is not allowed (allowed: ${algorithms.join(", ")})`);
  for (const h of ["jwk", "x5c", "x5u", "jku"] as const)
    if (h in header) fail(`JWS header must not carry ${h}: keys are resolved from the JWKS`);
  if (typeof header.kid !== "string" || header.kid.length === 0) fail("JWS header has no kid");
  if (header.crit !== undefined) fail("crit header parameters are not supported");
}

export interface VerifyOptions {
  algorithms: readonly string[];
  jwks: jose.JSONWebKeySet;
  /** kids that must be refused (revoked). */
  revokedKids?: ReadonlySet<string>;
}

/** Verifies the signature of a compact JWS against a JWKS (kid lookup); returns header and claims. */
export async function verifyWithJwks(
  token: string,
  opts: VerifyOptions,
): Promise<{ header: jose.ProtectedHeaderParameters; payload: jose.JWTPayload }> {
  const { header } = decodeUnverified(token);
  checkHeader(header, opts.algorithms);
  const kid = header.kid as string;
  if (opts.revokedKids?.has(kid)) fail(`signing key ${kid} is revoked`);
  const jwk = opts.jwks.keys.find((k) => k.kid === kid);
  if (!jwk) fail(`kid ${kid} is not in the JWKS`);
  let key: jose.CryptoKey | Uint8Array;
  try {
    key = await jose.importJWK({ ...(jwk as jose.JWK), alg: header.alg }, header.alg);
  } catch {
    return fail(`key ${kid} cannot be used with alg ${header.alg}`);
  }
  let bytes: Uint8Array;
  try {
    ({ payload: bytes } = await jose.compactVerify(token, key, { algorithms: [...opts.algorithms] }));
  } catch {
    return fail("signature verification failed");
  }
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return fail("payload is not JSON");
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload))
    fail("payload is not a JSON object");
  return { header, payload: payload as jose.JWTPayload };
}

export interface TimeRules {
  now: number;
  tolerance: number;
  maxLifetime: number;
}

/** iat/exp rules for a client-made JWT: both numbers, iat not in the future, not expired, short-lived. */
export function checkTimes(payload: jose.JWTPayload, rules: TimeRules): void {
  const { iat, exp } = payload;
  if (typeof iat !== "number" || !Number.isFinite(iat)) fail("iat missing or not a number");
  if (typeof exp !== "number" || !Number.isFinite(exp)) fail("exp missing or not a number");
  const i = iat as number;
  const e = exp as number;
  if (i > rules.now + rules.tolerance) fail("iat is in the future");
  if (e <= rules.now - rules.tolerance) fail("JWT has expired");
  if (e <= i) fail("exp is not after iat");
  if (e - i > rules.maxLifetime) fail(`JWT lifetime exceeds ${rules.maxLifetime} s`);
  if (typeof payload.nbf === "number" && payload.nbf > rules.now + rules.tolerance)
    fail("nbf is in the future");
}

/** `aud` is the expected value (string) or an array containing it. */
export function checkAudience(payload: jose.JWTPayload, accepted: readonly string[]): void {
  const aud = payload.aud;
  const values = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  if (values.length === 0) fail("aud missing");
  if (!values.some((v) => accepted.includes(v))) fail("aud does not name this server");
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

/** A jti replay cache: each jti is remembered until its JWT's exp (plus tolerance). */
export class JtiCache {
  #seen = new Map<string, number>();

  /** Records a jti; false if it was seen before (replay). */
  remember(jti: string, until: number, now: number): boolean {
    for (const [k, v] of this.#seen) if (v < now) this.#seen.delete(k);
    if (this.#seen.has(jti)) return false;
    this.#seen.set(jti, until);
    return true;
  }

  clear(): void {
    this.#seen.clear();
  }
}

export function requireString(payload: jose.JWTPayload, claim: string): string {
  const v = payload[claim];
  if (typeof v !== "string" || v.length === 0) fail(`${claim} missing or not a string`);
  return v as string;
}
