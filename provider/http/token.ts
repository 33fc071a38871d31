/**
 * Directory (register) tokens: the client_credentials form (private_key_jwt or tls_client_auth,
 * per the regime's directory profile), the request/process pair, and the per-process cache.
 */

import { randomUUID } from "node:crypto";
import { RegistrationRejectedError } from "../core/errors.js";
import type { SigningKey } from "../core/keys.js";
import { directoryTokenField } from "../core/parse/rejection.js";
import { parseTokenResponse } from "../core/parse/token_response.js";
import type { TokenResponse } from "../core/schemas/responses.js";
import { signClientAssertion } from "../core/sign/client_assertion.js";
import type { UrlSource } from "../core/validate/url_policy.js";
import type { ObDcrContext } from "./context.js";
import { parseJsonBody, throwForStatus } from "./response.js";
import { send } from "./send.js";
import type { HttpResponse, TlsMaterial } from "./transport_types.js";

export const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export function tokenCacheKey(endpoint: string, client_id: string, scope: readonly string[] | null): string {
  return JSON.stringify([endpoint, client_id, scope === null ? null : [...scope].sort()]);
}

/**
 * POST a client_credentials token request with form fields and optional headers. `renew` gives
 * the form of each retry: one with a fresh client assertion (an assertion is used once).
 */
export function tokenRequest(
  ctx: ObDcrContext,
  endpoint: string,
  form: Record<string, string>,
  tls: TlsMaterial,
  headers: Record<string, string> = {},
  label = "token request",
  renew?: () => Promise<Record<string, string>>,
  /** Where the endpoint came from when a bank gave it (its discovery document): checked at connect. */
  source?: UrlSource,
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
      renew: renew && (async () => new URLSearchParams(await renew()).toString()),
      source,
    },
    tls,
    ctx.transport,
  );
}

export function processTokenResponse(res: HttpResponse, label = "token request"): TokenResponse {
  if (res.status !== 200) throwForStatus(res, label);
  return parseTokenResponse(parseJsonBody(res, label), label, res.status);
}

/** Store a token in the context cache honouring expires_in minus the safety margin. */
export function cacheToken(ctx: ObDcrContext, key: string, t: TokenResponse): void {
  const ttl = t.expires_in ?? 300;
  const margin = Math.min(ctx.token_margin_seconds, ttl / 2);
  ctx.tokens.set(key, { access_token: t.access_token, use_until: ctx.now() + ttl - margin, scope: t.scope });
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

/** The scope the directory granted with the token `getDirectoryToken` returned (its answer's `scope`). */
export function grantedDirectoryScope(ctx: ObDcrContext, i: DirectoryTokenInput): string | undefined {
  return ctx.tokens.get(tokenCacheKey(i.token_endpoint, i.client_id, i.scope))?.scope;
}

/** A directory access token (client_credentials), from the cache when still valid. */
export async function getDirectoryToken(ctx: ObDcrContext, i: DirectoryTokenInput): Promise<string> {
  const key = tokenCacheKey(i.token_endpoint, i.client_id, i.scope);
  const hit = cachedToken(ctx, key);
  if (hit) return hit;
  const form = await directoryTokenForm(i, ctx.now());
  ctx.stats.token_requests++;
  const res = await tokenRequest(ctx, i.token_endpoint, form, i.tls, {}, "directory token request", () =>
    directoryTokenForm(i, ctx.now()),
  );
  let t: TokenResponse;
  try {
    t = processTokenResponse(res, "directory token request");
  } catch (e) {
    if (!(e instanceof RegistrationRejectedError)) throw e;
    // The directory's own words may not say which input is wrong: name what it checks.
    const field = directoryTokenField(e.error_description, i.client_id_field ?? "software.software_id");
    // The input the directory named first, then (invalid_client) everything it checks.
    const fix = field ? ` (fix ${field})` : "";
    const checks =
      e.error !== "invalid_client"
        ? []
        : i.auth === "tls_client_auth"
          ? ["directory.client_id", "transport.cert"]
          : ["signing_key", "software.software_id", "transport.cert"];
    const checklist =
      e.error !== "invalid_client"
        ? ""
        : i.auth === "tls_client_auth"
          ? "; check directory.client_id (the SSA's software_client_id) and transport.cert (the certificate registered for this software at the directory)"
          : "; check signing_key (kid in the software's JWKS and not revoked, private key of that kid), software.software_id and transport.cert (issued for this software by a CA the directory trusts)";
    const hint = `${fix}${checklist}`;
    throw new RegistrationRejectedError(
      e.status,
      e.error,
      `${e.error_description ?? "client authentication failed"}${hint}`,
      "directory token request",
      { cause: e, field, checks, remedy: field ? { kind: "fix-input", field } : undefined },
    );
  }
  cacheToken(ctx, key, t);
  return t.access_token;
}
