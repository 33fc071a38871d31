#!/usr/bin/env node
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import {
  missingSandboxPeer,
  nodeTooOld,
  nodeTooOldMessage,
  OBDCR_UNSUPPORTED_RUNTIME,
  sandboxPeerMissing,
} from "../provider/runtime_check.js";

/**
 * The `ob-dcr-sandbox` bin (`npm run sandbox` in a clone): start the UK sandbox and the AU CDR and Brazil Open Finance emulators on fixed
 * ports (or ephemeral), print where things are, stop on Ctrl-C.
 */
const USAGE = `npx ob-dcr-sandbox [options]   (in a clone of the repository: npm run sandbox -- [options])

Starts the local Open Banking Directory and banks (UK), the AU CDR Register and data holders and the
Brazil Open Finance directory and servers, over real TLS/mTLS, until Ctrl-C.

  --data-dir DIR    registrations, PKI, manifest.json and cli/<bank>.json (default .sandbox/ at the
                    root of a clone, else in the current folder)
  --port-base N     first port (default 9443): directory N, admin N+1, banks N+2, N+3; AU N+10..N+13; BR N+20..N+23
  --ephemeral       free ports chosen by the system instead
  --no-log          no request log
  --help            this text

While it runs, ${"~"}/.cache/ob-dcr/sandbox.json names its manifest (examples/yaml/sandbox-config.mjs reads it).
`;

/** Where a running `npm run sandbox` says its manifest is, for tools started elsewhere. */
export const RUNNING_FILE = join(homedir(), ".cache", "ob-dcr", "sandbox.json");

/**
 * Removes the record of a running sandbox if it is still this one's: a sandbox started after it (with
 * another --data-dir or --port-base) wrote its own, which must outlive this one's stop.
 */
function forgetRunning(pid: number): void {
  try {
    if ((JSON.parse(readFileSync(RUNNING_FILE, "utf8")) as { pid?: unknown }).pid !== pid) return;
  } catch {
    return; // none, or not ours to judge
  }
  rmSync(RUNNING_FILE, { force: true });
}

async function main(): Promise<void> {
  if (nodeTooOld(process.versions.node)) {
    process.stderr.write(`${OBDCR_UNSUPPORTED_RUNTIME}: ${nodeTooOldMessage("sandbox", process.version)}\n`);
    process.exit(1);
  }
  const { values } = parseArgs({
    options: {
      "data-dir": { type: "string" },
      "port-base": { type: "string", default: "9443" },
      ephemeral: { type: "boolean", default: false },
      log: { type: "boolean", default: true },
      help: { type: "boolean", short: "h", default: false },
    },
    allowNegative: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const base = values.ephemeral ? 0 : Number(values["port-base"]);
  if (!Number.isInteger(base) || base < 0 || base > 65500)
    throw new TypeError("--port-base must be a port number");
  const at = (n: number) => (base === 0 ? 0 : base + n);
  // Loaded after the Node check: undici fails inside itself on an older Node.
  const [{ startSandbox }, { startCdrAuSandbox }, { startOfbBrSandbox }] = await Promise.all([
    import("./index.js"),
    import("./cdr_au/index.js"),
    import("./ofb_br/index.js"),
  ]);
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
  const dataDir = dirname(sandbox.manifestPath);
  // Each regime keeps its own CA, PKI and manifest beside the UK one.
  const au = await startCdrAuSandbox({
    dataDir: join(dataDir, "cdr-au"),
    ports: { register: at(10), admin: at(11) },
    holders: [
      { name: "cdr-holder-a", port: at(12) },
      { name: "cdr-holder-b", port: at(13), delete_supported: false },
    ],
    log: values.log,
  });
  const br = await startOfbBrSandbox({
    dataDir: join(dataDir, "ofb-br"),
    ports: { directory: at(20), admin: at(21) },
    servers: [
      { name: "ofb-as-a", port: at(22) },
      { name: "ofb-as-b", port: at(23), rat_rotation: "every-call", rcu_style: "query" },
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
    "",
    `AU CDR (cdr-au), manifest ${au.manifestPath}, CA ${au.manifest.ca_cert_file}`,
    `register:   ${au.manifest.register.issuer}  (token ${au.manifest.register.token_endpoint})`,
    `SSA API:    ${au.manifest.register.ssa_endpoint_template}`,
    ...au.manifest.holders.map((h) => `holder:     ${h.name}  ${h.discovery_url}`),
    "",
    `Brazil Open Finance (ofb-br), manifest ${br.manifestPath}, CA ${br.manifest.ca_cert_file}`,
    `directory:  ${br.manifest.directory.issuer}  (token ${br.manifest.directory.token_endpoint})`,
    `SSA API:    ${br.manifest.directory.ssa_endpoint_template}`,
    ...br.manifest.servers.map((a) => `server:     ${a.name}  ${a.discovery_url}`),
  ];
  // Recorded before it says it runs: whoever reads that line finds the record.
  mkdirSync(dirname(RUNNING_FILE), { recursive: true });
  writeFileSync(
    RUNNING_FILE,
    `${JSON.stringify({ pid: process.pid, manifest: sandbox.manifestPath, admin_url: m.admin_url }, null, 2)}\n`,
  );
  process.stdout.write(`${lines.join("\n")}\n`);
  const stop = () => {
    process.stdout.write("stopping sandbox\n");
    forgetRunning(process.pid);
    Promise.all([sandbox.close(), au.close(), br.close()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

/** The sandbox that `RUNNING_FILE` names, when it still runs. */
function runningSandbox(): string {
  try {
    const r = JSON.parse(readFileSync(RUNNING_FILE, "utf8")) as { pid: number; manifest: string };
    process.kill(r.pid, 0); // throws when it is gone
    return `; an ob-dcr sandbox runs as pid ${r.pid} (manifest ${r.manifest})`;
  } catch {
    return "";
  }
}

/** A port that is taken: which, who may hold it, and the options that choose others. */
function portTakenMessage(err: { port?: number; address?: string }): string {
  const where =
    err.port === undefined ? "a port" : `port ${err.port}${err.address ? ` on ${err.address}` : ""}`;
  return (
    `sandbox failed to start: ${where} is already in use${runningSandbox()}. ` +
    "Fix: stop what holds it, or start with --port-base N (it takes N to N+23) or --ephemeral " +
    "(free ports; the CLI configs in <data dir>/cli/ follow)."
  );
}

main().catch((err: unknown) => {
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e?.code === "EADDRINUSE") {
    process.stderr.write(`${portTakenMessage(e)}\n`);
    process.exit(1);
  }
  // From an installed package, without its optional peers: say what to install.
  const peer = missingSandboxPeer(err);
  if (peer) {
    process.stderr.write(`${OBDCR_UNSUPPORTED_RUNTIME}: ${sandboxPeerMissing(peer)}\n`);
    process.exit(1);
  }
  process.stderr.write(`sandbox failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
