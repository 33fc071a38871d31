/**
 * Where the bank finds the keys that verify our `private_key_jwt` assertions (RFC 7591 §2 `jwks` /
 * `jwks_uri`). OBIE banks take them from the SSA's `software_jwks_endpoint`; a plain RFC 7591 server
 * needs them in the request, and a certified one refuses a `*_jwt` client without them.
 */
import type * as jose from "jose";
import { InvalidInputError } from "../errors.js";
import { jwkThumbprint } from "../material.js";
import type { Profile } from "../profiles/types.js";
import type { Jwks } from "../schemas/common.js";
import type { ClientParams } from "../schemas/params.js";

const JWT_AUTH = new Set(["private_key_jwt", "client_secret_jwt"]);

export type ClientKeys = { jwks_uri: string } | { jwks: Jwks };

export interface ClientKeysInput {
  profile: Pick<Profile, "format" | "client_keys">;
  client: Pick<ClientParams, "token_endpoint_auth_method" | "jwks" | "jwks_uri" | "extra">;
  /** The SSA's key URI (`software_jwks_endpoint`, `jwks_uri`, `software_jwks_uri`), when there is an SSA. */
  ssa_jwks_endpoint?: string | undefined;
  /** Our signing key's public JWK (with kid, alg, use). */
  signing_public_jwk: jose.JWK;
}

/**
 * The keys member the request carries: the client's explicit `jwks_uri` or `jwks`; for an RFC 7591
 * `*_jwt` client, else the SSA's `software_jwks_endpoint`, else our signing key's public JWK.
 * An explicit `jwks` must hold our signing key (the bank could not verify us otherwise).
 */
export async function clientKeys(i: ClientKeysInput): Promise<ClientKeys | undefined> {
  const { client } = i;
  const extra = client.extra ?? {};
  // OFB: jwks_uri must be the SSA's (checked against it before this), jwks refused (validate/regime.ts).
  if (i.profile.client_keys === "ssa_uri") {
    const uri = client.jwks_uri ?? i.ssa_jwks_endpoint;
    return uri ? { jwks_uri: uri } : undefined;
  }
  if ("jwks" in extra || "jwks_uri" in extra) return undefined; // given as raw metadata: sent as is
  if (client.jwks_uri && client.jwks)
    throw new InvalidInputError("client.jwks", "give client.jwks or client.jwks_uri, not both (RFC 7591 §2)");
  if (client.jwks_uri) return { jwks_uri: client.jwks_uri };
  if (client.jwks) {
    const own = await jwkThumbprint(i.signing_public_jwk);
    const prints = await Promise.all(
      client.jwks.keys.map((k) => jwkThumbprint(k as jose.JWK).catch(() => undefined)),
    );
    if (JWT_AUTH.has(client.token_endpoint_auth_method) && !prints.includes(own))
      throw new InvalidInputError(
        "client.jwks",
        `does not hold the signing key (kid ${String(i.signing_public_jwk.kid)}): the bank could not verify our ${client.token_endpoint_auth_method} assertions; add its public JWK or leave client.jwks out`,
      );
    return { jwks: client.jwks };
  }
  if (i.profile.format !== "json" || !JWT_AUTH.has(client.token_endpoint_auth_method)) return undefined;
  if (i.ssa_jwks_endpoint) return { jwks_uri: i.ssa_jwks_endpoint };
  return { jwks: { keys: [i.signing_public_jwk as Jwks["keys"][number]] } };
}
