// The engine's own CPU profile of one `pulumi up` (the CLI's `--profiling`, a Go pprof file), and
// how much of it went to writing the stack's state after each step (SnapshotManager.saveSnapshot:
// serialize the whole deployment, write the file). That part grows with N × state per resource,
// so it is what makes the engine's CPU per registration grow with N. Needs Go (`go tool pprof`) to
// read the profile; without it the curve runs unprofiled.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliInfo } from "../scripts/lib/pulumi_stack.js";

export interface EngineProfile {
  /** CPU time the profiler sampled in the CLI over the whole `up`. */
  sampled_ms: number;
  /** Of it, in writing the state after each step (cumulative, SnapshotManager.saveSnapshot). */
  state_writes_ms: number;
}

const SAVE_SNAPSHOT = "backend.(*SnapshotManager).saveSnapshot";

let go: { path: string | undefined } | undefined;
/** The Go tool that reads the profile, looked for once per process. */
export const goTool = (): string | undefined => {
  go ??= {
    path: ([process.env.GO, "go", "/usr/local/go/bin/go"].filter(Boolean) as string[]).find(
      (g) => spawnSync(g, ["version"], { stdio: "ignore" }).status === 0,
    ),
  };
  return go.path;
};

/**
 * A Pulumi CLI root whose `pulumi` adds `--profiling <dir>/up` to `up` (and to nothing else), for
 * the Automation API's `PulumiCommand.get({ root })`; undefined when no Go is there to read it.
 */
export function profilingCliRoot(dir: string): string | undefined {
  if (!goTool()) return undefined;
  const real = cliInfo().pulumi;
  mkdirSync(join(dir, "bin"), { recursive: true });
  const script = join(dir, "bin", "pulumi");
  writeFileSync(
    script,
    [
      "#!/bin/sh",
      'for a in "$@"; do',
      `  if [ "$a" = up ]; then exec '${real}' --profiling '${join(dir, "up")}' "$@"; fi`,
      "done",
      `exec '${real}' "$@"`,
      "",
    ].join("\n"),
  );
  chmodSync(script, 0o755);
  return dir;
}

const seconds = (s: string): number => {
  const m = /^([\d.]+)(ms|s|min|h)$/.exec(s);
  if (!m) return Number.NaN;
  const x = Number(m[1]);
  return m[2] === "ms" ? x / 1000 : m[2] === "min" ? x * 60 : m[2] === "h" ? x * 3600 : x;
};

/** Reads the one `up` profile written under `dir` (profilingCliRoot). */
export function readEngineProfile(dir: string): EngineProfile | null {
  const g = goTool();
  const file = readdirSync(dir).find((f) => f.startsWith("up.") && f.endsWith(".cpu"));
  if (!g || !file) return null;
  const r = spawnSync(
    g,
    ["tool", "pprof", "-top", "-cum", "-nodecount=100000", cliInfo().pulumi, join(dir, file)],
    {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (r.status !== 0) return null;
  const total = /Total samples = ([\d.]+(?:ms|s|min|h))/.exec(r.stdout);
  const line = r.stdout.split("\n").find((l) => l.trim().endsWith(SAVE_SNAPSHOT));
  if (!total) return null;
  // flat flat% sum% cum cum% name; a short `up` may write its state too fast to be sampled at all.
  const cum = line ? seconds(line.trim().split(/\s+/)[3]!) : 0;
  return { sampled_ms: seconds(total[1]!) * 1000, state_writes_ms: cum * 1000 };
}
