import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { startSandbox } from "./index.js";

/** `npm run sandbox`: start the sandbox on fixed ports (or ephemeral), print where things are, stop on Ctrl-C. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "data-dir": { type: "string" },
      "port-base": { type: "string", default: "9443" },
      ephemeral: { type: "boolean", default: false },
      log: { type: "boolean", default: true },
    },
  });
  const base = values.ephemeral ? 0 : Number(values["port-base"]);
  if (!Number.isInteger(base) || base < 0 || base > 65500)
    throw new TypeError("--port-base must be a port number");
  const at = (n: number) => (base === 0 ? 0 : base + n);
  const sandbox = await startSandbox({
    dataDir: values["data-dir"],
    ports: { directory: at(0), admin: at(1) },
    // The same banks as the demo (scripts/demo.ts): one OBIE-managed, one RFC 7592.
    banks: [
      { name: "sandbox-bank", port: at(2) },
      { name: "rfc7592-bank", port: at(3), management: "registration_access_token" },
    ],
    log: values.log,
  });
  const m = sandbox.manifest;
  const lines = [
    "ob-dcr sandbox running (test-only; Ctrl-C stops)",
    `manifest:   ${sandbox.manifestPath}`,
    `CLI config: ${m.banks.map((b) => join(dirname(sandbox.manifestPath), "cli", `${b.name}.json`)).join(", ")}`,
    `CA:         ${m.ca_cert_file}`,
    `directory:  ${m.directory.base_url}  (token ${m.directory.token_endpoint})`,
    `SSA API:    ${m.directory.ssa_endpoint_template}`,
    ...m.banks.map((b) => `bank:       ${b.name}  ${b.discovery_url}`),
    `admin:      ${m.admin_url}/admin/manifest`,
    ...m.orgs.flatMap((o) =>
      o.softwares.map((s) => `software:   org ${o.org_id}  software ${s.software_id}`),
    ),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  const stop = () => {
    process.stdout.write("stopping sandbox\n");
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`sandbox failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
