// Certificates and keys for the hostile servers and the client under test, made with the sandbox's
// PKI helpers (a CA, a server certificate for localhost/127.0.0.1, a directory signing key, the
// software's signing keys and its transport certificate). No sandbox server is started: the servers
// that answer are the hostile ones (hostile.ts).
import { mkdirSync, readFileSync, rmdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type * as jose from "jose";
import { DEFAULT_ORG_ID, DEFAULT_SOFTWARE_ID, OrgConfig, SoftwareConfig } from "../../sandbox/options.js";
import { ensurePki } from "../../sandbox/pki.js";

export interface SecurityPki {
  dir: string;
  caFile: string;
  caPem: string;
  serverCert: string;
  serverKey: string;
  directoryKeyPem: string;
  directoryJwk: jose.JWK;
  orgId: string;
  softwareId: string;
  signing: { kid: string; alg: "PS256"; file: string; pem: string };
  softwareJwk: jose.JWK;
  transport: { certFile: string; keyFile: string; keyPem: string };
}

/** The PKI, made once per machine in the temp folder (key generation is the slow part). */
export async function securityPki(dir = path.join(os.tmpdir(), "obdcr-security-pki")): Promise<SecurityPki> {
  const org = OrgConfig.parse({
    org_id: DEFAULT_ORG_ID,
    softwares: [SoftwareConfig.parse({ software_id: DEFAULT_SOFTWARE_ID, revoked_key: false })],
  });
  const pki = await withLock(`${dir}.lock`, () => ensurePki(dir, [org]));
  const sw = pki.softwares.get(DEFAULT_SOFTWARE_ID)!;
  const read = (f: string) => readFileSync(f, "utf8");
  return {
    dir,
    caFile: pki.caCertFile,
    caPem: pki.caPem,
    serverCert: pki.server.certPem,
    serverKey: pki.server.keyPem,
    directoryKeyPem: read(pki.directorySigning.private_key_file),
    directoryJwk: {
      ...pki.directorySigning.public_jwk,
      kid: pki.directorySigning.kid,
      alg: "PS256",
      use: "sig",
    },
    orgId: DEFAULT_ORG_ID,
    softwareId: DEFAULT_SOFTWARE_ID,
    signing: {
      kid: sw.signing.kid,
      alg: "PS256",
      file: sw.signing.private_key_file,
      pem: read(sw.signing.private_key_file),
    },
    softwareJwk: { ...sw.signing.public_jwk, kid: sw.signing.kid, alg: "PS256", use: "sig" },
    transport: {
      certFile: sw.transport.cert_file,
      keyFile: sw.transport.key_file,
      keyPem: sw.transport.keyPem,
    },
  };
}

/** One maker of the PKI at a time (the CLI and engine suites start in parallel on a fresh machine). */
async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a killed run is stale after a minute.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 60_000) rmdirSync(lock);
      } catch {
        // gone meanwhile
      }
      if (i > 1200) throw new Error(`the PKI lock ${lock} is held`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmdirSync(lock);
  }
}
