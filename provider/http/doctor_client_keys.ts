/**
 * Check 9, shared by `doctor` and `discover`: the keys an RFC 7591 `*_jwt` registration carries
 * must let the bank verify our client assertions.
 */
import type * as jose from "jose";
import { clientKeys } from "../core/build/client_keys.js";
import { softwareJwksFrom } from "../core/directory/resolve.js";
import type { SsaView } from "../core/directory/ssa_view.js";
import { jwkThumbprint } from "../core/material.js";
import { getProfile } from "../core/profiles/index.js";
import type { Jwks } from "../core/schemas/common.js";
import type { RegistrationParams } from "../core/schemas/params.js";
import { sourceOf } from "../core/validate/url_policy.js";
import { signerFor } from "../signers/index.js";
import type { ObDcrContext } from "./context.js";
import { type DoctorCheck, fail, failed, notChecked, ok, type Run } from "./doctor_lines.js";
import { fetchJwks } from "./jwks.js";
import type { TlsMaterial } from "./transport_types.js";

const JWT_AUTH = new Set(["private_key_jwt", "client_secret_jwt"]);
const clientKeysApply = (p: RegistrationParams) =>
  getProfile(p.profile).client_keys === "free" && JWT_AUTH.has(p.client.token_endpoint_auth_method);

/** Pass as `ssa_jwks_endpoint` when there is an SSA that was not downloaded (discover): named, not fetched. */
export const SSA_JWKS_NOT_FETCHED = "the SSA's software_jwks_endpoint";

/**
 * Check 9 (also `discover`'s): the keys an RFC 7591 `*_jwt` request carries must let the bank verify
 * our assertions. Undefined when the check does not apply.
 */
export async function checkClientKeys(
  ctx: ObDcrContext,
  params: RegistrationParams,
  tls: TlsMaterial,
  ssa_jwks_endpoint: string | undefined,
  signing_public_jwk?: jose.JWK,
): Promise<DoctorCheck | undefined> {
  if (!clientKeysApply(params)) return undefined;
  const name = "client keys";
  let own: jose.JWK;
  let keys: Awaited<ReturnType<typeof clientKeys>>;
  try {
    own = signing_public_jwk ?? (await signerFor(params.signing_key, ctx)).public_jwk;
    const profile = getProfile(params.profile);
    keys = await clientKeys({ profile, client: params.client, ssa_jwks_endpoint, signing_public_jwk: own });
  } catch (e) {
    return failed(name, e, "material");
  }
  if (!keys) return ok(name, "client.extra carries jwks or jwks_uri: sent as given, not checked");
  const id = { kid: params.signing_key.kid, thumbprint: await jwkThumbprint(own) };
  const method = params.client.token_endpoint_auth_method;
  if ("jwks" in keys) {
    const where = params.client.jwks ? "jwks (client.jwks)" : "jwks (the signing key's public JWK)";
    return holdsKey(keys.jwks, id, where, method);
  }
  if (keys.jwks_uri === SSA_JWKS_NOT_FETCHED)
    return ok(name, `jwks_uri: ${SSA_JWKS_NOT_FETCHED} (checked by doctor)`);
  try {
    // The SSA's software_jwks_endpoint is the directory's say: held to its rules at connect.
    const from = keys.jwks_uri === ssa_jwks_endpoint ? softwareJwksFrom(params, keys.jwks_uri) : undefined;
    const source =
      from === undefined ? undefined : sourceOf(keys.jwks_uri, "ssa.software_jwks_endpoint", from);
    const jwks = await fetchJwks(ctx, keys.jwks_uri, tls, false, source);
    return await holdsKey(jwks, id, `jwks_uri ${keys.jwks_uri}`, method);
  } catch (e) {
    return failed(name, e, "material");
  }
}

/** The bank looks our key up by the assertion's kid: both kid and public key must match. */
async function holdsKey(jwks: Jwks, id: { kid: string; thumbprint: string }, where: string, method: string) {
  const prints = await Promise.all(jwks.keys.map((k) => jwkThumbprint(k as jose.JWK).catch(() => undefined)));
  const mine = jwks.keys[prints.indexOf(id.thumbprint)];
  if (jwks.keys.some((k, i) => k.kid === id.kid && prints[i] === id.thumbprint))
    return ok(
      "client keys",
      `${where}: holds kid ${id.kid} with the signing key (thumbprint ${id.thumbprint})`,
    );
  const what = mine
    ? `holds the signing key under kid ${mine.kid ?? "(none)"}, not kid ${id.kid}`
    : jwks.keys.some((k) => k.kid === id.kid)
      ? `holds kid ${id.kid} with another public key than the signing key (thumbprint ${id.thumbprint})`
      : `does not hold the signing key (kid ${id.kid}, thumbprint ${id.thumbprint})`;
  return fail(
    "client keys",
    `${where} ${what}: the bank could not verify our ${method} assertions`,
    "material",
  );
}

/**
 * Doctor's client keys line. Without explicit keys, a client with a directory sends the SSA's
 * software_jwks_endpoint, so the check waits on the directory checks' claims.
 */
export async function doctorClientKeys(r: Run, claims: SsaView | string | undefined): Promise<void> {
  const { params, ctx, signer, checks } = r;
  if (!clientKeysApply(params)) return;
  const needsSsa = params.directory && !params.client.jwks && !params.client.jwks_uri;
  if (!signer) checks.push(notChecked("client keys", "the signing key failed"));
  else if (needsSsa && typeof claims === "string") checks.push(notChecked("client keys", claims));
  else {
    const endpoint = typeof claims === "object" ? claims.jwks_uri : undefined;
    checks.push((await checkClientKeys(ctx, params, r.tls, endpoint, signer.key.public_jwk)) as DoctorCheck);
  }
}
