// `npm run bench`: the full benchmark (about 10 minutes here); prints the tables and writes
// bench/RESULTS.md and bench/results.json. BENCH_QUICK=1: a short run for trying changes, written
// to a temp dir; BENCH_NS, BENCH_LATENCIES, BENCH_PULUMI_NS (comma lists) override the grid.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../scripts/lib/pulumi_stack.js";
import { renderResults } from "./report.js";
import { runBench } from "./run.js";

const list = (name: string, dflt: number[]): number[] => {
  const v = process.env[name];
  return v === undefined ? dflt : v.split(",").filter(Boolean).map(Number);
};

async function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === "1";
  const workDir = mkdtempSync(join(tmpdir(), "ob-dcr-bench-"));
  try {
    const results = await runBench({
      ns: list("BENCH_NS", quick ? [1, 10] : [1, 10, 50]),
      latencies: list("BENCH_LATENCIES", quick ? [50] : [25, 50, 100]),
      repeats: quick ? 1 : 3,
      pulumiNs: list("BENCH_PULUMI_NS", quick ? [1, 10] : [1, 10, 50]),
      pulumiLatency: 50,
      cryptoIterations: quick ? 50 : 300,
      workDir,
      log: (line) => process.stderr.write(`bench: ${line}\n`),
    });
    const md = renderResults(results);
    const dir = quick ? workDir : join(repoRoot, "bench");
    writeFileSync(join(dir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(dir, "RESULTS.md"), md);
    process.stdout.write(md);
    process.stdout.write(`\nwrote ${join(dir, "RESULTS.md")} and ${join(dir, "results.json")}\n`);
  } finally {
    if (process.env.BENCH_QUICK !== "1") rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
