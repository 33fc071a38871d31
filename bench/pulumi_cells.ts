// The engine's share of the benchmark: a real `pulumi up` + `destroy` of N registrations, and of N
// no-op resources, with the dynamic provider host's CPU and peak RSS read from a preload hook.
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumiSdk from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import { ObClientRegistration } from "../provider/pulumi.js";
import { localStack, repoRoot } from "../scripts/lib/pulumi_stack.js";
import { pulumiArgs } from "../test/support/params.js";
import { counts, minus } from "./counts.js";
import type { PulumiRun } from "./run.js";
import { type BenchSandbox, bankNames } from "./sandbox.js";
import { childrenCpuMs, processCpuMs } from "./scale.js";

interface HostUsage {
  cpu_ms: number;
  peak_rss_mb: number;
}

export function hostUsage(dir: string): HostUsage {
  let cpu = 0;
  let rss = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".json"))) {
    const s = JSON.parse(readFileSync(join(dir, f), "utf8")) as {
      cpu_user_us: number;
      cpu_system_us: number;
      max_rss_kb: number;
    };
    cpu += (s.cpu_user_us + s.cpu_system_us) / 1000;
    rss = Math.max(rss, s.max_rss_kb / 1024);
  }
  if (cpu === 0) throw new Error(`no provider host reported its CPU in ${dir}`);
  return { cpu_ms: cpu, peak_rss_mb: rss };
}

export async function pulumiCell(
  sb: BenchSandbox,
  n: number,
  latency: number,
  workDir: string,
): Promise<PulumiRun> {
  const names = bankNames(n);
  const hookDir = (phase: string) => {
    const d = join(workDir, "provider-cpu", `n${n}-${phase}`);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const upDir = hookDir("up");
  const destroyDir = hookDir("destroy");
  const env = (dir: string) => ({
    NODE_OPTIONS: `--require ${join(repoRoot, "bench", "cpu_hook.cjs")}`,
    OBDCR_BENCH_CPU_DIR: dir,
  });
  const stackName = `bench-n${n}`;
  const open = (dir: string): Promise<Stack> =>
    localStack({
      projectName: "ob-dcr-bench",
      stackName,
      backend: `file://${join(workDir, "state")}`,
      envVars: env(dir),
      program: async () => {
        const ids: Record<string, unknown> = {};
        for (const name of names) ids[name] = new ObClientRegistration(name, pulumiArgs(sb, name)).clientId;
        return { clientIds: ids };
      },
    });
  await sb.reset();
  await sb.setLatency(latency);
  let stack = await open(upDir);
  try {
    const c0 = childrenCpuMs();
    const s0 = processCpuMs(sb.pid);
    const p0 = process.cpuUsage();
    let t0 = performance.now();
    const up = await stack.up();
    const up_wall_ms = performance.now() - t0;
    const p1 = process.cpuUsage(p0);
    const c1 = childrenCpuMs();
    const s1 = processCpuMs(sb.pid);
    const created = up.summary.resourceChanges?.create ?? 0;
    if (created !== n + 1) throw new Error(`pulumi up created ${created} resources, expected ${n + 1}`);
    const up_requests = await counts(sb, names);
    const upUsage = hostUsage(upDir);

    // No reset here: it would drop the registrations that destroy deletes.
    stack = await open(destroyDir); // the same stack, with the destroy run's hook directory
    t0 = performance.now();
    await stack.destroy();
    const destroy_wall_ms = performance.now() - t0;
    const destroy_requests = minus(await counts(sb, names), up_requests);
    const destroyUsage = hostUsage(destroyDir);
    return {
      n,
      latency_ms: latency,
      up_wall_ms,
      destroy_wall_ms,
      up_provider_cpu_ms: upUsage.cpu_ms,
      destroy_provider_cpu_ms: destroyUsage.cpu_ms,
      up_provider_peak_rss_mb: upUsage.peak_rss_mb,
      destroy_provider_peak_rss_mb: destroyUsage.peak_rss_mb,
      up_requests,
      destroy_requests,
      up_engine_cpu_ms: c0 === null || c1 === null ? null : Math.max(0, c1 - c0 - upUsage.cpu_ms),
      up_sandbox_cpu_ms: s0 === null || s1 === null ? null : s1 - s0,
      up_program_cpu_ms: (p1.user + p1.system) / 1000,
    };
  } finally {
    await stack.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
  }
}

export class NoopResource extends pulumiSdk.dynamic.Resource {}

/** A dynamic provider that does nothing: create echoes the inputs (the dynamic faces' floor). */
export const noopProvider: pulumiSdk.dynamic.ResourceProvider = {
  async create(ins: Record<string, unknown>) {
    return { id: `noop-${Math.random()}`, outs: { ...ins } };
  },
};

/** Provider-host CPU of a `pulumi up` of n no-op dynamic resources with the registrations' inputs. */
export async function noopUpCpu(sb: BenchSandbox, n: number, workDir: string): Promise<number> {
  const dir = join(workDir, "provider-cpu", `noop-n${n}`);
  mkdirSync(dir, { recursive: true });
  const inputs = pulumiArgs(sb, bankNames(1)[0]!);
  const stackName = `noop-n${n}`;
  const stack = await localStack({
    projectName: "ob-dcr-bench",
    stackName,
    backend: `file://${join(workDir, "state")}`,
    envVars: {
      NODE_OPTIONS: `--require ${join(repoRoot, "bench", "cpu_hook.cjs")}`,
      OBDCR_BENCH_CPU_DIR: dir,
    },
    program: async () => {
      for (let i = 0; i < n; i++) new NoopResource(noopProvider, `noop-${i}`, { ...inputs });
    },
  });
  try {
    await stack.up();
    return hostUsage(dir).cpu_ms;
  } finally {
    await stack.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
  }
}
