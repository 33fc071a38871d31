// Runs Pulumi programs of this repo through the Automation API on the real engine.
// The program runs inline (in this process); the engine, the state backend and the dynamic
// provider host are the real ones. Inline programs need no nodejs language host plugin.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LocalWorkspace, PulumiCommand, type PulumiFn, type Stack } from "@pulumi/pulumi/automation";
import { repoRoot } from "./root.js";

export { repoRoot };

/** The passphrase of the local demo backend. Not a secret: it protects throwaway sandbox state. */
export const DEMO_PASSPHRASE = "ob-dcr-local-demo";

export interface CliInfo {
  pulumi: string;
  root: string;
  version: string;
}

export function cliInfo(): CliInfo {
  const file = join(repoRoot, ".pulumi-state", "cli.json");
  if (!existsSync(file)) {
    throw new Error("no Pulumi CLI recorded in .pulumi-state/cli.json: run `npm run setup` first");
  }
  return JSON.parse(readFileSync(file, "utf8")) as CliInfo;
}

/** file:// backend inside the project unless PULUMI_BACKEND_URL points elsewhere. */
export function backendUrl(): string {
  if (process.env.PULUMI_BACKEND_URL) return process.env.PULUMI_BACKEND_URL;
  const dir = join(repoRoot, ".pulumi-state", "backend");
  mkdirSync(dir, { recursive: true });
  return `file://${dir}`;
}

/**
 * The demo's stack: `OBDCR_STACK`, else `dev`. The old `OB_DCR_STACK` (docs/migration.md) is
 * refused with its new name, not silently ignored (which ran the demo on `dev`).
 */
export function demoStackName(env: Record<string, string | undefined> = process.env): string {
  if (env.OB_DCR_STACK !== undefined) throw new Error("OB_DCR_STACK was renamed: set OBDCR_STACK instead");
  return env.OBDCR_STACK ?? "dev";
}

export interface StackOptions {
  projectName: string;
  stackName: string;
  program: PulumiFn;
  /** Extra environment for the engine and the dynamic provider host. */
  envVars?: Record<string, string>;
  backend?: string;
  /** Another CLI root (a wrapper of the recorded CLI, e.g. the bench's profiling one). */
  cliRoot?: string;
}

/** The engine's environment for a stack of this repo on `backend` (a local one, passphrase secrets). */
export function engineEnv(backend: string): Record<string, string> {
  return {
    PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? DEMO_PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    // Fail fast instead of trying to download plugins: nothing may download at run time.
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_BACKEND_URL: backend,
    // The language host and the dynamic provider shim run `node` from PATH: this Node (24).
    PATH: `${join(repoRoot, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
  };
}

export async function localStack(opts: StackOptions): Promise<Stack> {
  const cli = cliInfo();
  const pulumiCommand = await PulumiCommand.get({ root: opts.cliRoot ?? cli.root });
  const backend = opts.backend ?? backendUrl();
  if (backend.startsWith("file://")) mkdirSync(backend.slice("file://".length), { recursive: true });
  const env: Record<string, string> = { ...engineEnv(backend), ...opts.envVars };
  return LocalWorkspace.createOrSelectStack(
    { projectName: opts.projectName, stackName: opts.stackName, program: opts.program },
    {
      pulumiCommand,
      envVars: env,
      secretsProvider: "passphrase",
      // main = the repo root: the engine starts the dynamic provider host there, where
      // node_modules resolves @pulumi/pulumi and this package by its name (ob-dcr).
      projectSettings: {
        name: opts.projectName,
        runtime: "nodejs",
        main: repoRoot,
        backend: { url: backend },
      },
    },
  );
}

/** Path of a stack's state file in a file:// backend. */
export function stateFile(backend: string, projectName: string, stackName: string): string {
  const dir = backend.replace(/^file:\/\//, "");
  return join(dir, ".pulumi", "stacks", projectName, `${stackName}.json`);
}
