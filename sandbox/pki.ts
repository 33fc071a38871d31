import "reflect-metadata";
import crypto, { webcrypto } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as x509 from "@peculiar/x509";
import * as jose from "jose";
import { subjectDn } from "./dn.js";
import type { OrgConfig, SoftwareConfig } from "./options.js";
import { writeFileAtomic } from "./store.js";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const YEAR_MS = 365 * 24 * 3600 * 1000;

export interface KeyPairFiles {
  kid: string;
  alg: "PS256" | "ES256" | "RS256";
  private_key_file: string;
  privateKey: crypto.KeyObject;
  public_jwk: jose.JWK;
}

export interface CertFiles {
  cert_file: string;
  key_file: string;
  certPem: string;
  keyPem: string;
  der: Uint8Array;
}

export interface SoftwarePki {
  signing: KeyPairFiles;
  signing_es256: KeyPairFiles;
  /** A second PS256 key in the same JWKS: the "next" key of a same-alg key rotation. */
  signing_next: KeyPairFiles;
  revoked_signing?: KeyPairFiles;
  transport: CertFiles;
  /**
   * Public keys published at runtime (test-only: `admin.publishSigningKey`), e.g. a key kept in an
   * HSM or KMS whose private part the sandbox never sees. Kept in memory, per sandbox.
   */
  published?: Map<string, jose.JWK>;
}

export interface Pki {
  /** The PKI folder (files here are shared by every sandbox using it: never rewritten at runtime). */
  dir: string;
  /** The sandbox CA (issues certificates at runtime, e.g. a renewed transport certificate). */
  ca: Ca;
  caCertFile: string;
  caPem: string;
  server: CertFiles;
  directorySigning: KeyPairFiles;
  untrusted: { caCertFile: string; client: CertFiles };
  softwares: Map<string, SoftwarePki>;
}

function exists(file: string): boolean {
  return fs.existsSync(file);
}

export async function keyPairFile(file: string, alg: "PS256" | "ES256"): Promise<KeyPairFiles> {
  if (!exists(file)) {
    const { privateKey } =
      alg === "ES256"
        ? crypto.generateKeyPairSync("ec", { namedCurve: "P-256" })
        : await new Promise<{ privateKey: crypto.KeyObject }>((resolve, reject) =>
            crypto.generateKeyPair("rsa", { modulusLength: 2048 }, (err, _pub, priv) =>
              err ? reject(err) : resolve({ privateKey: priv }),
            ),
          );
    writeFileAtomic(file, privateKey.export({ format: "pem", type: "pkcs8" }).toString(), 0o600);
  }
  const privateKey = crypto.createPrivateKey(fs.readFileSync(file));
  const pub = await jose.exportJWK(crypto.createPublicKey(privateKey));
  const kid = await jose.calculateJwkThumbprint(pub, "sha256");
  return { kid, alg, private_key_file: file, privateKey, public_jwk: { ...pub, kid, alg, use: "sig" } };
}

async function ecCryptoKeys(keyFile: string): Promise<CryptoKeyPair> {
  if (!exists(keyFile)) {
    const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    writeFileAtomic(keyFile, privateKey.export({ format: "pem", type: "pkcs8" }).toString(), 0o600);
  }
  const priv = crypto.createPrivateKey(fs.readFileSync(keyFile));
  const pub = crypto.createPublicKey(priv);
  return {
    privateKey: priv.toCryptoKey(EC, true, ["sign"]) as webcrypto.CryptoKey,
    publicKey: pub.toCryptoKey(EC, true, ["verify"]) as webcrypto.CryptoKey,
  };
}

function loadCert(certFile: string, keyFile: string): CertFiles {
  const certPem = fs.readFileSync(certFile, "utf8");
  return {
    cert_file: certFile,
    key_file: keyFile,
    certPem,
    keyPem: fs.readFileSync(keyFile, "utf8"),
    der: new Uint8Array(new x509.X509Certificate(certPem).rawData),
  };
}

function serial(): string {
  return crypto
    .randomBytes(8)
    .toString("hex")
    .replace(/^[89a-f]/, "1");
}

export interface Ca {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  certFile: string;
}

export async function ensureCa(dir: string, base: string, name: string): Promise<Ca> {
  const certFile = path.join(dir, `${base}.cert.pem`);
  const keyFile = path.join(dir, `${base}.key.pem`);
  const keys = await ecCryptoKeys(keyFile);
  if (!exists(certFile)) {
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name,
      notBefore: new Date(Date.now() - 3600_000),
      notAfter: new Date(Date.now() + 10 * YEAR_MS),
      keys,
      signingAlgorithm: EC,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    writeFileAtomic(certFile, cert.toString("pem"));
  }
  return { cert: new x509.X509Certificate(fs.readFileSync(certFile, "utf8")), keys, certFile };
}

export async function ensureLeaf(
  ca: Ca,
  dir: string,
  base: string,
  subject: string,
  usage: "server" | "client",
): Promise<CertFiles> {
  const certFile = path.join(dir, `${base}.cert.pem`);
  const keyFile = path.join(dir, `${base}.key.pem`);
  const keys = await ecCryptoKeys(keyFile);
  const current = exists(certFile) ? new x509.X509Certificate(fs.readFileSync(certFile, "utf8")) : undefined;
  const stale =
    !current ||
    current.subject !== new x509.Name(subject).toString() ||
    current.issuer !== ca.cert.subject ||
    current.notAfter.getTime() < Date.now() + 24 * 3600_000;
  if (stale) {
    const cert = await issueLeaf(ca, subject, keys, usage, new Date(Date.now() + 2 * YEAR_MS));
    writeFileAtomic(certFile, cert.toString("pem"));
  }
  return loadCert(certFile, keyFile);
}

/** A fresh P-256 key pair (new certificates get new keys) and its PKCS#8 PEM. */
export function newEcKeys(): { keys: CryptoKeyPair; pem: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    keys: {
      privateKey: privateKey.toCryptoKey(EC, true, ["sign"]) as webcrypto.CryptoKey,
      publicKey: publicKey.toCryptoKey(EC, true, ["verify"]) as webcrypto.CryptoKey,
    },
    pem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
  };
}

/** Issues a leaf certificate from `ca` (new serial, valid from an hour ago to `notAfter`). */
export async function issueLeaf(
  ca: Ca,
  subject: x509.Name | string,
  keys: CryptoKeyPair,
  usage: "server" | "client",
  notAfter: Date,
): Promise<x509.X509Certificate> {
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    new x509.ExtendedKeyUsageExtension([
      usage === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
    ]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (usage === "server")
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        { type: "dns", value: "localhost" },
        { type: "ip", value: "127.0.0.1" },
      ]),
    );
  return x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: EC,
    extensions,
  });
}

/** Transport certificate subject, in ASN.1 order (the RFC 4514 string is the reverse). */
export function transportSubject(org: OrgConfig, software: SoftwareConfig): string {
  return `C=GB, O=OpenBanking, 2.5.4.97=${org.organization_identifier}, OU=${org.org_id}, CN=${software.software_id}`;
}

/**
 * Makes (or loads from `dir`) the sandbox PKI: CA, server certificate (localhost, 127.0.0.1), directory
 * signing key, per software signing keys (PS256, ES256, next PS256, revoked) and transport certificate, and an
 * untrusted CA with a client certificate. Files are written atomically; private keys mode 0600.
 */
export async function ensurePki(dir: string, orgs: OrgConfig[]): Promise<Pki> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = await ensureCa(dir, "ca", "CN=ob-dcr sandbox CA, O=ob-dcr sandbox, C=GB");
  const server = await ensureLeaf(ca, dir, "server", "CN=localhost, O=ob-dcr sandbox, C=GB", "server");
  const directorySigning = await keyPairFile(path.join(dir, "directory-signing.key.pem"), "PS256");
  const softwares = new Map<string, SoftwarePki>();
  let firstSubject = "C=GB, O=OpenBanking, CN=untrusted";
  for (const org of orgs) {
    for (const sw of org.softwares) {
      const swDir = path.join(dir, "softwares", org.org_id, sw.software_id);
      fs.mkdirSync(swDir, { recursive: true, mode: 0o700 });
      const subject = transportSubject(org, sw);
      if (softwares.size === 0) firstSubject = subject;
      softwares.set(sw.software_id, {
        signing: await keyPairFile(path.join(swDir, "signing.key.pem"), "PS256"),
        signing_es256: await keyPairFile(path.join(swDir, "signing-es256.key.pem"), "ES256"),
        signing_next: await keyPairFile(path.join(swDir, "signing-next.key.pem"), "PS256"),
        revoked_signing: sw.revoked_key
          ? await keyPairFile(path.join(swDir, "revoked-signing.key.pem"), "PS256")
          : undefined,
        transport: await ensureLeaf(ca, swDir, "transport", subject, "client"),
      });
    }
  }
  const untrustedCa = await ensureCa(dir, "untrusted-ca", "CN=untrusted CA, O=elsewhere, C=GB");
  const untrustedClient = await ensureLeaf(untrustedCa, dir, "untrusted-client", firstSubject, "client");
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

export { subjectDn };
