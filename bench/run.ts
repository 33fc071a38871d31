// The benchmark: request counts, wall time of the reference loop / lower-bound client / core
// library at N banks and injected latencies, a real `pulumi up` + `destroy`, provider-host CPU and
// peak RSS, and CPU of signing and verification. Every number is taken in one run on one machine.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../scripts/lib/pulumi_stack.js";
import { type BanksRun, banksCell } from "./banks_cell.js";
import { counts } from "./counts.js";
import { type CryptoCpu, cryptoCpu } from "./crypto.js";
import { type CurvePoint, curvePoint, FACES, type Face, type Share, shares } from "./curve.js";
import { type FlowResult, runCore, runMinimal, runReference } from "./flows.js";
import { nativeCell } from "./native_cells.js";
import { type PreviewCancelRun, previewCancelCell } from "./preview_cancel.js";
import { type LoadRss, loadRss, type NativeProfile, profileNative } from "./profile.js";
import { noopUpCpu, pulumiCell } from "./pulumi_cells.js";
import { type BenchSandbox, bankNames, startBenchSandbox } from "./sandbox.js";
import { type Growth, growth, marginalCpu, type ScaleRun, scaleCell } from "./scale.js";
import { type SignerTiming, signerTimings } from "./signers.js";

export const TOKEN_ROUTE = "POST /as/token.oauth2";

export const SSA_ROUTE = "GET /api/v2/tpp/{org_id}/ssa/{software_id}";

export const REGISTER_ROUTE = "POST /register";

export interface BenchOptions {
  /** Bank counts for the client comparison. */
  ns: number[];
  /** Injected latency per request, ms (0 = none). */
  latencies: number[];
  /** Runs of the minimal and core clients per cell (the median is reported); the reference runs once. */
  repeats: number;
  /** Bank counts for `pulumi up`/`destroy` ([] = skip). */
  pulumiNs: number[];
  pulumiLatency: number;
  /** The scale series: registrations in one stack (one `pulumi up`, no destroy) ([] = skip). */
  scaleNs: number[];
  /** Servers in the banks-from-the-directory cell (bench/banks_cell.ts); 0 or absent skips it. */
  banksN?: number;
  /** Also run the largest scale N with PULUMI_SKIP_CHECKPOINTS=true (diagnostic of the engine's share). */
  scaleSkipCheckpoints?: boolean;
  /** The curve: every face (reference, core, both Pulumi faces and their no-op floors) at each N ([] = skip). */
  curveNs?: number[];
  /** The curve's faces (default all). */
  curveFaces?: readonly Face[];
  /** N of the preview and cancelled-`up` cell (plugin, YAML program; null = skip). */
  previewCancelN?: number | null;
  /** Stacks × registrations run in parallel on one backend (null = skip). */
  parallel: { stacks: number; n: number } | null;
  /** The parallel stacks' state backend (a postgres:// URL); default a local file backend. */
  parallelBackend?: string | undefined;
  cryptoIterations: number;
  workDir: string;
  log?: (line: string) => void;
}

export interface RequestCounts {
  directory_token: number;
  ssa_download: number;
  register_post: number;
  /** Every request the directory received, by route (the banks' own JWKS fetches included). */
  directory: Record<string, number>;
  /** Every request the banks received, by route, summed over banks. */
  banks: Record<string, number>;
}

export type Flow = "reference" | "minimal" | "core";

export interface FlowRun {
  flow: Flow;
  n: number;
  latency_ms: number;
  /** Median over the repeats. */
  wall_ms: number;
  walls_ms: number[];
  /** Client-process CPU per registration (median run). */
  cpu_ms_per_registration: number;
  requests: RequestCounts;
}

export interface PulumiRun {
  n: number;
  latency_ms: number;
  up_wall_ms: number;
  destroy_wall_ms: number;
  /** CPU of the dynamic provider host process(es) over the whole command, start-up included. */
  up_provider_cpu_ms: number;
  destroy_provider_cpu_ms: number;
  up_provider_peak_rss_mb: number;
  destroy_provider_peak_rss_mb: number;
  up_requests: RequestCounts;
  destroy_requests: RequestCounts;
  /**
   * CPU over the `up` of the Pulumi CLI (engine, state writes) besides the provider host, and of
   * the sandbox process (directory and banks): where the wall time goes on a shared machine.
   */
  up_engine_cpu_ms?: number | null;
  up_sandbox_cpu_ms?: number | null;
  /** CPU of this process over the `up`: the inline Pulumi program (its language host) mostly. */
  up_program_cpu_ms?: number;
}

/** (cpu(N max) - cpu(N min)) / (N max - N min), at up and at destroy: start-up excluded. */
export interface Marginal {
  up: number;
  destroy: number;
}

export function marginalOf(runs: PulumiRun[]): Marginal | null {
  const s = [...runs].sort((a, b) => a.n - b.n);
  const lo = s[0];
  const hi = s[s.length - 1];
  return lo && hi && hi.n > lo.n
    ? {
        up: (hi.up_provider_cpu_ms - lo.up_provider_cpu_ms) / (hi.n - lo.n),
        destroy: (hi.destroy_provider_cpu_ms - lo.destroy_provider_cpu_ms) / (hi.n - lo.n),
      }
    : null;
}

/** The issue #15 targets for the native plugin at the largest N. */
export const NATIVE_TARGETS = { cpu_ms: 5, peak_rss_mb: 150, up_vs_noop_ms: 1000 } as const;

/** Which native targets the runs miss (names for the log; [] = all met or nothing to judge). */
export function nativeMisses(native: PulumiRun[], noop: PulumiRun[], m: Marginal | null): string[] {
  const hi = [...native].sort((a, b) => b.n - a.n)[0];
  const twin = noop.find((x) => x.n === hi?.n);
  if (!hi) return [];
  const out: string[] = [];
  if (m && m.up > NATIVE_TARGETS.cpu_ms) out.push(`CPU ${m.up.toFixed(1)} ms/registration`);
  if (hi.up_provider_peak_rss_mb > NATIVE_TARGETS.peak_rss_mb)
    out.push(`peak RSS ${hi.up_provider_peak_rss_mb.toFixed(0)} MB`);
  if (twin && hi.up_wall_ms - twin.up_wall_ms > NATIVE_TARGETS.up_vs_noop_ms)
    out.push(`up ${(hi.up_wall_ms - twin.up_wall_ms).toFixed(0)} ms slower than no-op`);
  return out;
}

export interface BenchResults {
  machine: {
    cpu: string;
    cores: number;
    memory_gb: number;
    os: string;
    /** 1/5/15-minute load averages when the run started and ended (others share the machine). */
    load_avg?: { start: number[]; end: number[] };
  };
  versions: { node: string; pulumi: string; ob_dcr: string };
  started_at: string;
  duration_s: number;
  options: Omit<BenchOptions, "log" | "workDir">;
  flows: FlowRun[];
  pulumi: PulumiRun[];
  /** Marginal provider-host CPU per registration: (cpu(N max) - cpu(N min)) / (N max - N min). */
  pulumi_cpu_ms_per_registration: { up: number; destroy: number } | null;
  /**
   * The same slope for a no-op dynamic provider (create echoes its inputs) with the same inputs:
   * what the Pulumi dynamic provider host costs per resource whatever the provider does.
   */
  pulumi_noop_cpu_ms_per_resource: number | null;
  /**
   * The native plugin (`obdcr:index:ClientRegistration`, bin/pulumi-resource-obdcr) at the same N
   * and latency as `pulumi`, run beside it (dynamic, native, no-op at each N).
   */
  pulumi_native: PulumiRun[];
  /** N no-op resources of a native plugin on the same SDK provider server, with the same inputs. */
  pulumi_native_noop: PulumiRun[];
  /** The largest N again, native and no-op, with `PULUMI_PARALLEL` = N (the engine's default is 4 x cores). */
  pulumi_native_parallel?: { native: PulumiRun; noop: PulumiRun } | null;
  pulumi_native_cpu_ms_per_registration: Marginal | null;
  pulumi_native_noop_cpu_ms_per_resource: Marginal | null;
  /** Where the native plugin's CPU goes (a profiled `up` at the largest N), when a target is missed. */
  pulumi_native_profile: NativeProfile | null;
  /** Resident memory of module loading alone: Node, + @pulumi/pulumi, + the native provider. */
  pulumi_native_load_rss: LoadRss | null;
  /** The scale series (stacks = 1) and the parallel stacks run (stacks > 1), at `pulumiLatency`. */
  scale: ScaleRun[];
  /** The state backend of the one-stack series and of the parallel stacks (credentials masked). */
  scale_backend: { series: string; parallel: string };
  /** Per-registration figures at the smallest and the largest N of the one-stack series. */
  scale_growth: Growth[];
  /** Provider CPU per registration between consecutive N (start-up excluded). */
  scale_marginal_cpu: Array<{ from: number; to: number; ms: number }>;
  /** Wall time, CPU and state per resource of every face at each N of `curveNs`. */
  curve?: CurvePoint[];
  /** Each Pulumi face's `up` over its no-op floor, per registration, at each N of the curve. */
  curve_shares?: Share[];
  /** Plugin and its floor at N = 50 with the directory's JWKS reads undelayed (diagnostic). */
  curve_keystore_undelayed?: CurvePoint[];
  /** What a preview of N new registrations sent, and what an `up` killed after the checks left. */
  preview_cancel?: PreviewCancelRun | null;
  /** The same curve shares measured on the code before this change (BENCH_BASELINE), for before/after. */
  baseline?: { label: string; curve_shares: Share[]; curve: CurvePoint[] } | null;
  /** One `up` of a Brazil-like list of `banksN` servers, and the listing's own cost. */
  banks?: BanksRun | null;
  crypto: CryptoCpu;
  /** Signature time per signer backend (in-process, PKCS#11 on SoftHSM2, AWS KMS on local-kms). */
  signers?: SignerTiming[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const runners: Record<Flow, (sb: BenchSandbox, names: string[]) => Promise<FlowResult>> = {
  reference: (sb, names) => runReference(sb.manifest, names),
  minimal: (sb, names) => runMinimal(sb.manifest, names),
  core: (sb, names) => runCore(sb.manifest, names),
};

export async function flowCell(
  sb: BenchSandbox,
  flow: Flow,
  n: number,
  latency: number,
  repeats: number,
): Promise<FlowRun> {
  const names = bankNames(n);
  const runs: Array<FlowResult & { requests: RequestCounts }> = [];
  for (let i = 0; i < repeats; i++) {
    await sb.reset();
    await sb.setLatency(latency);
    const r = await runners[flow](sb, names);
    if (new Set(r.client_ids).size !== n)
      throw new Error(`${flow}: ${r.client_ids.length} client ids for ${n} banks`);
    runs.push({ ...r, requests: await counts(sb, names) });
  }
  const walls = runs.map((r) => r.wall_ms);
  const mid = runs.find((r) => r.wall_ms === median(walls)) ?? runs[Math.floor(runs.length / 2)]!;
  return {
    flow,
    n,
    latency_ms: latency,
    wall_ms: median(walls),
    walls_ms: walls,
    cpu_ms_per_registration: mid.cpu_ms / n,
    requests: mid.requests,
  };
}

export async function runBench(o: BenchOptions): Promise<BenchResults> {
  const log = o.log ?? (() => undefined);
  const started = new Date();
  const t0 = performance.now();
  const os = await import("node:os");
  const loadStart = os.loadavg();
  const maxN = Math.max(
    ...o.ns,
    ...o.pulumiNs,
    ...o.scaleNs,
    ...(o.curveNs ?? []),
    o.previewCancelN ?? 0,
    o.parallel ? o.parallel.stacks * o.parallel.n : 0,
    1,
  );
  mkdirSync(o.workDir, { recursive: true });
  log(`starting the sandbox (directory + ${maxN} banks) in a child process`);
  const sb = await startBenchSandbox({
    dataDir: join(o.workDir, "sandbox"),
    pkiDir: join(o.workDir, "pki"),
    banks: bankNames(maxN),
  });
  const flows: FlowRun[] = [];
  const pulumi: PulumiRun[] = [];
  const native: PulumiRun[] = [];
  const nativeNoop: PulumiRun[] = [];
  const nativeParallel: { native?: PulumiRun; noop?: PulumiRun } = {};
  let profile: NativeProfile | null = null;
  let loadRssResult: LoadRss | null = null;
  let crypto: CryptoCpu;
  let noop: number | null = null;
  const scale: ScaleRun[] = [];
  const curve: CurvePoint[] = [];
  const curveNoKeystore: CurvePoint[] = [];
  let previewCancel: PreviewCancelRun | null = null;
  let banks: BanksRun | null = null;
  const fileBackend = `file://${join(o.workDir, "state-scale")}`;
  const parallelBackend = o.parallelBackend ?? fileBackend;
  try {
    // Warm-up (not measured): the first run of a code path in a process pays for JIT compilation.
    for (const flow of ["reference", "minimal", "core"] as const) await flowCell(sb, flow, 1, 0, 1);
    for (const latency of o.latencies) {
      for (const n of o.ns) {
        for (const flow of ["reference", "minimal", "core"] as const) {
          const r = await flowCell(sb, flow, n, latency, flow === "reference" ? 1 : o.repeats);
          flows.push(r);
          log(
            `${flow.padEnd(9)} N=${String(n).padStart(2)} latency=${String(latency).padStart(3)} ms: ` +
              `${r.wall_ms.toFixed(0)} ms, ${r.cpu_ms_per_registration.toFixed(1)} ms CPU/registration, ` +
              `requests: token ${r.requests.directory_token}, SSA ${r.requests.ssa_download}, POST ${r.requests.register_post}`,
          );
        }
      }
    }
    for (const n of o.pulumiNs) {
      const r = await pulumiCell(sb, n, o.pulumiLatency, o.workDir);
      pulumi.push(r);
      log(
        `pulumi    N=${String(n).padStart(2)} latency=${o.pulumiLatency} ms: up ${r.up_wall_ms.toFixed(0)} ms ` +
          `(provider CPU ${r.up_provider_cpu_ms.toFixed(0)} ms, peak RSS ${r.up_provider_peak_rss_mb.toFixed(0)} MB), ` +
          `destroy ${r.destroy_wall_ms.toFixed(0)} ms (provider CPU ${r.destroy_provider_cpu_ms.toFixed(0)} ms)`,
      );
      // The native plugin and its no-op twin right after, at the same N: the same machine load.
      for (const kind of ["native", "noop"] as const) {
        const x = await nativeCell(sb, kind, n, o.pulumiLatency, o.workDir);
        (kind === "native" ? native : nativeNoop).push(x);
        log(
          `${kind.padEnd(9)} N=${String(n).padStart(2)} latency=${o.pulumiLatency} ms: up ${x.up_wall_ms.toFixed(0)} ms ` +
            `(provider CPU ${x.up_provider_cpu_ms.toFixed(0)} ms, peak RSS ${x.up_provider_peak_rss_mb.toFixed(0)} MB), ` +
            `destroy ${x.destroy_wall_ms.toFixed(0)} ms (provider CPU ${x.destroy_provider_cpu_ms.toFixed(0)} ms)`,
        );
      }
    }
    for (const n of o.curveNs ?? []) {
      for (const face of o.curveFaces ?? FACES) {
        const p = await curvePoint(sb, face, n, o.pulumiLatency, o.workDir, {
          profile: n === Math.max(...(o.curveNs ?? [])),
        });
        curve.push(p);
        log(
          `curve     ${face.padEnd(12)} N=${String(n).padStart(3)}: ${p.wall_ms.toFixed(0)} ms` +
            (p.engine_cpu_ms === null ? "" : `, engine CPU ${p.engine_cpu_ms.toFixed(0)} ms`) +
            (p.state_bytes_per_resource === null
              ? ""
              : `, state ${p.state_bytes_per_resource.toFixed(0)} B/resource`),
        );
      }
    }
    // The plugin's gap at N = 50 again, with the directory's JWKS reads undelayed: most of them
    // are the banks' own (three per POST), so this shows what the gap is without that bank work.
    const n50 = (o.curveNs ?? []).includes(50) ? 50 : undefined;
    if (n50 && (o.curveFaces ?? FACES).includes("plugin")) {
      for (const face of ["plugin", "plugin_noop"] as const) {
        const p = await curvePoint(sb, face, n50, o.pulumiLatency, o.workDir, { keystore: false });
        curveNoKeystore.push(p);
        log(`curve     ${face.padEnd(12)} N=${n50} keystore undelayed: ${p.wall_ms.toFixed(0)} ms`);
      }
    }
    if (o.previewCancelN) {
      previewCancel = await previewCancelCell(sb, o.previewCancelN, o.pulumiLatency, o.workDir);
      log(
        `preview   N=${o.previewCancelN}: ${JSON.stringify(previewCancel.preview.by_method)}; cancelled up: ` +
          `${previewCancel.cancelled_up.banks_prefetched} banks prefetched, ${previewCancel.cancelled_up.registrations_left} registrations left`,
      );
    }
    const hiN = Math.max(...o.pulumiNs);
    // The engine runs at most 4 x cores steps at once (8 here): at the largest N, the same pair with
    // as many steps in flight as registrations shows how much of the gap is that queue.
    for (const kind of o.pulumiNs.length ? (["native", "noop"] as const) : []) {
      const x = await nativeCell(sb, kind, hiN, o.pulumiLatency, join(o.workDir, "parallel-n"), () => ({
        PULUMI_PARALLEL: String(hiN),
      }));
      nativeParallel[kind] = x;
      log(`${kind.padEnd(9)} N=${hiN} parallel=${hiN}: up ${x.up_wall_ms.toFixed(0)} ms`);
    }
    const nativeMarginal = marginalOf(native);
    const missed = nativeMisses(native, nativeNoop, nativeMarginal);
    if (missed.length) {
      log(`native    missed ${missed.join(", ")}: profiling the plugin's up at N=${hiN}`);
      profile = await profileNative(sb, hiN, o.pulumiLatency, o.workDir);
    }
    if (native.length) loadRssResult = loadRss(repoRoot);
    const cells = [
      ...o.scaleNs.map((n) => ({ stacks: 1, n, backend: fileBackend })),
      ...(o.parallel && o.parallel.stacks > 0 ? [{ ...o.parallel, backend: parallelBackend }] : []),
      ...(o.scaleSkipCheckpoints && o.scaleNs.length
        ? [{ stacks: 1, n: Math.max(...o.scaleNs), backend: fileBackend, skipCheckpoints: true }]
        : []),
    ];
    for (const c of cells) {
      const r = await scaleCell(sb, { ...c, latency: o.pulumiLatency, workDir: o.workDir });
      scale.push(r);
      log(
        `scale     ${c.stacks} stack(s) x N=${c.n}${r.skip_checkpoints ? " (checkpoints skipped)" : ""}: up ${r.wall_ms.toFixed(0)} ms, provider CPU ` +
          `${(r.provider_cpu_ms / (c.stacks * c.n)).toFixed(1)} ms/registration, peak RSS ` +
          `${r.provider_peak_rss_mb.toFixed(0)} MB, POST ${r.requests.register_post}, token ${r.requests.directory_token}`,
      );
    }
    if (o.banksN) {
      banks = await banksCell({ n: o.banksN, workDir: o.workDir });
      log(
        `banks     N=${o.banksN}: listing ${banks.listing.wall_ms.toFixed(0)} ms, up ${banks.up.wall_ms.toFixed(0)} ms ` +
          `(provider CPU ${banks.up.provider_cpu_ms.toFixed(0)} ms), token ${banks.requests.directory_token}, ` +
          `SSA ${banks.requests.ssa_download}, POST ${banks.requests.register_post}`,
      );
    }
    if (o.pulumiNs.length >= 2) {
      const lo = Math.min(...o.pulumiNs);
      const hi = Math.max(...o.pulumiNs);
      const cLo = await noopUpCpu(sb, lo, o.workDir);
      const cHi = await noopUpCpu(sb, hi, o.workDir);
      noop = (cHi - cLo) / (hi - lo);
      log(`pulumi    no-op dynamic provider: ${noop.toFixed(2)} ms provider-host CPU per resource`);
    }
    log("signing and verification CPU");
    await sb.reset();
    crypto = await cryptoCpu(o.cryptoIterations, sb.manifest, bankNames(1)[0]!);
  } finally {
    await sb.close();
  }
  const marginal = marginalOf(pulumi);
  const cli = JSON.parse(readFileSync(join(repoRoot, ".pulumi-state", "cli.json"), "utf8")) as {
    version: string;
  };
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
  const { log: _l, workDir: _w, parallelBackend: _p, ...options } = o;
  return {
    machine: {
      cpu: os.cpus()[0]?.model ?? "unknown",
      cores: os.availableParallelism(),
      memory_gb: Math.round(os.totalmem() / 2 ** 30),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      load_avg: { start: loadStart, end: os.loadavg() },
    },
    versions: { node: process.version, pulumi: cli.version, ob_dcr: pkg.version },
    started_at: started.toISOString(),
    duration_s: (performance.now() - t0) / 1000,
    options,
    flows,
    pulumi,
    pulumi_cpu_ms_per_registration: marginal,
    pulumi_noop_cpu_ms_per_resource: noop,
    pulumi_native: native,
    pulumi_native_noop: nativeNoop,
    pulumi_native_parallel:
      nativeParallel.native && nativeParallel.noop
        ? { native: nativeParallel.native, noop: nativeParallel.noop }
        : null,
    pulumi_native_cpu_ms_per_registration: marginalOf(native),
    pulumi_native_noop_cpu_ms_per_resource: marginalOf(nativeNoop),
    pulumi_native_profile: profile,
    pulumi_native_load_rss: loadRssResult,
    scale,
    scale_backend: {
      series: fileBackend.startsWith("file:") ? "file" : "postgres",
      parallel: parallelBackend.startsWith("file:") ? "file" : "postgres",
    },
    scale_growth: growth(scale),
    scale_marginal_cpu: marginalCpu(scale),
    curve,
    curve_shares: shares(curve),
    curve_keystore_undelayed: curveNoKeystore,
    preview_cancel: previewCancel,
    baseline: null,
    banks,
    crypto,
    signers: await signerTimings(o.cryptoIterations),
  };
}
