/**
 * A strict Brazil Open Finance emulator (issue #16): the Directory (token endpoint, SSA assertion
 * endpoint, keystore) and one or more authorization servers (discovery, POST /register, DCM), on
 * loopback HTTPS with their own CA and mTLS. Independent of the client code (no provider/** imports).
 * Options and manifest: sandbox/README.md (BR section).
 */
import fs from "node:fs";
import path from "node:path";
import { BankListStore } from "../bank_list.js";
import type { RunningServer } from "../http.js";
import { writeFileAtomic } from "../store.js";
import { createOfbAdmin, type OfbBrAdmin, startOfbAdminServer } from "./admin.js";
import { type OfbAuthServer, startOfbAuthServer, startOfbVirtualAuthServers } from "./as_server.js";
import { startOfbDirectory } from "./directory.js";
import { softwareUris } from "./directory_context.js";
import { OfbBrManifest } from "./manifest.js";
import { OfbBrSandboxOptions, type OfbBrSandboxOptionsInput, OfbBrServerConfig } from "./options.js";
import { ofbFixtureEntries, ofbServerEntry, ofbSyntheticEntries } from "./participants.js";
import { ensureOfbPki } from "./pki.js";

/** The list at start: the listed servers, the fixtures, the synthetic ones. */
function participantEntries(opts: OfbBrSandboxOptions, origin: string, servers: Map<string, OfbAuthServer>) {
  const all = [...servers.values()];
  const listed = opts.listing.servers ?? all.map((s) => s.name);
  for (const n of listed) if (!servers.has(n)) throw new TypeError(`listing.servers names no server ${n}`);
  // The fixture that shares a discovery URL shares a listed server's (the point is the pair).
  const first = all.find((s) => listed.includes(s.name)) ?? all[0]!;
  return [
    ...all.flatMap((s, i) => (listed.includes(s.name) ? [ofbServerEntry(i, s)] : [])),
    ...(opts.listing.fixtures ? ofbFixtureEntries(origin, first.discoveryUrl) : []),
    ...ofbSyntheticEntries(origin, opts.listing.size),
  ];
}

export type { OfbBrAdmin, OfbBrClient, OfbBrStats } from "./admin.js";
export { ROLE_SCOPES } from "./directory_ssa.js";
export {
  certSubjectDn,
  DnParseError,
  dnMatch,
  OFB_HEX_OIDS,
  OID,
  ofbDnFormatProblem,
  parseDn,
  writeOfbDn,
} from "./dn.js";
export {
  OfbBrManifest,
  OfbBrManifestOrg,
  OfbBrManifestServer,
  OfbBrManifestSoftware,
  ofbSsaUrl,
} from "./manifest.js";
export {
  DEFAULT_OFB_ORGS,
  OfbBrOrgConfig,
  OfbBrSandboxOptions,
  type OfbBrSandboxOptionsInput,
  OfbBrServerConfig,
  type OfbBrServerConfigInput,
  OfbBrSoftwareConfig,
  OfbRole,
} from "./options.js";
export { transportName } from "./pki.js";

export interface OfbBrSandbox {
  manifest: OfbBrManifest;
  manifestPath: string;
  admin: OfbBrAdmin;
  close(): Promise<void>;
}

/**
 * Starts the directory, every configured authorization server and (with `ports.admin`) the HTTPS
 * admin API; makes or reuses the PKI under `<dataDir>/pki`; writes `<dataDir>/manifest.json`.
 */
export async function startOfbBrSandbox(input: OfbBrSandboxOptionsInput): Promise<OfbBrSandbox> {
  const opts = OfbBrSandboxOptions.parse(input);
  const names = new Set<string>();
  for (const s of opts.servers) {
    if (names.has(s.name)) throw new TypeError(`duplicate server name ${s.name}`);
    names.add(s.name);
  }
  const ids = opts.orgs.flatMap((o) => o.softwares.flatMap((s) => [s.software_id, s.software_client_id]));
  if (new Set(ids).size !== ids.length)
    throw new TypeError("software ids and software_client_ids must be unique");
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pki = await ensureOfbPki(path.join(dataDir, "pki"), opts.orgs);
  const closers: Array<() => Promise<void>> = [];
  try {
    const directory = await startOfbDirectory({ opts, pki });
    closers.push(() => directory.close());
    const servers = new Map<string, OfbAuthServer>();
    for (const cfg of opts.servers) {
      const as = await startOfbAuthServer({
        cfg,
        pki,
        dataDir,
        host: opts.host,
        directoryJwks: { keys: [pki.directorySigning.public_jwk] },
        ssaIssuer: opts.ssa_issuer,
        log: opts.log,
      });
      closers.push(() => as.close());
      servers.set(cfg.name, as);
    }
    const virtual = await startOfbVirtualAuthServers({
      cfgs: Array.from({ length: opts.virtual_servers }, (_, i) =>
        OfbBrServerConfig.parse({ name: `virtual-${i + 1}` }),
      ),
      pki,
      dataDir,
      host: opts.host,
      directoryJwks: { keys: [pki.directorySigning.public_jwk] },
      ssaIssuer: opts.ssa_issuer,
      log: opts.log,
    });
    for (const as of virtual) {
      if (servers.has(as.name)) throw new TypeError(`server name ${as.name} is taken by virtual_servers`);
      servers.set(as.name, as);
    }
    if (virtual[0]) closers.push(() => virtual[0]!.close());
    directory.list.store = new BankListStore(participantEntries(opts, directory.origin, servers));
    const admin = createOfbAdmin(directory, servers);
    let adminUrl: string | undefined;
    if (opts.ports.admin !== undefined) {
      const adminServer: RunningServer = await startOfbAdminServer({
        admin,
        pki,
        host: opts.host,
        port: opts.ports.admin,
        log: opts.log,
      });
      closers.push(() => adminServer.close());
      adminUrl = adminServer.origin;
    }
    const u = directory.urls;
    const manifest = OfbBrManifest.parse({
      regime: "ofb-br",
      ca_cert_file: pki.caCertFile,
      directory: {
        issuer: u.issuer(),
        discovery_url: u.discovery(),
        token_endpoint: u.token(),
        ssa_endpoint_template: u.ssaTemplate(),
        jwks_uri: u.jwks(),
        ssa_issuer: opts.ssa_issuer,
        participants_url: `${directory.origin}/participants`,
      },
      orgs: opts.orgs.map((org) => ({
        org_id: org.org_id,
        org_name: org.org_name,
        org_number: org.org_number,
        softwares: org.softwares.map((sw) => {
          const p = pki.softwares.get(sw.software_id)!;
          const uris = softwareUris(sw);
          return {
            software_id: sw.software_id,
            software_client_id: sw.software_client_id,
            software_redirect_uris: uris.redirect_uris,
            software_api_webhook_uris: uris.webhook_uris,
            software_jwks_uri: u.swJwks(org.org_id, sw.software_id),
            software_jwks_transport_uri: u.swTransport(org.org_id, sw.software_id),
            software_roles: sw.software_roles,
            signing: {
              kid: p.signing.kid,
              alg: "PS256",
              private_key_file: p.signing.private_key_file,
              public_jwk: p.signing.public_jwk,
            },
            transport: {
              cert_file: p.transport.cert_file,
              key_file: p.transport.key_file,
              subject_dn: p.transport.subject_dn,
            },
          };
        }),
      })),
      servers: [...servers.values()].map((s) => ({
        name: s.name,
        issuer: s.issuer,
        discovery_url: s.discoveryUrl,
        registration_endpoint: s.registrationEndpoint,
        rat_rotation: s.cfg.rat_rotation,
        rcu_style: s.cfg.rcu_style,
      })),
      untrusted: {
        ca_cert_file: pki.untrusted.caCertFile,
        client_cert_file: pki.untrusted.client.cert_file,
        client_key_file: pki.untrusted.client.key_file,
      },
      admin_url: adminUrl,
    });
    const manifestPath = path.join(dataDir, "manifest.json");
    writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    let closed = false;
    return {
      manifest,
      manifestPath,
      admin,
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
