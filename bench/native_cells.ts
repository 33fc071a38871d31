// The native provider's share of the benchmark: a real `pulumi up` + `destroy` of N
// `obdcr:index:ClientRegistration` resources (the plugin bin/pulumi-resource-obdcr), and of N
// `obdcrnoop:index:Noop` resources (bench/noop_provider: the same SDK provider server, doing
// nothing) with the same inputs, with each plugin's CPU and peak RSS read from the preload hook.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  LocalWorkspace,
  type ProjectSettings,
  PulumiCommand,
  type PulumiFn,
  type Stack,
} from "@pulumi/pulumi/automation";
import { cliInfo, engineEnv, repoRoot } from "../scripts/lib/pulumi_stack.js";
import { pulumiArgs } from "../test/support/params.js";
import { counts, minus } from "./counts.js";
import { hostUsage } from "./pulumi_cells.js";
import type { PulumiRun } from "./run.js";
import { type BenchSandbox, bankNames } from "./sandbox.js";
import { childrenCpuMs, processCpuMs } from "./scale.js";

export type NativeKind = "native" | "noop";

export const NATIVE_TYPE = "obdcr:index:ClientRegistration";
export const NOOP_TYPE = "obdcrnoop:index:Noop";

const typeOf: Record<NativeKind, string> = { native: NATIVE_TYPE, noop: NOOP_TYPE };

/** What a generated SDK's class is, minus the typing: a type token and the inputs. */
export class PluginResource extends pulumi.CustomResource {}

/** A stack whose Pulumi.yaml finds both plugins by path (`plugins.providers`), as users do. */
export async function pluginStack(o: {
  stackName: string;
  backend: string;
  envVars: Record<string, string>;
  program: PulumiFn;
  /** Another CLI root (bench/engine_profile.ts). */
  cliRoot?: string;
}): Promise<Stack> {
  mkdirSync(o.backend.replace(/^file:\/\//, ""), { recursive: true });
  const pulumiCommand = await PulumiCommand.get({ root: o.cliRoot ?? cliInfo().root });
  const projectSettings = {
    name: "ob-dcr-bench-native",
    runtime: "nodejs",
    main: repoRoot,
    backend: { url: o.backend },
    plugins: {
      providers: [
        { name: "obdcr", path: join(repoRoot, "bin") },
        { name: "obdcrnoop", path: join(repoRoot, "bench", "noop_provider") },
      ],
    },
  } as ProjectSettings;
  return LocalWorkspace.createOrSelectStack(
    { projectName: projectSettings.name, stackName: o.stackName, program: o.program },
    {
      pulumiCommand,
      secretsProvider: "passphrase",
      projectSettings,
      envVars: { ...engineEnv(o.backend), ...o.envVars },
    },
  );
}

/** Environment that makes the plugin report its CPU to `dir` (NODE_OPTIONS reaches it via the engine). */
export function hookEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  const nodeOptions = [`--require ${join(repoRoot, "bench", "cpu_hook.cjs")}`, extra.NODE_OPTIONS ?? ""];
  return { ...extra, NODE_OPTIONS: nodeOptions.join(" ").trim(), OBDCR_BENCH_CPU_DIR: dir };
}

/**
 * `pulumi up` then `destroy` of n resources of one kind on n banks (50 ms latency as the dynamic
 * cell). `extraEnv` adds to the engine's (and so the plugin's) environment of a phase: profiling.
 */
export async function nativeCell(
  sb: BenchSandbox,
  kind: NativeKind,
  n: number,
  latency: number,
  workDir: string,
  extraEnv: (phase: "up" | "destroy") => Record<string, string> = () => ({}),
): Promise<PulumiRun> {
  const names = bankNames(n);
  const hookDir = (phase: string) => {
    const d = join(workDir, "provider-cpu", `${kind === "noop" ? "native-noop" : kind}-n${n}-${phase}`);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const upDir = hookDir("up");
  const destroyDir = hookDir("destroy");
  const stackName = `${kind === "noop" ? "native-noop" : kind}-n${n}`;
  const backend = `file://${join(workDir, "state-native")}`;
  const type = typeOf[kind];
  const open = (dir: string, phase: "up" | "destroy") =>
    pluginStack({
      stackName,
      backend,
      envVars: hookEnv(dir, extraEnv(phase)),
      program: async () => {
        const ids: Record<string, unknown> = {};
        for (const name of names) ids[name] = new PluginResource(type, name, { ...pulumiArgs(sb, name) }).id;
        return { ids };
      },
    });
  await sb.reset();
  await sb.setLatency(latency);
  let stack = await open(upDir, "up");
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
    // n resources and the stack (the summary does not count the package's default provider).
    if (created !== n + 1)
      throw new Error(`${kind}: pulumi up created ${created} resources, expected ${n + 1}`);
    const up_requests = await counts(sb, names);
    const upUsage = hostUsage(upDir);
    stack = await open(destroyDir, "destroy");
    t0 = performance.now();
    await stack.destroy();
    const destroy_wall_ms = performance.now() - t0;
    const destroy_requests = minus(await counts(sb, names), up_requests);
    const destroyUsage = hostUsage(destroyDir);
    if (kind === "native") {
      const left = await counts(sb, names);
      if (left.register_post !== n) throw new Error(`native: ${left.register_post} POSTs for ${n} banks`);
    }
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
