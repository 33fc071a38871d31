/** Preflight check of the mTLS certificate and key, before any connection is made. */
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { InvalidInputError } from "../errors.js";
import { boundedCache, digestOf } from "../memo.js";

/** Validity window of certificate + key pairs that parsed and matched (once per pair in a process). */
const checkedPairs = boundedCache<{ from: number; to: number }>();

/**
 * The mTLS material, before any connection: the certificate and key parse, belong together, and the
 * certificate is valid now. (Who issued it is the servers' business: a bank refuses another CA.)
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT` (fields `transport.*`): unparsable, a mismatched pair, or
 *   a certificate outside its validity.
 */
export function validateTransportMaterial(
  transport: { cert?: string | undefined; key?: string | undefined },
  now: number,
): void {
  const { cert, key } = transport;
  if (cert === undefined && key === undefined) return;
  if (cert === undefined)
    throw new InvalidInputError("transport.cert", "is required when transport.key is given");
  if (key === undefined)
    throw new InvalidInputError("transport.key", "is required when transport.cert is given");
  const { from, to } = checkedPairs.get(digestOf(cert, key), () => checkPair(cert, key));
  if (now < from)
    throw new InvalidInputError(
      "transport.cert",
      `is not valid before ${new Date(from * 1000).toISOString()}; use a certificate valid now (or check the clock)`,
    );
  if (now > to)
    throw new InvalidInputError(
      "transport.cert",
      `expired at ${new Date(to * 1000).toISOString()}; renew the transport certificate in the directory and give the new one`,
    );
}

/** The certificate and key parse and belong together: their validity window, else a typed error. */
function checkPair(cert: string, key: string): { from: number; to: number } {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (cause) {
    throw new InvalidInputError(
      "transport.cert",
      'is not a PEM X.509 certificate (give the "BEGIN CERTIFICATE" file of the transport certificate)',
      { cause },
    );
  }
  let k: KeyObject;
  try {
    k = createPrivateKey(key);
  } catch (cause) {
    throw new InvalidInputError(
      "transport.key",
      'is not a PEM private key (give the "BEGIN PRIVATE KEY" file of the transport certificate)',
      { cause },
    );
  }
  if (!x509.checkPrivateKey(k))
    throw new InvalidInputError(
      "transport.key",
      `does not belong to transport.cert (${x509.subject.replace(/\n/g, ", ")}); give the key the certificate was issued for`,
    );
  return { from: Date.parse(x509.validFrom) / 1000, to: Date.parse(x509.validTo) / 1000 };
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The CAs trusted for the servers, before any connection: a `transport.ca` (or its file) that holds
 * no certificate, or only expired ones, can verify no bank; without this check the first request
 * failed with a TLS code that sent users after their client certificate.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT` (field `transport.ca`).
 */
export function validateTrustedCa(ca: string | readonly string[] | undefined, now: number): void {
  if (ca === undefined) return;
  const pems = (Array.isArray(ca) ? ca.join("\n") : (ca as string)).match(PEM_CERT) ?? [];
  const where =
    "give the CA certificate(s) that issued the bank's and the directory's server certificates (transport.ca, or a file in transport.caFile / ca_file)";
  if (pems.length === 0)
    throw new InvalidInputError("transport.ca", `holds no PEM certificate ("BEGIN CERTIFICATE"): ${where}`);
  let latest = Number.NEGATIVE_INFINITY;
  let subject = "";
  for (const pem of pems) {
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(pem);
    } catch (cause) {
      throw new InvalidInputError("transport.ca", `holds a certificate that does not parse: ${where}`, {
        cause,
      });
    }
    const to = Date.parse(x509.validTo) / 1000;
    if (to > latest) [latest, subject] = [to, x509.subject.replace(/\n/g, ", ")];
  }
  if (latest < now)
    throw new InvalidInputError(
      "transport.ca",
      `every certificate in it has expired (the latest, ${subject}, at ${new Date(latest * 1000).toISOString()}): ${where}`,
    );
}
