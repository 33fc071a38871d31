// RESULTS.md (and the console table) from a BenchResults.

import { renderBanks } from "./report_banks.js";
import { curveVerdicts, renderCurve } from "./report_curve.js";
import { renderScale, scaleVerdict } from "./report_scale.js";
import { type BenchResults, type Flow, type FlowRun, NATIVE_TARGETS, type PulumiRun } from "./run.js";
import { renderSignerTimings } from "./signers.js";

const f0 = (x: number) => x.toFixed(0);
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);

function row(cells: (string | number)[]): string {
  return `| ${cells.join(" | ")} |`;
}

function table(head: string[], rows: (string | number)[][]): string[] {
  return [row(head), row(head.map(() => "---")), ...rows.map(row)];
}

export const SPEEDUP_TARGET = 20;
export const CPU_TARGET_MS = 5;

function cell(r: BenchResults, flow: Flow, n: number, latency: number): FlowRun | undefined {
  return r.flows.find((x) => x.flow === flow && x.n === n && x.latency_ms === latency);
}

export interface Verdicts {
  lower_bound: boolean;
  speedup?: { n: number; latency_ms: number; value: number; ok: boolean };
  provider_cpu?: { value: number; ok: boolean };
  native_cpu?: { value: number; ok: boolean };
  native_rss?: { n: number; value: number; ok: boolean };
  native_vs_noop?: { n: number; native_ms: number; noop_ms: number; value: number; ok: boolean };
  /** The same comparison with as many engine steps in flight as registrations (`PULUMI_PARALLEL` = N). */
  native_vs_noop_parallel?: { n: number; native_ms: number; noop_ms: number; value: number; ok: boolean };
}

const largest = (runs: PulumiRun[]) => [...runs].sort((a, b) => b.n - a.n)[0];

export function verdicts(r: BenchResults): Verdicts {
  const core = r.flows.filter((x) => x.flow === "core");
  const lower_bound =
    core.every(
      (x) =>
        x.requests.directory_token === 1 && x.requests.ssa_download === 1 && x.requests.register_post === x.n,
    ) &&
    r.pulumi.every(
      (p) =>
        p.up_requests.directory_token === 1 &&
        p.up_requests.ssa_download === 1 &&
        p.up_requests.register_post === p.n,
    );
  const v: Verdicts = { lower_bound };
  const ns = [...new Set(core.map((x) => x.n))];
  const ls = [...new Set(core.map((x) => x.latency_ms))];
  const n = ns.includes(50) ? 50 : Math.max(...ns);
  const l = ls.includes(50) ? 50 : Math.max(...ls);
  const ref = cell(r, "reference", n, l);
  const c = cell(r, "core", n, l);
  if (ref && c) {
    const value = ref.wall_ms / c.wall_ms;
    v.speedup = { n, latency_ms: l, value, ok: value >= SPEEDUP_TARGET };
  }
  if (r.pulumi_cpu_ms_per_registration) {
    const value = r.pulumi_cpu_ms_per_registration.up;
    v.provider_cpu = { value, ok: value < CPU_TARGET_MS };
  }
  const native = r.pulumi_native ?? [];
  if (r.pulumi_native_cpu_ms_per_registration) {
    const value = r.pulumi_native_cpu_ms_per_registration.up;
    v.native_cpu = { value, ok: value <= NATIVE_TARGETS.cpu_ms };
  }
  const hi = largest(native);
  if (hi) {
    const value = Math.max(hi.up_provider_peak_rss_mb, hi.destroy_provider_peak_rss_mb);
    v.native_rss = { n: hi.n, value, ok: value <= NATIVE_TARGETS.peak_rss_mb };
    const twin = (r.pulumi_native_noop ?? []).find((x) => x.n === hi.n);
    if (twin) {
      const value = hi.up_wall_ms - twin.up_wall_ms;
      v.native_vs_noop = {
        n: hi.n,
        native_ms: hi.up_wall_ms,
        noop_ms: twin.up_wall_ms,
        value,
        ok: value <= NATIVE_TARGETS.up_vs_noop_ms,
      };
    }
  }
  const par = r.pulumi_native_parallel;
  if (par) {
    const value = par.native.up_wall_ms - par.noop.up_wall_ms;
    v.native_vs_noop_parallel = {
      n: par.native.n,
      native_ms: par.native.up_wall_ms,
      noop_ms: par.noop.up_wall_ms,
      value,
      ok: value <= NATIVE_TARGETS.up_vs_noop_ms,
    };
  }
  return v;
}

export function renderResults(r: BenchResults): string {
  const out: string[] = [];
  const v = verdicts(r);
  out.push("# ob-dcr benchmark results", "");
  out.push(
    `Produced by \`npm run bench\` on ${r.started_at.slice(0, 16).replace("T", " ")} UTC in ${f0(r.duration_s)} s. ` +
      "Every ratio below comes from this one run on this machine (shared and noisy: compare ratios, not " +
      "absolute times across runs). Raw numbers: [results.json](results.json).",
    "",
  );
  out.push(
    `- Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memory_gb} GiB, ${r.machine.os}` +
      (r.machine.load_avg
        ? `; load average (1/5/15 min) ${r.machine.load_avg.start.map(f1).join("/")} at the start, ` +
          `${r.machine.load_avg.end.map(f1).join("/")} at the end (other work shares the machine)`
        : ""),
    `- Node ${r.versions.node}, Pulumi CLI ${r.versions.pulumi}, ob-dcr ${r.versions.ob_dcr}`,
    "- Sandbox (directory + banks, real TLS/mTLS on loopback) in its own process; latency is injected " +
      "by the sandbox into every request to the directory and to every bank (also the banks' own " +
      "fetches of the directory JWKS while they validate a registration).",
    "",
  );

  out.push("## Verdicts", "");
  out.push(
    `- Requests at the lower bound (1 directory token, 1 SSA download per run, 1 POST per bank) for the core ` +
      `library and \`pulumi up\`: **${v.lower_bound ? "yes" : "NO"}**`,
  );
  if (v.speedup)
    out.push(
      `- Core library vs reference loop at N = ${v.speedup.n}, ${v.speedup.latency_ms} ms latency: ` +
        `**${f1(v.speedup.value)}x** (target ≥ ${SPEEDUP_TARGET}x: ${v.speedup.ok ? "met" : "NOT met"})`,
    );
  if (v.provider_cpu)
    out.push(
      `- Dynamic provider CPU per registration in \`pulumi up\` (marginal): **${f2(v.provider_cpu.value)} ms** ` +
        `(target < ${CPU_TARGET_MS} ms: ${v.provider_cpu.ok ? "met" : "NOT met"})`,
    );
  const met = (ok: boolean) => (ok ? "met" : "NOT met");
  if (v.native_cpu)
    out.push(
      `- Native plugin (\`obdcr:index:ClientRegistration\`) CPU per registration in \`pulumi up\` (marginal): ` +
        `**${f2(v.native_cpu.value)} ms** (target ≤ ${NATIVE_TARGETS.cpu_ms} ms: ${met(v.native_cpu.ok)})`,
    );
  if (v.native_rss)
    out.push(
      `- Native plugin peak RSS at N = ${v.native_rss.n}: **${f0(v.native_rss.value)} MB** ` +
        `(target ≤ ${NATIVE_TARGETS.peak_rss_mb} MB: ${met(v.native_rss.ok)})`,
    );
  if (v.native_vs_noop)
    out.push(
      `- \`pulumi up\` of ${v.native_vs_noop.n} native registrations vs ${v.native_vs_noop.n} no-op resources of a ` +
        `native plugin: ${f0(v.native_vs_noop.native_ms)} ms vs ${f0(v.native_vs_noop.noop_ms)} ms, ` +
        `**${v.native_vs_noop.value >= 0 ? "+" : ""}${f0(v.native_vs_noop.value)} ms** ` +
        `(target ≤ ${NATIVE_TARGETS.up_vs_noop_ms} ms: ${met(v.native_vs_noop.ok)}) at the engine's default ` +
        "parallelism (4 x cores steps at once)",
    );
  if (v.native_vs_noop_parallel) {
    const p = v.native_vs_noop_parallel;
    out.push(
      `- The same with \`PULUMI_PARALLEL=${p.n}\` (\`pulumi up --parallel ${p.n}\`: every registration's step in ` +
        `flight at once): ${f0(p.native_ms)} ms vs ${f0(p.noop_ms)} ms, **${p.value >= 0 ? "+" : ""}${f0(p.value)} ms** ` +
        `(target ≤ ${NATIVE_TARGETS.up_vs_noop_ms} ms: ${met(p.ok)})`,
    );
  }
  const sv = scaleVerdict(r);
  if (sv) out.push(sv);
  out.push(...curveVerdicts(r));
  out.push("");
  out.push(...renderCurve(r));

  const maxN = Math.max(...r.flows.map((x) => x.n));
  const firstL = r.flows[0]?.latency_ms ?? 0;
  out.push(`## Requests counted at the sandbox (N = ${maxN} banks)`, "");
  const rq = (x: { requests: FlowRun["requests"] }, n: number) => {
    const dir = Object.values(x.requests.directory).reduce((a, b) => a + b, 0);
    const bank = Object.values(x.requests.banks).reduce((a, b) => a + b, 0);
    return [
      x.requests.directory_token,
      x.requests.ssa_download,
      x.requests.register_post,
      dir - x.requests.directory_token - x.requests.ssa_download,
      bank - x.requests.register_post,
      f1((dir + bank) / n),
    ];
  };
  const reqRows: (string | number)[][] = [];
  for (const flow of ["reference", "minimal", "core"] as const) {
    const c = cell(r, flow, maxN, firstL);
    if (c) reqRows.push([flow, ...rq(c, maxN)]);
  }
  for (const p of r.pulumi.filter((x) => x.n === Math.max(...r.pulumi.map((y) => y.n)))) {
    reqRows.push([`pulumi up (N = ${p.n})`, ...rq({ requests: p.up_requests }, p.n)]);
    reqRows.push([`pulumi destroy (N = ${p.n})`, ...rq({ requests: p.destroy_requests }, p.n)]);
  }
  const nat = largest(r.pulumi_native ?? []);
  if (nat) {
    reqRows.push([`pulumi up, native plugin (N = ${nat.n})`, ...rq({ requests: nat.up_requests }, nat.n)]);
    reqRows.push([
      `pulumi destroy, native plugin (N = ${nat.n})`,
      ...rq({ requests: nat.destroy_requests }, nat.n),
    ]);
  }
  out.push(
    ...table(
      [
        "client",
        "directory token",
        "SSA download",
        "POST /register",
        "other directory",
        "other bank",
        "all requests per bank",
      ],
      reqRows,
    ),
    "",
    "\"other directory\" are JWKS GETs: the client's SSA and software-key checks, and the banks' own " +
      'validation of each registration (3 per POST, for every client). "other bank" are the core\'s ' +
      "OIDC discovery GETs (once per bank; the bank's JWKS only when it signs its answers), and at destroy the bank token + DELETE.",
    "",
  );

  out.push("## Wall time to register N banks", "");
  const lat = [...new Set(r.flows.map((x) => x.latency_ms))];
  const ns = [...new Set(r.flows.map((x) => x.n))];
  const wallRows: (string | number)[][] = [];
  for (const l of lat)
    for (const n of ns) {
      const ref = cell(r, "reference", n, l);
      const min = cell(r, "minimal", n, l);
      const core = cell(r, "core", n, l);
      if (!ref || !min || !core) continue;
      wallRows.push([
        l,
        n,
        f0(ref.wall_ms),
        f0(min.wall_ms),
        f0(core.wall_ms),
        `**${f1(ref.wall_ms / core.wall_ms)}x**`,
        `${f1(ref.wall_ms / min.wall_ms)}x`,
        f1(ref.cpu_ms_per_registration),
        f1(core.cpu_ms_per_registration),
      ]);
    }
  out.push(
    ...table(
      [
        "latency (ms)",
        "N",
        "reference (ms)",
        "lower bound (ms)",
        "core (ms)",
        "core speed-up",
        "lower-bound speed-up",
        "reference CPU/reg (ms)",
        "core CPU/reg (ms)",
      ],
      wallRows,
    ),
    "",
    `reference: the reference tool's flow per bank, sequentially, a new connection per request (plain undici + jose). ` +
      `lower bound: one token, one SSA, then all POSTs at once on keep-alive connections, no validation. ` +
      `core: \`createRegistration\` for all banks at once with one context (median of ${r.options.repeats} runs; ` +
      "the reference runs once). CPU/reg: CPU of the client process (TLS included) per registration.",
    "",
  );

  if (r.pulumi.length) {
    out.push(`## Real \`pulumi up\` / \`pulumi destroy\` (${r.pulumi[0]!.latency_ms} ms latency)`, "");
    out.push(
      ...table(
        [
          "N",
          "up (ms)",
          "destroy (ms)",
          "provider CPU, up (ms)",
          "per registration (ms)",
          "provider CPU, destroy (ms)",
          "provider peak RSS, up (MB)",
        ],
        r.pulumi.map((p) => [
          p.n,
          f0(p.up_wall_ms),
          f0(p.destroy_wall_ms),
          f0(p.up_provider_cpu_ms),
          f1(p.up_provider_cpu_ms / p.n),
          f0(p.destroy_provider_cpu_ms),
          f0(p.up_provider_peak_rss_mb),
        ]),
      ),
      "",
    );
    const m = r.pulumi_cpu_ms_per_registration;
    out.push(
      "Provider CPU: user + system time of the dynamic provider host process (`pulumi-resource-pulumi-nodejs` " +
        "→ node), start-up and module loading included, sampled by a preloaded hook that only this benchmark " +
        "installs (`bench/cpu_hook.cjs`). " +
        (m
          ? `Marginal cost per registration (the slope between the smallest and largest N, start-up excluded): ` +
            `**${f2(m.up)} ms** at up, **${f2(m.destroy)} ms** at destroy.`
          : "") +
        (r.pulumi_noop_cpu_ms_per_resource !== null
          ? ` For scale, the same slope for a no-op dynamic provider (create echoes the same inputs) is ` +
            `**${f2(r.pulumi_noop_cpu_ms_per_resource)} ms** per resource: the Pulumi dynamic provider host's own ` +
            "share (gRPC, serialization), whatever the provider does."
          : ""),
      "",
    );
  }

  out.push(...renderNative(r));

  out.push(...renderScale(r));
  out.push(...renderBanks(r.banks));

  const c = r.crypto;
  out.push("## Signing and verification CPU", "");
  out.push(
    ...table(
      ["operation", `CPU per operation (ms, ${c.alg}, ${c.iterations} iterations)`],
      [
        ["sign the registration request JWT (once per registration)", f2(c.sign_registration_request_ms)],
        ["verify the SSA and its claims (once per registration)", f2(c.verify_ssa_ms)],
        ["sign the directory client assertion (once per run)", f2(c.sign_client_assertion_ms)],
      ],
    ),
    "",
  );
  if (r.signers) out.push(...renderSignerTimings(r.signers));
  return `${out.join("\n")}\n`;
}

const opt = (x: number | null | undefined) => (x === null || x === undefined ? "n/a" : f0(x));

/** Where the extra wall time of `up` of N registrations over N no-op resources goes, at the largest N. */
function wallBreakdown(r: BenchResults): string[] {
  const hi = largest(r.pulumi_native ?? []);
  const noop = (r.pulumi_native_noop ?? []).find((x) => x.n === hi?.n);
  if (!hi || !noop || hi.up_engine_cpu_ms == null || noop.up_engine_cpu_ms == null) return [];
  const d = (f: (p: PulumiRun) => number | null | undefined) => (f(hi) ?? 0) - (f(noop) ?? 0);
  const parts: [string, number][] = [
    ["the native plugin", d((p) => p.up_provider_cpu_ms)],
    ["the engine (Pulumi CLI: steps, state writes)", d((p) => p.up_engine_cpu_ms)],
    ["the sandbox (directory and banks: TLS, JWT checks)", d((p) => p.up_sandbox_cpu_ms)],
    ["the inline program (language host)", d((p) => p.up_program_cpu_ms)],
  ];
  const cpu = parts.reduce((a, [, v]) => a + v, 0);
  const cores = r.machine.cores;
  return [
    `Wall time of \`up\` at N = ${hi.n}: native ${f0(hi.up_wall_ms)} ms, no-op ${f0(noop.up_wall_ms)} ms ` +
      `(**${f0(hi.up_wall_ms - noop.up_wall_ms)} ms** more). Extra CPU over that \`up\`, native − no-op: ` +
      parts.map(([k, v]) => `${k} ${f0(v)} ms`).join(", ") +
      `; ${f0(cpu)} ms in all, at least ${f0(cpu / cores)} ms of wall time on ${cores} cores even with nothing ` +
      "else running, more when others share them. The rest is waiting: the injected latency " +
      `(${hi.latency_ms} ms on each request; a registration is at least 4 requests in a row, and the bank's ` +
      "own JWKS fetches), and the engine's steps in turn (check, create, a state write after each).",
  ];
}

/** The native plugin beside the dynamic resource and a no-op native plugin, and where its time goes. */
function renderNative(r: BenchResults): string[] {
  const native = r.pulumi_native ?? [];
  if (!native.length) return [];
  const out: string[] = [];
  out.push(
    `## Native provider plugin vs dynamic resource (same run, ${native[0]!.latency_ms} ms latency)`,
    "",
  );
  const rows = (label: string, runs: PulumiRun[]) =>
    runs.map((p) => [
      label,
      p.n,
      f0(p.up_wall_ms),
      f0(p.destroy_wall_ms),
      f0(p.up_provider_cpu_ms),
      f0(p.destroy_provider_cpu_ms),
      f0(p.up_provider_peak_rss_mb),
      f0(p.destroy_provider_peak_rss_mb),
      opt(p.up_engine_cpu_ms),
      opt(p.up_sandbox_cpu_ms),
      opt(p.up_program_cpu_ms),
    ]);
  out.push(
    ...table(
      [
        "provider",
        "N",
        "up (ms)",
        "destroy (ms)",
        "provider CPU, up (ms)",
        "provider CPU, destroy (ms)",
        "peak RSS, up (MB)",
        "peak RSS, destroy (MB)",
        "engine CPU, up (ms)",
        "sandbox CPU, up (ms)",
        "program CPU, up (ms)",
      ],
      [
        ...rows("dynamic (`ObClientRegistration`)", r.pulumi),
        ...rows("native (`obdcr:index:ClientRegistration`)", native),
        ...rows("native no-op (`obdcrnoop:index:Noop`)", r.pulumi_native_noop ?? []),
      ],
    ),
    "",
  );
  const m = (x: { up: number; destroy: number } | null) =>
    x ? `${f2(x.up)} ms at up, ${f2(x.destroy)} ms at destroy` : "n/a";
  const dyn = r.pulumi_cpu_ms_per_registration;
  const nat = r.pulumi_native_cpu_ms_per_registration;
  const noop = r.pulumi_native_noop_cpu_ms_per_resource;
  const ns = native.map((x) => x.n);
  out.push(
    `Marginal provider CPU per resource, (cpu(N = ${Math.max(...ns)}) − cpu(N = ${Math.min(...ns)})) / ` +
      `${Math.max(...ns) - Math.min(...ns)}, start-up excluded, the same definition as the dynamic rows:`,
    "",
    `- dynamic resource: ${m(dyn)}` +
      (r.pulumi_noop_cpu_ms_per_resource !== null
        ? ` (a no-op dynamic resource: ${f2(r.pulumi_noop_cpu_ms_per_resource)} ms at up)`
        : ""),
    `- native plugin: **${m(nat)}**`,
    `- native no-op plugin (same SDK provider server, create echoes the same inputs): ${m(noop)}`,
    ...(nat && noop
      ? [
          `- what ob-dcr itself adds per registration in the native plugin (native − no-op): ` +
            `**${f2(nat.up - noop.up)} ms** at up, ${f2(nat.destroy - noop.destroy)} ms at destroy`,
        ]
      : []),
    "",
    "The native plugin is `bin/pulumi-resource-obdcr` (→ node `dist/provider/native/main.js`), found by the " +
      "engine through `plugins.providers` in the project settings, as users set it up; the no-op plugin is " +
      "`bench/noop_provider/pulumi-resource-obdcrnoop`, the same `@pulumi/pulumi` gRPC provider server with a " +
      "`create` that returns its inputs, given the same inputs as each registration, so `up` of N no-op " +
      "resources is what the engine and the provider server cost whatever the provider does. Each N runs " +
      "dynamic, native and no-op back to back (the machine's load is shared). CPU and peak RSS come from the " +
      "same preload hook as the dynamic rows (`NODE_OPTIONS` reaches the plugin through the engine's environment).",
    "",
  );
  out.push(...wallBreakdown(r), "");
  const lr = r.pulumi_native_load_rss;
  if (lr)
    out.push(
      `Resident memory of module loading alone (a fresh process, no request served, cumulative): Node ` +
        `${f0(lr.node_mb)} MB; with the SDK's provider server (\`@pulumi/pulumi/provider/server\`, what both ` +
        `plugins load) ${f0(lr.pulumi_sdk_mb)} MB; with the native provider's modules ${f0(lr.ob_dcr_mb)} MB. ` +
        "The rest of the peak is the working set of the run.",
      "",
    );
  const p = r.pulumi_native_profile;
  if (p) {
    const marginal = nat?.up ?? 0;
    out.push(`### Where the native plugin's time goes (profiled \`pulumi up\`, N = ${p.n})`, "");
    out.push(
      ...table(
        ["module group", "share of per-registration CPU", "≈ ms per registration"],
        p.groups
          .filter((g) => g.share >= 0.005)
          .sort((a, b) => b.share - a.share)
          .map((g) => [g.group, `${f1(g.share * 100)} %`, f2(g.share * marginal)]),
      ),
      "",
      `V8 CPU profile of the plugin (\`NODE_OPTIONS=--cpu-prof\` through the engine), self time summed by the ` +
        `module of the function, counted from the provider's first \`check\` on (start-up, module loading and ` +
        `Configure before it: ${f0(p.startup_sampled_ms)} ms sampled, vs ${f0(p.steady_sampled_ms)} ms after). The ` +
        "profiler samples on wall time, so its own milliseconds are inflated on a loaded machine: the shares are " +
        `applied to the measured marginal CPU (${f2(marginal)} ms). "other Node internals" are timers, ` +
        "microtasks, promise jobs and node:crypto outside TLS (key import, hashing, X.509 parsing).",
      "",
      "Top functions by self time after the first `check`:",
      "",
      ...table(
        ["function (module:line)", "share"],
        p.top_functions.map((f) => [`\`${f.fn.trim()}\``, `${f1(f.share * 100)} %`]),
      ),
      "",
    );
  }
  return out;
}
