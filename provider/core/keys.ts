/** Import the signing key from a PKCS#8 PEM or a JWK (strings in, no file reading here). */
import type { webcrypto } from "node:crypto";
import * as jose from "jose";

type CryptoKey = webcrypto.CryptoKey;

import { InvalidInputError } from "./errors.js";
import { boundedCache, digestOf } from "./memo.js";
import type { SigningAlg } from "./schemas/common.js";
import type { SigningKeyParams } from "./schemas/params.js";

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  key: CryptoKey;
}

const imported = boundedCache<Promise<SigningKey>>();

/**
 * Import a private signing key; the alg must fit the key type (PS256/RS256: RSA, ES256: P-256).
 * The non-extractable CryptoKey is imported once per key, alg and kid in a process.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT` (field `signing_key.private_key`): not a private key,
 *   or not one the alg can use.
 */
export async function importSigningKey(p: SigningKeyParams): Promise<SigningKey> {
  const material = typeof p.private_key === "string" ? p.private_key : JSON.stringify(p.private_key);
  return { ...(await imported.get(digestOf(material, p.alg, p.kid), () => importOnce(p))) };
}

async function importOnce(p: SigningKeyParams): Promise<SigningKey> {
  let key: CryptoKey;
  try {
    if (typeof p.private_key === "string") {
      const s = p.private_key.trim();
      if (s.startsWith("{")) {
        key = (await jose.importJWK(JSON.parse(s), p.alg, { extractable: false })) as CryptoKey;
      } else {
        key = await jose.importPKCS8(s, p.alg, { extractable: false });
      }
    } else {
      if (!("d" in p.private_key)) throw new Error("JWK has no private part");
      key = (await jose.importJWK(p.private_key as jose.JWK, p.alg, { extractable: false })) as CryptoKey;
    }
  } catch (cause) {
    throw new InvalidInputError(
      "signing_key.private_key",
      `cannot be imported as a ${p.alg} private key (give a PKCS#8 PEM "BEGIN PRIVATE KEY" or a private JWK matching the alg)`,
      { cause },
    );
  }
  if (key.type !== "private") throw new InvalidInputError("signing_key.private_key", "must be a private key");
  return { kid: p.kid, alg: p.alg, key };
}
