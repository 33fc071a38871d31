// `node dist/bench/render.js [results.json]`: RESULTS.md and the charts again from a results.json (default
// bench/results.json), beside it: for a change of the report's wording without a new run.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { repoRoot } from "../scripts/lib/pulumi_stack.js";
import { writeCharts } from "./charts.js";
import { renderResults } from "./report.js";
import type { BenchResults } from "./run.js";

async function main(): Promise<void> {
  const file = process.argv[2] ?? join(repoRoot, "bench", "results.json");
  const results = JSON.parse(readFileSync(file, "utf8")) as BenchResults;
  if (results.curve?.length) await writeCharts(dirname(file), results.curve, results.curve_shares ?? []);
  writeFileSync(join(dirname(file), "RESULTS.md"), renderResults(results));
  process.stdout.write(`wrote ${join(dirname(file), "RESULTS.md")}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
