// A copy of an example project (examples/python, examples/yaml, examples/go) run by the real `pulumi` CLI on a
// file backend in a temp dir, with the stack config the example documents made from the sandbox
// manifest. The copy's `plugins.providers` path is made absolute (the example's is relative to it).
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { type Toolchain, toolchain, toolPath } from "../../scripts/lib/toolchain.js";
import type { TestSandbox } from "../support/sandbox.js";

const execP = promisify(execFile);

export interface Project {
  dir: string;
  /** Runs a command in the project with the engine's environment; returns its stdout. */
  run(cmd: string, args: string[], input?: string): Promise<string>;
  /**
   * Runs `pulumi <args>` in the project; what the commands printed so far is in `log`, except
   * what was asked for with `--show-secrets`.
   */
  pulumi(args: string[], input?: string): Promise<string>;
  log: () => string;
  t: Toolchain;
}

/**
 * The banks of `npm run sandbox` (sandbox/main.ts), which both examples register with: an
 * OBIE-managed one and an RFC 7592 one.
 */
export const LANGUAGE_BANKS = ["sandbox-bank", "rfc7592-bank"];

export function copyExample(
  name: "python" | "yaml" | "go" | "python-banks" | "yaml-banks",
  work: string,
  env: Record<string, string> = {},
): Project {
  const dir = join(work, name);
  // Not what a user's own run of the example left there (docs/languages.md "Against the local
  // sandbox"): its stack files carry another passphrase's salt, its ob-dcr-state/ another list.
  const local = (src: string) =>
    /^Pulumi\.(?!example\.yaml$)[^/]+\.yaml$/.test(basename(src)) || basename(src) === "ob-dcr-state";
  cpSync(join(repoRoot, "examples", name), dir, { recursive: true, filter: (src) => !local(src) });
  const file = join(dir, "Pulumi.yaml");
  const yaml = readFileSync(file, "utf8");
  if (!yaml.includes("path: ../../bin")) throw new Error(`examples/${name}/Pulumi.yaml: no plugin path`);
  writeFileSync(file, yaml.replace("path: ../../bin", `path: ${join(repoRoot, "bin")}`));
  // A Go program's go.mod points at the Go SDK relative to the example: likewise absolute.
  const goMod = join(dir, "go.mod");
  if (existsSync(goMod)) {
    const mod = readFileSync(goMod, "utf8");
    if (!mod.includes("=> ../../sdk/go/obdcr")) throw new Error(`examples/${name}/go.mod: no SDK replace`);
    writeFileSync(goMod, mod.replace("=> ../../sdk/go/obdcr", `=> ${join(repoRoot, "sdk", "go", "obdcr")}`));
  }
  return openProject(dir, work, env);
}

/**
 * A project already written in `dir`, run by the real `pulumi` CLI on a file backend in `work`
 * (what `copyExample` returns for an example's copy).
 */
export function openProject(dir: string, work: string, env: Record<string, string> = {}): Project {
  const t = toolchain();
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
    async run(cmd, args, input) {
      const p = execP(cmd, args, { cwd: dir, env: fullEnv, maxBuffer: 64 << 20 });
      if (input !== undefined) p.child.stdin?.end(input);
      const shown = args.includes("--show-secrets");
      try {
        const r = await p;
        if (!shown) out += r.stdout + r.stderr;
        return r.stdout;
      } catch (e) {
        const x = e as { stdout?: string; stderr?: string };
        out += (x.stdout ?? "") + (x.stderr ?? "");
        const what = [basename(cmd), ...args.filter((a) => !a.startsWith("-")).slice(0, 2)].join(" ");
        throw new Error(`${what} failed:\n${x.stdout ?? ""}\n${x.stderr ?? ""}`);
      }
    },
    pulumi(args, input) {
      return this.run(t.pulumi, ["--non-interactive", ...args], input);
    },
  };
}

/**
 * The stack config for the sandbox, set by the script the examples' docs give users
 * (examples/yaml/sandbox-config.mjs), from the test sandbox's manifest.
 */
export async function sandboxConfig(p: Project, sb: TestSandbox): Promise<void> {
  const script = join(repoRoot, "examples", "yaml", "sandbox-config.mjs");
  await p.run(process.execPath, [script, "--manifest", join(sb.dataDir, "manifest.json")]);
}
