/**
 * The directory's keystore (`/keystore/...`): its own SSA signing key, each software's signing keys
 * and revoked keys, and each organisation's transport certificates.
 */
import crypto from "node:crypto";
import * as jose from "jose";
import { type DirectoryContext, findOrgSoftware, softwarePki } from "./directory_context.js";
import { type Reply, type Route, SandboxHttpError } from "./http.js";
import type { Pki } from "./pki.js";

/** The keys a software signs with (its client assertions, its registration requests). */
export function softwareJwks(pki: Pki, softwareId: string): jose.JSONWebKeySet {
  const p = softwarePki(pki, softwareId);
  // Two PS256 keys (signing, signing_next) so a client can rotate keys without changing alg.
  const keys = [p.signing.public_jwk, p.signing_es256.public_jwk, p.signing_next.public_jwk];
  // The revoked key stays in the set: a verifier must refuse it by the revoked JWKS, not by its absence.
  if (p.revoked_signing) keys.push(p.revoked_signing.public_jwk);
  for (const k of p.published?.values() ?? []) keys.push(k);
  return { keys };
}

export function revokedKids(pki: Pki, softwareId: string): Set<string> {
  const r = softwarePki(pki, softwareId).revoked_signing;
  return new Set(r ? [r.kid] : []);
}

/** An organisation's transport certificates as `use: tls` keys with x5c. */
async function orgJwks(ctx: DirectoryContext, orgId: string): Promise<jose.JSONWebKeySet> {
  const org = ctx.orgs.find((o) => o.org_id === orgId);
  if (!org) throw new SandboxHttpError(404, "not_found", "unknown organisation");
  const keys: jose.JWK[] = [];
  for (const sw of org.softwares) {
    const t = softwarePki(ctx.pki, sw.software_id).transport;
    const pub = await jose.exportJWK(crypto.createPublicKey(t.certPem));
    const x5c = Buffer.from(t.der).toString("base64");
    keys.push({ ...pub, kid: await jose.calculateJwkThumbprint(pub), use: "tls", x5c: [x5c] });
  }
  return { keys };
}

/**
 * Publish a public signing key for a software under `kid` (test-only): afterwards the software's
 * JWKS holds it, and the directory's token endpoint accepts client assertions it signs. A private
 * JWK is refused; a kid the software already has is replaced only if it was published this way.
 */
export async function publishSigningKey(pki: Pki, softwareId: string, jwk: jose.JWK): Promise<jose.JWK> {
  const p = softwarePki(pki, softwareId);
  if (typeof jwk !== "object" || jwk === null || typeof jwk.kid !== "string" || jwk.kid === "")
    throw new SandboxHttpError(400, "invalid_request", "the JWK needs a kid");
  if ("d" in jwk || "p" in jwk)
    throw new SandboxHttpError(400, "invalid_request", "give the public JWK only");
  const own = [p.signing, p.signing_es256, p.signing_next, p.revoked_signing].filter(Boolean);
  if (own.some((k) => k!.kid === jwk.kid))
    throw new SandboxHttpError(409, "conflict", `kid ${jwk.kid} is one of the software's own keys`);
  try {
    await jose.importJWK(jwk, jwk.alg ?? (jwk.kty === "EC" ? "ES256" : "PS256"));
  } catch {
    throw new SandboxHttpError(400, "invalid_request", "not a usable public JWK");
  }
  const { kty, n, e, crv, x, y, kid, alg } = jwk;
  const pub = (kty === "RSA" ? { kty, n, e } : { kty, crv, x, y }) as jose.JWK;
  const published = { ...pub, kid, use: "sig", ...(alg ? { alg } : {}) } as jose.JWK;
  p.published ??= new Map();
  p.published.set(kid, published);
  return published;
}

const jwksReply = (jwks: jose.JSONWebKeySet): Reply => ({ status: 200, json: jwks });

/** The software of a keystore URL, which must be under its own organisation. */
function requireOrgSoftware(ctx: DirectoryContext, p: Record<string, string>): string {
  if (!findOrgSoftware(ctx.orgs, p.org_id, p.name!))
    throw new SandboxHttpError(404, "not_found", "unknown software");
  return p.name!;
}

/** The keystore routes; `{name}` is a software id, or the org id for the organisation's own set. */
export function keystoreRoutes(ctx: DirectoryContext): Route[] {
  return [
    {
      method: "GET",
      pattern: "/keystore/openbanking.jwks",
      handler: () => jwksReply({ keys: [ctx.pki.directorySigning.public_jwk] }),
    },
    {
      method: "GET",
      pattern: "/keystore/{org_id}/revoked/{name}.jwks",
      handler: (_r, p) => {
        if (p.name === p.org_id) return jwksReply({ keys: [] });
        const r = softwarePki(ctx.pki, requireOrgSoftware(ctx, p)).revoked_signing;
        return jwksReply({ keys: r ? [r.public_jwk] : [] });
      },
    },
    {
      method: "GET",
      pattern: "/keystore/{org_id}/{name}.jwks",
      handler: async (_r, p) => {
        if (p.name === p.org_id) return jwksReply(await orgJwks(ctx, p.org_id!));
        return jwksReply(softwareJwks(ctx.pki, requireOrgSoftware(ctx, p)));
      },
    },
  ];
}
