// The curve's part of RESULTS.md: the targets of a leaner `pulumi up` (met or NOT met, with the
// figure), the two charts, and the tables they are drawn from.

import { cpus } from "node:os";
import type { CurvePoint, Face, Share } from "./curve.js";
import type { BenchResults } from "./run.js";

export const CURVE_TARGETS = {
  /** plugin `up` of 50 minus its no-op floor, ms. */
  plugin_over_floor_ms: 1000,
  /** State per registration in the plugin, bytes. */
  plugin_state_bytes: 4096,
  /** Our share per registration at a large N over the N = 50 figure: within this is linear. */
  linear_ratio: 1.25,
  /** The library over the lower-bound client at N = 50. */
  library_vs_lower_bound: 1.25,
} as const;

const f0 = (x: number) => x.toFixed(0);
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const met = (ok: boolean) => (ok ? "met" : "NOT met");
const sign = (x: number) => `${x >= 0 ? "+" : ""}${f0(x)}`;

const point = (c: CurvePoint[], face: Face, n: number) => c.find((p) => p.face === face && p.n === n);
const shareAt = (s: Share[], face: Share["face"], n: number) => s.find((x) => x.face === face && x.n === n);

/** The verdict lines (for the Verdicts list). */
export function curveVerdicts(r: BenchResults): string[] {
  const c = r.curve ?? [];
  const s = r.curve_shares ?? [];
  const out: string[] = [];
  if (c.length === 0) return out;
  // The targets are stated at N = 50; a shorter run (the smoke test) judges its smallest N.
  const ns = [...new Set(c.map((x) => x.n))];
  const n50 = ns.includes(50) ? 50 : Math.min(...ns);
  const over = (face: "plugin" | "dynamic") => {
    const up = point(c, face, n50);
    const floor = point(c, `${face}_noop`, n50);
    return up && floor
      ? { up: up.wall_ms, floor: floor.wall_ms, value: up.wall_ms - floor.wall_ms }
      : undefined;
  };
  const p = over("plugin");
  const d = over("dynamic");
  if (p)
    out.push(
      `- Plugin \`up\` of ${n50} registrations minus its no-op floor, default parallelism: ${f0(p.up)} − ${f0(p.floor)} ms = ` +
        `**${sign(p.value)} ms** (target ≤ ${CURVE_TARGETS.plugin_over_floor_ms} ms: ${met(p.value <= CURVE_TARGETS.plugin_over_floor_ms)})` +
        (d ? `; the dynamic resource: ${f0(d.up)} − ${f0(d.floor)} ms = ${sign(d.value)} ms (reported)` : ""),
    );
  const cp = point(c, "plugin", n50)?.critical_path;
  const floorWall = point(c, "plugin_noop", n50)?.wall_ms;
  if (p && cp && floorWall !== undefined) {
    const steps = 4 * cpus().length;
    out.push(
      `  - Where the plugin's ${f0(cp.wall_ms)} ms went (what the sandbox had in flight, table below): a registration POST at some bank ` +
        `${f0(cp.phases.register_post)} ms; a discovery GET and no POST ${f0(cp.phases.discovery)} ms; only directory requests ` +
        `${f0(cp.phases.directory)} ms; nothing in flight ${f0(cp.phases.idle)} ms (the whole floor is that: ${f0(floorWall)} ms). ` +
        `A POST took ${f0(cp.post_median_ms)} ms at the bank (median), ${f0(cp.bank_work_median_ms)} of them the bank's own work past ` +
        `the injected latency (it fetches the directory's, the software's and the revoked JWKS in turn); ` +
        `with ${steps} steps at once (4 × ${cpus().length} cores) ${n50} creates queue in ${Math.ceil(n50 / steps)} waves, ` +
        "and the engine checks a resource only when a step slot is free, so each later create also waits for its bank's discovery. " +
        `Each slot runs its creates one after another and each create holds a POST at a bank, so at this parallelism no client ` +
        `can end sooner than about ${Math.ceil(n50 / steps)} × ${f0(cp.post_median_ms)} = ` +
        `**${f0(Math.ceil(n50 / steps) * cp.post_median_ms)} ms** over the floor with this bank`,
    );
  }
  const nk = r.curve_keystore_undelayed ?? [];
  const nkUp = point(nk, "plugin", n50);
  const nkFloor = point(nk, "plugin_noop", n50);
  if (nkUp && nkFloor) {
    const v = nkUp.wall_ms - nkFloor.wall_ms;
    out.push(
      `  - Diagnostic, the same pair with the directory's JWKS reads answered without the latency (the banks' three per POST, ` +
        `and our own few): ${f0(nkUp.wall_ms)} − ${f0(nkFloor.wall_ms)} ms = **${sign(v)} ms** ` +
        `(${v <= CURVE_TARGETS.plugin_over_floor_ms ? "within" : "over"} the ${CURVE_TARGETS.plugin_over_floor_ms} ms target)` +
        (nkUp.critical_path
          ? `; a POST then took ${f0(nkUp.critical_path.post_median_ms)} ms at the bank (median), POSTs in flight ${f0(nkUp.critical_path.phases.register_post)} ms`
          : ""),
    );
  }
  const state = (face: Face) => point(c, face, n50)?.state_bytes_per_resource ?? null;
  const ps = state("plugin");
  if (ps !== null)
    out.push(
      `- State per registration, plugin: **${f0(ps)} bytes** (target ≤ ${CURVE_TARGETS.plugin_state_bytes}: ${met(ps <= CURVE_TARGETS.plugin_state_bytes)}); ` +
        `dynamic resource ${f0(state("dynamic") ?? Number.NaN)} bytes (installed from the packed package, as users run it); the no-op floors hold ${f0(state("plugin_noop") ?? Number.NaN)} ` +
        `(plugin) and ${f0(state("dynamic_noop") ?? Number.NaN)} (dynamic) bytes with the same inputs`,
    );
  for (const face of ["plugin", "dynamic"] as const) {
    const lo = shareAt(s, face, n50);
    if (!lo) continue;
    const before50 = shareAt(r.baseline?.curve_shares ?? [], face, n50);
    if (before50)
      out.push(
        `- ${face === "plugin" ? "Plugin" : "Dynamic resource"}: our share of \`up\` at N = ${n50}, per registration: ` +
          `${f1(lo.wall_ms_per_registration)} ms wall, ${lo.engine_cpu_ms_per_registration === null ? "?" : f1(lo.engine_cpu_ms_per_registration)} ms engine CPU; ` +
          `before (${r.baseline!.label}): ${f1(before50.wall_ms_per_registration)} ms wall, ` +
          `${before50.engine_cpu_ms_per_registration === null ? "?" : f1(before50.engine_cpu_ms_per_registration)} ms engine CPU`,
      );
    for (const n of [200, 500]) {
      const hi = shareAt(s, face, n);
      if (!hi) continue;
      const wall = hi.wall_ms_per_registration / lo.wall_ms_per_registration;
      const cpu =
        hi.engine_cpu_ms_per_registration !== null && lo.engine_cpu_ms_per_registration
          ? hi.engine_cpu_ms_per_registration / lo.engine_cpu_ms_per_registration
          : null;
      // A share at N = 50 at or below 0 (the floor took as much in this run) is no base for a ratio:
      // a negative one would pass any bound.
      const noBase =
        lo.wall_ms_per_registration <= 0 ||
        (hi.engine_cpu_ms_per_registration !== null &&
          lo.engine_cpu_ms_per_registration !== null &&
          lo.engine_cpu_ms_per_registration <= 0);
      const over =
        wall > CURVE_TARGETS.linear_ratio || (!noBase && cpu !== null && cpu > CURVE_TARGETS.linear_ratio);
      const verdict = over
        ? "NOT linear"
        : noBase
          ? "not judged: the N = 50 share is at or below 0, within this run's noise"
          : "linear";
      const before = shareAt(r.baseline?.curve_shares ?? [], face, n);
      out.push(
        `- ${face === "plugin" ? "Plugin" : "Dynamic resource"}: our share of \`up\` at N = ${n}, per registration: ` +
          `${f1(hi.wall_ms_per_registration)} ms wall (×${f2(wall)} the N = 50 figure of ${f1(lo.wall_ms_per_registration)})` +
          (cpu === null
            ? ""
            : `, ${f1(hi.engine_cpu_ms_per_registration!)} ms engine CPU (${noBase ? "no ratio to" : `×${f2(cpu)} of`} ${f1(lo.engine_cpu_ms_per_registration!)})`) +
          `: **${verdict}** (within ×${CURVE_TARGETS.linear_ratio})` +
          (before
            ? `; before (${r.baseline!.label}): ${f1(before.wall_ms_per_registration)} ms wall` +
              (before.engine_cpu_ms_per_registration === null
                ? ""
                : `, ${f1(before.engine_cpu_ms_per_registration)} ms engine CPU`)
            : ""),
      );
    }
  }
  const nMax = Math.max(...ns);
  for (const face of ["plugin", "dynamic"] as const) {
    const a = point(c, face, nMax);
    const b = point(c, `${face}_noop`, nMax);
    const pa = a?.engine_profile;
    const pb = b?.engine_profile;
    if (!a || !b || !pa || !pb) continue;
    const gap = pa.sampled_ms - pb.sampled_ms;
    const writes = pa.state_writes_ms - pb.state_writes_ms;
    out.push(
      `  - Where the ${face === "plugin" ? "plugin's" : "dynamic resource's"} engine CPU over its floor goes at N = ${nMax} ` +
        `(the CLI's own profile, \`pulumi up --profiling\`): ${f0(pa.sampled_ms)} vs ${f0(pb.sampled_ms)} ms sampled, ` +
        `of which writing the whole state after each step ${f0(pa.state_writes_ms)} vs ${f0(pb.state_writes_ms)} ms: ` +
        `**${f0(writes)} of the ${f0(gap)} ms gap** (${gap > 0 ? f0((100 * writes) / gap) : "?"}%). With a file backend the engine ` +
        `rewrites every resource after every step, so each byte a resource holds over the floor's ` +
        `(${f0((a.state_bytes_per_resource ?? 0) - (b.state_bytes_per_resource ?? 0))} here) costs in proportion to N per registration`,
    );
  }
  const core = r.flows.find((x) => x.flow === "core" && x.n === n50 && x.latency_ms === 50);
  const min = r.flows.find((x) => x.flow === "minimal" && x.n === n50 && x.latency_ms === 50);
  if (core && min) {
    const v = core.wall_ms / min.wall_ms;
    out.push(
      `- Library vs the lower bound at N = ${n50} distinct banks, 50 ms: ${f0(core.wall_ms)} vs ${f0(min.wall_ms)} ms, ` +
        `**${f2(v)}x** (target ≤ ${CURVE_TARGETS.library_vs_lower_bound}x: ${met(v <= CURVE_TARGETS.library_vs_lower_bound)})`,
    );
  }
  const pc = r.preview_cancel;
  if (pc) {
    const gets = pc.preview.by_method.GET ?? 0;
    out.push(
      `- A preview of ${pc.n} new registrations (plugin, YAML program) sent **${pc.preview.changing} POST/PUT/DELETE** ` +
        `(target 0: ${met(pc.preview.changing === 0)}) and ${gets} GETs (${f1(gets / pc.n)} per registration: the check-time prefetch)`,
      `- An \`up\` of ${pc.n} new registrations killed (SIGKILL of the CLI's process group) ${f0(pc.cancelled_up.killed_after_ms)} ms in, once its creates ` +
        `had begun (the directory's token request in flight, held back 5 s) and ${pc.cancelled_up.banks_prefetched} banks had had their check-time GET: ` +
        `**${pc.cancelled_up.registrations_left} registrations** at the banks, ${pc.cancelled_up.changing} POST/PUT/DELETE anywhere ` +
        `(${pc.cancelled_up.directory_tokens} directory token requests) (target 0 registrations: ${met(pc.cancelled_up.registrations_left === 0)}); ` +
        "the plugin, in a process group of its own, ended with its engine",
    );
  }
  return out;
}

/** The section: charts, then the curve's table and the shares. */
export function renderCurve(
  r: BenchResults,
  charts: string[] = ["wall_vs_n.svg", "share_vs_n.svg"],
): string[] {
  const c = r.curve ?? [];
  if (c.length === 0) return [];
  const lat = c[0]!.latency_ms;
  const ns = [...new Set(c.map((p) => p.n))].sort((a, b) => a - b);
  const out: string[] = [];
  out.push(`## Every face against N, up to N = ${Math.max(...ns)} (${lat} ms latency)`, "");
  out.push(
    "One bank per registration (N distinct sandbox banks, so no per-bank cap binds), each cell once, in this run. " +
      "The no-op floors are the same engine, program and inputs with a provider that does nothing (the plugin's: " +
      "bench/noop_provider on the same SDK provider server; the dynamic one: a dynamic provider that echoes its inputs). " +
      "The dynamic faces run as users run them: ob-dcr packed and installed from the npm cache into a new Pulumi project, " +
      "whose local program declares the resources (bench/installed.ts); from a checkout the SDK would serialize the resource's " +
      "provider stub by value instead of requiring it from the package. " +
      "Our share = `up` minus its floor. Charts drawn by Vega-Lite from results.json.",
    "",
  );
  for (const f of charts) out.push(`![${f.replace(".svg", "")}](${f})`, "");
  const faces = [...new Set(c.map((p) => p.face))];
  out.push(`| N | ${faces.join(" | ")} |`, `| --- | ${faces.map(() => "---").join(" | ")} |`);
  for (const n of ns)
    out.push(
      `| ${n} | ${faces.map((f) => (point(c, f, n) ? f0(point(c, f, n)!.wall_ms) : "")).join(" | ")} |`,
    );
  out.push("", "Wall time, ms. Engine CPU and state per resource of the Pulumi faces:", "");
  const pf = faces.filter((f) => f !== "reference" && f !== "core");
  out.push(
    `| N | ${pf.map((f) => `${f} engine CPU (ms)`).join(" | ")} | ${pf.map((f) => `${f} state (B/resource)`).join(" | ")} |`,
    `| --- | ${[...pf, ...pf].map(() => "---").join(" | ")} |`,
  );
  for (const n of ns)
    out.push(
      `| ${n} | ${pf.map((f) => (point(c, f, n)?.engine_cpu_ms != null ? f0(point(c, f, n)!.engine_cpu_ms!) : "")).join(" | ")} | ` +
        `${pf.map((f) => (point(c, f, n)?.state_bytes_per_resource != null ? f0(point(c, f, n)!.state_bytes_per_resource!) : "")).join(" | ")} |`,
    );
  const cps = c.filter((p) => p.critical_path);
  if (cps.length) {
    out.push(
      "",
      "What the sandbox had in flight during each registering `up` (ms; each instant counted once, in the first column that holds then; " +
        "bench/critical_path.ts). The no-op floor has nothing in flight for its whole wall time:",
      "",
      "| face | N | wall | POST /register | discovery | directory | nothing in flight | floor wall | POST at the bank (median) | bank's own work (median) | first token → first POST |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    );
    for (const p of cps) {
      const x = p.critical_path!;
      const floor = point(c, `${p.face}_noop` as Face, p.n);
      out.push(
        `| ${p.face} | ${p.n} | ${f0(x.wall_ms)} | ${f0(x.phases.register_post)} | ${f0(x.phases.discovery)} | ${f0(x.phases.directory)} | ` +
          `${f0(x.phases.idle)} | ${floor ? f0(floor.wall_ms) : ""} | ${f0(x.post_median_ms)} | ${f0(x.bank_work_median_ms)} | ${f0(x.before_first_post_ms)} |`,
      );
    }
  }
  const s = r.curve_shares ?? [];
  if (s.length) {
    out.push("", "Our share per registration (`up` − floor) / N:", "");
    out.push(
      "| face | N | wall (ms/registration) | engine CPU (ms/registration) |",
      "| --- | --- | --- | --- |",
    );
    for (const x of s)
      out.push(
        `| ${x.face} | ${x.n} | ${f1(x.wall_ms_per_registration)} | ${x.engine_cpu_ms_per_registration === null ? "" : f1(x.engine_cpu_ms_per_registration)} |`,
      );
  }
  out.push("");
  return out;
}
