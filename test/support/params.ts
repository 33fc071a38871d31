// The one mapping from the sandbox manifest to registration parameters, and its three renderings:
// - `cliConfig`: snake_case with `*_file` members (what an `ob-dcr` CLI config holds);
// - `coreParams`: snake_case with the PEM inline (what the core's functions take);
// - `pulumiArgs`: camelCase with files (what `ObClientRegistration` takes), the same as
//   `examples/sandbox` `sandboxArgs` (test/support/params.test.ts pins the two together).
// Overrides are deep-merged into the rendering, in its own shape; `undefined` removes a member.
import { readFileSync } from "node:fs";
import type { ProfileName, RegistrationParamsInput } from "../../provider/index.js";
import type { ObClientRegistrationArgs } from "../../provider/pulumi.js";
import { camelKeys } from "../../provider/resource/args.js";
import type { ManifestBank, SandboxManifest } from "../../sandbox/manifest.js";

export type Json = Record<string, unknown>;
/** A sandbox or anything else that carries its manifest (the bench's sandbox). */
export type HasManifest = { manifest: SandboxManifest };

export const read = (f: string) => readFileSync(f, "utf8");

/** Which bank, software and signing key the parameters are for (a string: the bank). */
export interface Target {
  /** Bank name; default: the manifest's first bank. */
  bank?: string;
  /** software_id in the first org; default: its first software. */
  software?: string;
  /** The software's signing key to use; default `signing` (PS256). */
  key?: "signing" | "signing_es256" | "signing_next";
}

/** The first org of the manifest and one of its softwares (default: the first). */
export function software(sb: HasManifest, softwareId?: string) {
  const org = sb.manifest.orgs[0];
  const sw = softwareId ? org?.softwares.find((s) => s.software_id === softwareId) : org?.softwares[0];
  if (!org || !sw) throw new Error(`the sandbox manifest has no org or software ${softwareId ?? ""}`);
  return { org, sw };
}

export function bankOf(sb: HasManifest, name = sb.manifest.banks[0]?.name): ManifestBank {
  const bank = sb.manifest.banks.find((b) => b.name === name);
  if (!bank) throw new Error(`no bank ${name} in the sandbox manifest`);
  return bank;
}

/** The mapping: registration parameters for one sandbox bank, snake_case, key material by file. */
export function sandboxParams(m: SandboxManifest, target: Target = {}): Json {
  const { org, sw } = software({ manifest: m }, target.software);
  const bank = bankOf({ manifest: m }, target.bank);
  const key = sw[target.key ?? "signing"];
  return {
    profile: "obie-3.2" satisfies ProfileName,
    bank: { discovery_url: bank.discovery_url, org_id: bank.org_id },
    directory: {
      token_endpoint: m.directory.token_endpoint,
      ssa_endpoint: m.directory.ssa_endpoint_template,
      jwks_uri: m.directory.jwks_uri,
    },
    software: { software_id: sw.software_id, org_id: org.org_id },
    signing_key: { kid: key.kid, alg: key.alg, private_key_file: key.private_key_file },
    transport: {
      cert_file: sw.transport.cert_file,
      key_file: sw.transport.key_file,
      ca_file: m.ca_cert_file,
    },
    client: {
      redirect_uris: sw.software_redirect_uris.slice(0, 1),
      scope: "openid accounts",
      token_endpoint_auth_method: "private_key_jwt",
    },
  };
}

/** `a` with `b` merged in, objects member by member; arrays and other values replace; undefined removes. */
export function merge(a: Json, b: Json): Json {
  const out: Json = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    if (v === undefined) delete out[k];
    else if (isObject(v) && isObject(cur)) out[k] = merge(cur, v);
    else out[k] = v;
  }
  return out;
}

const isObject = (v: unknown): v is Json => !!v && typeof v === "object" && !Array.isArray(v);
const targetOf = (p: string | Target | undefined): Target =>
  typeof p === "string" ? { bank: p } : (p ?? {});

/** The same parameters with the PEM read into `private_key`, `cert`, `key` and `ca`. */
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

/** A CLI config (snake_case, `*_file` members) for a sandbox bank, with overrides. */
export function cliConfig(sb: HasManifest, target?: string | Target, over: Json = {}): Json {
  return merge(sandboxParams(sb.manifest, targetOf(target)), over);
}

/** The core's parameters (snake_case, PEM inline) for a sandbox bank, with overrides. */
export function coreParams(
  sb: HasManifest,
  target?: string | Target,
  over: Json = {},
): RegistrationParamsInput {
  return merge(inline(sandboxParams(sb.manifest, targetOf(target))), over) as RegistrationParamsInput;
}

/** `ObClientRegistration` args (camelCase, key material by file) for a sandbox bank, with overrides. */
export function pulumiArgs(
  sb: HasManifest,
  target?: string | Target,
  over: Json = {},
): ObClientRegistrationArgs {
  return merge(
    camelKeys(sandboxParams(sb.manifest, targetOf(target))) as Json,
    over,
  ) as unknown as ObClientRegistrationArgs;
}
