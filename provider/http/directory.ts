/**
 * OB Directory client: private_key_jwt client_credentials token (cached), SSA download (reused up to
 * a maximum age, one download shared by concurrent registrations), SSA verification against the
 * directory JWKS and claim checks.
 */
import { randomUUID } from "node:crypto";
import * as jose from "jose";
import { adviceForCdsErrors, parseCdsErrors } from "../core/directory/cds_errors.js";
import { DIRECTORY_PROFILES } from "../core/directory/profiles.js";
import { type SsaView, ssaView, validateSsaView } from "../core/directory/ssa_view.js";
import {
  DirectoryRejectedError,
  RegistrationRejectedError,
  SsaInvalidError,
  UnexpectedResponseError,
} from "../core/errors.js";
import type { SigningKey } from "../core/keys.js";
import { directoryTokenField } from "../core/parse/rejection.js";
import type { DirectoryKind } from "../core/profiles/types.js";
import type { Jwks } from "../core/schemas/common.js";
import { TokenResponse } from "../core/schemas/responses.js";
import { signClientAssertion } from "../core/sign/client_assertion.js";
import type { ObDcrContext } from "./context.js";
import { jwksForKid } from "./jwks.js";
import { contentType, parseJsonBody, throwForStatus } from "./response.js";
import { send } from "./send.js";
import type { HttpResponse, TlsMaterial } from "./transport_types.js";

export const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export function tokenCacheKey(endpoint: string, client_id: string, scope: readonly string[] | null): string {
  return JSON.stringify([endpoint, client_id, scope === null ? null : [...scope].sort()]);
}

/** POST a client_credentials token request with form fields and optional headers. */
export function tokenRequest(
  ctx: ObDcrContext,
  endpoint: string,
  form: Record<string, string>,
  tls: TlsMaterial,
  headers: Record<string, string> = {},
  label = "token request",
): Promise<HttpResponse> {
  return send(
    {
      method: "POST",
      url: endpoint,
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
        ...headers,
      },
      body: new URLSearchParams(form).toString(),
      // A client_credentials grant has no side effect worth reconciling: safe to retry.
      idempotent: true,
      label,
    },
    tls,
    ctx.transport,
  );
}

export function processTokenResponse(res: HttpResponse, label = "token request"): TokenResponse {
  if (res.status !== 200) throwForStatus(res, label);
  const t = TokenResponse.safeParse(parseJsonBody(res, label));
  if (!t.success)
    throw new UnexpectedResponseError(`${label}: token response lacks access_token or a Bearer token_type`, {
      cause: t.error,
      status: res.status,
    });
  return t.data;
}

/** Store a token in the context cache honouring expires_in minus the safety margin. */
export function cacheToken(ctx: ObDcrContext, key: string, t: TokenResponse): void {
  const ttl = t.expires_in ?? 300;
  const margin = Math.min(ctx.token_margin_seconds, ttl / 2);
  ctx.tokens.set(key, { access_token: t.access_token, use_until: ctx.now() + ttl - margin });
}

export function cachedToken(ctx: ObDcrContext, key: string): string | undefined {
  const hit = ctx.tokens.get(key);
  if (hit && hit.use_until > ctx.now()) return hit.access_token;
  if (hit) ctx.tokens.delete(key);
  return undefined;
}

export interface DirectoryTokenInput {
  token_endpoint: string;
  /** The software_id (UK), software product id (AU), software_client_id (BR). */
  client_id: string;
  scope: readonly string[];
  key: SigningKey;
  tls: TlsMaterial;
  /** Client authentication at the directory (default private_key_jwt; OFB: tls_client_auth). */
  auth?: "private_key_jwt" | "tls_client_auth" | undefined;
  /** The input the client_id comes from, named in errors (default `software.software_id`). */
  client_id_field?: string | undefined;
}

/**
 * The directory token request form: `client_credentials` with a `private_key_jwt` assertion
 * (iss = sub = client_id, aud = the token endpoint), or `tls_client_auth` (the mTLS certificate
 * authenticates; only client_id is sent). The one builder for the resource, the CLI and doctor.
 */
export async function directoryTokenForm(
  i: Pick<DirectoryTokenInput, "token_endpoint" | "client_id" | "scope" | "key" | "auth">,
  now: number,
): Promise<Record<string, string>> {
  const form: Record<string, string> = { grant_type: "client_credentials", client_id: i.client_id };
  if ((i.auth ?? "private_key_jwt") === "private_key_jwt") {
    form.client_assertion_type = JWT_BEARER_ASSERTION;
    form.client_assertion = await signClientAssertion(i.key, {
      client_id: i.client_id,
      audience: i.token_endpoint,
      now,
      jti: randomUUID(),
    });
  }
  form.scope = i.scope.join(" ");
  return form;
}

/** A directory access token (client_credentials), from the cache when still valid. */
export async function getDirectoryToken(ctx: ObDcrContext, i: DirectoryTokenInput): Promise<string> {
  const key = tokenCacheKey(i.token_endpoint, i.client_id, i.scope);
  const hit = cachedToken(ctx, key);
  if (hit) return hit;
  const form = await directoryTokenForm(i, ctx.now());
  ctx.stats.token_requests++;
  const res = await tokenRequest(ctx, i.token_endpoint, form, i.tls, {}, "directory token request");
  let t: TokenResponse;
  try {
    t = processTokenResponse(res, "directory token request");
  } catch (e) {
    if (!(e instanceof RegistrationRejectedError)) throw e;
    // The directory's own words may not say which input is wrong: name what it checks.
    const field = directoryTokenField(e.error_description, i.client_id_field ?? "software.software_id");
    const hint =
      e.error !== "invalid_client" || field !== undefined
        ? field
          ? ` (fix ${field})`
          : ""
        : i.auth === "tls_client_auth"
          ? " ; check directory.client_id (the SSA's software_client_id) and transport.cert (the certificate registered for this software at the directory)"
          : " ; check signing_key (kid in the software's JWKS and not revoked, private key of that kid), software.software_id and transport.cert (issued for this software by a CA the directory trusts)";
    throw new RegistrationRejectedError(
      e.status,
      e.error,
      `${e.error_description ?? "client authentication failed"}${hint}`,
      "directory token request",
      { cause: e, field, remedy: field ? { kind: "fix-input", field } : undefined },
    );
  }
  cacheToken(ctx, key, t);
  return t.access_token;
}

export function ssaUrl(template: string, org_id: string, software_id: string): string {
  return template
    .replaceAll("{org_id}", encodeURIComponent(org_id))
    .replaceAll("{software_id}", encodeURIComponent(software_id));
}

export function ssaRequest(
  ctx: ObDcrContext,
  url: string,
  token: string,
  tls: TlsMaterial,
  /** The regime's headers (`accept`, AU `x-v` / `x-min-v`). */
  headers: Record<string, string> = { accept: DIRECTORY_PROFILES["ob-directory"].ssa_accept },
): Promise<HttpResponse> {
  return send(
    {
      method: "GET",
      url,
      headers: { ...headers, authorization: `Bearer ${token}` },
      idempotent: true,
      label: "SSA download",
    },
    tls,
    ctx.transport,
  );
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** A CDS error list (`{"errors":[…]}`) as a typed error naming what to fix; else the usual mapping. */
export function throwForSsaStatus(res: HttpResponse, format: "oauth" | "cds" = "oauth"): never {
  if (format === "cds" && res.status >= 400 && res.status < 500) {
    let body: unknown;
    try {
      body = JSON.parse(res.body.toString("utf8"));
    } catch {
      body = undefined;
    }
    const list = parseCdsErrors(body);
    if (list) {
      const advice = adviceForCdsErrors(res.status, list);
      const first = list.errors.find((e) => e.code === advice.code) ?? list.errors[0];
      throw new DirectoryRejectedError(res.status, advice.code, first?.detail, "SSA download", advice);
    }
  }
  if (res.status === 403 || res.status === 404) {
    try {
      throwForStatus(res, "SSA download");
    } catch (e) {
      // The SSA path is the software's ids: the directory has no statement there for our token.
      if (e instanceof RegistrationRejectedError)
        throw new RegistrationRejectedError(
          e.status,
          e.error,
          `${e.error_description ?? ""} (fix software: org_id and software_id fill the SSA path, and must be this certificate's organisation and software)`,
          "SSA download",
          { cause: e, field: "software", remedy: { kind: "fix-input", field: "software" } },
        );
      throw e;
    }
  }
  throwForStatus(res, "SSA download");
}

/** The SSA (compact JWS) from the SSA API response (raw body, or a JSON string / `{ssa}` wrapper). */
export function processSsaResponse(res: HttpResponse, format: "oauth" | "cds" = "oauth"): string {
  if (res.status !== 200) throwForSsaStatus(res, format);
  let text = res.body.toString("utf8").trim();
  if (text.startsWith('"') || text.startsWith("{")) {
    const j = parseJsonBody(res, "SSA download");
    if (typeof j === "string") text = j;
    else if (j && typeof j === "object" && typeof (j as { ssa?: unknown }).ssa === "string")
      text = (j as { ssa: string }).ssa;
  }
  if (!COMPACT_JWS.test(text))
    throw new UnexpectedResponseError(
      `SSA download: body is not a compact JWS (content-type ${contentType(res) || "none"})`,
      {
        status: res.status,
        content_type: contentType(res),
      },
    );
  return text;
}

export interface SsaSource {
  token_endpoint: string;
  ssa_endpoint: string;
  org_id: string;
  software_id: string;
  scope: readonly string[];
  max_age_seconds: number;
  key: SigningKey;
  tls: TlsMaterial;
  /** The SSA URL already filled (regime template variables); default: `ssa_endpoint` with the UK ones. */
  url?: string | undefined;
  /** Headers of the SSA request (regime). */
  headers?: Record<string, string> | undefined;
  error_format?: "oauth" | "cds" | undefined;
  /** The directory token's client_id (default: software_id). */
  client_id?: string | undefined;
  auth?: "private_key_jwt" | "tls_client_auth" | undefined;
  client_id_field?: string | undefined;
}

/** The SSA for a software: reused while younger than max_age_seconds; concurrent callers share one download. */
export async function getSsa(ctx: ObDcrContext, s: SsaSource): Promise<string> {
  const url = s.url ?? ssaUrl(s.ssa_endpoint, s.org_id, s.software_id);
  const hit = ctx.ssas.get(url);
  if (hit && ctx.now() - hit.fetched_at < s.max_age_seconds) return hit.ssa;
  const inflight = ctx.ssa_inflight.get(url);
  if (inflight) return inflight;
  const p = (async () => {
    const token = await getDirectoryToken(ctx, {
      token_endpoint: s.token_endpoint,
      client_id: s.client_id ?? s.software_id,
      scope: s.scope,
      key: s.key,
      tls: s.tls,
      auth: s.auth,
      client_id_field: s.client_id_field,
    });
    ctx.stats.ssa_downloads++;
    const ssa = processSsaResponse(await ssaRequest(ctx, url, token, s.tls, s.headers), s.error_format);
    ctx.ssas.set(url, { ssa, fetched_at: ctx.now() });
    return ssa;
  })();
  ctx.ssa_inflight.set(url, p);
  try {
    return await p;
  } finally {
    ctx.ssa_inflight.delete(url);
  }
}

export interface SsaVerification {
  /** The accepted `iss` (one, or the regime's list). */
  issuer: string | readonly string[];
  software_id: string;
  org_id?: string | undefined;
  /** Directory JWKS URI (fetched, cached, refetched once on unknown kid) or an inline JWKS. */
  jwks_uri?: string | undefined;
  jwks?: Jwks | undefined;
  tls: TlsMaterial;
  algorithms?: readonly string[];
  /** Which directory's claims (default the OB Directory's). */
  kind?: DirectoryKind | undefined;
  /** An SSA older than this (by iat) is stale, seconds (OFB). */
  fresh_seconds?: number | undefined;
}

/**
 * Verify an SSA's signature (when a directory JWKS is known) and its claims, into the regime's
 * common view. Without a JWKS the SSA is only decoded and its claims checked (offline use).
 */
export async function verifySsa(ctx: ObDcrContext, ssa: string, v: SsaVerification): Promise<SsaView> {
  let header: jose.ProtectedHeaderParameters;
  let payload: unknown;
  try {
    header = jose.decodeProtectedHeader(ssa);
    payload = jose.decodeJwt(ssa);
  } catch (cause) {
    throw new SsaInvalidError("SSA is not a compact JWS/JWT", { cause });
  }
  const kind = v.kind ?? "ob-directory";
  const algorithms = [...(v.algorithms ?? DIRECTORY_PROFILES[kind].ssa_algs)];
  if (!header.alg || !algorithms.includes(header.alg))
    throw new SsaInvalidError(`SSA alg ${header.alg ?? "(none)"} is not one of ${algorithms.join(", ")}`, {
      claim: "alg",
    });
  if (v.jwks || v.jwks_uri) {
    const jwks = v.jwks ?? (await jwksForKid(ctx, v.jwks_uri as string, header.kid, v.tls));
    try {
      const r = await jose.jwtVerify(ssa, jose.createLocalJWKSet(jwks as jose.JSONWebKeySet), {
        algorithms,
        currentDate: new Date(ctx.now() * 1000),
        clockTolerance: 60,
      });
      payload = r.payload;
    } catch (cause) {
      const code = (cause as { code?: string }).code;
      if (code === "ERR_JWT_EXPIRED")
        throw new SsaInvalidError("SSA has expired; fetch a fresh one", { cause, claim: "exp" });
      throw new SsaInvalidError(
        `SSA signature does not verify against the directory JWKS (${code ?? "error"}; kid ${header.kid ?? "none"})`,
        { cause },
      );
    }
  }
  const view = ssaView(kind, payload);
  validateSsaView(view, {
    issuers: typeof v.issuer === "string" ? [v.issuer] : v.issuer,
    software_id: v.software_id,
    org_id: v.org_id,
    now: ctx.now(),
    fresh_seconds: v.fresh_seconds,
  });
  return view;
}
