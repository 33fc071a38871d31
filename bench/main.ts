// `npm run bench`: the full benchmark (about 10 minutes here); prints the tables and writes
// bench/RESULTS.md and bench/results.json. The `pulumi up` cells run the dynamic resource, the
// native plugin and a no-op native plugin at each N (issue #15); a missed native target adds a
// CPU profile of the plugin (`node dist/bench/profile_main.js` runs that profile alone). BENCH_QUICK=1: a short run for trying changes, written
// to a temp dir; BENCH_NS, BENCH_LATENCIES, BENCH_PULUMI_NS, BENCH_SCALE_NS (comma lists) override
// the grid, BENCH_PARALLEL ("4x50": stacks x registrations, "0": none) the parallel stacks run,
// BENCH_SKIP_CHECKPOINTS=0 drops the diagnostic run of the largest N without per-step state writes;
// BENCH_CURVE_NS the curve's N (every face at each), BENCH_PREVIEW_N the preview/cancel cell's N
// (0: none), BENCH_CURVE_FACES its faces (comma list); BENCH_BASELINE a results.json of the code
// before a change, whose curve is shown beside; BENCH_BANKS_N the servers of the
// banks-from-the-directory cell (300; 0 skips it; bench/banks_main.ts runs that cell alone).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Postgres, startPostgres } from "../scripts/lib/postgres.js";
import { repoRoot } from "../scripts/lib/pulumi_stack.js";
import { writeCharts } from "./charts.js";
import type { Face } from "./curve.js";
import { renderResults } from "./report.js";
import { type BenchResults, runBench } from "./run.js";

const list = (name: string, dflt: number[]): number[] => {
  const v = process.env[name];
  return v === undefined ? dflt : v.split(",").filter(Boolean).map(Number);
};

/** "4x50": 4 stacks of 50 registrations at once; "" or "0": none. */
const parallel = (v: string): { stacks: number; n: number } | null => {
  const m = /^(\d+)x(\d+)$/.exec(v.trim());
  return m && Number(m[1]) > 0 ? { stacks: Number(m[1]), n: Number(m[2]) } : null;
};

/**
 * The parallel stacks' backend: a throwaway PostgreSQL (scripts/lib/postgres.ts) when the server
 * binaries are there (BENCH_BACKEND=file: never), else undefined (a local file backend).
 */
async function parallelPostgres(log: (l: string) => void): Promise<Postgres | undefined> {
  if (process.env.BENCH_BACKEND === "file") return undefined;
  try {
    return await startPostgres({ prefix: "obdcr-bench-pg" });
  } catch (e) {
    log(
      `no PostgreSQL backend (${(e as Error).message.split("\n")[0]}): the parallel stacks use a file backend`,
    );
    return undefined;
  }
}

async function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === "1";
  const workDir = mkdtempSync(join(tmpdir(), "ob-dcr-bench-"));
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const pg = await parallelPostgres(log);
  try {
    const results = await runBench({
      ns: list("BENCH_NS", quick ? [1, 10] : [1, 10, 50]),
      latencies: list("BENCH_LATENCIES", quick ? [50] : [25, 50, 100]),
      repeats: quick ? 1 : 3,
      pulumiNs: list("BENCH_PULUMI_NS", quick ? [1, 10] : [1, 10, 50]),
      pulumiLatency: 50,
      scaleNs: list("BENCH_SCALE_NS", quick ? [10, 20] : [50, 200, 500]),
      scaleSkipCheckpoints: process.env.BENCH_SKIP_CHECKPOINTS !== "0",
      banksN: Number(process.env.BENCH_BANKS_N ?? (quick ? 10 : 300)),
      parallel: parallel(process.env.BENCH_PARALLEL ?? (quick ? "2x5" : "4x50")),
      curveNs: list("BENCH_CURVE_NS", quick ? [2, 5] : [1, 10, 50, 200, 500]),
      previewCancelN: Number(process.env.BENCH_PREVIEW_N ?? (quick ? 5 : 50)),
      curveFaces: process.env.BENCH_CURVE_FACES?.split(",").filter(Boolean) as Face[] | undefined,
      cryptoIterations: quick ? 50 : 300,
      parallelBackend: pg?.url,
      workDir,
      log,
    });
    const dir = quick ? workDir : join(repoRoot, "bench");
    const baseline = process.env.BENCH_BASELINE;
    if (baseline) {
      const b = JSON.parse(readFileSync(baseline, "utf8")) as BenchResults;
      results.baseline = {
        label: process.env.BENCH_BASELINE_LABEL ?? `${b.versions.ob_dcr} (${b.started_at.slice(0, 16)})`,
        curve: b.curve ?? [],
        curve_shares: b.curve_shares ?? [],
      };
    }
    if (results.curve?.length) await writeCharts(dir, results.curve, results.curve_shares ?? []);
    const md = renderResults(results);
    writeFileSync(join(dir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(dir, "RESULTS.md"), md);
    process.stdout.write(md);
    process.stdout.write(`\nwrote ${join(dir, "RESULTS.md")} and ${join(dir, "results.json")}\n`);
  } finally {
    await pg?.stop();
    if (process.env.BENCH_QUICK !== "1") rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
