/**
 * What key and certificate material *is*, as non-secret identities: a rotation is a change of
 * identity, not of the file that holds it. Pure (node:crypto parsing, no I/O): the resource records
 * these as outputs and diffs them; the CLI's `doctor` prints them.
 */
import { createHash, X509Certificate } from "node:crypto";
import * as jose from "jose";
import { z } from "zod";
import { type OrgIdDnFormat, subjectDnFromCertificate } from "./dn.js";
import { InvalidInputError } from "./errors.js";
import { type InProcessKeyParams, inProcessPublicJwk } from "./keys.js";
import { boundedCache, digestOf } from "./memo.js";
import { SigningAlg } from "./schemas/common.js";
import type { TransportParams } from "./schemas/params.js";
import type { Signer } from "./sign/signer.js";

export const SigningKeyIdentity = z.strictObject({
  kid: z.string(),
  alg: SigningAlg,
  /** RFC 7638 JWK thumbprint (SHA-256) of the public key. */
  thumbprint: z.string(),
});
export type SigningKeyIdentity = z.infer<typeof SigningKeyIdentity>;

export const CertificateIdentity = z.strictObject({
  /** SHA-256 of the DER certificate, lower-case hex. */
  sha256: z.string(),
  /** RFC 4514, organizationIdentifier written as the bank expects (`dn_format`). */
  subject_dn: z.string(),
  issuer_dn: z.string(),
  /** ISO 8601. */
  not_before: z.string(),
  not_after: z.string(),
});
export type CertificateIdentity = z.infer<typeof CertificateIdentity>;

export const MaterialIdentity = z.strictObject({
  signing_key: SigningKeyIdentity,
  transport_certificate: CertificateIdentity.optional(),
  /** SHA-256 of each trusted CA certificate (none: Node's CA store). */
  ca_sha256: z.array(z.string()),
});
export type MaterialIdentity = z.infer<typeof MaterialIdentity>;

const publicJwks = boundedCache<jose.JWK>();
const thumbprints = boundedCache<Promise<string>>();
const certIdentities = boundedCache<CertificateIdentity>();

const materialKey = (k: InProcessKeyParams["private_key"]) => (typeof k === "string" ? k : JSON.stringify(k));

/** The public JWK of a private key (PEM or JWK), for thumbprints and inline `jwks`. */
export function publicJwk(p: InProcessKeyParams): jose.JWK {
  const key = digestOf(materialKey(p.private_key), p.kid, p.alg);
  return { ...publicJwks.get(key, () => inProcessPublicJwk(p)) };
}

/** RFC 7638 thumbprint of a public JWK (only the required members count). */
export const jwkThumbprint = (jwk: jose.JWK): Promise<string> =>
  thumbprints.get(digestOf(JSON.stringify([jwk.kty, jwk.crv, jwk.x, jwk.y, jwk.n, jwk.e])), () =>
    jose.calculateJwkThumbprint(jwk, "sha256"),
  );

/**
 * kid, alg and thumbprint of the signing key: from a signer's public JWK (in-process, HSM, KMS),
 * or from a private key given in process.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT` (field `signing_key.private_key`): not a
 *   private key of the alg.
 */
export async function signingKeyIdentity(k: Signer | InProcessKeyParams): Promise<SigningKeyIdentity> {
  const jwk = "public_jwk" in k ? k.public_jwk : publicJwk(k);
  return { kid: k.kid, alg: k.alg, thumbprint: await jwkThumbprint(jwk) };
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Each certificate of a PEM bundle (a chain, or a CA list). */
export function pemCertificates(pem: string | readonly string[]): string[] {
  const all = Array.isArray(pem) ? pem.join("\n") : (pem as string);
  return all.match(PEM_CERT) ?? [];
}

/**
 * A certificate's identity (SHA-256, subject and issuer DN, validity).
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT`: not a PEM X.509 certificate (`field` names it).
 */
export function certificateIdentity(
  pem: string,
  dnFormat: OrgIdDnFormat = "hex",
  field = "transport.cert",
): CertificateIdentity {
  // Errors name the field, so only successes are cached (a failed derivation throws, nothing kept).
  return {
    ...certIdentities.get(digestOf(pem, dnFormat), () => deriveCertificateIdentity(pem, dnFormat, field)),
  };
}

function deriveCertificateIdentity(pem: string, dnFormat: OrgIdDnFormat, field: string): CertificateIdentity {
  const first = pemCertificates(pem)[0];
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(first ?? pem);
  } catch (cause) {
    throw new InvalidInputError(field, 'is not a PEM X.509 certificate ("BEGIN CERTIFICATE")', { cause });
  }
  return {
    sha256: createHash("sha256").update(x509.raw).digest("hex"),
    subject_dn: subjectDnFromCertificate(x509.raw, dnFormat),
    issuer_dn: x509.issuer.split("\n").reverse().join(", "),
    not_before: new Date(x509.validFrom).toISOString(),
    not_after: new Date(x509.validTo).toISOString(),
  };
}

/** Whole days from `now` (epoch seconds) until `not_after` (negative once expired). */
export function daysLeft(cert: Pick<CertificateIdentity, "not_after">, now: number): number {
  return Math.floor((Date.parse(cert.not_after) / 1000 - now) / 86400);
}

/**
 * The identities of the signing key, transport certificate and CAs a registration uses.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT`: a key or certificate that cannot be read.
 */
export async function materialIdentity(
  signing: Signer | InProcessKeyParams,
  transport: TransportParams,
  dnFormat: OrgIdDnFormat = "hex",
): Promise<MaterialIdentity> {
  const ca = transport.ca === undefined ? [] : pemCertificates(transport.ca);
  return {
    signing_key: await signingKeyIdentity(signing),
    transport_certificate: transport.cert ? certificateIdentity(transport.cert, dnFormat) : undefined,
    ca_sha256: ca.map((c, i) => certificateIdentity(c, "hex", `transport.ca.${i}`).sha256),
  };
}
