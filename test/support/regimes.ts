// The regime emulators for tests: AU CDR and BR Open Finance sandboxes started in a temp dir, and
// the one mapping from their manifests to registration parameters, rendered as a CLI config
// (snake_case, `*_file`), the core's parameters (PEM inline) or `ObClientRegistration` args
// (camelCase, files) — the same three renderings as test/support/params.ts for the UK sandbox.
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RegistrationParamsInput } from "../../provider/index.js";
import type { ObClientRegistrationArgs } from "../../provider/pulumi.js";
import { camelKeys } from "../../provider/resource/args.js";
import {
  type CdrAuSandbox,
  type CdrAuSandboxOptionsInput,
  startCdrAuSandbox,
} from "../../sandbox/cdr_au/index.js";
import type { CdrAuManifest } from "../../sandbox/cdr_au/manifest.js";
import {
  type OfbBrSandbox,
  type OfbBrSandboxOptionsInput,
  startOfbBrSandbox,
} from "../../sandbox/ofb_br/index.js";
import type { OfbBrManifest } from "../../sandbox/ofb_br/manifest.js";
import { type Json, merge } from "./params.js";

const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), `obdcr-${prefix}-`));

/** The AU emulator in a fresh temp dir (or the one given). */
export function startCdrAu(opts: Partial<CdrAuSandboxOptionsInput> = {}): Promise<CdrAuSandbox> {
  return startCdrAuSandbox({ ...opts, dataDir: opts.dataDir ?? tmp("cdr-au") });
}

/** The BR emulator in a fresh temp dir (or the one given). */
export function startOfbBr(opts: Partial<OfbBrSandboxOptionsInput> = {}): Promise<OfbBrSandbox> {
  return startOfbBrSandbox({ ...opts, dataDir: opts.dataDir ?? tmp("ofb-br") });
}

export interface CdrTarget {
  holder?: string;
  /** Software product id (default: the first brand's first product). */
  product?: string;
  key?: "signing" | "signing_es256";
}

export function cdrProduct(m: CdrAuManifest, id?: string) {
  for (const brand of m.brands)
    for (const product of brand.software_products)
      if (!id || product.software_product_id === id) return { brand, product };
  throw new Error(`no software product ${id ?? ""} in the AU manifest`);
}

export function cdrHolder(m: CdrAuManifest, name = m.holders[0]?.name) {
  const h = m.holders.find((x) => x.name === name);
  if (!h) throw new Error(`no holder ${name} in the AU manifest`);
  return h;
}

/** cdr-au parameters for one data holder, snake_case, key material by file. */
export function cdrParams(m: CdrAuManifest, t: CdrTarget = {}): Json {
  const { brand, product } = cdrProduct(m, t.product);
  const holder = cdrHolder(m, t.holder);
  const key = product[t.key ?? "signing"];
  return {
    profile: "cdr-au",
    bank: { discovery_url: holder.discovery_url },
    directory: {
      token_endpoint: m.register.token_endpoint,
      ssa_endpoint: m.register.ssa_endpoint_template,
      jwks_uri: m.register.jwks_uri,
    },
    software: { software_id: product.software_product_id, org_id: brand.brand_id },
    signing_key: { kid: key.kid, alg: key.alg, private_key_file: key.private_key_file },
    transport: {
      cert_file: product.transport.cert_file,
      key_file: product.transport.key_file,
      ca_file: m.ca_cert_file,
    },
    client: { redirect_uris: product.redirect_uris.slice(0, 1) },
  };
}

export interface OfbTarget {
  server?: string;
  software?: string;
}

export function ofbSoftware(m: OfbBrManifest, id?: string) {
  for (const org of m.orgs)
    for (const sw of org.softwares) if (!id || sw.software_id === id) return { org, sw };
  throw new Error(`no software ${id ?? ""} in the BR manifest`);
}

export function ofbServer(m: OfbBrManifest, name = m.servers[0]?.name) {
  const s = m.servers.find((x) => x.name === name);
  if (!s) throw new Error(`no server ${name} in the BR manifest`);
  return s;
}

/** ofb-br parameters for one authorisation server, snake_case, key material by file. */
export function ofbParams(m: OfbBrManifest, t: OfbTarget = {}): Json {
  const { org, sw } = ofbSoftware(m, t.software);
  const server = ofbServer(m, t.server);
  return {
    profile: "ofb-br",
    bank: { discovery_url: server.discovery_url },
    directory: {
      token_endpoint: m.directory.token_endpoint,
      ssa_endpoint: m.directory.ssa_endpoint_template,
      jwks_uri: m.directory.jwks_uri,
      client_id: sw.software_client_id,
    },
    software: { software_id: sw.software_id, org_id: org.org_id },
    signing_key: { kid: sw.signing.kid, alg: sw.signing.alg, private_key_file: sw.signing.private_key_file },
    transport: {
      cert_file: sw.transport.cert_file,
      key_file: sw.transport.key_file,
      ca_file: m.ca_cert_file,
    },
    client: { redirect_uris: sw.software_redirect_uris.slice(0, 1) },
  };
}

const read = (f: string) => readFileSync(f, "utf8");

function inline(p: Json): Json {
  const { private_key_file, ...signing } = p.signing_key as Json;
  const { cert_file, key_file, ca_file } = p.transport as Json;
  return {
    ...p,
    signing_key: { ...signing, private_key: read(private_key_file as string) },
    transport: {
      cert: read(cert_file as string),
      key: read(key_file as string),
      ca: read(ca_file as string),
    },
  };
}

/** A CLI config (snake_case, `*_file` members), with overrides. */
export const regimeCliConfig = (p: Json, over: Json = {}): Json => merge(p, over);

/** The core's parameters (PEM inline), with overrides. */
export const regimeCoreParams = (p: Json, over: Json = {}): RegistrationParamsInput =>
  merge(inline(p), over) as RegistrationParamsInput;

/** `ObClientRegistration` args (camelCase, files), with overrides in camelCase. */
export const regimePulumiArgs = (p: Json, over: Json = {}): ObClientRegistrationArgs =>
  merge(camelKeys(p) as Json, over) as unknown as ObClientRegistrationArgs;
