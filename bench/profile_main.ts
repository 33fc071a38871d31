// `node dist/bench/profile_main.js` (after `npm run build`): only the native plugin's profile
// (bench/profile.ts), printed as JSON: for trying a performance change without the whole bench.
// BENCH_PROFILE_N (default 50) sets the size; the latency is the bench's 50 ms.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { profileNative } from "./profile.js";
import { bankNames, startBenchSandbox } from "./sandbox.js";

async function main(): Promise<void> {
  const n = Number(process.env.BENCH_PROFILE_N ?? 50);
  const workDir = mkdtempSync(join(tmpdir(), "ob-dcr-profile-"));
  const sb = await startBenchSandbox({
    dataDir: join(workDir, "sandbox"),
    pkiDir: join(workDir, "pki"),
    banks: bankNames(n),
  });
  try {
    const p = await profileNative(sb, n, 50, workDir);
    process.stdout.write(`${JSON.stringify(p, null, 2)}\n`);
  } finally {
    await sb.close();
    if (!process.env.BENCH_KEEP) rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`profile failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
