import * as jose from "jose";
import type { z } from "zod";
import { ClientParams, importSigningKey, type Jwk, type SigningKey } from "../../provider/core/index.js";

export async function testKey(alg: "PS256" | "ES256" = "PS256", kid = "kid-1") {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  const pem = await jose.exportPKCS8(privateKey);
  const key: SigningKey = await importSigningKey({ kid, alg, private_key: pem });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid, alg } as Jwk;
  return { key, pem, jwk, publicKey, privateKey, privateJwk: { ...(await jose.exportJWK(privateKey)), kid } };
}

export const client = (o: z.input<typeof ClientParams> = {}) =>
  ClientParams.parse({ redirect_uris: ["https://tpp.example.com/cb"], scope: "openid accounts", ...o });
