/** JWKS fetch with a cache; refetched once when a kid is unknown. */
import * as jose from "jose";
import { UnexpectedResponseError } from "../core/errors.js";
import { Jwks } from "../core/schemas/common.js";
import type { UrlSource } from "../core/validate/url_policy.js";
import { type ObDcrContext, shared } from "./context.js";
import { parseJsonBody, throwForStatus } from "./response.js";
import { send } from "./send.js";
import type { TlsMaterial } from "./transport_types.js";

export async function fetchJwks(
  ctx: ObDcrContext,
  uri: string,
  tls: TlsMaterial,
  force = false,
  /** Where `uri` came from when a bank or directory gave it: checked at connect. */
  source?: UrlSource,
): Promise<Jwks> {
  const hit = ctx.jwks.get(uri);
  if (hit && !force && ctx.now() - hit.fetched_at < ctx.metadata_ttl_seconds) return hit.jwks;
  // Concurrent registrations (e.g. one `pulumi up` of many banks) share one fetch of a URI.
  return shared(ctx.jwks_inflight, uri, () => fetchJwksOnce(ctx, uri, tls, source), { join: !force });
}

async function fetchJwksOnce(
  ctx: ObDcrContext,
  uri: string,
  tls: TlsMaterial,
  source: UrlSource | undefined,
): Promise<Jwks> {
  ctx.stats.jwks_fetches++;
  const res = await send(
    {
      method: "GET",
      url: uri,
      headers: { accept: "application/json, application/jwk-set+json" },
      idempotent: true,
      label: "JWKS fetch",
      source,
    },
    tls,
    ctx.transport,
  );
  if (res.status !== 200) throwForStatus(res, `JWKS fetch ${uri}`);
  const parsed = Jwks.safeParse(parseJsonBody(res, "JWKS fetch"));
  if (!parsed.success)
    throw new UnexpectedResponseError(`JWKS at ${uri} is not a JWK Set`, { cause: parsed.error });
  ctx.jwks.set(uri, { jwks: parsed.data, fetched_at: ctx.now() });
  return parsed.data;
}

/** JWKS containing `kid` (refetch once if the cached set lacks it). */
export async function jwksForKid(
  ctx: ObDcrContext,
  uri: string,
  kid: string | undefined,
  tls: TlsMaterial,
): Promise<Jwks> {
  let jwks = await fetchJwks(ctx, uri, tls);
  if (kid && !jwks.keys.some((k) => k.kid === kid)) jwks = await fetchJwks(ctx, uri, tls, true);
  return jwks;
}

/**
 * Verify a compact JWS against a JWKS (by kid) with the allowed algorithms. A set that lists the
 * kid more than once (a key renewed under its kid, both listed) is tried key by key, as jose
 * leaves to its caller: every key in the set is its publisher's, so the one that verifies counts.
 */
export async function verifyWithJwks(
  jws: string,
  jwks: Jwks,
  algorithms: readonly string[],
  options: Omit<jose.JWTVerifyOptions, "algorithms"> = {},
): Promise<jose.JWTVerifyResult> {
  const set = jose.createLocalJWKSet(jwks as jose.JSONWebKeySet);
  const o = { ...options, algorithms: [...algorithms] };
  try {
    return await jose.jwtVerify(jws, set, o);
  } catch (e) {
    if (!(e instanceof jose.errors.JWKSMultipleMatchingKeys)) throw e;
    for await (const key of e as unknown as AsyncIterable<jose.CryptoKey>) {
      try {
        return await jose.jwtVerify(jws, key, o);
      } catch (inner) {
        if (inner instanceof jose.errors.JWSSignatureVerificationFailed) continue;
        throw inner;
      }
    }
    throw new jose.errors.JWSSignatureVerificationFailed();
  }
}
