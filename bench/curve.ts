// Wall time against N for every face, up to N = 500, in one run: the reference flow, the core
// library, `pulumi up` of the dynamic resource and of the plugin, and each face's no-op floor (the
// same engine and inputs, a provider that does nothing). Each Pulumi cell also records the engine's
// and the provider's CPU and the state one resource takes, and at one N what a preview sends.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { pulumiArgs } from "../test/support/params.js";
import { type CriticalPath, criticalPath } from "./critical_path.js";
import { type EngineProfile, profilingCliRoot, readEngineProfile } from "./engine_profile.js";
import { installedProject, installedStack } from "./installed.js";
import { hookEnv, NATIVE_TYPE, NOOP_TYPE, PluginResource, pluginStack } from "./native_cells.js";
import { hostUsage } from "./pulumi_cells.js";
import { flowCell } from "./run.js";
import { type BenchSandbox, bankNames } from "./sandbox.js";
import { childrenCpuMs } from "./scale.js";

export const FACES = ["reference", "core", "dynamic", "dynamic_noop", "plugin", "plugin_noop"] as const;
export type Face = (typeof FACES)[number];

export interface CurvePoint {
  face: Face;
  n: number;
  latency_ms: number;
  wall_ms: number;
  /** The Pulumi CLI's CPU (engine, state writes, language host) besides the provider's. */
  engine_cpu_ms: number | null;
  /** The provider host's CPU (client-process CPU for reference and core). */
  provider_cpu_ms: number | null;
  /** Mean bytes of one resource in the stack's state (compact JSON, as `pulumi stack export`). */
  state_bytes_per_resource: number | null;
  /** The engine's own profile of the `up`: how much of its CPU wrote the state after each step. */
  engine_profile?: EngineProfile | null;
  /** What was in flight at the sandbox during the `up` (the registering faces only). */
  critical_path?: CriticalPath | null;
}

/** Mean compact-JSON size of the resources of `type` in the stack's state. */
async function stateBytes(stack: Stack, type: (t: string) => boolean): Promise<number | null> {
  const rs = ((await stack.exportStack()).deployment.resources ?? []) as Array<{ type: string }>;
  const mine = rs.filter((r) => type(r.type));
  if (mine.length === 0) return null;
  return mine.reduce((a, r) => a + JSON.stringify(r).length, 0) / mine.length;
}

/**
 * `keystore: false`: the directory's JWKS reads answer without the latency (a diagnostic).
 * `profile`: the engine's CPU profile of the `up` too (bench/engine_profile.ts; needs Go).
 */
export interface PointOptions {
  keystore?: boolean;
  profile?: boolean;
}

async function pulumiPoint(
  sb: BenchSandbox,
  face: Face,
  n: number,
  latency: number,
  workDir: string,
  opts: PointOptions = {},
) {
  const names = bankNames(n);
  const dir = join(workDir, "provider-cpu", `curve-${face}-n${n}`);
  mkdirSync(dir, { recursive: true });
  const profileDir = join(workDir, "engine-profile", `curve-${face}-n${n}`);
  const cliRoot = opts.profile ? profilingCliRoot(profileDir) : undefined;
  const stackName = `curve-${face}-n${n}${opts.keystore === false ? "-nokeystore" : ""}`;
  const backend = `file://${join(workDir, "state-curve")}`;
  let stack: Stack;
  let isMine: (t: string) => boolean;
  if (face === "dynamic" || face === "dynamic_noop") {
    // As users run it: installed from the packed package, a local program (bench/installed.ts).
    isMine = (t) => t.startsWith("pulumi-nodejs:dynamic");
    stack = await installedStack({
      project: await installedProject(workDir),
      stackName,
      backend,
      face,
      resources: names.map((b) => ({ name: b, args: pulumiArgs(sb, b) })),
      envVars: hookEnv(dir),
      cliRoot,
    });
  } else {
    const type = face === "plugin" ? NATIVE_TYPE : NOOP_TYPE;
    isMine = (t) => t === type;
    mkdirSync(backend.slice("file://".length), { recursive: true });
    stack = await pluginStack({
      stackName,
      backend,
      cliRoot,
      envVars: hookEnv(dir),
      program: async () => {
        for (const b of names) new PluginResource(type, b, { ...pulumiArgs(sb, b) });
      },
    });
  }
  await sb.reset();
  await sb.setLatency(latency, opts);
  try {
    const c0 = childrenCpuMs();
    const e0 = Date.now();
    const t0 = performance.now();
    const up = await stack.up();
    const wall_ms = performance.now() - t0;
    const e1 = Date.now();
    const c1 = childrenCpuMs();
    const created = up.summary.resourceChanges?.create ?? 0;
    if (created !== n + 1)
      throw new Error(`${face}: pulumi up created ${created} resources, expected ${n + 1}`);
    const provider = hostUsage(dir).cpu_ms;
    return {
      face,
      n,
      latency_ms: latency,
      wall_ms,
      engine_cpu_ms: c0 === null || c1 === null ? null : Math.max(0, c1 - c0 - provider),
      provider_cpu_ms: provider,
      state_bytes_per_resource: await stateBytes(stack, isMine),
      engine_profile: cliRoot ? readEngineProfile(profileDir) : null,
      critical_path: face.endsWith("_noop") ? null : criticalPath(e0, e1, await sb.timeline(names), latency),
    } satisfies CurvePoint;
  } finally {
    await stack.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
  }
}

export async function curvePoint(
  sb: BenchSandbox,
  face: Face,
  n: number,
  latency: number,
  workDir: string,
  opts: PointOptions = {},
): Promise<CurvePoint> {
  if (face === "reference" || face === "core") {
    const r = await flowCell(sb, face, n, latency, 1);
    return {
      face,
      n,
      latency_ms: latency,
      wall_ms: r.wall_ms,
      engine_cpu_ms: null,
      provider_cpu_ms: r.cpu_ms_per_registration * n,
      state_bytes_per_resource: null,
    };
  }
  return pulumiPoint(sb, face, n, latency, workDir, opts);
}

/** Our share of an `up` over its no-op floor, per registration (wall and engine CPU). */
export interface Share {
  face: "dynamic" | "plugin";
  n: number;
  wall_ms_per_registration: number;
  engine_cpu_ms_per_registration: number | null;
}

export function shares(points: CurvePoint[]): Share[] {
  const out: Share[] = [];
  for (const face of ["dynamic", "plugin"] as const) {
    for (const p of points.filter((x) => x.face === face)) {
      const floor = points.find((x) => x.face === `${face}_noop` && x.n === p.n);
      if (!floor) continue;
      out.push({
        face,
        n: p.n,
        wall_ms_per_registration: (p.wall_ms - floor.wall_ms) / p.n,
        engine_cpu_ms_per_registration:
          p.engine_cpu_ms === null || floor.engine_cpu_ms === null
            ? null
            : (p.engine_cpu_ms - floor.engine_cpu_ms) / p.n,
      });
    }
  }
  return out.sort((a, b) => a.face.localeCompare(b.face) || a.n - b.n);
}
