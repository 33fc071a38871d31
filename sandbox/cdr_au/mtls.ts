/** Certificate binding (RFC 8705) shared by the Register's and the holders' tokens. */
import crypto from "node:crypto";

/** `x5t#S256` of a DER certificate: what a certificate-bound token remembers and re-checks. */
export function certThumbprint(der: Uint8Array): string {
  return crypto.createHash("sha256").update(der).digest("base64url");
}
