// Shared pieces of the reliability suite (its sandbox and parameters come from test/support):
// certificates made on the fly with the sandbox CA, SSAs signed with the sandbox directory key, a
// tiny loopback HTTPS server with the sandbox's server certificate, and the secret-leak scanner.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import * as x509 from "@peculiar/x509";
import * as jose from "jose";
import type { Sandbox } from "../../sandbox/index.js";
import { read, software } from "../support/params.js";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export function pkiDir(sb: Sandbox): string {
  return path.dirname(sb.manifest.ca_cert_file);
}

async function importEcPkcs8(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  return webcrypto.subtle.importKey("pkcs8", der, { name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
  ]) as Promise<CryptoKey>;
}

/**
 * A client certificate issued by the sandbox CA (or by the untrusted CA), with the software's
 * transport subject, a fresh P-256 key and the given validity window.
 */
export async function issueClientCert(
  sb: Sandbox,
  o: { notBefore: Date; notAfter: Date; untrusted?: boolean },
): Promise<{ cert: string; key: string }> {
  const dir = pkiDir(sb);
  const base = o.untrusted ? "untrusted-ca" : "ca";
  const caCert = new x509.X509Certificate(read(path.join(dir, `${base}.cert.pem`)));
  const caKey = await importEcPkcs8(read(path.join(dir, `${base}.key.pem`)));
  const own = new x509.X509Certificate(read(software(sb).sw.transport.cert_file));
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `01${Date.now().toString(16)}`,
    subject: own.subject,
    issuer: caCert.subject,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: alg,
    extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString("base64").replace(/(.{64})/g, "$1\n")}\n-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString("pem"), key };
}

/** An SSA signed with the sandbox directory's own key, claims overridable (a real-looking SSA). */
export async function signSsa(sb: Sandbox, claims: Record<string, unknown> = {}): Promise<string> {
  const key = await jose.importPKCS8(read(path.join(pkiDir(sb), "directory-signing.key.pem")), "PS256");
  const undici = await import("undici");
  const dispatcher = new undici.Agent({ connect: { ca: read(sb.manifest.ca_cert_file) } });
  const jwks = (await (await undici.fetch(sb.manifest.directory.jwks_uri, { dispatcher })).json()) as {
    keys: { kid: string }[];
  };
  await dispatcher.close();
  const { org, sw } = software(sb);
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    iss: "OpenBanking Ltd",
    iat: now,
    jti: crypto.randomUUID(),
    software_id: sw.software_id,
    software_client_id: sw.software_client_id,
    software_client_name: sw.software_client_name,
    software_roles: sw.software_roles,
    software_redirect_uris: sw.software_redirect_uris,
    software_jwks_endpoint: sw.software_jwks_endpoint,
    software_jwks_revoked_endpoint: sw.software_jwks_revoked_endpoint,
    software_mode: "Test",
    org_id: org.org_id,
    org_name: org.org_name,
    org_status: "Active",
    ...claims,
  };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new jose.SignJWT(payload as jose.JWTPayload)
    .setProtectedHeader({ alg: "PS256", kid: jwks.keys[0]!.kid, typ: "JWT" })
    .sign(key);
}

export interface TinyServer {
  url: string;
  /** Requests received, "METHOD /path". */
  seen: string[];
  close(): Promise<void>;
}

type Handler = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void;

/** A loopback HTTPS server with the sandbox's server certificate (real TLS, trusted by the sandbox CA). */
export async function tinyHttpsServer(
  sb: Sandbox,
  handler: Handler,
  host = "127.0.0.1",
): Promise<TinyServer> {
  const dir = pkiDir(sb);
  const seen: string[] = [];
  const server = https.createServer(
    { cert: read(path.join(dir, "server.cert.pem")), key: read(path.join(dir, "server.key.pem")) },
    (req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      req.on("end", () => handler(req, res));
    },
  );
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://${host === "127.0.0.1" ? "localhost" : host}:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * Secret values to look for in any text the product produced: whole values and a long slice of
 * each (a value may be wrapped or re-encoded around its middle).
 */
export function secretNeedles(values: (string | undefined)[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (!v || v.length < 12) continue;
    if (v.includes("PRIVATE KEY")) {
      // every base64 line of a PEM key
      for (const line of v.split("\n")) if (/^[A-Za-z0-9+/=]{40,}$/.test(line.trim())) out.push(line.trim());
      continue;
    }
    out.push(v);
    if (v.length > 24) out.push(v.slice(4, v.length - 4));
  }
  return out;
}

export function expectNoSecrets(text: string, needles: string[], where: string): void {
  for (const n of needles) {
    if (text.includes(n)) throw new Error(`a secret value (${n.slice(0, 6)}…) appears in ${where}`);
  }
}

/** The secret values of the sandbox software: private keys of signing and transport. */
export function softwareSecrets(sb: Sandbox): string[] {
  const { sw } = software(sb);
  return secretNeedles([
    read(sw.signing.private_key_file),
    read(sw.signing_es256.private_key_file),
    read(sw.transport.key_file),
  ]);
}
