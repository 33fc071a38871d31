// The scale series: one `pulumi up` of N registrations in one stack (N banks) for growing N, and K
// stacks × N registrations run in parallel on one state backend (teams and pipelines), with wall
// time, dynamic provider host CPU and peak RSS, and the requests the sandbox received.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { ObClientRegistration } from "../provider/pulumi.js";
import { localStack, repoRoot } from "../scripts/lib/pulumi_stack.js";
import { pulumiArgs } from "../test/support/params.js";
import { counts } from "./counts.js";
import { hostUsage } from "./pulumi_cells.js";
import type { RequestCounts } from "./run.js";
import { type BenchSandbox, bankNames } from "./sandbox.js";

export interface ScaleRun {
  /** Stacks run at once (1 = the one-stack series). */
  stacks: number;
  /** Registrations per stack. */
  n: number;
  latency_ms: number;
  /**
   * A diagnostic run with PULUMI_SKIP_CHECKPOINTS=true: the engine does not write the state after
   * every step (only at the end). Shows what the per-step state writes cost; not a setting to use.
   */
  skip_checkpoints: boolean;
  /** Wall time until every stack's `up` finished. */
  wall_ms: number;
  /** Each stack's own `up` wall time. */
  stack_walls_ms: number[];
  /** Summed over every dynamic provider host (one per stack), start-up included. */
  provider_cpu_ms: number;
  /**
   * CPU of the Pulumi CLI processes (engine, state backend writes, plugins) besides the provider
   * hosts: the bench process's reaped children's CPU over the run, minus provider CPU (Linux only).
   */
  engine_cpu_ms: number | null;
  /** The largest peak RSS of one provider host. */
  provider_peak_rss_mb: number;
  /** Requests the directory and the banks received, all stacks together. */
  requests: RequestCounts;
}

export interface ScaleOptions {
  stacks: number;
  n: number;
  latency: number;
  workDir: string;
  /** The state backend URL (file:// or postgres://). */
  backend: string;
  skipCheckpoints?: boolean;
}

/** CPU (ms) of another running process, user + system (Linux /proc; null elsewhere). */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 (utime, stime) in clock ticks; the list here starts at field 3.
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** CPU (ms) of this process's terminated, reaped children (Linux /proc; null elsewhere). */
export function childrenCpuMs(): number | null {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 16 and 17 (cutime, cstime) in clock ticks; the list here starts at field 3.
    return ((Number(f[13]) + Number(f[14])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** `pulumi up` of `stacks` stacks of `n` registrations each, at once, each on its own banks. */
export async function scaleCell(sb: BenchSandbox, o: ScaleOptions): Promise<ScaleRun> {
  const all = bankNames(o.stacks * o.n);
  const tag = `s${o.stacks}-n${o.n}${o.skipCheckpoints ? "-skip" : ""}`;
  await sb.reset();
  await sb.setLatency(o.latency);
  const dirs: string[] = [];
  const stacks: Array<{ name: string; stack: Stack }> = [];
  try {
    for (let s = 0; s < o.stacks; s++) {
      const names = all.slice(s * o.n, (s + 1) * o.n);
      const dir = join(o.workDir, "provider-cpu", `scale-${tag}-${s}`);
      mkdirSync(dir, { recursive: true });
      dirs.push(dir);
      const name = `scale-${tag}-${s}`;
      const stack = await localStack({
        projectName: "ob-dcr-bench",
        stackName: name,
        backend: o.backend,
        envVars: {
          NODE_OPTIONS: `--require ${join(repoRoot, "bench", "cpu_hook.cjs")}`,
          OBDCR_BENCH_CPU_DIR: dir,
          ...(o.skipCheckpoints ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {}),
        },
        program: async () => {
          const ids: Record<string, unknown> = {};
          for (const b of names) ids[b] = new ObClientRegistration(b, pulumiArgs(sb, b)).clientId;
          return { clientIds: ids };
        },
      });
      stacks.push({ name, stack });
    }
    const c0 = childrenCpuMs();
    const t0 = performance.now();
    const stack_walls_ms = await Promise.all(
      stacks.map(async ({ stack }) => {
        const up = await stack.up();
        const created = up.summary.resourceChanges?.create ?? 0;
        if (created !== o.n + 1)
          throw new Error(`pulumi up created ${created} resources, expected ${o.n + 1}`);
        return performance.now() - t0;
      }),
    );
    const wall_ms = performance.now() - t0;
    const c1 = childrenCpuMs();
    const requests = await counts(sb, all);
    const usage = dirs.map(hostUsage);
    const provider_cpu_ms = usage.reduce((a, u) => a + u.cpu_ms, 0);
    return {
      stacks: o.stacks,
      n: o.n,
      latency_ms: o.latency,
      skip_checkpoints: o.skipCheckpoints ?? false,
      wall_ms,
      stack_walls_ms,
      provider_cpu_ms,
      engine_cpu_ms: c0 === null || c1 === null ? null : Math.max(0, c1 - c0 - provider_cpu_ms),
      provider_peak_rss_mb: Math.max(...usage.map((u) => u.peak_rss_mb)),
      requests,
    };
  } finally {
    // The registrations go with the sandbox reset; the state need not be destroyed to be dropped.
    await Promise.all(
      stacks.map(({ name, stack }) =>
        stack.workspace.removeStack(name, { force: true }).catch(() => undefined),
      ),
    );
  }
}

/** All requests (directory + banks) per registration. */
export function requestsPerRegistration(r: ScaleRun): number {
  const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
  return (sum(r.requests.directory) + sum(r.requests.banks)) / (r.stacks * r.n);
}

export interface Growth {
  metric: string;
  /** Per-registration value at the smallest and the largest N of the one-stack series. */
  at_lo: number;
  at_hi: number;
  lo_n: number;
  hi_n: number;
  /** at_hi / at_lo: 1 = linear growth of the total, < 1 sublinear, > 1 superlinear. */
  ratio: number;
  verdict: "linear" | "sublinear" | "superlinear";
}

/** Per-registration figures at the smallest and largest N, and whether the total grows linearly. */
export function growth(series: ScaleRun[]): Growth[] {
  const one = series.filter((r) => r.stacks === 1 && !r.skip_checkpoints).sort((a, b) => a.n - b.n);
  const lo = one[0];
  const hi = one[one.length - 1];
  if (!lo || !hi || hi.n === lo.n) return [];
  type Metric = [string, (r: ScaleRun) => number];
  const metrics: Metric[] = [
    ["wall time per registration (ms)", (r) => r.wall_ms / r.n],
    ["provider CPU per registration (ms)", (r) => r.provider_cpu_ms / r.n],
    ...(one.every((r) => r.engine_cpu_ms !== null)
      ? [["engine CPU per registration (ms)", (r) => (r.engine_cpu_ms ?? 0) / r.n] satisfies Metric]
      : []),
    ["provider peak RSS per registration (MB)", (r) => r.provider_peak_rss_mb / r.n],
    ["requests per registration", requestsPerRegistration],
  ];
  return metrics.map(([metric, f]) => {
    const at_lo = f(lo);
    const at_hi = f(hi);
    const ratio = at_hi / at_lo;
    const verdict = ratio > 1.25 ? "superlinear" : ratio < 0.8 ? "sublinear" : "linear";
    return { metric, at_lo, at_hi, lo_n: lo.n, hi_n: hi.n, ratio, verdict };
  });
}

/** Provider CPU per registration between consecutive N of the one-stack series (start-up excluded). */
export function marginalCpu(series: ScaleRun[]): Array<{ from: number; to: number; ms: number }> {
  const one = series.filter((r) => r.stacks === 1 && !r.skip_checkpoints).sort((a, b) => a.n - b.n);
  return one.slice(1).map((r, i) => ({
    from: one[i]!.n,
    to: r.n,
    ms: (r.provider_cpu_ms - one[i]!.provider_cpu_ms) / (r.n - one[i]!.n),
  }));
}
