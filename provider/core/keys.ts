/** Import the signing key from a PKCS#8 PEM or a JWK (strings in, no file reading here). */
import { createPrivateKey, createPublicKey, webcrypto } from "node:crypto";
import * as jose from "jose";

type CryptoKey = webcrypto.CryptoKey;

import { InvalidInputError } from "./errors.js";
import { boundedCache, digestOf } from "./memo.js";
import type { SigningKeyParams } from "./schemas/params.js";
import { type Signer, signerJwk } from "./sign/signer.js";

/** A key that signs: the in-process key, or a PKCS#11 / AWS KMS signer (`provider/signers/`). */
export type SigningKey = Signer;

/** The in-process key's parameters: a private key given as PEM or JWK. */
export type InProcessKeyParams = Pick<SigningKeyParams, "kid" | "alg"> & {
  private_key: NonNullable<SigningKeyParams["private_key"]>;
};

const imported = boundedCache<Promise<Signer>>();

/**
 * Import a private signing key; the alg must fit the key type (PS256/RS256: RSA, ES256: P-256).
 * The non-extractable CryptoKey is imported once per key, alg and kid in a process and signs in
 * this process (WebCrypto: PSS salt 32, ECDSA as r‖s).
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT` (field `signing_key.private_key`): not a private key,
 *   or not one the alg can use.
 */
export async function importSigningKey(p: SigningKeyParams): Promise<SigningKey> {
  if (p.private_key === undefined)
    throw new InvalidInputError(
      "signing_key.private_key",
      "is not given (give private_key, or a pkcs11 / aws_kms key store)",
    );
  const q = p as InProcessKeyParams;
  const material = typeof q.private_key === "string" ? q.private_key : JSON.stringify(q.private_key);
  return imported.get(digestOf(material, p.alg, p.kid), () => importOnce(q));
}

const subtleParams = (alg: SigningKeyParams["alg"]) =>
  alg === "PS256"
    ? { name: "RSA-PSS", saltLength: 32 }
    : alg === "ES256"
      ? { name: "ECDSA", hash: "SHA-256" }
      : { name: "RSASSA-PKCS1-v1_5" };

async function importOnce(p: InProcessKeyParams): Promise<Signer> {
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
  const public_jwk = inProcessPublicJwk(p);
  const algorithm = subtleParams(p.alg);
  return {
    kid: p.kid,
    alg: p.alg,
    backend: "in_process",
    public_jwk,
    describe: "the in-process signing key",
    field: "signing_key.private_key",
    sign: async (data) => new Uint8Array(await webcrypto.subtle.sign(algorithm, key, data)),
  };
}

/** The public JWK of a private key (PEM or JWK). */
export function inProcessPublicJwk(p: InProcessKeyParams): jose.JWK {
  try {
    const pk =
      typeof p.private_key === "string" && !p.private_key.trim().startsWith("{")
        ? createPrivateKey(p.private_key)
        : createPrivateKey({
            key: (typeof p.private_key === "string" ? JSON.parse(p.private_key) : p.private_key) as never,
            format: "jwk",
          });
    return signerJwk(createPublicKey(pk).export({ format: "jwk" }) as jose.JWK, p.kid, p.alg);
  } catch (cause) {
    throw new InvalidInputError(
      "signing_key.private_key",
      'cannot be read as a private key (give a PKCS#8 PEM "BEGIN PRIVATE KEY" or a private JWK)',
      { cause },
    );
  }
}
