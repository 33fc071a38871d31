/**
 * Each regime's SSA claims, validated by its own zod schema and normalised into one view that the
 * rest of ob-dcr reads (software_id, org_id, redirect_uris, jwks_uri, webhook_uris, ...). Pure.
 */
import { z } from "zod";
import { SsaInvalidError } from "../errors.js";
import type { DirectoryKind } from "../profiles/types.js";
import { SsaClaims } from "../schemas/responses.js";
import { untrustedText } from "../untrusted.js";

const StrArr = z.array(z.string());

/** AU: the CDR Register's SSA (regimes-au-br.md §1.2); relied-on claims required. */
export const CdrSsaClaims = z.looseObject({
  iss: z.string(),
  iat: z.number(),
  exp: z.number(),
  jti: z.string(),
  org_id: z.string(),
  org_name: z.string().optional(),
  client_name: z.string().optional(),
  redirect_uris: StrArr.min(1),
  jwks_uri: z.string(),
  revocation_uri: z.string().optional(),
  recipient_base_uri: z.string().optional(),
  software_id: z.string(),
  software_roles: z.string().optional(),
  scope: z.string(),
  sector_identifier_uri: z.string().optional(),
});
export type CdrSsaClaims = z.infer<typeof CdrSsaClaims>;

/** BR: the Open Finance Brasil Directory's SSA (regimes-au-br.md §2.2); no `exp`. */
export const OfbSsaClaims = z.looseObject({
  iss: z.string(),
  iat: z.number(),
  exp: z.number().optional(),
  jti: z.string().optional(),
  software_id: z.string(),
  software_client_id: z.string().optional(),
  org_id: z.string(),
  org_name: z.string().optional(),
  org_number: z.string().optional(),
  org_status: z.string().optional(),
  software_redirect_uris: StrArr.min(1),
  software_api_webhook_uris: StrArr.optional(),
  software_jwks_uri: z.string(),
  software_jwks_inactive_uri: z.string().optional(),
  software_jwks_transport_uri: z.string().optional(),
  software_roles: StrArr.optional(),
  software_statement_roles: z
    .array(z.looseObject({ role: z.string(), status: z.string().optional() }))
    .optional(),
});
export type OfbSsaClaims = z.infer<typeof OfbSsaClaims>;

/** The one view of a verified SSA, whatever the regime. */
export interface SsaView {
  iss: string;
  iat: number | undefined;
  exp: number | undefined;
  software_id: string;
  /** UK: the TPP org; AU: the data recipient brand; BR: the organisation. */
  org_id: string | undefined;
  /** The master redirect list. */
  redirect_uris: string[] | undefined;
  /** Where the directory publishes the software's signing keys. */
  jwks_uri: string | undefined;
  /** Revoked / inactive keys (UK, BR). */
  jwks_revoked_uri: string | undefined;
  /** BR: the webhook list the request must repeat exactly. */
  webhook_uris: string[] | undefined;
  /** BR: the software's client id at the directory. */
  software_client_id: string | undefined;
  roles: string[] | undefined;
  /** Organisation status as the SSA states it (UK, BR). */
  org_status: string | undefined;
  /** BR: whether any `software_statement_roles` entry is Active (undefined: not stated). */
  active_roles: boolean | undefined;
  /** AU: the SSA's scope (the data holder's default). */
  scope: string | undefined;
  /** The claims as they came (for printing). */
  claims: Record<string, unknown>;
}

function incomplete(e: z.ZodError, label: string): SsaInvalidError {
  return new SsaInvalidError(
    `${label} SSA claims are incomplete: ${e.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
    { cause: e, claim: String(e.issues[0]?.path[0] ?? "") },
  );
}

const VIEWS: Record<DirectoryKind, (payload: unknown) => SsaView> = {
  "ob-directory": (payload) => {
    const r = SsaClaims.safeParse(payload);
    if (!r.success) throw incomplete(r.error, "OB Directory");
    const c = r.data;
    return {
      iss: c.iss,
      iat: c.iat,
      exp: c.exp,
      software_id: c.software_id,
      org_id: c.org_id,
      redirect_uris: c.software_redirect_uris,
      jwks_uri: c.software_jwks_endpoint,
      jwks_revoked_uri: c.software_jwks_revoked_endpoint,
      webhook_uris: undefined,
      software_client_id: undefined,
      roles: c.software_roles,
      org_status: c.org_status,
      active_roles: undefined,
      scope: undefined,
      claims: c,
    };
  },
  "cdr-register": (payload) => {
    const r = CdrSsaClaims.safeParse(payload);
    if (!r.success) throw incomplete(r.error, "CDR Register");
    const c = r.data;
    return {
      iss: c.iss,
      iat: c.iat,
      exp: c.exp,
      software_id: c.software_id,
      org_id: c.org_id,
      redirect_uris: c.redirect_uris,
      jwks_uri: c.jwks_uri,
      jwks_revoked_uri: undefined,
      webhook_uris: undefined,
      software_client_id: undefined,
      roles: c.software_roles ? [c.software_roles] : undefined,
      org_status: undefined,
      active_roles: undefined,
      scope: c.scope,
      claims: c,
    };
  },
  "ofb-directory": (payload) => {
    const r = OfbSsaClaims.safeParse(payload);
    if (!r.success) throw incomplete(r.error, "Open Finance Brasil");
    const c = r.data;
    return {
      iss: c.iss,
      iat: c.iat,
      exp: c.exp,
      software_id: c.software_id,
      org_id: c.org_id,
      redirect_uris: c.software_redirect_uris,
      jwks_uri: c.software_jwks_uri,
      jwks_revoked_uri: c.software_jwks_inactive_uri,
      webhook_uris: c.software_api_webhook_uris,
      software_client_id: c.software_client_id,
      roles: c.software_roles,
      org_status: c.org_status,
      active_roles: c.software_statement_roles
        ? c.software_statement_roles.some((x) => x.status?.toLowerCase() === "active")
        : undefined,
      scope: undefined,
      claims: c,
    };
  },
};

/**
 * Whether a downloaded SSA may be sent again: younger than `max_age_seconds` and, when it has an
 * `exp` (AU: iat + 600 s), with more than half its lifetime left, so that the bank never receives
 * one that expires while it checks it, whatever `directory.ssa_max_age_seconds` says. Pure.
 */
export function ssaReusable(
  claims: { iat?: unknown; exp?: unknown },
  fetched_at: number,
  now: number,
  max_age_seconds: number,
): boolean {
  if (now - fetched_at >= max_age_seconds) return false;
  if (typeof claims.exp !== "number") return true;
  const issued = typeof claims.iat === "number" ? claims.iat : fetched_at;
  return claims.exp - now > (claims.exp - issued) / 2;
}

/** Parse a (verified or decoded) SSA payload with its regime's schema into the common view. */
export function ssaView(kind: DirectoryKind, payload: unknown): SsaView {
  return VIEWS[kind](payload);
}

export interface SsaViewExpectations {
  /** Accepted `iss` values. */
  issuers: readonly string[];
  software_id: string;
  org_id?: string | undefined;
  now: number;
  /** An SSA whose `iat` is older than this is stale (seconds); undefined: no such limit. */
  fresh_seconds?: number | undefined;
  /** Allowed clock skew in seconds. */
  skew?: number;
}

/** Claim checks of an SSA view; each failure names the claim and the input it is compared with. */
export function validateSsaView(v: SsaView, e: SsaViewExpectations): void {
  const skew = e.skew ?? 60;
  if (!e.issuers.includes(v.iss))
    throw new SsaInvalidError(
      `SSA iss is "${untrustedText(v.iss, 200)}", expected ${e.issuers.map((i) => `"${i}"`).join(" or ")} (directory.issuer)`,
      { claim: "iss" },
    );
  if (v.software_id !== e.software_id)
    throw new SsaInvalidError(
      `SSA software_id is "${untrustedText(v.software_id, 200)}", expected "${e.software_id}" (software.software_id)`,
      { claim: "software_id" },
    );
  if (e.org_id && v.org_id !== undefined && v.org_id !== e.org_id)
    throw new SsaInvalidError(
      `SSA org_id is "${untrustedText(v.org_id, 200)}", expected "${e.org_id}" (software.org_id)`,
      {
        claim: "org_id",
      },
    );
  if (v.exp !== undefined && v.exp + skew <= e.now)
    throw new SsaInvalidError("SSA has expired; fetch a fresh one", { claim: "exp" });
  if (v.iat !== undefined && v.iat - skew > e.now)
    throw new SsaInvalidError("SSA iat is in the future; check the clock", { claim: "iat" });
  if (e.fresh_seconds !== undefined && v.iat !== undefined && e.now - v.iat > e.fresh_seconds)
    throw new SsaInvalidError(
      `SSA was issued ${e.now - v.iat} s ago, more than the ${e.fresh_seconds} s the bank accepts (no exp; it checks iat): let ob-dcr download a fresh one (leave directory.software_statement out) or give a fresh one`,
      { claim: "iat" },
    );
  if (v.org_status !== undefined && v.org_status.toLowerCase() !== "active")
    throw new SsaInvalidError(`SSA org_status is "${untrustedText(v.org_status, 200)}", expected Active`, {
      claim: "org_status",
    });
  if (v.active_roles === false)
    throw new SsaInvalidError(
      "SSA software_statement_roles has no Active role: the bank will refuse it (unapproved_software_statement); ask the directory",
      { claim: "software_statement_roles" },
    );
}

/**
 * The scopes asked for that the directory did not grant. RFC 6749 §5.1: a token answer's `scope`
 * may be left out only when it is the one requested; when present, a requested scope missing from
 * it was narrowed away (a software whose roles at the directory do not cover it).
 */
export function narrowedScope(requested: readonly string[], granted: string | undefined): string[] {
  if (granted === undefined) return [];
  const got = new Set(granted.split(" ").filter(Boolean));
  return requested.filter((s) => !got.has(s));
}
