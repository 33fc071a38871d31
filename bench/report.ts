// RESULTS.md (and the console table) from a BenchResults.
import { renderScale, scaleVerdict } from "./report_scale.js";
import type { BenchResults, Flow, FlowRun } from "./run.js";

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
}

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
    `- Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memory_gb} GiB, ${r.machine.os}`,
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
  const sv = scaleVerdict(r);
  if (sv) out.push(sv);
  out.push("");

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

  out.push(...renderScale(r));

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
  return `${out.join("\n")}\n`;
}
