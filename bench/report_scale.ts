// The scale section of RESULTS.md: the one-stack series, the parallel stacks and the growth verdict.
import type { BenchResults } from "./run.js";
import { requestsPerRegistration } from "./scale.js";

const f0 = (x: number) => x.toFixed(0);
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);

const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;

/** One line for the verdicts list: does every figure per registration stay flat as N grows? */
export function scaleVerdict(r: BenchResults): string | undefined {
  const g = r.scale_growth;
  if (!g.length) return undefined;
  const lo = g[0]!.lo_n;
  const hi = g[0]!.hi_n;
  const notLinear = g.filter((x) => x.verdict !== "linear");
  const words = g.map((x) => `${x.metric.replace(/ \(.*\)$/, "")} ×${f2(x.ratio)}`).join(", ");
  const skip = r.scale.find((x) => x.skip_checkpoints && x.n === hi);
  const full = r.scale.find((x) => x.stacks === 1 && !x.skip_checkpoints && x.n === hi);
  const diag =
    skip && full
      ? `. Without the engine's per-step state writes (PULUMI_SKIP_CHECKPOINTS, diagnostic) N = ${hi} takes ` +
        `${f1(skip.wall_ms / hi)} ms wall per registration instead of ${f1(full.wall_ms / hi)}` +
        (skip.engine_cpu_ms !== null && full.engine_cpu_ms !== null
          ? `, and the engine ${f1(skip.engine_cpu_ms / hi)} ms CPU per registration instead of ${f1(full.engine_cpu_ms / hi)}`
          : "")
      : "";
  return (
    `- Growth from N = ${lo} to N = ${hi} registrations in one stack (per-registration ratio, 1 = linear): ${words}. ` +
    (notLinear.length
      ? `**Not linear:** ${notLinear.map((x) => `${x.metric.replace(/ \(.*\)$/, "")} (${x.verdict})`).join(", ")}`
      : "**every figure grows linearly**") +
    diag
  );
}

export function renderScale(r: BenchResults): string[] {
  if (!r.scale.length) return [];
  const out: string[] = [];
  const lat = r.scale[0]!.latency_ms;
  out.push(`## Scale: one \`pulumi up\` of N registrations, and stacks in parallel (${lat} ms latency)`, "");
  out.push(
    row([
      "stacks × N",
      "up wall (ms)",
      "wall per registration (ms)",
      "provider CPU (ms)",
      "provider CPU per registration (ms)",
      "engine CPU per registration (ms)",
      "provider peak RSS (MB)",
      "requests per registration",
      "directory tokens",
      "SSA downloads",
      "POST /register",
    ]),
    row(Array(11).fill("---")),
  );
  for (const s of r.scale) {
    const regs = s.stacks * s.n;
    out.push(
      row([
        `${s.stacks} × ${s.n}${s.skip_checkpoints ? " (checkpoints skipped)" : ""}`,
        s.stacks > 1 ? `${f0(s.wall_ms)} (stacks: ${s.stack_walls_ms.map(f0).join(", ")})` : f0(s.wall_ms),
        f1(s.wall_ms / regs),
        f0(s.provider_cpu_ms),
        f1(s.provider_cpu_ms / regs),
        s.engine_cpu_ms === null ? "n/a" : f1(s.engine_cpu_ms / regs),
        f0(s.provider_peak_rss_mb),
        f2(requestsPerRegistration(s)),
        s.requests.directory_token,
        s.requests.ssa_download,
        s.requests.register_post,
      ]),
    );
  }
  out.push(
    "",
    "Each row is one run: a real `pulumi up` (no destroy; the sandbox is reset between rows) of N " +
      "`ObClientRegistration` resources on N banks, with the registrations' `up` only in the wall time. " +
      "For stacks × N > 1 stack, the stacks run at once, each with its own engine and provider host and its " +
      `own banks, on one state backend (${r.scale_backend.parallel === "postgres" ? "a throwaway PostgreSQL server (`scripts/lib/postgres.ts`)" : "a local file backend"}; ` +
      "the one-stack rows on a local file backend); " +
      "CPU is summed over the provider hosts, peak RSS is the largest host's. Engine CPU: the Pulumi CLI " +
      "processes (engine, state writes, the plugins' own start) besides the provider hosts. Requests: everything the " +
      "directory and the banks received (the banks' own JWKS fetches included), per registration. " +
      '"checkpoints skipped": the largest N again with `PULUMI_SKIP_CHECKPOINTS=true`, so the engine writes ' +
      "the state once at the end instead of after every step: a diagnostic of the engine's share, not a " +
      "setting to use (a crash would lose the record of registrations made).",
    "",
  );
  if (r.scale_growth.length) {
    out.push(
      row([
        "per registration",
        `N = ${r.scale_growth[0]!.lo_n}`,
        `N = ${r.scale_growth[0]!.hi_n}`,
        "ratio",
        "growth",
      ]),
      row(Array(5).fill("---")),
      ...r.scale_growth.map((g) =>
        row([g.metric, f2(g.at_lo), f2(g.at_hi), `${f2(g.ratio)}x`, `**${g.verdict}**`]),
      ),
      "",
      "ratio = per-registration figure at the largest N / at the smallest N: about 1 means the total grows " +
        "linearly with N (0.8-1.25 counted as linear), below sublinear (fixed costs spread: start-up, one " +
        "token, one SSA), above superlinear (each registration costs more as N grows).",
      "",
    );
  }
  const one = r.scale.filter((x) => x.stacks === 1 && !x.skip_checkpoints).sort((a, b) => a.n - b.n);
  if (one.length >= 2) {
    const seg = one.slice(1).map((x, i) => {
      const p = one[i]!;
      const d = x.n - p.n;
      const eng =
        x.engine_cpu_ms !== null && p.engine_cpu_ms !== null
          ? `, engine CPU **${f2((x.engine_cpu_ms - p.engine_cpu_ms) / d)} ms**`
          : "";
      return (
        `${p.n} → ${x.n}: wall **${f1((x.wall_ms - p.wall_ms) / d)} ms**${eng}, peak RSS ` +
        `**${f2((x.provider_peak_rss_mb - p.provider_peak_rss_mb) / d)} MB**`
      );
    });
    out.push(`Marginal cost of one more registration between consecutive N: ${seg.join("; ")}.`, "");
  }
  if (r.scale_marginal_cpu.length)
    out.push(
      "Marginal provider CPU per registration (slope between consecutive N, start-up excluded): " +
        r.scale_marginal_cpu.map((m) => `${m.from} → ${m.to}: **${f2(m.ms)} ms**`).join("; ") +
        ".",
      "",
    );
  return out;
}
