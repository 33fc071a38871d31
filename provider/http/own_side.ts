/**
 * Our own side of a registration, checked against the directory: is the signing key the one the
 * directory publishes under its kid, is the transport certificate valid now. Used before a key
 * rotation is applied, and to tell "the bank deleted it" from "our key is wrong" when a bank's
 * answer cannot (`invalid_client`).
 */
import { InvalidInputError, type OwnSideCheck, RegistrationRejectedError } from "../core/errors.js";
import { certificateIdentity, daysLeft, jwkThumbprint, type SigningKeyIdentity } from "../core/material.js";
import type { Jwk } from "../core/schemas/common.js";
import { sourceOf } from "../core/validate/url_policy.js";
import type { ObDcrContext } from "./context.js";
import { fetchJwks } from "./jwks.js";
import type { TlsMaterial } from "./transport_types.js";

/** How the directory publishes our signing key. */
export type KeyPublication =
  /** Under our kid, with our public key. */
  | { status: "published"; kid: string; jwks_uri: string }
  /** Our public key, but under another kid (the state or config names a stale kid). */
  | { status: "other_kid"; kid: string; jwks_uri: string }
  /** Our kid, with another public key (the configured key is not the one the directory knows). */
  | { status: "key_mismatch"; kid: string; jwks_uri: string }
  | { status: "not_published"; kid: string; jwks_uri: string }
  | { status: "revoked"; kid: string; jwks_uri: string };

async function thumbprintOf(k: Jwk): Promise<string | undefined> {
  return jwkThumbprint(k as Parameters<typeof jwkThumbprint>[0]).catch(() => undefined);
}

/** Where the directory (the SSA's `software_jwks_endpoint`) has our key, by thumbprint and kid. */
export async function findPublishedKey(
  ctx: ObDcrContext,
  jwks_uri: string,
  tls: TlsMaterial,
  key: SigningKeyIdentity,
  revoked_uri?: string | undefined,
  /**
   * The directory whose SSA named these URLs (`softwareJwksFrom`): its rules apply at connect.
   * Undefined: the user configured them.
   */
  from_url?: string | undefined,
): Promise<KeyPublication> {
  const source =
    from_url === undefined ? undefined : sourceOf(jwks_uri, "ssa.software_jwks_endpoint", from_url);
  const match = async (force: boolean) => {
    const jwks = await fetchJwks(ctx, jwks_uri, tls, force, source);
    const prints = await Promise.all(jwks.keys.map(thumbprintOf));
    // Our key under our kid, wherever it is in the set (a directory may list a kid twice).
    const ours = jwks.keys.find((k, i) => k.kid === key.kid && prints[i] === key.thumbprint);
    const byKid = ours ?? jwks.keys.find((k) => k.kid === key.kid);
    const mine = ours ?? jwks.keys[prints.indexOf(key.thumbprint)];
    return { byKid, byKidIsMine: ours !== undefined, mine };
  };
  let m = await match(false);
  if (!m.byKidIsMine) m = await match(true); // a freshly published key
  if (m.byKidIsMine) {
    if (revoked_uri) {
      const revokedSource =
        from_url === undefined
          ? undefined
          : sourceOf(revoked_uri, "ssa.software_jwks_revoked_endpoint", from_url);
      const revoked = await fetchJwks(ctx, revoked_uri, tls, false, revokedSource).catch(() => undefined);
      if (revoked?.keys.some((k) => k.kid === key.kid)) return { status: "revoked", kid: key.kid, jwks_uri };
    }
    return { status: "published", kid: key.kid, jwks_uri };
  }
  if (m.mine?.kid) return { status: "other_kid", kid: m.mine.kid, jwks_uri };
  if (m.byKid) return { status: "key_mismatch", kid: key.kid, jwks_uri };
  return { status: "not_published", kid: key.kid, jwks_uri };
}

/** The words for a publication that is not "published" (no secrets: kids and thumbprints only). */
export function describePublication(p: KeyPublication, key: SigningKeyIdentity): string {
  switch (p.status) {
    case "published":
      return `the directory publishes kid ${p.kid} with this key (${p.jwks_uri})`;
    case "other_kid":
      return `the directory publishes this key under kid ${p.kid}, not under kid ${key.kid} (${p.jwks_uri}): set the kid to ${p.kid}`;
    case "key_mismatch":
      return `the directory publishes kid ${key.kid} with another public key than this private key (thumbprint ${key.thumbprint}) (${p.jwks_uri}): the configured signing key (key file, HSM or KMS key) is not the one the directory knows under that kid; give the key that belongs to kid ${key.kid}, or upload this key's public key to the directory and use the kid it assigns`;
    case "not_published":
      return `the directory does not publish this key nor kid ${key.kid} (${p.jwks_uri}): upload the key to the directory and use the kid it assigns`;
    case "revoked":
      return `the directory lists kid ${key.kid} as revoked: rotate to a key the directory publishes`;
  }
}

/** Refuse (before anything is sent) a signing key that the directory does not publish under its kid. */
export async function assertKeyPublished(
  ctx: ObDcrContext,
  jwks_uri: string,
  tls: TlsMaterial,
  key: SigningKeyIdentity,
  revoked_uri?: string | undefined,
  from_url?: string | undefined,
): Promise<void> {
  const p = await findPublishedKey(ctx, jwks_uri, tls, key, revoked_uri, from_url);
  if (p.status !== "published")
    throw new InvalidInputError("signing_key", describePublication(p, key), {
      remedy: { kind: "fix-input", field: "signing_key" },
    });
}

export interface OwnSideInput {
  key: SigningKeyIdentity;
  tls: TlsMaterial;
  /** The software JWKS, when known (recorded at registration, or from the SSA). */
  software_jwks_endpoint?: string | undefined;
  /** Downloads the SSA's claims: our key authenticates at the directory on the way. */
  ssa_claims?: (() => Promise<{ software_jwks_endpoint?: string | undefined }>) | undefined;
  /** The directory whose rules the JWKS URL is held to at connect (`softwareJwksFrom`). */
  jwks_from?: ((uri: string) => string | undefined) | undefined;
  now: number;
}

/** Check the signing key and the transport certificate, one result each, never throwing on what it finds. */
export async function checkOwnSide(ctx: ObDcrContext, i: OwnSideInput): Promise<OwnSideCheck[]> {
  const checks: OwnSideCheck[] = [];
  if (i.tls.cert) {
    const c = certificateIdentity(i.tls.cert);
    const left = daysLeft(c, i.now);
    checks.push({
      field: "transport",
      ok: left >= 0,
      detail:
        left >= 0
          ? `the transport certificate (${c.subject_dn}) is valid for ${left} more days and matches its key`
          : `the transport certificate (${c.subject_dn}) expired on ${c.not_after}`,
    });
  }
  checks.push(await checkSigningKey(ctx, i));
  return checks;
}

async function checkSigningKey(ctx: ObDcrContext, i: OwnSideInput): Promise<OwnSideCheck> {
  let uri = i.software_jwks_endpoint;
  if (!uri && i.ssa_claims) {
    try {
      uri = (await i.ssa_claims()).software_jwks_endpoint;
    } catch (e) {
      if (e instanceof RegistrationRejectedError && e.error === "invalid_client")
        return {
          field: "signing_key",
          ok: false,
          detail: `the directory refuses our client assertion too (kid ${i.key.kid}): the signing key or its kid is wrong`,
        };
      return {
        field: "signing_key",
        ok: true,
        detail: `not checked: the SSA could not be fetched (${msg(e)})`,
      };
    }
  }
  if (!uri)
    return {
      field: "signing_key",
      ok: true,
      detail: "not checked: no directory publishes this software's keys",
    };
  try {
    const p = await findPublishedKey(ctx, uri, i.tls, i.key, undefined, i.jwks_from?.(uri));
    return { field: "signing_key", ok: p.status === "published", detail: describePublication(p, i.key) };
  } catch (e) {
    return { field: "signing_key", ok: true, detail: `not checked: ${uri} could not be read (${msg(e)})` };
  }
}

const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));
