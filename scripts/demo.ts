// The main job: start the sandbox (directory + bank, real TLS/mTLS), then a real `pulumi up` of
// examples/sandbox through the Automation API on the local file backend, then the outputs with
// secrets masked. Run it again and the engine finds nothing to change.
// OBDCR_BACKEND_URL=postgres://user:password@host:5432/db?sslmode=… switches the state backend
// (docs/pipelines-backend.md); without it the demo keeps its local file backend.
import { program } from "../examples/sandbox/program.js";
import { startSandbox } from "../sandbox/index.js";
import { maskUrl } from "./lib/postgres.js";
import { backendUrl, demoStackName, localStack } from "./lib/pulumi_stack.js";

// Fixed ports, so the registrations in state stay valid between runs: the directory, admin and
// first bank use those of `npm run sandbox`.
const PORTS = { directory: 9443, admin: 9444, bank: 9445, rfc7592Bank: 9446 };

async function main() {
  const stackName = demoStackName();
  const sandbox = await startSandbox({
    ports: { directory: PORTS.directory, admin: PORTS.admin },
    banks: [
      { name: "sandbox-bank", port: PORTS.bank },
      // Manages clients with a registration access token (RFC 7592): a secret output.
      { name: "rfc7592-bank", port: PORTS.rfc7592Bank, management: "registration_access_token" },
    ],
  }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "EADDRINUSE") {
      throw new Error(
        `ports ${Object.values(PORTS).join(", ")} are in use: stop \`npm run sandbox\` (or whatever uses them) first`,
      );
    }
    throw e;
  });
  try {
    console.log(`sandbox: ${sandbox.manifest.banks.map((b) => b.discovery_url).join(", ")}`);
    const backend = process.env.OBDCR_BACKEND_URL || backendUrl();
    const stack = await localStack({
      projectName: "ob-dcr-demo",
      stackName,
      program: async () => program(sandbox.manifest),
      backend,
    });
    console.log(`backend: ${maskUrl(backend)}  stack: ${stack.name}`);
    const up = await stack.up({ onOutput: (s) => process.stdout.write(s) });
    console.log("\nOutputs (secrets masked):");
    for (const [key, out] of Object.entries(up.outputs)) {
      console.log(
        `  ${key}: ${out.secret ? "[secret]" : JSON.stringify(out.value, null, 2).replace(/\n/g, "\n  ")}`,
      );
    }
    console.log("");
    for (const bank of sandbox.manifest.banks) {
      const held = await sandbox.admin.registrations(bank.name);
      console.log(
        `${bank.name} holds ${held.length} registration(s): ${held.map((r) => r.client_id).join(", ")}`,
      );
    }
  } finally {
    await sandbox.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
