/**
 * Every JWS we make goes through a `Signer`: "sign these bytes with PS256 or ES256; here is my
 * public JWK". The in-process key (core/keys.ts) is one; a PKCS#11 token or AWS KMS key
 * (provider/signers/) are others, whose private key never enters this process. jose cannot sign
 * with a remote key, so the compact JWS is assembled here: `b64u(header).b64u(payload)` is signed
 * and `.b64u(signature)` appended. A remote signature is verified with jose against the signer's
 * public JWK before it is used: a wrong PSS salt or an unconverted DER ECDSA signature fails here,
 * with a typed error, not at the bank.
 */
import { createHash, type webcrypto } from "node:crypto";
import * as jose from "jose";
import { SignerError } from "../errors.js";
import type { SigningAlg } from "../schemas/common.js";

/** Where a signing key lives. */
export type SignerBackend = "in_process" | "pkcs11" | "aws_kms";

export interface Signer {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly backend: SignerBackend;
  /** The public key as a JWK (`kid`, `alg`, `use: "sig"` set): the published key must equal it. */
  readonly public_jwk: jose.JWK;
  /** For messages: where the key is (token and key label, KMS key id); never a PIN or a handle. */
  readonly describe: string;
  /** The input path errors about this signer name (`signing_key.pkcs11`, `signing_key.aws_kms`, ...). */
  readonly field: string;
  /**
   * The JOSE signature over `data`: PS256 = RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 bytes;
   * ES256 = ECDSA P-256 SHA-256 as r‖s (64 bytes, not DER).
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** A SigningAlg this module can sign with (RS256 kept for the in-process key only). */
export const REMOTE_SIGNING_ALGS = ["PS256", "ES256"] as const;

const b64u = (b: Uint8Array | string) => Buffer.from(b).toString("base64url");

const verifyKeys = new WeakMap<Signer, Promise<webcrypto.CryptoKey | Uint8Array>>();

function publicKeyOf(s: Signer) {
  let k = verifyKeys.get(s);
  if (!k) {
    k = jose.importJWK(s.public_jwk, s.alg) as Promise<webcrypto.CryptoKey>;
    verifyKeys.set(s, k);
  }
  return k;
}

/**
 * A compact JWS of `payload` (an object, serialized as JSON) signed by `signer`; the header gets
 * `alg` and `kid` from the signer (given members first, then those two win).
 */
export async function signCompact(
  signer: Signer,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): Promise<string> {
  const protectedHeader = { ...header, alg: signer.alg, kid: signer.kid };
  const input = `${b64u(JSON.stringify(protectedHeader))}.${b64u(JSON.stringify(payload))}`;
  const signature = await signer.sign(new TextEncoder().encode(input));
  const jws = `${input}.${b64u(signature)}`;
  if (signer.backend !== "in_process") await verifyOwnSignature(signer, jws);
  return jws;
}

/** Refuse a signature that does not verify with the signer's public key (jose: PSS salt must be 32). */
export async function verifyOwnSignature(signer: Signer, jws: string): Promise<void> {
  try {
    await jose.compactVerify(jws, await publicKeyOf(signer), { algorithms: [signer.alg] });
  } catch (cause) {
    throw new SignerError(
      signer.field,
      "bad_signature",
      `${signer.describe} returned a ${signer.alg} signature that does not verify with its own public key` +
        (signer.alg === "PS256"
          ? " (JOSE requires RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt; this key store uses another salt length)"
          : " (JOSE requires the 64-byte r‖s form)"),
      { cause },
    );
  }
}

/** SHA-256 of the signing input (for key stores that sign a digest). */
export const sha256 = (data: Uint8Array): Uint8Array => createHash("sha256").update(data).digest();

/** DER `ECDSA-Sig-Value` (SEQUENCE { r INTEGER, s INTEGER }) → r‖s, each left-padded to `size` bytes. */
export function derToJoseEcdsa(der: Uint8Array, size = 32): Uint8Array {
  const fail = () => {
    throw new TypeError("not a DER ECDSA signature");
  };
  let i = 0;
  if (der[i++] !== 0x30) fail();
  let len = der[i++]!;
  if (len & 0x80) i += len & 0x7f; // long form (not for P-256, but harmless)
  const int = () => {
    if (der[i++] !== 0x02) fail();
    len = der[i++]!;
    let v = der.subarray(i, i + len);
    i += len;
    while (v.length > size && v[0] === 0) v = v.subarray(1);
    if (v.length > size) fail();
    const out = new Uint8Array(size);
    out.set(v, size - v.length);
    return out;
  };
  const r = int();
  const s = int();
  const out = new Uint8Array(size * 2);
  out.set(r, 0);
  out.set(s, size);
  return out;
}

/** The public JWK members that identify a key (RFC 7638), plus kid, alg and `use: sig`. */
export function signerJwk(pub: jose.JWK, kid: string, alg: SigningAlg): jose.JWK {
  const members =
    pub.kty === "RSA"
      ? { kty: pub.kty, n: pub.n, e: pub.e }
      : { kty: pub.kty, crv: pub.crv, x: pub.x, y: pub.y };
  return { ...members, kid, alg, use: "sig" } as jose.JWK;
}

/** Whether a public JWK can sign with `alg` (PS256/RS256: RSA ≥ 2048 bits; ES256: P-256). */
export function jwkFitsAlg(jwk: jose.JWK, alg: SigningAlg): string | undefined {
  if (alg === "ES256")
    return jwk.kty === "EC" && jwk.crv === "P-256"
      ? undefined
      : `ES256 needs an EC P-256 key, this is ${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ""}`;
  if (jwk.kty !== "RSA") return `${alg} needs an RSA key, this is ${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ""}`;
  const bits = Buffer.from(jwk.n ?? "", "base64url").length * 8;
  return bits >= 2048 ? undefined : `${alg} needs an RSA key of at least 2048 bits, this has ${bits}`;
}
