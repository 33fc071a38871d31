/**
 * Test helpers for the CLI: build once, run the BUILT CLI as a subprocess (never in-process), config
 * files written as YAML/JSON (the sandbox and the configs themselves: test/support).
 */
import { execFile, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import type { Json } from "../support/params.js";

export const ROOT = path.resolve(__dirname, "../..");
export const MAIN = path.join(ROOT, "dist/provider/cli/main.js");
const TAP = path.join(__dirname, "tap.cjs");

function newestSource(dir: string): number {
  let newest = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(dir);
  return newest;
}

/** Build dist/ unless the CLI is newer than every provider source (one builder at a time). */
export function ensureBuilt(): void {
  const fresh = () => existsSync(MAIN) && statSync(MAIN).mtimeMs >= newestSource(path.join(ROOT, "provider"));
  if (fresh()) return;
  const lock = path.join(os.tmpdir(), "ob-dcr-cli-build.lock");
  for (let i = 0; i < 600; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (fresh()) return;
      spawnSync("sleep", ["0.5"]);
    }
  }
  try {
    if (fresh()) return;
    // Exit status ignored: tsc still emits when an unrelated file in the tree has a type error.
    spawnSync(
      process.execPath,
      [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
      {
        cwd: ROOT,
        stdio: "inherit",
      },
    );
    if (!existsSync(MAIN)) throw new Error("build did not produce dist/provider/cli/main.js");
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Response bodies the CLI received (from the tap), for secret checks. */
  wire: { method: string; url: string; body: string }[];
}

/** Default state files of the CLI when run in the repository (cwd ROOT, no --state). */
const ROOT_STATE = path.join(ROOT, "ob-dcr-state");
const stateFilesInRoot = (): string[] => (existsSync(ROOT_STATE) ? readdirSync(ROOT_STATE) : []);

/** Run the built CLI asynchronously (the sandbox lives in this process's event loop). */
export function cli(
  args: string[],
  o: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliResult> {
  const tap = path.join(mkdtempSync(path.join(os.tmpdir(), "obdcr-tap-")), "tap.jsonl");
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith("OBDCR_")) env[k] = v;
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  env.NODE_OPTIONS = `--require ${TAP}`;
  env.OBDCR_TEST_TAP = tap;
  // With the repository as cwd, a register/run without --state keeps its client in the tree's
  // ob-dcr-state/ (a bank's token in a file nobody deletes): such a run fails the test.
  const before = o.cwd === undefined ? stateFilesInRoot() : undefined;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { cwd: o.cwd ?? ROOT, env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const left = before && stateFilesInRoot().filter((f) => !before.includes(f));
        if (left?.length) {
          for (const f of left) rmSync(path.join(ROOT_STATE, f), { force: true });
          if (stateFilesInRoot().length === 0) rmSync(ROOT_STATE, { recursive: true, force: true });
          rmSync(path.dirname(tap), { recursive: true, force: true });
          reject(
            new Error(
              `ob-dcr ${args.join(" ")} wrote ${left.join(", ")} into ${ROOT_STATE}: give the test's cli() a temp cwd or --state`,
            ),
          );
          return;
        }
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        const wire = existsSync(tap)
          ? readFileSync(tap, "utf8")
              .split("\n")
              .filter(Boolean)
              .map((l) => JSON.parse(l) as CliResult["wire"][number])
          : [];
        rmSync(path.dirname(tap), { recursive: true, force: true });
        resolve({ code, stdout, stderr, wire });
      },
    );
  });
}

/** The CLI suite's banks (`startTestSandbox({ banks: CLI_BANKS })`). */
export const CLI_BANKS = ["sandbox-bank", "rat-bank", "secret-bank"];

/** Write a config as YAML (default) or JSON into dir; returns the path. */
export function writeConfig(dir: string, name: string, cfg: Json): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, name.endsWith(".json") ? JSON.stringify(cfg, null, 2) : YAML.stringify(cfg));
  return file;
}

export function tmpDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), "obdcr-cli-"));
}

/** Secret values seen on the wire: tokens, client_secret, registration_access_token. */
export function wireSecrets(r: CliResult): string[] {
  const out = new Set<string>();
  for (const x of r.wire) {
    let j: unknown;
    try {
      j = JSON.parse(x.body);
    } catch {
      continue;
    }
    if (!j || typeof j !== "object") continue;
    for (const k of ["access_token", "client_secret", "registration_access_token", "refresh_token"]) {
      const v = (j as Json)[k];
      if (typeof v === "string" && v.length >= 8) out.add(v);
    }
  }
  return [...out];
}

/** The base64 body of a PEM private key (what must never be printed). */
export function pemBody(file: string): string {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l && !l.startsWith("-----"))
    .join("");
}

/** A loopback port nothing listens on (a peer that refuses connections). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
