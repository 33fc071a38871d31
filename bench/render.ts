// `node dist/bench/render.js [results.json]`: RESULTS.md again from a results.json (default
// bench/results.json), beside it: for a change of the report's wording without a new run.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { repoRoot } from "../scripts/lib/pulumi_stack.js";
import { renderResults } from "./report.js";
import type { BenchResults } from "./run.js";

const file = process.argv[2] ?? join(repoRoot, "bench", "results.json");
const results = JSON.parse(readFileSync(file, "utf8")) as BenchResults;
writeFileSync(join(dirname(file), "RESULTS.md"), renderResults(results));
process.stdout.write(`wrote ${join(dirname(file), "RESULTS.md")}\n`);
