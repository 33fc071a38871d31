/**
 * Redaction of secrets in anything the CLI prints. Secrets appear only with `--show-secrets`.
 * Field names, not values, decide: a token in an unknown field of a vendor response is caught by
 * the generic rules (a name ending in "token", or holding "secret", in any spelling).
 */

export const REDACTED = "[redacted]";

/** Fields whose values are always secret. */
const SECRET_KEYS = new Set([
  "access_token",
  "refresh_token",
  "id_token",
  "client_secret",
  "registration_access_token",
  "client_assertion",
  "private_key",
  "password",
  "authorization",
]);

/** Private JWK members. */
const JWK_PRIVATE = new Set(["d", "p", "q", "dp", "dq", "qi", "k"]);

export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase();
  if (SECRET_KEYS.has(k)) return true;
  // Any spelling: `token`, `x_token`, `accessToken`, `registration-access-token` (not `token_type`,
  // `token_endpoint`, `id_token_signed_response_alg`: those do not end in "token").
  const bare = k.replace(/[_-]/g, "");
  if (bare.endsWith("token")) return true;
  return bare.includes("secret") && !bare.endsWith("expiresat") && !bare.endsWith("supported");
}

/** A deep copy with secret values replaced by "[redacted]" (unless show is true). */
export function redact<T>(value: T, show: boolean): T {
  if (show) return value;
  return walk(value, undefined) as T;
}

/** Deeper than this, a value is not printed (bank JSON is parsed to depth 64; this is a backstop). */
const MAX_DEPTH = 80;

function walk(v: unknown, parentIsJwk: boolean | undefined, depth = 0): unknown {
  if (depth > MAX_DEPTH) return "[too deep]";
  if (Array.isArray(v)) return v.map((x) => walk(x, undefined, depth + 1));
  if (v && typeof v === "object" && !Buffer.isBuffer(v)) {
    const o = v as Record<string, unknown>;
    const jwk = parentIsJwk ?? typeof o.kty === "string";
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      const scalar = x !== undefined && x !== null && typeof x !== "object";
      // Secret names apply to values; a container (`secrets`, `directory_token`) is walked instead.
      if (scalar && (isSecretKey(k) || (jwk && JWK_PRIVATE.has(k)))) out[k] = REDACTED;
      else if (Array.isArray(x) && isSecretKey(k)) out[k] = x.map(() => REDACTED);
      else if (k === "software_statement" && typeof x === "string") out[k] = ssaSummary(x);
      else out[k] = walk(x, undefined, depth + 1);
    }
    return out;
  }
  return v;
}

/** A compact JWT shown only with --show-secrets. */
export function secretString(s: string | undefined, show: boolean): string | undefined {
  if (s === undefined) return undefined;
  return show ? s : REDACTED;
}

/** A software statement is long and a bearer credential of sorts: shown as a summary by default. */
export function ssaSummary(ssa: string): string {
  return `[software statement, ${ssa.length} chars; --show-secrets prints it]`;
}
