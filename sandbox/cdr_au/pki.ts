/**
 * The AU emulator's own PKI under `<dataDir>/pki` (made once, reused): a CA for every server and
 * client certificate, the server certificate (localhost, 127.0.0.1), the Register's SSA signing key,
 * and per software product a PS256 and an ES256 signing key and a transport certificate whose CN is
 * the product id. Built with the UK sandbox's helpers (sandbox/pki.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { type Ca, type CertFiles, ensureCa, ensureLeaf, type KeyPairFiles, keyPairFile } from "../pki.js";
import type { BrandConfig } from "./options.js";

export interface ProductPki {
  signing: KeyPairFiles;
  signing_es256: KeyPairFiles;
  transport: CertFiles;
}

export interface CdrPki {
  ca: Ca;
  caCertFile: string;
  caPem: string;
  server: CertFiles;
  /** Signs SSAs (published at /cdr-register/v1/jwks). */
  ssaSigning: KeyPairFiles;
  /** Would sign Register access tokens (published at the idp jwks_uri; tokens here are opaque). */
  idpSigning: KeyPairFiles;
  products: Map<string, ProductPki>;
}

/** Transport certificate subject in ASN.1 order: CN = product id, OU = brand id. */
export function productSubject(brand: BrandConfig, productId: string): string {
  return `C=AU, O=${brand.org_name.replace(/[,+="<>#;\\]/g, "")}, OU=${brand.brand_id}, CN=${productId}`;
}

export async function ensureCdrPki(dir: string, brands: BrandConfig[]): Promise<CdrPki> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = await ensureCa(dir, "ca", "CN=ob-dcr CDR sandbox CA, O=ob-dcr sandbox, C=AU");
  const server = await ensureLeaf(ca, dir, "server", "CN=localhost, O=ob-dcr CDR sandbox, C=AU", "server");
  const ssaSigning = await keyPairFile(path.join(dir, "register-ssa-signing.key.pem"), "PS256");
  const idpSigning = await keyPairFile(path.join(dir, "register-idp-signing.key.pem"), "PS256");
  const products = new Map<string, ProductPki>();
  for (const brand of brands) {
    for (const p of brand.software_products) {
      const pDir = path.join(dir, "products", p.software_product_id);
      fs.mkdirSync(pDir, { recursive: true, mode: 0o700 });
      products.set(p.software_product_id, {
        signing: await keyPairFile(path.join(pDir, "signing.key.pem"), "PS256"),
        signing_es256: await keyPairFile(path.join(pDir, "signing-es256.key.pem"), "ES256"),
        transport: await ensureLeaf(
          ca,
          pDir,
          "transport",
          productSubject(brand, p.software_product_id),
          "client",
        ),
      });
    }
  }
  return {
    ca,
    caCertFile: ca.certFile,
    caPem: fs.readFileSync(ca.certFile, "utf8"),
    server,
    ssaSigning,
    idpSigning,
    products,
  };
}
