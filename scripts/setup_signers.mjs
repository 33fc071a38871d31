#!/usr/bin/env node
// What the remote-signer tests and bench need, built offline once per machine (plain ESM, runs
// before `npm run build`):
//
//   pkcs11js binding   the optional `pkcs11js` package ships sources only; npm does not run its
//                      install script (allowScripts: false in package.json, because node-gyp would
//                      download Node's headers, which fails offline, and npm then silently drops
//                      the optional package). Built here with node-gyp against the headers of the
//                      Node that runs this script (the npm `node` package carries them).
//   local-kms          github.com/nsmithuk/local-kms (an AWS KMS emulator), `go install`ed from
//                      the Go module proxy at a pinned pseudo-version into
//                      $PULUMI_HOME/tools/local-kms/<version>/.
//
// Each is skipped with a line on stderr when it cannot be built (no pkcs11js installed, no Go): the
// tests that need it then fail with the instruction. The result goes to .pulumi-state/signers.json.
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { findGo, run } from "./lib/proc.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
const log = (msg) => process.stderr.write(`[setup:signers] ${msg}\n`);

// Only pseudo-versions are published; pinned (see /work/.library/env/packages/go-partial.tsv).
export const LOCAL_KMS_VERSION = "v0.0.0-20260228092603-2a5e92d09ab6";

/** Node's headers for node-gyp: beside the running binary, else the npm `node` package's. */
function nodeHeaders() {
  const candidates = [
    dirname(dirname(realpathSync(process.execPath))),
    join(root, "node_modules", "node", "node_modules", `node-${process.platform}-${process.arch}`),
  ];
  return candidates.find((d) => existsSync(join(d, "include", "node", "common.gypi")));
}

function nodeGyp() {
  for (const id of ["node-gyp/bin/node-gyp.js"]) {
    try {
      return require.resolve(id);
    } catch {}
  }
  const npmBundled = join(dirname(dirname(realpathSync(process.execPath))), "lib", "node_modules", "npm");
  const p = join(npmBundled, "node_modules", "node-gyp", "bin", "node-gyp.js");
  return existsSync(p) ? p : undefined;
}

async function pkcs11Binding() {
  const dir = join(root, "node_modules", "pkcs11js");
  if (!existsSync(join(dir, "package.json"))) {
    log("pkcs11js is not installed (optional dependency): PKCS#11 signing is unavailable");
    return undefined;
  }
  const built = join(dir, "build", "Release", "pkcs11.node");
  if (existsSync(built)) return built;
  const headers = nodeHeaders();
  const gyp = nodeGyp();
  if (!headers || !gyp) {
    log(`cannot build pkcs11js: ${headers ? "node-gyp not found" : "no Node headers found"}`);
    return undefined;
  }
  const t0 = Date.now();
  log(`building the pkcs11js binding (node-gyp, headers ${headers})`);
  await run(process.execPath, [gyp, "rebuild", `--nodedir=${headers}`], {
    cwd: dir,
    env: { ...process.env, npm_config_nodedir: headers },
  });
  log(`built ${built} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return built;
}

async function localKms() {
  const home = process.env.PULUMI_HOME ?? join(homedir(), ".pulumi");
  const binDir = join(home, "tools", "local-kms", LOCAL_KMS_VERSION);
  const bin = join(binDir, "local-kms");
  if (existsSync(bin)) return bin;
  const go = findGo();
  if (!go) {
    log("Go is not installed: local-kms (the AWS KMS emulator of the tests) is not built");
    return undefined;
  }
  mkdirSync(binDir, { recursive: true });
  const t0 = Date.now();
  log(`building local-kms ${LOCAL_KMS_VERSION} (go install)`);
  await run(go, ["install", `github.com/nsmithuk/local-kms@${LOCAL_KMS_VERSION}`], {
    cwd: binDir,
    env: { ...process.env, GOBIN: binDir, GOFLAGS: "-trimpath" },
  });
  log(`built ${bin} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return bin;
}

async function main() {
  const skip = (e) => {
    log(e.message);
    return undefined;
  };
  const [pkcs11, kms] = await Promise.all([pkcs11Binding().catch(skip), localKms().catch(skip)]);
  const stateDir = join(root, ".pulumi-state");
  mkdirSync(stateDir, { recursive: true });
  const prev = existsSync(join(stateDir, "signers.json"))
    ? JSON.parse(readFileSync(join(stateDir, "signers.json"), "utf8"))
    : {};
  writeFileSync(
    join(stateDir, "signers.json"),
    `${JSON.stringify({ ...prev, pkcs11js_binding: pkcs11, local_kms: kms, local_kms_version: LOCAL_KMS_VERSION }, null, 2)}\n`,
  );
}

main().catch((err) => {
  log(err.message);
  process.exit(1);
});
