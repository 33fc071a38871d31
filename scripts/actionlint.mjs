#!/usr/bin/env node
// Finds or builds actionlint (the GitHub Actions workflow linter) at a pinned version, then runs it.
// Like scripts/setup.mjs for the Pulumi CLI: built once per machine from its Go module sources,
// through the Go module proxy only, with progress on stderr; later runs reuse the binary.
// Plain ESM JavaScript so that it runs without a build.
//
//   node scripts/actionlint.mjs FILE...          lint workflow files (exit code of actionlint)
//   node scripts/actionlint.mjs --which          find or build, print the binary's path on stdout
//   node scripts/actionlint.mjs --force --which  build even if a binary is cached
//
// Where the binary goes: $OBDCR_CACHE_DIR (default $XDG_CACHE_HOME/ob-dcr, else ~/.cache/ob-dcr)
// /actionlint/<version>/actionlint. An `actionlint` on PATH is used only when it is the pinned
// version, so every machine lints with the same rules.
//
// Lint runs are deterministic: shellcheck and pyflakes integration is off (`-shellcheck=`,
// `-pyflakes=`), so the result does not depend on what else the machine has installed.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { onPath, run } from "./lib/proc.mjs";

export const ACTIONLINT_VERSION = "1.7.12";
const MODULE = "github.com/rhysd/actionlint/cmd/actionlint";
// actionlint 1.7.12's go.mod says `go 1.25.0`; an older Go fetches that toolchain from the proxy.
export const DETERMINISTIC_FLAGS = ["-no-color", "-shellcheck=", "-pyflakes="];

const log = (msg) => process.stderr.write(`[actionlint] ${msg}\n`);

function versionOf(bin) {
  const r = spawnSync(bin, ["-version"], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  return /v?(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1];
}

export function cacheDir() {
  const base =
    process.env.OBDCR_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "ob-dcr");
  return join(base, "actionlint", `v${ACTIONLINT_VERSION}`);
}

function findGo() {
  const go = onPath("go") ?? (existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : undefined);
  if (!go) {
    throw new Error(
      [
        `actionlint v${ACTIONLINT_VERSION} is not installed and Go is not available to build it.`,
        "Install Go >= 1.21 (https://go.dev/dl/) and put `go` on PATH: the build fetches",
        `${MODULE}@v${ACTIONLINT_VERSION} through the Go module proxy and takes about a minute at most.`,
      ].join("\n  "),
    );
  }
  return go;
}

async function build(dir) {
  const go = findGo();
  const env = { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-buildvcs=false" };
  // Only the module proxy: the default GOPROXY falls back to `direct` (a git clone from GitHub)
  // when the proxy misses; a GOPROXY set on purpose (a company mirror) is kept as it is.
  const proxy = spawnSync(go, ["env", "GOPROXY"], { encoding: "utf8", env }).stdout?.trim();
  if (!proxy || proxy === "https://proxy.golang.org,direct") env.GOPROXY = "https://proxy.golang.org";
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(dir, ".build-"));
  env.GOBIN = tmp;
  const started = Date.now();
  const secs = () => `${Math.round((Date.now() - started) / 1000)}s`;
  log(`building actionlint v${ACTIONLINT_VERSION} from Go module sources into ${dir}`);
  log(
    `this happens once per machine (15 to 60 s, by what the Go caches hold); go: ${go}, GOPROXY=${env.GOPROXY ?? proxy}`,
  );
  let packages = 0;
  try {
    await run(
      go,
      ["install", "-v", "-trimpath", "-ldflags", "-s -w", `${MODULE}@v${ACTIONLINT_VERSION}`],
      { cwd: dir, env },
      (line) => {
        if (line.startsWith("go: downloading ")) log(`  ${line.slice(4)} (${secs()})`);
        else if (!line.startsWith("go: ")) {
          packages++;
          if (packages % 10 === 0) log(`  ${packages} packages compiled (${secs()})`);
        }
      },
    );
    const out = join(dir, "actionlint");
    renameSync(join(tmp, "actionlint"), out);
    chmodSync(out, 0o755);
    log(`done, ${packages} packages (${secs()})`);
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The path of an actionlint at the pinned version: on PATH, cached, or built now. */
export async function ensureActionlint({ force = false } = {}) {
  const dir = cacheDir();
  const cached = join(dir, "actionlint");
  if (!force) {
    if (existsSync(cached) && versionOf(cached) === ACTIONLINT_VERSION) return cached;
    const installed = onPath("actionlint");
    if (installed) {
      const v = versionOf(installed);
      if (v === ACTIONLINT_VERSION) return installed;
      log(`ignoring ${installed}: version ${v ?? "unknown"}, the pinned one is ${ACTIONLINT_VERSION}`);
    }
  }
  const built = await build(dir);
  const v = versionOf(built);
  if (v !== ACTIONLINT_VERSION) {
    throw new Error(`the built actionlint reports version ${v ?? "(none)"}, expected ${ACTIONLINT_VERSION}`);
  }
  return built;
}

async function main() {
  const args = process.argv.slice(2);
  const force = args.includes("--force");
  const which = args.includes("--which");
  const files = args.filter((a) => a !== "--force" && a !== "--which");
  const bin = await ensureActionlint({ force });
  if (which) {
    process.stdout.write(`${bin}\n`);
    return;
  }
  if (files.length === 0) {
    log("usage: node scripts/actionlint.mjs [--force] [--which] FILE...");
    process.exit(2);
  }
  const r = spawnSync(bin, [...DETERMINISTIC_FLAGS, ...files], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err) => {
    process.stderr.write(`[actionlint] error: ${err.message}\n`);
    process.exit(1);
  });
}
