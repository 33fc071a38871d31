import "../provider/library_guard.js";
import fs from "node:fs";
import path from "node:path";
import { createAdmin, type SandboxAdmin, startAdminServer } from "./admin.js";
import { type BankServer, startBank } from "./bank.js";
import { type BankListAdmin, BankListStore, type ListedBankInput } from "./bank_list.js";
import { cliConfig } from "./cli_config.js";
import { DIRECTORY_SCOPES, SSA_ISSUER, startDirectory } from "./directory.js";
import { ukBankEntry, ukFixtureEntries } from "./directory_scim.js";
import { subjectDn, subjectDnEncodings } from "./dn.js";
import { FaultSet } from "./faults.js";
import type { RunningServer } from "./http.js";
import { SandboxManifest } from "./manifest.js";
import { defaultDataDir, SandboxOptions } from "./options.js";
import { ensurePki } from "./pki.js";
import { writeFileAtomic } from "./store.js";

export type { ReissueTransportOptions, SandboxAdmin } from "./admin.js";
export type { AdminRegistration, BankServer } from "./bank.js";
export type { CdrAuSandbox } from "./cdr_au/index.js";
export { CdrAuManifest, CdrAuSandboxOptions, startCdrAuSandbox } from "./cdr_au/index.js";
export { FaultSpec, type FaultSpecInput } from "./faults.js";
export { SandboxManifest, ssaUrl } from "./manifest.js";
export type { OfbBrSandbox } from "./ofb_br/index.js";
export { OfbBrManifest, OfbBrSandboxOptions, startOfbBrSandbox } from "./ofb_br/index.js";
export {
  BankConfig,
  type BankConfigInput,
  DEFAULT_ORG_ID,
  DEFAULT_SOFTWARE_ID,
  DEFAULT_SOFTWARE_ID_18,
  OrgConfig,
  SandboxOptions,
  SoftwareConfig,
} from "./options.js";
export { BankQuirks, BankQuirksPatch, DnEncoding } from "./quirks.js";
export { type ReissuedTransport, ReissueTransportRequest } from "./transport_reissue.js";

export interface Sandbox {
  manifest: SandboxManifest;
  manifestPath: string;
  admin: SandboxAdmin;
  /** The directory's SCIM list of ASPSPs: add, retire, change, remove entries; failure modes; counts. */
  bankList: BankListAdmin;
  /** The list entry of one of the sandbox's banks (to add it, or to find its id). */
  bankListEntryFor(bank: string): ListedBankInput & { id: string };
  close(): Promise<void>;
}

/**
 * Starts the directory, every configured bank and the admin API on loopback HTTPS, makes (or reuses)
 * the PKI, and writes `<dataDir>/manifest.json`.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const opts = SandboxOptions.parse(options);
  const dataDir = path.resolve(opts.dataDir ?? defaultDataDir());
  const pkiDir = path.resolve(opts.pkiDir ?? path.join(dataDir, "pki"));
  const names = new Set<string>();
  for (const b of opts.banks) {
    if (names.has(b.name)) throw new TypeError(`duplicate bank name ${b.name}`);
    names.add(b.name);
  }
  // A folder the sandbox makes is its own: git ignores it whole (its keys and the clients' secrets,
  // in the project folder of an installed package, must not be committed). A folder that was there
  // already may be the user's, and is left as it is.
  if (fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 }) !== undefined)
    fs.writeFileSync(
      path.join(dataDir, ".gitignore"),
      "# made by the ob-dcr sandbox: test keys and registrations\n*\n",
    );
  const pki = await ensurePki(pkiDir, opts.orgs);
  const directoryFaults = new FaultSet();
  const closers: Array<() => Promise<void>> = [];
  try {
    const directory = await startDirectory({
      orgs: opts.orgs,
      pki,
      faults: directoryFaults,
      host: opts.host,
      port: opts.ports.directory,
      log: opts.log,
    });
    closers.push(() => directory.close());
    const banks = new Map<string, BankServer>();
    for (const config of opts.banks) {
      const bank = await startBank({
        config,
        pki,
        dataDir,
        directoryJwksUrl: directory.jwksUri,
        directoryOrigin: directory.origin,
        host: opts.host,
        log: opts.log,
      });
      closers.push(() => bank.close());
      banks.set(config.name, bank);
    }
    const listed = opts.listing.banks ?? [...banks.keys()];
    for (const n of listed) if (!banks.has(n)) throw new TypeError(`listing.banks names no bank ${n}`);
    const entryFor = (name: string) => {
      const i = [...banks.keys()].indexOf(name);
      if (i < 0) throw new TypeError(`unknown bank ${name}`);
      return ukBankEntry(i, { ...banks.get(name)!, org_id: opts.banks.find((c) => c.name === name)!.org_id });
    };
    directory.list.store = new BankListStore([
      ...[...banks.keys()].filter((n) => listed.includes(n)).map(entryFor),
      ...(opts.listing.fixtures ? ukFixtureEntries(directory.origin) : []),
      ...Array.from({ length: opts.listing.size }, (_, i) => ({
        ...ukFixtureEntries(directory.origin)[3]!,
        id: `S${String(i + 1).padStart(17, "0")}`,
        org_id: `T${String(i + 1).padStart(17, "0")}`,
        name: `synthetic-${i + 1}`,
      })),
    ]);
    const manifest = SandboxManifest.parse({
      ca_cert_file: pki.caCertFile,
      untrusted: {
        ca_cert_file: pki.untrusted.caCertFile,
        client_cert_file: pki.untrusted.client.cert_file,
        client_key_file: pki.untrusted.client.key_file,
      },
      directory: {
        issuer: SSA_ISSUER,
        base_url: directory.origin,
        token_endpoint: directory.tokenEndpoint,
        jwks_uri: directory.jwksUri,
        ssa_endpoint_template: directory.ssaEndpointTemplate,
        scope: DIRECTORY_SCOPES.join(" "),
        aspsps_url: `${directory.origin}/scim/v2/OBAccountPaymentServiceProviders`,
      },
      orgs: opts.orgs.map((org) => ({
        org_id: org.org_id,
        org_name: org.org_name,
        org_status: org.org_status,
        softwares: org.softwares.map((sw) => {
          const p = pki.softwares.get(sw.software_id)!;
          const key = (k: typeof p.signing) => ({
            kid: k.kid,
            alg: k.alg,
            private_key_file: k.private_key_file,
            public_jwk: k.public_jwk,
          });
          return {
            software_id: sw.software_id,
            software_client_id: sw.software_client_id ?? sw.software_id,
            software_client_name: sw.software_client_name,
            software_redirect_uris: sw.software_redirect_uris,
            software_roles: sw.software_roles,
            software_jwks_endpoint: directory.softwareJwksUrl(org.org_id, sw.software_id),
            software_jwks_revoked_endpoint: directory.softwareRevokedJwksUrl(org.org_id, sw.software_id),
            signing: key(p.signing),
            signing_es256: key(p.signing_es256),
            signing_next: key(p.signing_next),
            revoked_signing: p.revoked_signing ? key(p.revoked_signing) : undefined,
            transport: {
              cert_file: p.transport.cert_file,
              key_file: p.transport.key_file,
              subject_dn: subjectDn(p.transport.der, "hex"),
              subject_dn_encodings: subjectDnEncodings(p.transport.der),
            },
          };
        }),
      })),
      banks: [...banks.values()].map((b) => {
        const config = opts.banks.find((c) => c.name === b.name)!;
        return {
          name: b.name,
          issuer: b.issuer,
          discovery_url: b.discoveryUrl,
          registration_endpoint: b.registrationEndpoint,
          token_endpoint: b.tokenEndpoint,
          jwks_uri: b.jwksUri,
          org_id: config.org_id,
          management: config.management,
          request_format: config.request_format,
          quirks: b.quirks(),
        };
      }),
      admin_url: "https://pending",
    });
    const admin = createAdmin(banks, directory, directoryFaults, pki);
    const currentManifest = (): SandboxManifest => ({
      ...manifest,
      banks: manifest.banks.map((b) => ({ ...b, quirks: banks.get(b.name)!.quirks() })),
    });
    const adminServer: RunningServer = await startAdminServer({
      admin,
      manifest: currentManifest,
      pki,
      host: opts.host,
      port: opts.ports.admin,
      log: opts.log,
      bankList: directory.list.store,
    });
    closers.push(() => adminServer.close());
    manifest.admin_url = adminServer.origin;
    const manifestPath = path.join(dataDir, "manifest.json");
    writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    for (const b of manifest.banks) {
      const file = path.join(dataDir, "cli", `${b.name}.json`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      writeFileAtomic(file, `${JSON.stringify(cliConfig(manifest, b.name), null, 2)}\n`);
    }
    let closed = false;
    return {
      manifest,
      manifestPath,
      admin,
      bankList: directory.list.store,
      bankListEntryFor: entryFor,
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
