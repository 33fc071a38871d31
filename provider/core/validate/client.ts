/**
 * Preflight checks of the client's own fields, before anything is sent: redirect URIs, the signing
 * kid, and the auth method against the transport material. Each failure names the field to fix.
 */
import { InvalidInputError, SsaInvalidError } from "../errors.js";
import type { Profile } from "../profiles/types.js";
import type { Jwks } from "../schemas/common.js";
import type { ClientParams } from "../schemas/params.js";
import { hasControls, untrustedText } from "../untrusted.js";

const WEB_SCHEMES = new Set(["https:", "http:"]);

/** The SSA's URIs as an error shows them: the directory's text, so escaped, each and in number bounded. */
function ssaList(uris: readonly string[]): string {
  if (uris.length === 0) return "none";
  const shown = uris.slice(0, 5).map((x) => `"${untrustedText(x, 200)}"`);
  return uris.length > 5 ? `${shown.join(", ")} and ${uris.length - 5} more` : shown.join(", ");
}

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
    // A redirect URI is where a bank sends a user with an authorization code: a web URL only.
    if (!WEB_SCHEMES.has(url.protocol))
      throw new InvalidInputError(
        field,
        `"${u}" uses the ${url.protocol} scheme: a redirect URI is an https URL`,
      );
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
      throw new InvalidInputError(
        field,
        `"${u}" is not one of the SSA's ${claim} (${ssaList(ssaUris)}): use one of them, or have it added to the software in the directory`,
      );
  });
}

/**
 * Redirect URIs the SSA lists (used as they are when the client names none): the directory is not
 * trusted to list only web URLs, so they get the checks a configured value gets, as SSA errors.
 */
export function validateSsaRedirectUris(
  profile: Profile,
  uris: readonly string[] | undefined,
  claim: string,
): void {
  uris?.forEach((u, i) => {
    const bad = redirectUriProblem(profile, u);
    if (bad)
      throw new SsaInvalidError(
        `the software statement's ${claim}[${i}] ${bad}; the directory must list web URLs`,
        {
          claim,
        },
      );
  });
}

function redirectUriProblem(profile: Profile, u: string): string | undefined {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return `is not an absolute URL (${untrustedText(u, 120)})`;
  }
  if (!WEB_SCHEMES.has(url.protocol)) return `uses the ${untrustedText(url.protocol, 40)} scheme`;
  if (profile.strict_redirect_uris && url.protocol !== "https:") return "is not https";
  if (hasControls(u)) return "holds control characters";
  return undefined;
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
