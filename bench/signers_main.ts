// `node dist/bench/signers_main.js`: the signer-backend table alone (part of `npm run bench`).
import { renderSignerTimings, signerTimings } from "./signers.js";

signerTimings(Number(process.env.BENCH_SIGNER_ITERATIONS ?? 300))
  .then((t) => {
    process.stdout.write(`${renderSignerTimings(t).join("\n")}\n`);
    process.stdout.write(`${JSON.stringify(t)}\n`);
  })
  .catch((e: unknown) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
