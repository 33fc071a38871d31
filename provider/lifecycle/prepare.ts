/**
 * What every registration call starts with: parameters parsed, the bank profile resolved, the
 * signing key imported, discovery fetched; and, for create/update, the SSA and the request body.
 */

import { randomUUID } from "node:crypto";
import { validateProfileAgainstDiscovery } from "../core/bank_profiles/discovery.js";
import { type ResolvedBankProfile, resolveBankProfile } from "../core/bank_profiles/resolve.js";
import { clientKeys } from "../core/build/client_keys.js";
import { buildRegistrationClaims } from "../core/build/registration_request.js";
import { resolveDirectory, ssaFromUrl } from "../core/directory/resolve.js";
import type { SsaView } from "../core/directory/ssa_view.js";
import { subjectDnFromCertificate } from "../core/dn.js";
import { InvalidInputError, TransportError } from "../core/errors.js";
import type { SigningKey } from "../core/keys.js";
import { jwkThumbprint, type SigningKeyIdentity, signingKeyIdentity } from "../core/material.js";
import { type RegistrationPlan, requestAud, requestIss } from "../core/policy/plan.js";
import { clientResponseTypes, clientScope, getProfile, type Profile } from "../core/profiles/index.js";
import type { Jwks } from "../core/schemas/common.js";
import type { ClientParams } from "../core/schemas/params.js";
import {
  parseRegistrationParams,
  type RegistrationParams,
  type RegistrationParamsInput,
} from "../core/schemas/params.js";
import type { DiscoveryDocument } from "../core/schemas/responses.js";
import { signRegistrationRequest } from "../core/sign/registration_jwt.js";
import { rememberSecret } from "../core/untrusted.js";
import {
  validateAuthMaterial,
  validateSigningKid,
  validateSsaRedirectUris,
} from "../core/validate/client.js";
import { validateClientForProfile } from "../core/validate/client_profile.js";
import { fitToSsa, validateAgainstSsa } from "../core/validate/ssa_fit.js";
import { validateTransportMaterial, validateTrustedCa } from "../core/validate/transport_material.js";
import {
  checkDiscoveryDocument,
  checkUrl,
  sourceOf,
  type UrlPolicy,
  type UrlSource,
} from "../core/validate/url_policy.js";
import { type ObDcrContext, policyOf } from "../http/context.js";
import type { JwksSource } from "../http/dcr.js";
import { getSsa, type SsaVerification, verifySsa } from "../http/directory.js";
import { discover } from "../http/discovery.js";
import { fetchJwks } from "../http/jwks.js";
import { assertKeyPublished, describePublication } from "../http/own_side.js";
import { type TlsMaterial, tlsMaterialOf } from "../http/transport_types.js";
import { signerFor } from "../signers/index.js";

export interface Prepared extends RegistrationPlan {
  params: RegistrationParams;
  profile: Profile;
  bank_profile: ResolvedBankProfile;
  /** `params.client` with the bank profile's grant types. */
  client: ClientParams;
  key: SigningKey;
  /** The signing key's kid, alg and public-key thumbprint. */
  identity: SigningKeyIdentity;
  tls: TlsMaterial;
  discovery: DiscoveryDocument | undefined;
  registration_endpoint: string;
  token_endpoint: string | undefined;
  bank_jwks: JwksSource;
  gone_statuses: readonly number[];
  /** The SSA download started by prepare (create/update), running while the bank side is fetched. */
  ssa_pending?: Promise<string> | undefined;
  /** The verified SSA, in the regime-independent view, once obtained. */
  ssa_claims?: SsaView | undefined;
  /** What bank-supplied URLs may be (http on loopback or not). */
  url_policy: UrlPolicy;
  /** Where the bank's endpoints came from when its discovery document gave them (checked at connect). */
  sources: EndpointSources;
}

export interface EndpointSources {
  registration_endpoint?: UrlSource | undefined;
  token_endpoint?: UrlSource | undefined;
  jwks_uri?: UrlSource | undefined;
}

/**
 * The source of an endpoint the configuration did not give: the discovery document's field (the
 * mTLS alias when it was the one taken), held to the rules of the discovery URL's party.
 */
function discoveredSource(
  url: string | undefined,
  configured: string | undefined,
  field: "registration_endpoint" | "token_endpoint" | "jwks_uri",
  discovery: DiscoveryDocument | undefined,
  discovery_url: string | undefined,
  /** Where the discovery URL came from when a directory gave it (`ctx.given`). */
  given: UrlSource | undefined,
): UrlSource | undefined {
  if (url === undefined || configured !== undefined || !discovery || !discovery_url) return undefined;
  const aliases = discovery.mtls_endpoint_aliases as Record<string, string | undefined> | undefined;
  const name = aliases?.[field] === url ? `mtls_endpoint_aliases.${field}` : field;
  return sourceOf(url, `discovery.${name}`, discovery_url, given);
}

export { parseRegistrationParams };

/**
 * Create and update need the SSA: start its download (token → SSA, and the directory JWKS that
 * verifies it) now, so that it runs while the bank side (discovery, bank JWKS) is fetched.
 */
export function startSsa(params: RegistrationParams, key: SigningKey, tls: TlsMaterial, ctx: ObDcrContext) {
  const d = params.directory;
  const software = params.software;
  if (!d || !software || d.software_statement) return undefined;
  // Warm only: verifySsa joins this fetch (or fetches again if it failed).
  if (d.jwks_uri && !d.jwks) fetchJwks(ctx, d.jwks_uri, tls).catch(() => undefined);
  const pending = downloadSsa(params, key, tls, ctx);
  pending.catch(() => undefined); // awaited by obtainSsa; not unhandled if prepare fails first
  return pending;
}

/** The SSA from the directory (token + download, both cached per process), per the regime. */
export function downloadSsa(
  params: RegistrationParams,
  key: SigningKey,
  tls: TlsMaterial,
  ctx: ObDcrContext,
): Promise<string> {
  const d = params.directory as NonNullable<RegistrationParams["directory"]>;
  const software = params.software as NonNullable<RegistrationParams["software"]>;
  const r = resolveDirectory(params)!;
  return getSsa(ctx, {
    token_endpoint: d.token_endpoint as string,
    ssa_endpoint: d.ssa_endpoint as string,
    url: r.ssa_url,
    headers: r.ssa_headers,
    error_format: r.profile.error_format,
    client_id: r.client_id,
    client_id_field: d.client_id !== undefined ? "directory.client_id" : "software.software_id",
    auth: r.token_auth,
    org_id: software.org_id,
    software_id: software.software_id,
    scope: r.scope,
    max_age_seconds: r.reuse_seconds,
    key,
    tls,
    // Kept for reuse only once verified: a bad SSA is downloaded again, never served twice.
    verify: (ssa) => verifySsa(ctx, ssa, ssaVerificationOf(params, tls)),
  });
}

/** How the software's SSA is verified: the regime's issuers and claims, the directory's JWKS. */
function ssaVerificationOf(params: RegistrationParams, tls: TlsMaterial): SsaVerification {
  const d = params.directory as NonNullable<RegistrationParams["directory"]>;
  const software = params.software as NonNullable<RegistrationParams["software"]>;
  const r = resolveDirectory(params)!;
  return {
    issuer: r.issuers,
    software_id: software.software_id,
    org_id: software.org_id,
    jwks_uri: d.jwks_uri,
    jwks: d.jwks,
    tls,
    kind: r.profile.kind,
    fresh_seconds: r.fresh_seconds,
  };
}

/**
 * Refuse a signing key the directory does not publish before the directory token request (signed
 * with that key) and before any registration request, when configuration says where the directory
 * publishes the software's keys (`directory.software_jwks_endpoint`). Without it the place is only
 * learnt from the SSA, whose download needs the token: the directory's refusal is the first word.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT` (field `signing_key`): not published under its kid.
 */
export async function checkPublishedFirst(
  params: RegistrationParams,
  identity: SigningKeyIdentity,
  tls: TlsMaterial,
  ctx: ObDcrContext,
): Promise<void> {
  const uri = params.directory?.software_jwks_endpoint;
  if (uri) await assertKeyPublished(ctx, uri, tls, identity);
}

export async function prepare(
  input: RegistrationParamsInput,
  ctx: ObDcrContext,
  opts: { fetch_ssa?: boolean } = {},
): Promise<Prepared> {
  const params = parseRegistrationParams(input);
  const profile = getProfile(params.profile);
  const bank_profile = resolveBankProfile(params);
  // The client as sent: the bank profile's grant types, the profile's scope and response types.
  const client: ClientParams = {
    ...params.client,
    grant_types: bank_profile.grant_types,
    scope: clientScope(profile, params.client),
    response_types: clientResponseTypes(profile, params.client),
  };
  validateClientForProfile(profile, client, params.signing_key, params.software?.software_id);
  // The signer (in-process key, PKCS#11 token or KMS key) is opened before anything is sent.
  const key = await signerFor(params.signing_key, ctx);
  const identity = await signingKeyIdentity(key);
  validateTransportMaterial(params.transport, ctx.now());
  validateTrustedCa(params.transport.ca, ctx.now());
  const tls: TlsMaterial = tlsMaterialOf(params.transport);
  // First request of a create/update: the directory signs nothing for a key it does not publish.
  if (opts.fetch_ssa) await checkPublishedFirst(params, identity, tls, ctx);
  const ssa_pending = opts.fetch_ssa ? startSsa(params, key, tls, ctx) : undefined;
  let discovery: DiscoveryDocument | undefined;
  if (params.bank.discovery_url) {
    discovery = await discover(ctx, params.bank.discovery_url, tls, ctx.given.get(params.bank.discovery_url));
    checkDiscoveryDocument(discovery, params.bank.discovery_url, params.bank.issuer, policyOf(ctx));
  }
  // RFC 8705 §5: over mTLS, the alias when the bank advertises one (OFB sends it, §2.3).
  const registration_endpoint =
    params.bank.registration_endpoint ??
    discovery?.mtls_endpoint_aliases?.registration_endpoint ??
    discovery?.registration_endpoint;
  if (!registration_endpoint)
    throw new InvalidInputError(
      "bank.registration_endpoint",
      "is not given and the discovery document has none",
    );
  const token_endpoint =
    params.bank.token_endpoint ??
    discovery?.mtls_endpoint_aliases?.token_endpoint ??
    discovery?.token_endpoint;
  if (discovery && !bank_profile.skip_discovery_checks)
    validateProfileAgainstDiscovery(bank_profile, discovery, client, key.alg, params.bank.discovery_url);
  // Only a signed (JWT) response needs the bank's keys: fetched then, not on every call.
  const bankJwksUri = params.bank.jwks_uri ?? discovery?.jwks_uri;
  const at = params.bank.discovery_url;
  const given = at === undefined ? undefined : ctx.given.get(at);
  const sources: EndpointSources = {
    registration_endpoint: discoveredSource(
      registration_endpoint,
      params.bank.registration_endpoint,
      "registration_endpoint",
      discovery,
      at,
      given,
    ),
    token_endpoint: discoveredSource(
      token_endpoint,
      params.bank.token_endpoint,
      "token_endpoint",
      discovery,
      at,
      given,
    ),
    jwks_uri: discoveredSource(bankJwksUri, params.bank.jwks_uri, "jwks_uri", discovery, at, given),
  };
  // Fails closed: a signed answer is verified, or refused when its keys cannot be had.
  const bank_jwks: JwksSource = bankJwksUri
    ? () => fetchJwks(ctx, bankJwksUri, tls, false, sources.jwks_uri)
    : undefined;
  return {
    params,
    profile,
    bank_profile,
    client,
    key,
    identity,
    tls,
    discovery,
    registration_endpoint,
    token_endpoint,
    bank_jwks,
    gone_statuses: bank_profile.management.gone_statuses,
    ssa_pending,
    url_policy: policyOf(ctx),
    sources,
  };
}

export async function obtainSsa(
  p: Pick<Prepared, "params" | "key" | "tls" | "ssa_pending" | "ssa_claims">,
  ctx: ObDcrContext,
): Promise<{ ssa: string | undefined; claims: SsaView | undefined }> {
  const { params, key, tls } = p;
  const d = params.directory;
  const software = params.software;
  const r = resolveDirectory(params);
  if (!d || !software || !r) return { ssa: undefined, claims: undefined };
  const ssa = d.software_statement ?? (await (p.ssa_pending ?? downloadSsa(params, key, tls, ctx)));
  const claims = await verifySsa(ctx, ssa, ssaVerificationOf(params, tls));
  // URLs in the statement are the directory's say: the same policy as any answer's, and a
  // directory on the internet keeps to it (an inline statement is judged by its directory's URL).
  const policy = { ...policyOf(ctx), from_url: ssaFromUrl(params) };
  if (claims?.jwks_uri !== undefined)
    checkUrl(claims.jwks_uri, "ssa.software_jwks_endpoint", "the software statement", policy);
  if (claims?.jwks_revoked_uri !== undefined)
    checkUrl(claims.jwks_revoked_uri, "ssa.software_jwks_revoked_endpoint", "the software statement", policy);
  p.ssa_claims = claims;
  return { ssa, claims };
}

/** Check the signing kid against the SSA's software JWKS where it can be resolved. */
export async function checkSoftwareKey(p: Prepared, claims: SsaView, ctx: ObDcrContext): Promise<void> {
  const uri = claims.jwks_uri;
  if (!uri) return;
  const from = ssaFromUrl(p.params);
  const source = sourceOf(uri, "ssa.software_jwks_endpoint", from);
  // Both sets at once (one round trip, not two).
  const revoked_uri = claims.jwks_revoked_uri;
  const revokedPending = revoked_uri
    ? fetchJwks(
        ctx,
        revoked_uri,
        p.tls,
        false,
        sourceOf(revoked_uri, "ssa.software_jwks_revoked_endpoint", from),
      ).catch(() => undefined)
    : Promise.resolve(undefined);
  let jwks: Jwks;
  try {
    jwks = await fetchJwks(ctx, uri, p.tls, false, source);
  } catch (e) {
    if (e instanceof TransportError) return; // cannot be resolved from here (offline): the bank checks it
    throw e;
  }
  if (!jwks.keys.some((k) => k.kid === p.key.kid)) jwks = await fetchJwks(ctx, uri, p.tls, true, source);
  const revoked = await revokedPending;
  validateSigningKid(p.key.kid, jwks, revoked);
  // The kid alone is not enough: a key file overwritten with another key keeps its kid. Every key
  // listed under our kid counts (a directory may list a kid twice): the first alone said "another
  // public key" while the directory published ours too.
  const prints = await Promise.all(
    jwks.keys
      .filter((k) => k.kid === p.key.kid)
      .map((k) => jwkThumbprint(k as Parameters<typeof jwkThumbprint>[0]).catch(() => undefined)),
  );
  if (!prints.includes(p.identity.thumbprint))
    throw new InvalidInputError(
      "signing_key",
      describePublication({ status: "key_mismatch", kid: p.key.kid, jwks_uri: uri }, p.identity),
    );
}

export async function buildBody(
  p: Prepared,
  ctx: ObDcrContext,
  client_id?: string,
): Promise<{ body: string; content_type: string; requested: Record<string, unknown> }> {
  const { params, profile, bank_profile: bp, client } = p;
  const { ssa, claims } = await obtainSsa(p, ctx);
  validateAgainstSsa(profile, client, claims);
  if (!client.redirect_uris) validateSsaRedirectUris(profile, claims?.redirect_uris, "redirect_uris");
  let subject_dn: string | undefined;
  if (
    params.client.token_endpoint_auth_method === "tls_client_auth" &&
    !params.client.tls_client_auth_subject_dn
  )
    if (params.transport.cert) subject_dn = subjectDnFromCertificate(params.transport.cert, bp.dn_format);
  validateAuthMaterial(client, { subject_dn });
  if ((profile.format === "jwt" || profile.client_keys === "ssa_uri") && claims)
    await checkSoftwareKey(p, claims, ctx);
  const keys = await clientKeys({
    profile,
    client,
    ssa_jwks_endpoint: claims?.jwks_uri,
    signing_public_jwk: p.key.public_jwk,
  });
  const built = buildRegistrationClaims({
    profile,
    client: fitToSsa(profile, client, claims),
    software_id: params.software?.software_id,
    iss: requestIss(p),
    aud: requestAud(p),
    software_statement: ssa,
    ssa_redirect_uris: claims?.redirect_uris,
    subject_dn,
    default_auth_signing_alg: p.key.alg,
    now: ctx.now(),
    jti: randomUUID(),
    ttl_seconds: bp.request_ttl_seconds,
    jti_case: bp.jti_case,
    scope_format: bp.scope_format,
    extra_claims: bp.extra_claims,
    client_keys: keys,
    client_id,
  });
  rememberSecret(ssa);
  const content_type = bp.content_type;
  const body =
    profile.format === "jwt"
      ? await signRegistrationRequest(built.payload, p.key)
      : JSON.stringify(built.payload);
  return { body, content_type, requested: built.metadata };
}
