import type * as jose from "jose";
import { z } from "zod";
import { checkClientKeys } from "./client_keys.js";
import { normalizeDn, subjectAttributes, subjectDn } from "./dn.js";
import { badRequest, type Req, SandboxHttpError, unauthorized } from "./http.js";
import {
  checkAudience,
  checkTimes,
  decodeUnverified,
  isUuid,
  type JtiCache,
  JwtCheckError,
  verifyWithJwks,
} from "./jwt.js";
import type { BankConfig } from "./options.js";
import type { BankQuirks } from "./quirks.js";
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

/** The SSA claims a bank relies on (other claims pass through). */
export const SsaClaims = z.looseObject({
  iss: z.string(),
  iat: z.number(),
  exp: z.number().optional(),
  software_id: z.string().regex(/^[0-9a-zA-Z]{1,22}$/),
  org_id: z.string(),
  org_status: z.string(),
  software_redirect_uris: z.array(z.string()),
  software_roles: z.array(z.string()),
  software_jwks_endpoint: z.url({ protocol: /^https$/ }),
  software_jwks_revoked_endpoint: z.url({ protocol: /^https$/ }).optional(),
  software_client_name: z.string().optional(),
});
export type SsaClaims = z.infer<typeof SsaClaims>;

export interface CheckContext {
  realm: string;
  bank: BankConfig;
  quirks: BankQuirks;
  issuer: string;
  now: number;
  directoryJwksUrl: string;
  fetchJwks(url: string): Promise<jose.JSONWebKeySet>;
  jtis: JtiCache;
}

export interface ValidatedRegistration {
  metadata: Record<string, unknown>;
  /** Absent only for an open RFC 7591 registration (JSON mode, `ssa_required: false`, no SSA sent). */
  ssa?: SsaClaims;
  /** `client_id` claim of the request (required on PUT). */
  clientId?: string;
}

const metadataError = (description: string) => badRequest("invalid_client_metadata", description);

async function fetchJwksOr(ctx: CheckContext, url: string, error: string): Promise<jose.JSONWebKeySet> {
  try {
    return await ctx.fetchJwks(url);
  } catch (err) {
    throw badRequest(error, `cannot fetch JWKS ${url}: ${(err as Error).message}`);
  }
}

/** Verifies the SSA: directory signature, issuer, age, relied-on claims, org status. */
export async function verifySsa(ctx: CheckContext, ssa: unknown): Promise<SsaClaims> {
  if (typeof ssa !== "string" || ssa.length === 0)
    throw badRequest("invalid_software_statement", "software_statement missing");
  const jwks = await fetchJwksOr(ctx, ctx.directoryJwksUrl, "invalid_software_statement");
  let payload: jose.JWTPayload;
  try {
    ({ payload } = await verifyWithJwks(ssa, { algorithms: SIGNING_ALGS, jwks }));
  } catch (err) {
    if (err instanceof JwtCheckError) throw badRequest("invalid_software_statement", `SSA: ${err.reason}`);
    throw err;
  }
  const parsed = SsaClaims.safeParse(payload);
  if (!parsed.success)
    throw badRequest(
      "invalid_software_statement",
      `SSA claims: ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}`,
    );
  const c = parsed.data;
  const tol = ctx.quirks.clock_tolerance_seconds;
  if (c.iss !== "OpenBanking Ltd")
    throw badRequest("unapproved_software_statement", "SSA issuer is not accepted");
  if (c.iat > ctx.now + tol) throw badRequest("invalid_software_statement", "SSA iat is in the future");
  if (ctx.now - c.iat > ctx.quirks.ssa_max_age_seconds)
    throw badRequest("invalid_software_statement", "SSA is too old");
  if (c.exp !== undefined && c.exp <= ctx.now - tol)
    throw badRequest("invalid_software_statement", "SSA has expired");
  if (c.org_status !== "Active")
    throw badRequest("unapproved_software_statement", `organisation status is ${c.org_status}`);
  return c;
}

function expectedAud(ctx: CheckContext): string {
  const q = ctx.quirks.aud;
  if (q === "org_id") return ctx.bank.org_id;
  if (q === "issuer") return ctx.issuer;
  return q.literal;
}

/** Parses, authenticates and validates a POST/PUT /register body; returns the metadata to register. */
export async function validateRegistrationRequest(
  ctx: CheckContext,
  req: Req,
): Promise<ValidatedRegistration> {
  if (!req.peerCertDer)
    throw unauthorized(ctx.realm, "invalid_client", "a client certificate is required (mTLS)");
  if (!req.peerAuthorized)
    throw unauthorized(ctx.realm, "invalid_client", "the client certificate is not issued by a trusted CA");
  const jsonMode = ctx.bank.request_format === "json";
  const expectedType = jsonMode ? "application/json" : ctx.quirks.content_type;
  if (req.contentType !== expectedType)
    throw new SandboxHttpError(415, "invalid_request", `Content-Type must be ${expectedType}`);

  let claims: Record<string, unknown>;
  let ssa: SsaClaims | undefined;
  if (jsonMode) {
    try {
      claims = JSON.parse(req.body.toString("utf8"));
    } catch {
      throw metadataError("body is not JSON");
    }
    if (typeof claims !== "object" || claims === null || Array.isArray(claims))
      throw metadataError("body is not a JSON object");
    // An open RFC 7591 registration has no SSA to check and no software to bind the certificate to.
    if (claims.software_statement !== undefined || ctx.quirks.ssa_required) {
      ssa = await verifySsa(ctx, claims.software_statement);
      bindTransportCert(ctx, req, ssa);
    }
  } else {
    const token = req.body.toString("utf8").trim();
    let unverified: jose.JWTPayload;
    try {
      ({ payload: unverified } = decodeUnverified(token));
    } catch (err) {
      throw metadataError(`request: ${(err as JwtCheckError).reason}`);
    }
    ssa = await verifySsa(ctx, unverified.software_statement);
    bindTransportCert(ctx, req, ssa);
    const jwks = await fetchJwksOr(ctx, ssa.software_jwks_endpoint, "invalid_software_statement");
    const revoked = ssa.software_jwks_revoked_endpoint
      ? await fetchJwksOr(ctx, ssa.software_jwks_revoked_endpoint, "invalid_software_statement")
      : { keys: [] };
    const revokedKids = new Set(
      revoked.keys.map((k) => k.kid).filter((k): k is string => typeof k === "string"),
    );
    try {
      const { payload } = await verifyWithJwks(token, { algorithms: SIGNING_ALGS, jwks, revokedKids });
      const issQ = ctx.quirks.iss;
      const wantIss =
        issQ === "software_id" ? ssa.software_id : issQ === "org_id" ? ssa.org_id : issQ.literal;
      if (payload.iss !== wantIss)
        throw new JwtCheckError(
          issQ !== "software_id"
            ? `iss must be ${typeof issQ === "string" ? `the SSA ${issQ}` : `"${issQ.literal}"`} at this bank`
            : typeof payload.iss === "string" && /^[0-9a-zA-Z]{1,22}$/.test(payload.iss)
              ? "iss must equal the SSA software_id"
              : "iss must be the software_id (1-22 Base62 characters)",
        );
      checkAudience(payload, [expectedAud(ctx)]);
      checkTimes(payload, {
        now: ctx.now,
        tolerance: ctx.quirks.clock_tolerance_seconds,
        maxLifetime: ctx.quirks.max_jwt_lifetime_seconds,
      });
      if (!isUuid(payload.jti)) throw new JwtCheckError("jti must be a UUID");
      if (
        (ctx.quirks.lowercase_jti || ctx.quirks.jti_case === "lower") &&
        payload.jti !== payload.jti.toLowerCase()
      )
        throw new JwtCheckError("jti must be lower-case");
      if (ctx.quirks.jti_case === "upper" && payload.jti !== payload.jti.toUpperCase())
        throw new JwtCheckError("jti must be upper-case");
      if (
        !ctx.jtis.remember(
          payload.jti.toLowerCase(),
          (payload.exp as number) + ctx.quirks.clock_tolerance_seconds,
          ctx.now,
        )
      )
        throw new JwtCheckError("jti has been used before (replay)");
      claims = payload as Record<string, unknown>;
    } catch (err) {
      if (err instanceof JwtCheckError) throw metadataError(`request JWT: ${err.reason}`);
      throw err;
    }
  }

  const metadata = validateMetadata(ctx, req, claims, ssa);
  const clientId = claims.client_id;
  if (clientId !== undefined && typeof clientId !== "string")
    throw metadataError("client_id must be a string");
  return { metadata, ssa, clientId };
}

function bindTransportCert(ctx: CheckContext, req: Req, ssa: SsaClaims): void {
  if (!ctx.quirks.transport_cert_binding) return;
  const attrs = subjectAttributes(req.peerCertDer!);
  if (attrs.CN !== ssa.software_id || attrs.OU !== ssa.org_id)
    throw unauthorized(
      ctx.realm,
      "invalid_client",
      "the client certificate does not belong to the SSA's software",
    );
}

function stringArray(value: unknown, claim: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === "string"))
    throw metadataError(`${claim} must be a non-empty array of strings`);
  return value as string[];
}

function validateMetadata(
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

  // redirect_uris: https, <=256, no fragment, a subset of the SSA's; omitted => the SSA's list
  // (an open registration without an SSA may omit them: a client_credentials-only client).
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

  if (md.scope !== undefined || strict) {
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
  checkClientKeys(ctx.quirks, md, ssa?.software_jwks_endpoint);
  for (const forbidden of [
    "registration_access_token",
    "registration_client_uri",
    "client_secret",
    "client_id_issued_at",
    "client_secret_expires_at",
  ])
    if (md[forbidden] !== undefined) throw metadataError(`${forbidden} must not be sent`);
  return md;
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
