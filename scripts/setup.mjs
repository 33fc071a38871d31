#!/usr/bin/env node
// Finds a Pulumi CLI that fits, or builds the pinned one from its Go module sources.
// Plain ESM JavaScript on purpose: it runs before `npm run build`.
//
//   npm run setup             find or build, then record the choice in .pulumi-state/cli.json
//   npm run setup -- --force  build even if a usable CLI is installed
//
// Environment: PULUMI_HOME (default ~/.pulumi) decides where a built CLI goes:
// $PULUMI_HOME/versions/<version>/bin, where both the Automation API and the npm `pulumi`
// launcher look for it.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { onPath, run } from "./lib/proc.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// The oldest CLI we accept from a user's install: ReadResult.inputs (refresh without spurious
// diffs) arrived in 3.216; `configure` in 3.139.
const MIN_VERSION = "3.216.0";
const SHIM = "pulumi-resource-pulumi-nodejs";
const LANGHOST = "pulumi-language-nodejs";

const log = (msg) => process.stderr.write(`[setup] ${msg}\n`);

function sdkVersion() {
  const pkg = join(root, "node_modules", "@pulumi", "pulumi", "package.json");
  if (!existsSync(pkg)) fail("node_modules/@pulumi/pulumi is missing: run `npm install` first.");
  return JSON.parse(readFileSync(pkg, "utf8")).version;
}

function fail(msg) {
  process.stderr.write(`[setup] error: ${msg}\n`);
  process.exit(1);
}

function cmp(a, b) {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

function versionOf(bin) {
  const r = spawnSync(bin, ["version"], {
    encoding: "utf8",
    env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
  });
  if (r.status !== 0) return undefined;
  return /v?(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1];
}

// A CLI fits when it is a 3.x at least MIN_VERSION with the nodejs language host and the dynamic
// provider shim beside it (or on PATH): without them the engine tries to download them and fails
// offline.
function usable(bin) {
  const v = versionOf(bin);
  if (!v?.startsWith("3.") || cmp(v, MIN_VERSION) < 0) return undefined;
  const beside = (name) => existsSync(join(dirname(bin), name)) || onPath(name);
  return beside(SHIM) && beside(LANGHOST) ? v : undefined;
}

function record(bin, version, built) {
  const stateDir = join(root, ".pulumi-state");
  mkdirSync(stateDir, { recursive: true });
  // root is what the Automation API's PulumiCommand.get({ root }) wants: <root>/bin/pulumi.
  const info = { pulumi: bin, root: dirname(dirname(bin)), version, built };
  writeFileSync(join(stateDir, "cli.json"), `${JSON.stringify(info, null, 2)}\n`);
  log(`using pulumi ${version} at ${bin}${built ? " (built from source)" : ""}`);
}

function installShim(binDir) {
  const src = join(root, "node_modules", "@pulumi", "pulumi", SHIM);
  if (!existsSync(src)) fail(`${src} is missing: reinstall @pulumi/pulumi.`);
  copyFileSync(src, join(binDir, SHIM));
  chmodSync(join(binDir, SHIM), 0o755);
}

async function build(version, binDir) {
  const go = onPath("go");
  if (!go) {
    fail(
      [
        `no Pulumi CLI >= ${MIN_VERSION} found, and Go is not installed to build one.`,
        "Install Pulumi (https://www.pulumi.com/docs/iac/download-install/, e.g. `curl -fsSL https://get.pulumi.com | sh`)",
        `and make sure \`pulumi\` is on PATH, or install Go >= 1.21 so that setup can build pulumi v${version} from source.`,
      ].join("\n  "),
    );
  }
  const modDir = join(root, "scripts", "pulumi-cli");
  const pinned = /github\.com\/pulumi\/pulumi\/pkg\/v3 v(\S+)/.exec(
    readFileSync(join(modDir, "go.mod"), "utf8"),
  )?.[1];
  if (pinned !== version) {
    fail(
      `scripts/pulumi-cli/go.mod pins pkg/v3 v${pinned} but @pulumi/pulumi is ${version}: update go.mod (go get + go mod tidy).`,
    );
  }
  const env = { ...process.env, GOFLAGS: "-buildvcs=false -mod=readonly", CGO_ENABLED: "0" };
  const started = Date.now();
  const secs = () => `${Math.round((Date.now() - started) / 1000)}s`;
  log(`building pulumi v${version} from Go module sources into ${binDir}`);
  log("this happens once per machine (a few minutes); later runs reuse the binaries");
  log("step 1/3: downloading Go modules (module proxy)...");
  await run(go, ["mod", "download"], { cwd: modDir, env });
  await run(go, ["mod", "download"], { cwd: join(modDir, "langhost"), env });
  log(`step 1/3: done (${secs()})`);
  await goBuild(go, env, modDir, "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi", join(binDir, "pulumi"), {
    label: "step 2/3: the pulumi CLI (700 to 1,300 packages, by what the Go cache holds)",
    ldflags: `-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${version}`,
    secs,
  });
  await goBuild(
    go,
    env,
    join(modDir, "langhost"),
    `github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/${LANGHOST}`,
    join(binDir, LANGHOST),
    {
      label: "step 3/3: the nodejs language host",
      ldflags: "-s -w",
      secs,
    },
  );
}

async function goBuild(go, env, cwd, pkg, out, { label, ldflags, secs }) {
  log(`${label}...`);
  let count = 0;
  const tmp = `${out}.tmp-${process.pid}`;
  const args = [
    "build",
    "-v",
    "-trimpath",
    "-tags",
    "osusergo,grpcnotrace",
    "-ldflags",
    ldflags,
    "-o",
    tmp,
    pkg,
  ];
  await run(go, args, { cwd, env }, () => {
    count++;
    if (count % 100 === 0) log(`  ${count} packages compiled (${secs()})`);
  });
  renameSync(tmp, out);
  log(`  done, ${count} packages (${secs()})`);
}

async function main() {
  const force = process.argv.includes("--force");
  const version = sdkVersion();
  const home = process.env.PULUMI_HOME || join(homedir(), ".pulumi");
  const binDir = join(home, "versions", version, "bin");
  const cached = join(binDir, "pulumi");

  if (!force) {
    // 1. The pinned version in PULUMI_HOME (built earlier, or installed by the Automation API).
    if (existsSync(cached) && existsSync(join(binDir, LANGHOST))) {
      if (!existsSync(join(binDir, SHIM))) installShim(binDir);
      const v = usable(cached);
      if (v) return record(cached, v, false);
    }
    // 2. A user's own install: PATH, then the installer's default location.
    for (const candidate of [onPath("pulumi"), join(home, "bin", "pulumi")]) {
      if (candidate && existsSync(candidate)) {
        const v = usable(candidate);
        if (v) return record(candidate, v, false);
        log(
          `ignoring ${candidate}: not a Pulumi 3 CLI >= ${MIN_VERSION} with its nodejs dynamic provider shim`,
        );
      }
    }
  }
  mkdirSync(binDir, { recursive: true });
  await build(version, binDir);
  installShim(binDir);
  const v = versionOf(cached);
  if (v !== version) fail(`the built CLI reports version ${v ?? "(none)"}, expected ${version}`);
  record(cached, v, true);
}

main().catch((err) => fail(err.message));
