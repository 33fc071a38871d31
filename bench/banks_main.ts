// The banks cell alone (bench/banks_cell.ts), for trying it at a small size without the full bench:
//   npm run build && BENCH_BANKS_N=5 node dist/bench/banks_main.js
// Prints the RESULTS.md section and the raw numbers; writes nothing into the repository.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { banksCell } from "./banks_cell.js";
import { renderBanks } from "./report_banks.js";

async function main(): Promise<void> {
  const n = Number(process.env.BENCH_BANKS_N ?? "5");
  const workDir = mkdtempSync(join(tmpdir(), "ob-dcr-bench-banks-"));
  try {
    const r = await banksCell({ n, workDir });
    process.stdout.write(`${renderBanks(r).join("\n")}\n${JSON.stringify(r, null, 2)}\n`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench banks failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
