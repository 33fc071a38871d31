import "reflect-metadata";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Name as AsnName } from "@peculiar/asn1-x509";
import * as x509 from "@peculiar/x509";
import { z } from "zod";
import { subjectDn, subjectDnEncodings } from "./dn.js";
import { SandboxHttpError } from "./http.js";
import { issueLeaf, newEcKeys, type Pki } from "./pki.js";
import { writeFileAtomic } from "./store.js";

const DAY_MS = 24 * 3600 * 1000;

/** Body of `POST /admin/softwares/{software_id}/transport` (certificate renewal). */
export const ReissueTransportRequest = z.strictObject({
  /** false: the same subject as the software's current transport certificate; true: a different one. */
  subject_dn_change: z.boolean().default(false),
  /** An existing folder (absolute path) outside the PKI folder: `transport.{cert,key}.pem` go there. */
  out_dir: z
    .string()
    .refine((p) => path.isAbsolute(p), "out_dir must be an absolute path")
    .refine((p) => fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() === true, {
      message: "out_dir must be an existing folder",
    }),
  /** Validity from now, days (short ones make certificates for expiry tests). */
  valid_days: z.number().int().min(1).max(825).default(730),
});
export type ReissueTransportRequest = z.input<typeof ReissueTransportRequest>;

/** What a renewal returns: the new files and the new certificate's subject and fingerprint. */
export interface ReissuedTransport {
  cert_file: string;
  key_file: string;
  /** RFC 4514, default bank encoding (2.5.4.97=#<hex>), as in the manifest's `transport.subject_dn`. */
  subject_dn: string;
  subject_dn_encodings: { hex: string; name: string; oid: string };
  /** Hex SHA-256 of the certificate DER, lower case, no colons. */
  sha256: string;
  /** ISO 8601. */
  not_after: string;
}

/** `L=London` added after `C=` (ASN.1 order): the DN differs, CN and OU (the SSA binding) do not. */
function changedSubject(current: x509.Name): x509.Name {
  const name = AsnConvert.parse(current.toArrayBuffer(), AsnName);
  const locality = AsnConvert.parse(new x509.Name("L=London").toArrayBuffer(), AsnName)[0]!;
  name.splice(1, 0, locality);
  return new x509.Name(AsnConvert.serialize(name));
}

function insidePki(pki: Pki, dir: string): boolean {
  const rel = path.relative(fs.realpathSync(pki.dir), fs.realpathSync(dir));
  return !rel.startsWith("..") && !path.isAbsolute(rel);
}

/**
 * Issues a new transport (client) certificate for a software with a new key pair from the sandbox CA,
 * and writes it to `out_dir`. The software's own files in the PKI folder are never touched: other
 * sandboxes share that folder, and the manifest keeps pointing at them.
 */
export async function reissueTransport(
  pki: Pki,
  softwareId: string,
  request: ReissueTransportRequest,
): Promise<ReissuedTransport> {
  const parsed = ReissueTransportRequest.safeParse(request);
  if (!parsed.success) throw new SandboxHttpError(400, "invalid_request", z.prettifyError(parsed.error));
  const { subject_dn_change, out_dir, valid_days } = parsed.data;
  const software = pki.softwares.get(softwareId);
  if (!software) throw new SandboxHttpError(404, "not_found", `no software ${softwareId}`);
  if (insidePki(pki, out_dir))
    throw new SandboxHttpError(400, "invalid_request", "out_dir must be outside the sandbox PKI folder");
  const current = new x509.X509Certificate(software.transport.certPem).subjectName;
  // The current subject re-used as DER keeps every attribute's string type, so the DN is byte-identical.
  const subject = subject_dn_change ? changedSubject(current) : new x509.Name(current.toArrayBuffer());
  const { keys, pem } = newEcKeys();
  const cert = await issueLeaf(pki.ca, subject, keys, "client", new Date(Date.now() + valid_days * DAY_MS));
  const certFile = path.join(out_dir, "transport.cert.pem");
  const keyFile = path.join(out_dir, "transport.key.pem");
  writeFileAtomic(keyFile, pem, 0o600);
  writeFileAtomic(certFile, cert.toString("pem"));
  const der = new Uint8Array(cert.rawData);
  return {
    cert_file: certFile,
    key_file: keyFile,
    subject_dn: subjectDn(der, "hex"),
    subject_dn_encodings: subjectDnEncodings(der),
    sha256: crypto.createHash("sha256").update(der).digest("hex"),
    not_after: cert.notAfter.toISOString(),
  };
}
