// A copy of an example project (examples/python, examples/yaml) run by the real `pulumi` CLI on a
// file backend in a temp dir, with the stack config the example documents made from the sandbox
// manifest. The copy's `plugins.providers` path is made absolute (the example's is relative to it).
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { SandboxManifest } from "../../sandbox/manifest.js";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { type Toolchain, toolchain, toolPath } from "../../scripts/lib/toolchain.js";

const execP = promisify(execFile);

export interface Project {
  dir: string;
  /**
   * Runs `pulumi <args>` in the project; what the commands printed so far is in `log`, except
   * what was asked for with `--show-secrets`.
   */
  pulumi(args: string[], input?: string): Promise<string>;
  log: () => string;
  t: Toolchain;
}

/** The banks both examples register with: an OBIE-managed one and an RFC 7592 one. */
export const LANGUAGE_BANKS = ["sandbox-bank", "rat-bank"];

export function copyExample(
  name: "python" | "yaml",
  work: string,
  env: Record<string, string> = {},
): Project {
  const t = toolchain();
  const dir = join(work, name);
  cpSync(join(repoRoot, "examples", name), dir, { recursive: true });
  const file = join(dir, "Pulumi.yaml");
  const yaml = readFileSync(file, "utf8");
  if (!yaml.includes("path: ../../bin")) throw new Error(`examples/${name}/Pulumi.yaml: no plugin path`);
  writeFileSync(file, yaml.replace("path: ../../bin", `path: ${join(repoRoot, "bin")}`));
  const backend = join(work, "backend");
  mkdirSync(backend, { recursive: true });
  let out = "";
  const fullEnv = {
    ...process.env,
    // The engine's PATH: the CLI and its language hosts, without the repo's Node (the plugin's
    // wrapper must find Node itself, as for a user).
    PATH: toolPath(t)
      .split(":")
      .filter((p) => !p.includes("node_modules"))
      .join(":"),
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: "languages-test",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    ...env,
  };
  return {
    dir,
    t,
    log: () => out,
    async pulumi(args, input) {
      const p = execP(t.pulumi, ["--non-interactive", ...args], {
        cwd: dir,
        env: fullEnv,
        maxBuffer: 64 << 20,
      });
      if (input !== undefined) {
        p.child.stdin?.end(input);
      }
      const shown = args.includes("--show-secrets");
      try {
        const r = await p;
        if (!shown) out += r.stdout + r.stderr;
        return r.stdout;
      } catch (e) {
        const x = e as { stdout?: string; stderr?: string };
        out += (x.stdout ?? "") + (x.stderr ?? "");
        throw new Error(`pulumi ${args[0]} failed:\n${x.stdout ?? ""}\n${x.stderr ?? ""}`);
      }
    },
  };
}

/** The values both examples take, from the sandbox manifest (first org and software). */
export function sandboxValues(m: SandboxManifest) {
  const org = m.orgs[0]!;
  const sw = org.softwares[0]!;
  const bank = (name: string) => {
    const b = m.banks.find((x) => x.name === name);
    if (!b) throw new Error(`no bank ${name} in the sandbox manifest`);
    return { name, discoveryUrl: b.discovery_url, orgId: b.org_id };
  };
  return {
    directory: {
      tokenEndpoint: m.directory.token_endpoint,
      ssaEndpoint: m.directory.ssa_endpoint_template,
      jwksUri: m.directory.jwks_uri,
    },
    software: { softwareId: sw.software_id, orgId: org.org_id, kid: sw.signing.kid },
    transport: { certFile: sw.transport.cert_file, keyFile: sw.transport.key_file, caFile: m.ca_cert_file },
    banks: LANGUAGE_BANKS.map(bank),
    redirectUris: sw.software_redirect_uris.slice(0, 1),
    signingKeyPem: readFileSync(sw.signing.private_key_file, "utf8"),
  };
}

/** Sets plain config values one by one, and the signing key as the secret `obdcr:signingPrivateKey` from stdin. */
export async function setConfig(p: Project, plain: Record<string, string>, signingKeyPem: string) {
  for (const [k, v] of Object.entries(plain)) await p.pulumi(["config", "set", "--plaintext", k, "--", v]);
  await p.pulumi(["config", "set", "--secret", "obdcr:signingPrivateKey"], signingKeyPem);
}
