#!/usr/bin/env node
// Sets the stack config of examples/yaml or examples/python (run it in the example's directory,
// with a stack selected) for the local sandbox (`npm run sandbox`), from its manifest:
//
//   node ../yaml/sandbox-config.mjs [--manifest .sandbox/manifest.json]
//
// directory, software, transport, banks (every bank of the manifest) and redirectUris as objects
// (`pulumi config set-all --json`), and the signing key as the secret obdcr:signingPrivateKey
// (piped to `pulumi config set --secret`, never on a command line). Uses `pulumi` from PATH.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";

function fail(message) {
  process.stderr.write(`sandbox-config: ${message}\n`);
  process.exit(1);
}

// Where `npm run sandbox` says, while it runs, that its manifest is (sandbox/main.ts RUNNING_FILE).
const RUNNING_FILE = join(homedir(), ".cache", "ob-dcr", "sandbox.json");

function running() {
  if (!existsSync(RUNNING_FILE)) return undefined;
  try {
    const r = JSON.parse(readFileSync(RUNNING_FILE, "utf8"));
    process.kill(r.pid, 0); // throws when that sandbox is gone
    return existsSync(r.manifest) ? r.manifest : undefined;
  } catch {
    return undefined;
  }
}

function findManifest(from) {
  const tried = [];
  for (let d = resolve(from); ; d = dirname(d)) {
    const f = join(d, ".sandbox", "manifest.json");
    if (existsSync(f)) return f;
    tried.push(f);
    if (d === dirname(d)) break;
  }
  const r = running();
  if (r) return r;
  fail(
    `no sandbox manifest found: not in .sandbox/ of ${resolve(from)} or a folder above it, and no running \`npm run sandbox\` ` +
      `is recorded in ${RUNNING_FILE}. Start it (npm run sandbox, in the ob-dcr repository), or pass --manifest <file> ` +
      "(the path its first lines print after `manifest:`)",
  );
}

const i = process.argv.indexOf("--manifest");
const manifestFile = i > 0 ? process.argv[i + 1] : findManifest(process.cwd());
if (!manifestFile) fail("--manifest needs a file");
if (!existsSync("Pulumi.yaml")) fail("run it in the example's directory (no Pulumi.yaml here)");
const project = /^name:\s*(\S+)/m.exec(readFileSync("Pulumi.yaml", "utf8"))?.[1];
if (!project) fail("Pulumi.yaml has no name");

const m = JSON.parse(readFileSync(manifestFile, "utf8"));
const org = m.orgs[0];
const sw = org.softwares[0];
const values = {
  directory: {
    tokenEndpoint: m.directory.token_endpoint,
    ssaEndpoint: m.directory.ssa_endpoint_template,
    jwksUri: m.directory.jwks_uri,
  },
  software: { softwareId: sw.software_id, orgId: org.org_id, kid: sw.signing.kid },
  transport: { certFile: sw.transport.cert_file, keyFile: sw.transport.key_file, caFile: m.ca_cert_file },
  banks: m.banks.map((b) => ({ name: b.name, discoveryUrl: b.discovery_url, orgId: b.org_id })),
  redirectUris: sw.software_redirect_uris.slice(0, 1),
};
const json = Object.fromEntries(
  Object.entries(values).map(([k, v]) => [
    `${project}:${k}`,
    { value: JSON.stringify(v), objectValue: v, secret: false },
  ]),
);

function pulumi(args, input) {
  const r = spawnSync("pulumi", args, {
    input,
    stdio: [input === undefined ? "inherit" : "pipe", "inherit", "inherit"],
  });
  if (r.error) fail(`cannot run pulumi: ${r.error.message}`);
  if (r.status !== 0) fail(`pulumi ${args.slice(0, 2).join(" ")} failed`);
}

pulumi(["config", "set-all", "--json", JSON.stringify(json)]);
pulumi(
  ["config", "set", "--secret", "obdcr:signingPrivateKey"],
  readFileSync(sw.signing.private_key_file, "utf8"),
);
process.stdout.write(
  `${project}: config for ${m.banks.map((b) => b.name).join(", ")} from ${manifestFile}; obdcr:signingPrivateKey set as a secret\n`,
);
