// A copy of an example project (examples/python, examples/yaml, examples/go) run by the real `pulumi` CLI on a
// file backend in a temp dir, with the stack config the example documents made from the sandbox
// manifest. The copy's `plugins.providers` path is made absolute (the example's is relative to it).
import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, delimiter, dirname, join } from "node:path";
import { promisify } from "node:util";
import { expect } from "vitest";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { need, type Toolchain, toolchain, toolPath } from "../../scripts/lib/toolchain.js";
import { docBlock, shellLines } from "../docs/blocks.js";
import { run } from "../package/offline_project.js";
import type { TestSandbox } from "../support/sandbox.js";

const execP = promisify(execFile);

export interface Project {
  dir: string;
  /** The environment the project's commands run with (the engine's). */
  env: NodeJS.ProcessEnv;
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
  if (existsSync(join(dir, "go.mod"))) goModule(dir, dir);
  return openProject(dir, work, env);
}

/** go.mod and go.sum of examples/go (or `from`) in `dir`, the Go SDK `replace` made absolute. */
export function goModule(dir: string, from = join(repoRoot, "examples", "go")): void {
  const mod = readFileSync(join(from, "go.mod"), "utf8");
  if (!mod.includes("=> ../../sdk/go/obdcr")) throw new Error(`${from}/go.mod: no SDK replace`);
  writeFileSync(
    join(dir, "go.mod"),
    mod.replace("=> ../../sdk/go/obdcr", `=> ${join(repoRoot, "sdk", "go", "obdcr")}`),
  );
  if (from !== dir) cpSync(join(from, "go.sum"), join(dir, "go.sum"));
}

/**
 * The engine's environment for a Go program: the Go host beside the CLI, `go` on PATH (as the
 * host runs `go build`), no module download (GOPROXY=off: every module is in the module cache).
 */
export function goEnv(t: Toolchain = toolchain()): Record<string, string> {
  need(t, "goHost");
  const go = [...(process.env.PATH ?? "").split(delimiter), "/usr/local/go/bin"]
    .map((d) => join(d, "go"))
    .find((f) => f.startsWith("/") && existsSync(f));
  if (!go) throw new Error("Go is not installed: the Go language host runs `go build`");
  const path = toolPath(t)
    .split(delimiter)
    .filter((p) => !p.includes("node_modules"));
  return {
    PATH: [...path, dirname(go)].join(delimiter),
    GOPROXY: "off",
    GOFLAGS: "-mod=readonly",
    GOWORK: "off",
    GOTOOLCHAIN: "local",
  };
}

/**
 * `dir` as `npm install ob-dcr` leaves a user's project: node_modules/ob-dcr (the repository), the
 * CLI for `npx ob-dcr`, and a Node for the plugin's wrapper; Pulumi.yaml finds the plugin there.
 */
export function installedProject(dir: string, name: string, runtime: string): void {
  mkdirSync(join(dir, "node_modules", ".bin"), { recursive: true });
  symlinkSync(repoRoot, join(dir, "node_modules", "ob-dcr"));
  symlinkSync("../ob-dcr/dist/provider/cli/main.js", join(dir, "node_modules", ".bin", "ob-dcr"));
  symlinkSync(process.execPath, join(dir, "node_modules", ".bin", "node"));
  writeFileSync(
    join(dir, "Pulumi.yaml"),
    `name: ${name}\nruntime: ${runtime}\nplugins: { providers: [{ name: obdcr, path: node_modules/ob-dcr/bin }] }\n`,
  );
}

/** Doc blocks run here install nothing (`runBlock`'s installers). */
export const NO_INSTALLS = {
  npmInstall: () => Promise.reject(new Error("no npm install here")),
  pipInstall: () => Promise.reject(new Error("no pip install here")),
};

/** Runs one shell line in the project, expecting exit 0; returns its stdout (both kept in `printed`). */
export const shellIn =
  (p: Project, timeoutMs: number, printed: string[] = []) =>
  async (line: string): Promise<string> => {
    const r = await run("sh", ["-c", line], { cwd: p.dir, env: p.env, timeoutMs });
    printed.push(r.stdout, r.stderr);
    expect(r.code, `${line}\n${r.stdout}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };

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
    env: fullEnv,
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

/**
 * provider/native/README.md's import up to the language's own lines: a client made by `ob-dcr run
 * -c bank.json` (its state file and client_id in STATE and CLIENT_ID, which the README's lines
 * read), a stack, and the README's `import` block up to its `pulumi up`, run by `block`. Returns
 * the CLI's state of the client.
 */
export async function readmeImportStart(
  p: Project,
  block: (text: string) => Promise<unknown>,
): Promise<{ client_id: string; secrets: { registration_access_token?: string } }> {
  const made = await run("npx", ["ob-dcr", "run", "-c", "bank.json"], { cwd: p.dir, env: p.env });
  expect(made.code, made.stderr).toBe(0);
  const [file] = readdirSync(join(p.dir, "ob-dcr-state"));
  const state = JSON.parse(readFileSync(join(p.dir, "ob-dcr-state", file!), "utf8"));
  p.env.STATE = join("ob-dcr-state", file!);
  p.env.CLIENT_ID = state.client_id;
  await shellIn(p, 60_000)("pulumi stack init dev");
  // Its `pulumi import` line is the YAML one: each language's own lines follow in their blocks.
  const lines = shellLines(docBlock("provider/native/README.md", "import").text);
  const upTo = lines.findIndex((l) => l.startsWith("pulumi up"));
  expect(upTo).toBeGreaterThan(0);
  await block(lines.slice(0, upTo + 1).join("\n"));
  return state;
}
