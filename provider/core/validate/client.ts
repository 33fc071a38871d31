/**
 * Preflight checks of the client's own fields, before anything is sent: redirect URIs, the signing
 * kid, and the auth method against the transport material. Each failure names the field to fix.
 */
import { InvalidInputError } from "../errors.js";
import type { Profile } from "../profiles/types.js";
import type { Jwks } from "../schemas/common.js";
import type { ClientParams } from "../schemas/params.js";

/**
 * redirect_uris: non-empty, within the SSA's, and (OBIE) https, no localhost, no fragment, ≤256.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT` (field `client.redirect_uris`).
 */
export function validateRedirectUris(
  profile: Profile,
  uris: readonly string[] | undefined,
  ssaUris: readonly string[] | undefined,
  /** The SSA claim holding the list (named in messages). */
  claim = "software_redirect_uris",
): void {
  if (uris === undefined) {
    if (profile.format === "jwt" && !ssaUris?.length)
      throw new InvalidInputError("client.redirect_uris", `is required (the SSA has no ${claim})`);
    return;
  }
  if (uris.length === 0) throw new InvalidInputError("client.redirect_uris", "must not be empty");
  uris.forEach((u, i) => {
    const field = `client.redirect_uris.${i}`;
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new InvalidInputError(field, `"${u}" is not an absolute URL`);
    }
    if (profile.strict_redirect_uris) {
      if (url.protocol !== "https:") throw new InvalidInputError(field, `"${u}" must use https`);
      if (
        /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(url.hostname) ||
        url.hostname.endsWith(".localhost")
      )
        throw new InvalidInputError(field, `"${u}" must not point at localhost`);
      if (url.hash) throw new InvalidInputError(field, `"${u}" must not have a fragment`);
      if (u.length > 256) throw new InvalidInputError(field, "must be at most 256 characters");
    }
    if (ssaUris && !ssaUris.includes(u))
      throw new InvalidInputError(field, `"${u}" is not one of the SSA's ${claim}`);
  });
}

/**
 * The signing kid must be in the software JWKS (from the SSA's software_jwks_endpoint) and not revoked.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT` (field `signing_key.kid`).
 */
export function validateSigningKid(kid: string, jwks: Jwks, revoked?: Jwks): void {
  if (!jwks.keys.some((k) => k.kid === kid))
    throw new InvalidInputError(
      "signing_key.kid",
      `"${kid}" is not in the software JWKS (software_jwks_endpoint); use the kid the directory assigned to this key`,
    );
  if (revoked?.keys.some((k) => k.kid === kid))
    throw new InvalidInputError("signing_key.kid", `"${kid}" is in the software's revoked JWKS`);
}

/**
 * The auth method must be usable with the material given.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT`: the material the auth method needs is missing.
 */
export function validateAuthMaterial(
  client: ClientParams,
  material: { subject_dn: string | undefined },
): void {
  if (
    client.token_endpoint_auth_method === "tls_client_auth" &&
    !(client.tls_client_auth_subject_dn ?? material.subject_dn)
  )
    throw new InvalidInputError(
      "client.tls_client_auth_subject_dn",
      "is required for tls_client_auth and could not be derived from transport.cert",
    );
  if (client.tls_client_auth_subject_dn && client.token_endpoint_auth_method !== "tls_client_auth")
    throw new InvalidInputError("client.tls_client_auth_subject_dn", "is only allowed with tls_client_auth");
}
