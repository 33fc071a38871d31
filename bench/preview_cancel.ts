// What a preview sends, and what an `up` killed after the engine's checks leaves at the banks:
// N new registrations of the plugin from a YAML program (the real `pulumi` CLI in its own process
// group), counted at the sandbox. The check-time prefetch may read (GET); nothing before create's
// own POST may change anything, anywhere.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../scripts/lib/pulumi_stack.js";
import { toolchain, toolPath } from "../scripts/lib/toolchain.js";
import { pulumiArgs } from "../test/support/params.js";
import type { BenchSandbox } from "./sandbox.js";
import { bankNames } from "./sandbox.js";

export interface RequestsByMethod {
  /** Every request the directory and the banks received, by method. */
  by_method: Record<string, number>;
  /** Of those, what could change something: POST, PUT, DELETE, PATCH (directory and banks). */
  changing: number;
  /** The banks' POST /register and the directory's token requests, on their own. */
  register_posts: number;
  directory_tokens: number;
}

export interface PreviewCancelRun {
  n: number;
  latency_ms: number;
  preview: RequestsByMethod;
  /**
   * The `up` was killed (SIGKILL, the CLI's process group) once its creates had begun: the
   * directory's token request in flight (held back 5 s), every check made so far prefetched.
   */
  cancelled_up: RequestsByMethod & {
    /** Banks that received a check-time (prefetch) request before the kill. */
    banks_prefetched: number;
    /** ms from the start of `up` to the kill. */
    killed_after_ms: number;
    /** Requests at the banks after the kill settled: POST /register there = a registration. */
    registrations_left: number;
  };
}

const CHANGING = new Set(["POST", "PUT", "DELETE", "PATCH"]);

async function byMethod(sb: BenchSandbox, names: string[]): Promise<RequestsByMethod> {
  const r = await sb.requests(names);
  const by_method: Record<string, number> = {};
  let register_posts = 0;
  for (const [route, count] of [
    ...Object.entries(r.directory),
    ...r.banks.flatMap((b) => Object.entries(b)),
  ]) {
    const method = route.split(" ")[0]!;
    by_method[method] = (by_method[method] ?? 0) + count;
  }
  for (const b of r.banks) register_posts += b["POST /register"] ?? 0;
  const changing = Object.entries(by_method)
    .filter(([m]) => CHANGING.has(m))
    .reduce((a, [, c]) => a + c, 0);
  return { by_method, changing, register_posts, directory_tokens: r.directory["POST /as/token.oauth2"] ?? 0 };
}

/** A YAML project declaring one registration per bank, on a file backend, with its stack. */
function yamlProject(sb: BenchSandbox, names: string[], dir: string) {
  mkdirSync(dir, { recursive: true });
  const resources = Object.fromEntries(
    names.map((b) => [b, { type: "obdcr:index:ClientRegistration", properties: pulumiArgs(sb, b) }]),
  );
  // JSON is YAML: the program as data, exactly as a user's Pulumi.yaml would declare it.
  writeFileSync(
    join(dir, "Pulumi.yaml"),
    JSON.stringify({
      name: "obdcr-bench-cancel",
      runtime: "yaml",
      plugins: { providers: [{ name: "obdcr", path: join(repoRoot, "bin") }] },
      resources,
    }),
  );
  const backend = join(dir, "backend");
  mkdirSync(backend, { recursive: true });
  const t = toolchain();
  const env = {
    ...process.env,
    PATH: toolPath(t),
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: "bench",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
  const run = (args: string[], detached = false): ChildProcess =>
    spawn(t.pulumi, ["--non-interactive", ...args], { cwd: dir, env, detached, stdio: "ignore" });
  const done = (c: ChildProcess) =>
    new Promise<number | null>((resolve) => c.once("exit", (code) => resolve(code)));
  return { run, done };
}

async function until(what: string, ms: number, test: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await test()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/**
 * A preview of n new registrations, then an `up` of them killed after the checks: the directory's
 * token endpoint is held back (5 s) so that no create can reach a bank before the kill, which comes
 * once creates have begun (the token request arrived). The engine interleaves checks and creates
 * (a YAML program's later resources are checked as earlier creates finish), so some banks may not
 * have been checked yet; the count says how many were.
 */
export async function previewCancelCell(
  sb: BenchSandbox,
  n: number,
  latency: number,
  workDir: string,
): Promise<PreviewCancelRun> {
  const names = bankNames(n);
  const p = yamlProject(sb, names, join(workDir, `cancel-n${n}`));
  if ((await p.done(p.run(["stack", "init", "bench"]))) !== 0) throw new Error("pulumi stack init failed");
  await sb.reset();
  await sb.setLatency(latency);
  const code = await p.done(p.run(["preview"]));
  if (code !== 0) throw new Error(`pulumi preview exited ${code}`);
  const preview = await byMethod(sb, names);

  await sb.reset();
  await sb.setLatency(latency);
  await sb.setFaults("directory", [
    { kind: "latency", ms: latency },
    { kind: "latency", ms: 5_000, path: "/as/token.oauth2" },
  ]);
  const t0 = performance.now();
  const up = p.run(["up", "--yes", "--skip-preview"], true);
  const exited = p.done(up);
  const prefetched = async () =>
    (await sb.requests(names)).banks.filter((b) => Object.keys(b).length > 0).length;
  try {
    await until("the first create's token request", 120_000, async () => {
      const r = await byMethod(sb, names);
      return r.directory_tokens > 0 && (await prefetched()) > 0;
    });
  } finally {
    // The CLI and its language host (their process group); the plugin has a group of its own and
    // must end by itself when its engine is gone.
    if (up.pid) process.kill(-up.pid, "SIGKILL");
  }
  const killed_after_ms = performance.now() - t0;
  await exited;
  const banks_prefetched = await prefetched();
  // Anything still in flight would land within the held-back token's delay.
  await new Promise((r) => setTimeout(r, 6_000));
  const after = await byMethod(sb, names);
  return {
    n,
    latency_ms: latency,
    preview,
    cancelled_up: { ...after, banks_prefetched, killed_after_ms, registrations_left: after.register_posts },
  };
}
