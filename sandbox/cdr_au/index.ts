/**
 * The AU CDR emulator: a strict CDR Register (token, SSA JWKS, Get SSA v3/v4) and data holders
 * (discovery, /connect/register + management, /connect/token) on loopback HTTPS with their own CA.
 * Independent of the client code (no imports from provider/**).
 */
import fs from "node:fs";
import path from "node:path";
import { BankListStore } from "../bank_list.js";
import type { RunningServer } from "../http.js";
import { writeFileAtomic } from "../store.js";
import { type CdrAuAdmin, createAdmin, startAdminServer } from "./admin.js";
import { cdrFixtureEntries, cdrHolderEntry, cdrSyntheticEntries } from "./brands.js";
import { type HolderServer, startHolder } from "./holder.js";
import { CdrAuManifest } from "./manifest.js";
import { CdrAuSandboxOptions, type CdrAuSandboxOptionsInput, checkUnique } from "./options.js";
import { ensureCdrPki } from "./pki.js";
import { startRegister } from "./register.js";

export type { CdrAuAdmin, CdrAuStats, HolderStats } from "./admin.js";
export { CDS_CODES } from "./cds_errors.js";
export { CdrAuManifest, CdrAuManifestHolder, CdrAuManifestProduct, cdrSsaUrl } from "./manifest.js";
export {
  BrandConfig,
  CdrAuSandboxOptions,
  type CdrAuSandboxOptionsInput,
  DEFAULT_BRAND_ID,
  DEFAULT_LEGAL_ENTITY_ID,
  DEFAULT_PRODUCT_ID,
  DEFAULT_PRODUCT_ID_2,
  HolderConfig,
  type HolderConfigInput,
  ProductStatus,
  SoftwareProductConfig,
} from "./options.js";

export interface CdrAuSandbox {
  manifest: CdrAuManifest;
  manifestPath: string;
  admin: CdrAuAdmin;
  /** The HTTPS admin API (server certificate from the sandbox CA, no client certificate). */
  adminUrl: string;
  close(): Promise<void>;
}

/** Starts the Register, every holder and the admin API; makes (or reuses) the PKI; writes the manifest. */
export async function startCdrAuSandbox(options: CdrAuSandboxOptionsInput): Promise<CdrAuSandbox> {
  const opts = CdrAuSandboxOptions.parse(options);
  checkUnique(opts);
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pki = await ensureCdrPki(path.join(dataDir, "pki"), opts.brands);
  const closers: Array<() => Promise<void>> = [];
  try {
    const register = await startRegister({
      brands: opts.brands,
      pki,
      host: opts.host,
      port: opts.ports.register,
      log: opts.log,
      ssaVersions: opts.ssa_versions,
    });
    closers.push(() => register.close());
    const holders = new Map<string, HolderServer>();
    for (const config of opts.holders) {
      const holder = await startHolder({
        config,
        pki,
        dataDir,
        registerJwksUrl: register.urls.ssaJwks,
        registerOrigin: register.origin,
        productStatus: (id) => register.status(id),
        host: opts.host,
        log: opts.log,
      });
      closers.push(() => holder.close());
      holders.set(config.name, holder);
    }
    const listed = opts.listing.holders ?? [...holders.keys()];
    for (const n of listed) if (!holders.has(n)) throw new TypeError(`listing.holders names no holder ${n}`);
    register.list.store = new BankListStore([
      ...[...holders.values()].flatMap((h, i) =>
        listed.includes(h.name) ? [cdrHolderEntry(i, { name: h.name, origin: h.urls.issuer })] : [],
      ),
      ...(opts.listing.fixtures ? cdrFixtureEntries(register.origin) : []),
      ...cdrSyntheticEntries(register.origin, opts.listing.size),
    ]);
    const manifest = CdrAuManifest.parse({
      regime: "cdr-au",
      ca_cert_file: pki.caCertFile,
      register: {
        issuer: register.urls.issuer,
        discovery_url: register.urls.discovery,
        token_endpoint: register.urls.token,
        jwks_uri: register.urls.ssaJwks,
        ssa_endpoint_template: register.urls.ssaTemplate,
        ssa_versions: register.ssaVersions,
        brands_url: `${register.origin}/cdr-register/v1/all/data-holders/brands`,
      },
      brands: opts.brands.map((b) => ({
        brand_id: b.brand_id,
        legal_entity_id: b.legal_entity_id,
        org_name: b.org_name,
        software_products: b.software_products.map((p) => {
          const keys = pki.products.get(p.software_product_id)!;
          const ref = (k: typeof keys.signing) => ({
            kid: k.kid,
            alg: k.alg,
            private_key_file: k.private_key_file,
            public_jwk: k.public_jwk,
          });
          return {
            software_product_id: p.software_product_id,
            status: p.status,
            redirect_uris: p.redirect_uris,
            jwks_uri: register.urls.productJwks(p.software_product_id),
            revocation_uri: register.urls.productRevocation(p.software_product_id),
            recipient_base_uri: register.urls.productBase(p.software_product_id),
            scope: p.scope,
            signing: ref(keys.signing),
            signing_es256: ref(keys.signing_es256),
            transport: { cert_file: keys.transport.cert_file, key_file: keys.transport.key_file },
          };
        }),
      })),
      holders: [...holders.values()].map((h) => ({
        name: h.name,
        issuer: h.urls.issuer,
        discovery_url: h.urls.discovery,
        registration_endpoint: h.urls.registration,
        token_endpoint: h.urls.token,
        delete_supported: h.config.delete_supported,
      })),
    });
    const admin = createAdmin(register, holders);
    const adminServer: RunningServer = await startAdminServer({
      admin,
      manifest: () => manifest,
      pki,
      host: opts.host,
      port: opts.ports.admin,
      log: opts.log,
    });
    closers.push(() => adminServer.close());
    const manifestPath = path.join(dataDir, "manifest.json");
    writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    let closed = false;
    return {
      manifest,
      manifestPath,
      admin,
      adminUrl: adminServer.origin,
      close: async () => {
        if (closed) return;
        closed = true;
        await Promise.all(closers.map((c) => c()));
      },
    };
  } catch (err) {
    await Promise.allSettled(closers.map((c) => c()));
    throw err;
  }
}
