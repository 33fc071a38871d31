// The Pulumi tools `npm run setup` found or built (recorded in .pulumi-state/cli.json), for tests and
// scripts that run programs in other languages or generate SDKs.
import { existsSync, readFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { z } from "zod";
import { repoRoot } from "./pulumi_stack";

// What scripts/setup.mjs writes. The language and SDK keys are absent in a file written before
// they existed: rerun setup.
const CliFile = z.object({
  pulumi: z.string(),
  root: z.string(),
  version: z.string(),
  built: z.boolean(),
  bin_dir: z.string().optional(),
  python_host: z.string().optional(),
  yaml_host: z.string().optional(),
  go_host: z.string().optional(),
  gen_sdk: z.string().optional(),
  python: z.string().optional(),
  python_wheels: z.string().optional(),
});

export interface Toolchain {
  /** The pulumi CLI. */
  pulumi: string;
  /** Where setup puts what it builds: $PULUMI_HOME/versions/<version>/bin. */
  binDir: string;
  version: string;
  pythonHost?: string;
  yamlHost?: string;
  /** pulumi-language-go: compiles a Go program with the `go` on PATH, then runs it. */
  goHost?: string;
  /** obdcr-gen-sdk --schema FILE --language nodejs|python|go --out DIR */
  genSdk?: string;
  /** The python of a virtualenv that has the `pulumi` SDK of the CLI's version. */
  python?: string;
  /** Wheels of what `python`'s virtualenv holds: a fresh virtualenv installs from them offline. */
  pythonWheels?: string;
}

export function toolchain(): Toolchain {
  const file = join(repoRoot, ".pulumi-state", "cli.json");
  if (!existsSync(file)) {
    throw new Error("no Pulumi CLI recorded in .pulumi-state/cli.json: run `npm run setup` first");
  }
  const c = CliFile.parse(JSON.parse(readFileSync(file, "utf8")));
  return {
    pulumi: c.pulumi,
    binDir: c.bin_dir ?? dirname(c.pulumi),
    version: c.version,
    pythonHost: c.python_host,
    yamlHost: c.yaml_host,
    goHost: c.go_host,
    genSdk: c.gen_sdk,
    python: c.python,
    pythonWheels: c.python_wheels,
  };
}

/** `tool` or a clear error saying how to get it. */
export function need(
  t: Toolchain,
  tool: "pythonHost" | "yamlHost" | "goHost" | "genSdk" | "python" | "pythonWheels",
): string {
  const p = t[tool];
  if (!p || !existsSync(p)) throw new Error(`${tool} is not installed: run \`npm run setup\``);
  return p;
}

/**
 * PATH with the CLI's and the language hosts' directories first: hosts that setup built beside a
 * user's own CLI are found there (the engine looks beside the CLI, then on PATH).
 */
export function toolPath(t: Toolchain = toolchain()): string {
  const dirs = [t.pulumi, t.pythonHost, t.yamlHost, t.goHost]
    .filter((p): p is string => !!p)
    .map((p) => dirname(p));
  return [...new Set(dirs), process.env.PATH ?? ""].join(delimiter);
}

/**
 * Environment for running a Python Pulumi program. The 3.68 python host that setup builds takes the
 * virtualenv only as a command-line flag, and CLI 3.260 sends `runtime.options.virtualenv` over RPC,
 * where that host ignores it ("No module named 'pulumi'"); PULUMI_PYTHON_CMD works with every host.
 */
export function pythonEnv(t: Toolchain = toolchain()): Record<string, string> {
  return { PULUMI_PYTHON_CMD: need(t, "python"), PATH: toolPath(t) };
}
