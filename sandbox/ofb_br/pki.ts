/**
 * The BR emulator's own PKI under `<dataDir>/pki` (made on first start, reused after): a CA, the
 * servers' certificate, the directory's SSA signing key, and per software a PS256 signing key and an
 * ICP-Brasil-style transport certificate (digest §2.5). An untrusted CA and client certificate serve
 * negative tests. Built on the UK sandbox's CA/leaf helpers.
 */
import "reflect-metadata";
import fs from "node:fs";
import path from "node:path";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from "@peculiar/asn1-x509";
import * as x509 from "@peculiar/x509";
import {
  type Ca,
  type CertFiles,
  ensureCa,
  ensureLeaf,
  issueLeaf,
  type KeyPairFiles,
  keyPairFile,
  newEcKeys,
} from "../pki.js";
import { writeFileAtomic } from "../store.js";
import { certSubject, certSubjectDn, OID } from "./dn.js";
import type { OfbBrOrgConfig, OfbBrSoftwareConfig } from "./options.js";

const YEAR_MS = 365 * 24 * 3600 * 1000;

export interface OfbTransport extends CertFiles {
  /** The §2.5 DN string of the certificate subject. */
  subject_dn: string;
}

export interface OfbSoftwarePki {
  signing: KeyPairFiles;
  transport: OfbTransport;
}

export interface OfbPki {
  dir: string;
  ca: Ca;
  caCertFile: string;
  caPem: string;
  server: CertFiles;
  directorySigning: KeyPairFiles;
  untrusted: { caCertFile: string; client: CertFiles };
  softwares: Map<string, OfbSoftwarePki>;
}

type Encoding = "printableString" | "utf8String";
const atv = (type: string, enc: Encoding, value: string) =>
  new RelativeDistinguishedName([
    new AttributeTypeAndValue({ type, value: new AttributeValue({ [enc]: value }) }),
  ]);

/**
 * The transport certificate subject in certificate (ASN.1) order; its §2.5 string is the reverse
 * (`UID=…,2.5.4.97=#13…,CN=…,2.5.4.5=#13…,…,C=BR`). PrintableString (tag 13) for C,
 * jurisdictionCountryName, serialNumber and organizationIdentifier; UTF8String (tag 0C) for the
 * rest, businessCategory included, so both encodings occur among the `#hex` attributes. A legacy
 * certificate (`org_attribute: "OU"`) has `OU=<org_id>` in place of organizationIdentifier.
 */
export function transportName(org: OfbBrOrgConfig, sw: OfbBrSoftwareConfig): Name {
  return new Name([
    atv(OID.C, "printableString", "BR"),
    atv(OID.ST, "utf8String", "SP"),
    atv(OID.L, "utf8String", "São Paulo"),
    atv(OID.O, "utf8String", org.org_name),
    atv(OID.businessCategory, "utf8String", "Private Organization"),
    atv(OID.jurisdictionCountryName, "printableString", "BR"),
    atv(OID.serialNumber, "printableString", org.org_number),
    atv(OID.CN, "utf8String", sw.cn),
    sw.org_attribute === "OU"
      ? atv(OID.OU, "utf8String", org.org_id)
      : atv(OID.organizationIdentifier, "printableString", `OFBBR-${org.org_id}`),
    atv(OID.UID, "utf8String", sw.software_id),
  ]);
}

function readCert(certFile: string, keyFile: string): CertFiles {
  const certPem = fs.readFileSync(certFile, "utf8");
  return {
    cert_file: certFile,
    key_file: keyFile,
    certPem,
    keyPem: fs.readFileSync(keyFile, "utf8"),
    der: new Uint8Array(new x509.X509Certificate(certPem).rawData),
  };
}

/** A client certificate with exactly this subject (DER-equal), reissued when missing, stale or changed. */
async function ensureTransport(ca: Ca, dir: string, subject: Name): Promise<OfbTransport> {
  const certFile = path.join(dir, "transport.cert.pem");
  const keyFile = path.join(dir, "transport.key.pem");
  const wanted = Buffer.from(AsnConvert.serialize(subject));
  let ok = false;
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    const current = new x509.X509Certificate(fs.readFileSync(certFile, "utf8"));
    ok =
      Buffer.from(AsnConvert.serialize(certSubject(new Uint8Array(current.rawData)))).equals(wanted) &&
      current.issuer === ca.cert.subject &&
      current.notAfter.getTime() > Date.now() + 24 * 3600_000;
  }
  if (!ok) {
    const { keys, pem } = newEcKeys();
    const cert = await issueLeaf(
      ca,
      new x509.Name(new Uint8Array(wanted)),
      keys,
      "client",
      new Date(Date.now() + 2 * YEAR_MS),
    );
    writeFileAtomic(keyFile, pem, 0o600);
    writeFileAtomic(certFile, cert.toString("pem"));
  }
  const files = readCert(certFile, keyFile);
  return { ...files, subject_dn: certSubjectDn(files.der) };
}

/** Makes or loads the PKI in `dir` (files written atomically, private keys 0600). */
export async function ensureOfbPki(dir: string, orgs: OfbBrOrgConfig[]): Promise<OfbPki> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = await ensureCa(dir, "ca", "CN=ob-dcr OFB sandbox CA, O=ob-dcr OFB sandbox, C=BR");
  const server = await ensureLeaf(ca, dir, "server", "CN=localhost, O=ob-dcr OFB sandbox, C=BR", "server");
  const directorySigning = await keyPairFile(path.join(dir, "directory-signing.key.pem"), "PS256");
  const softwares = new Map<string, OfbSoftwarePki>();
  for (const org of orgs)
    for (const sw of org.softwares) {
      const swDir = path.join(dir, "softwares", org.org_id, sw.software_id);
      fs.mkdirSync(swDir, { recursive: true, mode: 0o700 });
      softwares.set(sw.software_id, {
        signing: await keyPairFile(path.join(swDir, "signing.key.pem"), "PS256"),
        transport: await ensureTransport(ca, swDir, transportName(org, sw)),
      });
    }
  const untrustedCa = await ensureCa(dir, "untrusted-ca", "CN=untrusted CA, O=elsewhere, C=BR");
  const untrustedClient = await ensureLeaf(
    untrustedCa,
    dir,
    "untrusted-client",
    "CN=untrusted.example.com.br, O=elsewhere, C=BR",
    "client",
  );
  return {
    dir,
    ca,
    caCertFile: ca.certFile,
    caPem: fs.readFileSync(ca.certFile, "utf8"),
    server,
    directorySigning,
    untrusted: { caCertFile: untrustedCa.certFile, client: untrustedClient },
    softwares,
  };
}
