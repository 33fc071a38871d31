#!/usr/bin/env node
// Sets the stack config of examples/yaml-banks or examples/python-banks (run it in the example's
// directory, with a stack selected) for the Brazil emulator that `npm run sandbox` starts, from its
// manifest:
//
//   node ../yaml-banks/sandbox-config.mjs [--manifest .sandbox/ofb-br/manifest.json]
//
// directory, software, transport, redirectUris and listUrl (the emulator's participants list) as
// `pulumi config set-all --json`, and the signing key as the secret obdcr:signingPrivateKey (piped
// to `pulumi config set --secret`, never on a command line). Uses `pulumi` from PATH.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

function fail(message) {
  process.stderr.write(`sandbox-config: ${message}\n`);
  process.exit(1);
}

function findManifest(from) {
  for (let d = resolve(from); ; d = dirname(d)) {
    const f = join(d, ".sandbox", "ofb-br", "manifest.json");
    if (existsSync(f)) return f;
    if (d === dirname(d)) break;
  }
  fail(
    `no .sandbox/ofb-br/manifest.json in ${resolve(from)} or a folder above it: start the sandbox ` +
      "(npm run sandbox, in the ob-dcr repository), or pass --manifest <file>",
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
    clientId: sw.software_client_id,
  },
  software: { softwareId: sw.software_id, orgId: org.org_id, kid: sw.signing.kid },
  transport: { certFile: sw.transport.cert_file, keyFile: sw.transport.key_file, caFile: m.ca_cert_file },
  redirectUris: sw.software_redirect_uris.slice(0, 1),
  listUrl: m.directory.participants_url,
};
const json = Object.fromEntries(
  Object.entries(values).map(([k, v]) => [
    `${project}:${k}`,
    typeof v === "string"
      ? { value: v, secret: false }
      : { value: JSON.stringify(v), objectValue: v, secret: false },
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
  `${project}: config for the list ${m.directory.participants_url} from ${manifestFile}; obdcr:signingPrivateKey set as a secret\n`,
);
