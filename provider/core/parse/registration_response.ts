/**
 * Normalise a bank's registration response: timestamps to seconds, scope to a string, secrets apart,
 * substituted values reported, RFC 7592 both-or-neither enforced. Unknown fields are kept.
 */

import { UnexpectedResponseError } from "../errors.js";
import { RawRegistrationResponse } from "../schemas/responses.js";
import { rememberSecret } from "../untrusted.js";

export const SECRET_FIELDS = ["client_secret", "registration_access_token"] as const;
const TIMESTAMP_FIELDS = ["client_id_issued_at", "client_secret_expires_at", "iat", "exp"] as const;

export interface Substitution {
  field: string;
  requested: unknown;
  registered: unknown;
}

export interface RegistrationSecrets {
  client_secret?: string;
  registration_access_token?: string;
}

export interface RegistrationResult {
  client_id: string;
  /** Every non-secret member as the bank returned it, normalised. */
  metadata: Record<string, unknown>;
  secrets: RegistrationSecrets;
  registration_client_uri: string | undefined;
  client_id_issued_at: number | undefined;
  client_secret_expires_at: number | undefined;
  substitutions: Substitution[];
}

/** Seconds since epoch from seconds, milliseconds (> 10^11) or a date string; undefined if unparseable. */
export function normalizeTimestamp(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v > 1e11 ? Math.floor(v / 1000) : Math.floor(v);
  if (typeof v === "string" && v.trim() !== "") {
    const s = v.trim();
    if (/^\d+(\.\d+)?$/.test(s)) return normalizeTimestamp(Number(s));
    const t = Date.parse(s);
    if (!Number.isNaN(t)) return Math.floor(t / 1000);
  }
  return undefined;
}

/** Scope as a space-delimited string from a string or an array. */
export function normalizeScope(v: unknown): string | undefined {
  if (typeof v === "string") return v.split(" ").filter(Boolean).join(" ");
  if (Array.isArray(v)) return v.map(String).join(" ");
  return undefined;
}

/**
 * One registered member, equal in meaning: a scope as a set of scope tokens (string or array), any
 * other list as a set (redirect URIs, grant types: banks return them in their own order), else by
 * value. A substitution and drift at the bank are both judged by it.
 */
export function sameRegisteredValue(field: string, a: unknown, b: unknown): boolean {
  if (field === "scope") {
    const x = new Set((normalizeScope(a) ?? "").split(" ").filter(Boolean));
    const y = new Set((normalizeScope(b) ?? "").split(" ").filter(Boolean));
    return x.size === y.size && [...x].every((s) => y.has(s));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const x = new Set(a.map((v) => JSON.stringify(v)));
    const y = new Set(b.map((v) => JSON.stringify(v)));
    return x.size === y.size && [...x].every((s) => y.has(s));
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Fields never compared (request envelope, SSA, secrets). */
const NOT_COMPARED = new Set([
  "iss",
  "iat",
  "exp",
  "aud",
  "jti",
  "software_statement",
  "client_id",
  ...SECRET_FIELDS,
]);

/**
 * Parse a registration response body (already decoded to an object).
 * `requested` are the metadata claims sent, used to report substitutions.
 * @throws {UnexpectedResponseError} `OBDCR_UNEXPECTED_RESPONSE`: no usable `client_id`, or fields
 *   the client relies on are malformed (the error keeps any `client_id` the bank issued).
 */
export function parseRegistrationResponse(
  body: unknown,
  requested: Record<string, unknown> = {},
  aliases: Record<string, string> = { tls_client_auth_subject_dn: "tls_client_auth_dn" },
  /** Enforce RFC 7592 both-or-neither (create). Read/update answers may omit an unrotated token. */
  requireRatPair = true,
): RegistrationResult {
  const r = RawRegistrationResponse.safeParse(body);
  if (!r.success)
    throw new UnexpectedResponseError(
      `registration response body is not usable: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"} ${i.message}`).join("; ")}`,
      { cause: r.error },
    );
  const raw = r.data as Record<string, unknown>;
  // Credentials are remembered first: whatever fails below, no message may echo them.
  rememberSecret(raw.client_secret as string | undefined);
  rememberSecret(raw.registration_access_token as string | undefined);
  const hasRat = typeof raw.registration_access_token === "string";
  const hasRcu = typeof raw.registration_client_uri === "string";
  if (requireRatPair && hasRat !== hasRcu)
    throw new UnexpectedResponseError(
      "registration response has only one of registration_access_token and registration_client_uri (RFC 7592 needs both or neither)",
    );
  if (typeof raw.client_secret === "string" && raw.client_secret_expires_at === undefined)
    throw new UnexpectedResponseError(
      "registration response has client_secret without client_secret_expires_at",
    );

  const metadata: Record<string, unknown> = {};
  const secrets: RegistrationSecrets = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === "client_secret" && typeof v === "string") secrets.client_secret = v;
    else if (k === "registration_access_token" && typeof v === "string")
      secrets.registration_access_token = v;
    else metadata[k] = v;
  }
  for (const f of TIMESTAMP_FIELDS) {
    if (f in metadata) {
      const n = normalizeTimestamp(metadata[f]);
      if (n !== undefined) metadata[f] = n;
    }
  }
  if ("scope" in metadata) metadata.scope = normalizeScope(metadata.scope);
  // Old DN claim name in responses: read both.
  for (const [current, old] of Object.entries(aliases)) {
    if (!(current in metadata) && old in metadata) metadata[current] = metadata[old];
  }

  const substitutions: Substitution[] = [];
  for (const [field, want] of Object.entries(requested)) {
    if (NOT_COMPARED.has(field) || want === undefined) continue;
    const key =
      field in metadata ? field : aliases[field] && aliases[field] in metadata ? aliases[field] : field;
    if (!(key in metadata)) continue; // ignored or not echoed: nothing to report
    const got = metadata[key];
    if (!sameRegisteredValue(field, want, got))
      substitutions.push({ field, requested: want, registered: got });
  }

  return {
    client_id: raw.client_id as string,
    metadata,
    secrets,
    registration_client_uri: hasRcu ? (raw.registration_client_uri as string) : undefined,
    client_id_issued_at: normalizeTimestamp(metadata.client_id_issued_at),
    client_secret_expires_at: normalizeTimestamp(metadata.client_secret_expires_at),
    substitutions,
  };
}
