// The sandbox in its own process, so that the benchmark process measures only the client side
// (CPU, memory) and the servers get the other core, as remote banks would.
// argv[2]: JSON { dataDir, pkiDir, banks: string[] }. Prints one JSON line { manifestPath } when
// ready; stops when its stdin closes (the parent ended) or on SIGTERM.
import { startTestSandbox } from "../test/support/sandbox.js";

interface HostConfig {
  dataDir: string;
  pkiDir: string;
  banks: string[];
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? "{}") as HostConfig;
  const sandbox = await startTestSandbox({ dataDir: cfg.dataDir, pkiDir: cfg.pkiDir, banks: cfg.banks });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.stdin.on("end", stop);
  process.stdin.on("error", stop);
  process.stdin.resume();
  process.once("SIGTERM", stop);
  process.stdout.write(`${JSON.stringify({ manifestPath: sandbox.manifestPath })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench sandbox failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
