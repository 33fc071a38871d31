#!/usr/bin/env node
import { spawnSync } from "node:child_process";
// Finds a Pulumi CLI that fits, or builds the pinned one from its Go module sources; then finds or
// builds what programs in other languages and SDK generation need. Plain ESM JavaScript on
// purpose: it runs before `npm run build`.
//
//   npm run setup             find or build, then record the choice in .pulumi-state/cli.json
//   npm run setup -- --force  build everything even if usable tools are installed
//
// What it provides (each found first, built only when missing, once per machine):
//   pulumi, pulumi-language-nodejs    the CLI and the nodejs host (from Go module sources)
//   pulumi-language-python (+ -exec)  the python host (sdk/v3 v3.68.0, as the nodejs host)
//   pulumi-language-yaml              the YAML host (github.com/pulumi/pulumi-yaml, pinned below)
//   pulumi-language-go                the Go host (sdk/v3 v3.66.0, pulumi-cli/langhost-go)
//   examples/go's Go modules          downloaded into the Go module cache, the build cache filled
//                                     (a Go program builds offline when `pulumi up` runs)
//   python/                           a virtualenv with the `pulumi` Python SDK of the CLI's version (PyPI)
//                                     and `build` (wheel and sdist of sdk/python, offline)
//   python-wheels/                    those packages as wheels, so that a fresh virtualenv installs
//                                     the SDK's wheel offline (`pip install --no-index --find-links`)
//   obdcr-gen-sdk                     nodejs/python SDKs from a schema.json (pulumi-cli/gensdk)
//
// Environment: PULUMI_HOME (default ~/.pulumi) decides where built tools go:
// $PULUMI_HOME/versions/<version>/bin, where both the Automation API and the npm `pulumi`
// launcher look for the CLI; the virtualenv goes to $PULUMI_HOME/versions/<version>/python.
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { findGo, onPath, run } from "./lib/proc.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const modDir = join(root, "scripts", "pulumi-cli");
// The oldest CLI we accept from a user's install: ReadResult.inputs (refresh without spurious
// diffs) arrived in 3.216; `configure` in 3.139.
const MIN_VERSION = "3.216.0";
const SHIM = "pulumi-resource-pulumi-nodejs";
const LANGHOST = "pulumi-language-nodejs";
const PYHOST = "pulumi-language-python";
// The 3.68 python host runs programs through this script, which must sit beside it.
const PYEXEC = "pulumi-language-python-exec";
const YAMLHOST = "pulumi-language-yaml";
const GOHOST = "pulumi-language-go";
// The Go program whose modules setup downloads (it requires the Go SDK in sdk/go/obdcr).
const GO_EXAMPLE = join(root, "examples", "go");
// Served by the module proxy (v1.11.1, v1.25.0); builds with the machine's Go as it is.
const YAML_VERSION = "1.25.0";
const GEN_SDK = "obdcr-gen-sdk";
// The pulumi Python SDK needs at least this Python.
const MIN_PYTHON = "3.9.0";
// Since 70.1 setuptools builds wheels without the `wheel` package, so a generated Python SDK
// installs with `pip install --no-build-isolation` from the virtualenv alone (offline). The
// venv module's bundled setuptools (65.5 with Python 3.11) cannot.
const SETUPTOOLS_VERSION = "80.9.0";
// Generated Python SDKs require parver>=0.2.1 (their _utilities.py imports it).
const PARVER_VERSION = "1.0.1.post0";
// `python -m build --no-isolation` makes sdk/python's wheel and sdist from the virtualenv alone.
const BUILD_VERSION = "1.6.1";
// pip builds an sdist without pyproject.toml (ours: setup.py) with setuptools and wheel: the
// wheelhouse carries both for that offline install.
const WHEEL_VERSION = "0.48.0";

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

/** `name` beside `bin`, else on PATH, else undefined. */
function beside(bin, name) {
  const p = join(dirname(bin), name);
  return existsSync(p) ? p : onPath(name);
}

// A CLI fits when it is a 3.x at least MIN_VERSION with the nodejs language host and the dynamic
// provider shim beside it (or on PATH): without them the engine tries to download them and fails
// offline.
function usable(bin) {
  const v = versionOf(bin);
  if (!v?.startsWith("3.") || cmp(v, MIN_VERSION) < 0) return undefined;
  return beside(bin, SHIM) && beside(bin, LANGHOST) ? v : undefined;
}

function installShim(binDir) {
  const src = join(root, "node_modules", "@pulumi", "pulumi", SHIM);
  if (!existsSync(src)) fail(`${src} is missing: reinstall @pulumi/pulumi.`);
  copyFileSync(src, join(binDir, SHIM));
  chmodSync(join(binDir, SHIM), 0o755);
}

/** The CLI to use without building: the pinned version in PULUMI_HOME, else a user's install. */
function findCli(home, binDir) {
  const cached = join(binDir, "pulumi");
  // 1. The pinned version in PULUMI_HOME (built earlier, or installed by the Automation API).
  if (existsSync(cached) && existsSync(join(binDir, LANGHOST))) {
    if (!existsSync(join(binDir, SHIM))) installShim(binDir);
    const v = usable(cached);
    if (v) return { bin: cached, version: v };
  }
  // 2. A user's own install: PATH, then the installer's default location.
  for (const candidate of [onPath("pulumi"), join(home, "bin", "pulumi")]) {
    if (candidate && existsSync(candidate)) {
      const v = usable(candidate);
      if (v) return { bin: candidate, version: v };
      log(
        `ignoring ${candidate}: not a Pulumi 3 CLI >= ${MIN_VERSION} with its nodejs dynamic provider shim`,
      );
    }
  }
  return undefined;
}

function requireGo() {
  const go = findGo();
  if (go) return go;
  fail(
    [
      `no Pulumi CLI >= ${MIN_VERSION} found, and Go is not installed to build one.`,
      "Install Pulumi (https://www.pulumi.com/docs/iac/download-install/, e.g. `curl -fsSL https://get.pulumi.com | sh`)",
      "and make sure `pulumi` is on PATH (it carries the nodejs, python and YAML hosts), or install Go >= 1.21",
      "so that setup can build the missing pieces from their Go module sources.",
    ].join("\n  "),
  );
}

// The build id of obdcr-gen-sdk: its source and its pins, so that a changed source rebuilds it.
function genSdkId() {
  const h = createHash("sha256");
  for (const f of ["gensdk/main.go", "go.mod", "go.sum"]) h.update(readFileSync(join(modDir, f)));
  return h.digest("hex").slice(0, 16);
}

function genSdkCurrent(bin) {
  if (!existsSync(bin)) return false;
  const r = spawnSync(bin, ["--version"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() === `${GEN_SDK} ${genSdkId()}`;
}

/**
 * What the virtualenv gets: the SDK of the CLI's version, what SDKs generated by obdcr-gen-sdk
 * import besides it (parver), and a setuptools that builds wheels itself.
 */
const venvPackages = (version) => [
  `pulumi==${version}`,
  `parver==${PARVER_VERSION}`,
  `build==${BUILD_VERSION}`,
  `setuptools==${SETUPTOOLS_VERSION}`,
];

/** Whether a virtualenv has exactly `packages` (name==version) installed. */
function venvCurrent(python, packages) {
  if (!existsSync(python)) return false;
  const probe =
    "import importlib.metadata as m, sys; print(' '.join(a + '==' + m.version(a) for a in sys.argv[1:]))";
  const names = packages.map((p) => p.split("==")[0]);
  const r = spawnSync(python, ["-c", probe, ...names], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() === packages.join(" ");
}

/** Whether the wheelhouse holds wheels of exactly `packages` (and what they need). */
function wheelsCurrent(dir, packages) {
  const list = join(dir, "requirements.txt");
  return existsSync(list) && readFileSync(list, "utf8") === `${packages.join("\n")}\n`;
}

function findPython() {
  for (const name of ["python3", "python"]) {
    const p = onPath(name);
    if (!p) continue;
    const r = spawnSync(p, ["-c", "import sys, venv; print('%d.%d.%d' % sys.version_info[:3])"], {
      encoding: "utf8",
    });
    const v = r.status === 0 ? r.stdout.trim() : undefined;
    if (v && cmp(v, MIN_PYTHON) >= 0) return p;
    log(`ignoring ${p}: not a Python >= ${MIN_PYTHON} with the venv module`);
  }
  return undefined;
}

const goEnv = () => ({ ...process.env, GOFLAGS: "-buildvcs=false -mod=readonly", CGO_ENABLED: "0" });

// Compiles with the flags every binary here shares; counts packages for progress.
async function goBuild(go, cwd, pkg, out, { ldflags = "-s -w", secs }) {
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
  const p = progress(secs);
  await run(go, args, { cwd, env: goEnv() }, p.line);
  renameSync(tmp, out);
  chmodSync(out, 0o755);
  p.done();
}

// `go build -v` prints one line per package compiled (none when the Go cache has it all).
function progress(secs, modulesBefore = 0) {
  let modules = modulesBefore;
  let packages = 0;
  return {
    line(line) {
      if (line.startsWith("go: downloading ")) {
        if (++modules % 20 === 1) log(`  ${modules} modules downloaded, e.g. ${line.slice(16)} (${secs()})`);
      } else if (!line.startsWith("go: ") && ++packages % 100 === 0) {
        log(`  ${packages} packages compiled (${secs()})`);
      }
    },
    done: () => log(`  done, ${modules} modules downloaded, ${packages} packages compiled (${secs()})`),
  };
}

// The steps that build the CLI and the nodejs host (three, as before).
function cliSteps(go, version, binDir) {
  const pinned = /github\.com\/pulumi\/pulumi\/pkg\/v3 v(\S+)/.exec(
    readFileSync(join(modDir, "go.mod"), "utf8"),
  )?.[1];
  if (pinned !== version) {
    fail(
      `scripts/pulumi-cli/go.mod pins pkg/v3 v${pinned} but @pulumi/pulumi is ${version}: update go.mod (go get + go mod tidy).`,
    );
  }
  return [
    {
      label: "downloading Go modules (module proxy)",
      run: async ({ secs }) => {
        await run(go, ["mod", "download"], { cwd: modDir, env: goEnv() });
        await run(go, ["mod", "download"], { cwd: join(modDir, "langhost"), env: goEnv() });
        log(`  done (${secs()})`);
      },
    },
    {
      label: "the pulumi CLI (up to 1,700 packages, by what the Go cache holds)",
      run: ({ secs }) =>
        goBuild(go, modDir, "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi", join(binDir, "pulumi"), {
          ldflags: `-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${version}`,
          secs,
        }),
    },
    {
      label: "the nodejs language host",
      run: ({ secs }) =>
        goBuild(
          go,
          join(modDir, "langhost"),
          `github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/${LANGHOST}`,
          join(binDir, LANGHOST),
          { secs },
        ),
    },
  ];
}

const pythonHostStep = (go, binDir) => ({
  label: "the python language host (sdk/v3 v3.68.0, shares the nodejs host's packages)",
  run: async ({ secs }) => {
    const langhost = join(modDir, "langhost");
    const pkg = `github.com/pulumi/pulumi/sdk/v3/python/cmd/${PYHOST}`;
    await goBuild(go, langhost, pkg, join(binDir, PYHOST), { secs });
    // The script ships in the same module: take it from the module cache.
    const r = spawnSync(go, ["list", "-m", "-f", "{{.Dir}}", "github.com/pulumi/pulumi/sdk/v3"], {
      cwd: langhost,
      env: goEnv(),
      encoding: "utf8",
    });
    const src = join(r.stdout.trim(), "python", "cmd", PYEXEC);
    if (r.status !== 0 || !existsSync(src)) fail(`cannot find ${PYEXEC} in the sdk/v3 module: ${r.stderr}`);
    copyFileSync(src, join(binDir, PYEXEC));
    chmodSync(join(binDir, PYEXEC), 0o755);
  },
});

const yamlHostStep = (go, binDir) => ({
  label: `the YAML language host (pulumi-yaml v${YAML_VERSION}, up to 50 modules and 400 packages)`,
  run: async ({ secs }) => {
    // `go install pkg@version` builds with pulumi-yaml's own go.mod/go.sum (checked against the
    // checksum database), so no wrapper module is needed; -mod is not allowed there.
    const tmp = mkdtempSync(join(binDir, ".build-"));
    const env = { ...goEnv(), GOFLAGS: "-buildvcs=false", GOBIN: tmp };
    const mod = "github.com/pulumi/pulumi-yaml";
    const args = [
      "install",
      "-v",
      "-trimpath",
      "-tags",
      "osusergo,grpcnotrace",
      "-ldflags",
      `-s -w -X ${mod}/pkg/version.Version=v${YAML_VERSION}`,
      `${mod}/cmd/${YAMLHOST}@v${YAML_VERSION}`,
    ];
    const p = progress(secs);
    try {
      await run(go, args, { cwd: binDir, env }, p.line);
      renameSync(join(tmp, YAMLHOST), join(binDir, YAMLHOST));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    p.done();
  },
});

/** The wheelhouse: the virtualenv's packages, and `wheel` for building an sdist in isolation. */
const wheelPackages = (version) => [...venvPackages(version), `wheel==${WHEEL_VERSION}`];

// The wheels a fresh virtualenv needs beside the SDK's own, for a test that installs the SDK's
// wheel and sdist as a user does, offline. From pip's cache when the virtualenv step just ran.
const wheelsStep = (venvPython, version, wheelsDir) => ({
  label: `wheels of ${wheelPackages(version).join(", ")} and their dependencies (${wheelsDir})`,
  run: async ({ secs }) => {
    rmSync(wheelsDir, { recursive: true, force: true });
    mkdirSync(wheelsDir, { recursive: true });
    let count = 0;
    const pip = ["-m", "pip", "download", "--disable-pip-version-check", "--no-input", "--only-binary=:all:"];
    await run(venvPython, [...pip, "-d", wheelsDir, ...wheelPackages(version)], {}, (line) => {
      if (line.startsWith("Collecting "))
        log(`  ${line.trim().replace(/ \(from .*\)$/, "")} (${++count}, ${secs()})`);
    });
    writeFileSync(join(wheelsDir, "requirements.txt"), `${wheelPackages(version).join("\n")}\n`);
    log(`  done, ${count} packages (${secs()})`);
  },
});

const venvStep = (python, version, venvDir) => ({
  label: `a Python virtualenv with ${venvPackages(version).join(", ")} from PyPI (${venvDir})`,
  run: async ({ secs }) => {
    const venvPython = join(venvDir, "bin", "python");
    // A virtualenv whose python runs only needs its packages (an older pin); else make it anew.
    if (spawnSync(venvPython, ["-c", "import sys"]).status !== 0) {
      rmSync(venvDir, { recursive: true, force: true }); // a half-made one from an interrupted run
      await run(python, ["-m", "venv", venvDir], {});
    }
    let count = 0;
    const pip = [
      "-m",
      "pip",
      "install",
      "--disable-pip-version-check",
      "--no-input",
      ...venvPackages(version),
    ];
    await run(venvPython, pip, {}, (line) => {
      if (line.startsWith("Collecting "))
        log(`  ${line.trim().replace(/ \(from .*\)$/, "")} (${++count}, ${secs()})`);
    });
    log(`  done, ${count} packages (${secs()})`);
  },
});

const goHostStep = (go, binDir) => ({
  label: "the Go language host (sdk/v3 v3.66.0, up to 60 modules and 530 packages)",
  run: ({ secs }) =>
    goBuild(
      go,
      join(modDir, "langhost-go"),
      `github.com/pulumi/pulumi/sdk/v3/go/${GOHOST}`,
      join(binDir, GOHOST),
      { secs },
    ),
});

// The environment the Go host builds a program in (the user's, as the engine passes it on): the
// build cache setup fills is keyed by it, so no CGO_ENABLED or -trimpath here.
const goProgramEnv = (offline) => ({
  ...process.env,
  GOWORK: "off",
  GOTOOLCHAIN: "local",
  GOFLAGS: "-mod=readonly",
  ...(offline ? { GOPROXY: "off" } : {}),
});

/**
 * Whether the module cache holds every module of examples/go's graph: what its build needs, and
 * what `go mod tidy` of the Go SDK needs offline (tests of dependencies included: `npm run sdk`
 * and the SDK staleness test run it with GOPROXY=off). A no-op download that fails offline if not.
 */
function goExampleReady(go) {
  const r = spawnSync(go, ["mod", "download", "all"], { cwd: GO_EXAMPLE, env: goProgramEnv(true) });
  return r.status === 0;
}

const goExampleStep = (go) => ({
  label:
    "the Go modules of examples/go (go mod download, about 100 modules; one build to fill the Go build cache, up to 750 packages)",
  run: async ({ secs }) => {
    let modules = 0;
    // `all`: the whole module graph, so that `go mod tidy` of sdk/go/obdcr also runs offline.
    await run(go, ["mod", "download", "-x", "all"], { cwd: GO_EXAMPLE, env: goProgramEnv(false) }, (line) => {
      // -x prints one `# get <url>` line per file fetched; count the module zips.
      if (/^# get .*\.zip$/.test(line) && ++modules % 20 === 1)
        log(`  ${modules} modules downloaded (${secs()})`);
    });
    // What the Go host runs at `pulumi up` (`go build -o <tmp>` in the program's directory), so
    // that the first `up` links instead of compiling the Pulumi SDK and gRPC.
    const out = join(mkdtempSync(join(tmpdir(), "obdcr-go-build-")), "program");
    const p = progress(secs, modules);
    try {
      await run(go, ["build", "-v", "-o", out, "."], { cwd: GO_EXAMPLE, env: goProgramEnv(true) }, p.line);
    } finally {
      rmSync(dirname(out), { recursive: true, force: true });
    }
    p.done();
  },
});

const genSdkStep = (go, binDir) => ({
  label: `${GEN_SDK}, the SDK generator (pkg/v3 codegen; a few packages once the CLI is built)`,
  run: ({ secs }) =>
    goBuild(go, modDir, "./gensdk", join(binDir, GEN_SDK), {
      ldflags: `-s -w -X main.buildID=${genSdkId()}`,
      secs,
    }),
});

async function runSteps(steps) {
  const started = Date.now();
  const secs = () => `${Math.round((Date.now() - started) / 1000)}s`;
  for (const [i, step] of steps.entries()) {
    log(`step ${i + 1}/${steps.length}: ${step.label}...`);
    await step.run({ secs });
  }
  if (steps.length > 0) log(`all ${steps.length} steps done in ${secs()}`);
}

async function main() {
  const force = process.argv.includes("--force");
  const version = sdkVersion();
  const home = process.env.PULUMI_HOME || join(homedir(), ".pulumi");
  const versionDir = join(home, "versions", version);
  const binDir = join(versionDir, "bin");
  const venvDir = join(versionDir, "python");
  const venvPython = join(venvDir, "bin", "python");
  mkdirSync(binDir, { recursive: true });

  const cli = force ? undefined : findCli(home, binDir);
  const cliBin = cli?.bin ?? join(binDir, "pulumi");
  const ours = (name, ...companions) =>
    [name, ...companions].every((n) => existsSync(join(binDir, n))) ? join(binDir, name) : undefined;
  // A user's own CLI: its hosts first (the official distribution carries them, newer than ours).
  // Ours (in binDir): the host with its companions, else one on PATH.
  const found = (name, ...companions) => {
    if (force) return undefined;
    if (cli && dirname(cli.bin) !== binDir) return beside(cli.bin, name) ?? ours(name, ...companions);
    return ours(name, ...companions) ?? onPath(name);
  };
  let pythonHost = found(PYHOST, PYEXEC);
  let yamlHost = found(YAMLHOST);
  let goHost = found(GOHOST);
  let genSdk = !force && genSdkCurrent(join(binDir, GEN_SDK)) ? join(binDir, GEN_SDK) : undefined;
  let python = !force && venvCurrent(venvPython, venvPackages(version)) ? venvPython : undefined;
  const wheelsDir = join(versionDir, "python-wheels");
  let wheels = !force && wheelsCurrent(wheelsDir, wheelPackages(version)) ? wheelsDir : undefined;

  // Only the CLI is required (the Node provider needs nothing else); the rest is skipped with a
  // warning when Go or Python is missing, and then absent from cli.json.
  const steps = [];
  const skipped = (what, why) => log(`warning: skipping ${what}: ${why}; what needs it will say so`);
  const go = findGo();
  if (!cli) steps.push(...cliSteps(requireGo(), version, binDir));
  if (!pythonHost) {
    if (go) steps.push(pythonHostStep(go, binDir));
    else skipped(PYHOST, "Go is not installed to build it");
  }
  if (!yamlHost) {
    if (go) steps.push(yamlHostStep(go, binDir));
    else skipped(YAMLHOST, "Go is not installed to build it");
  }
  if (!goHost) {
    if (go) steps.push(goHostStep(go, binDir));
    else skipped(GOHOST, "Go is not installed to build it");
  }
  // Go programs need Go itself (the host runs `go build`): without it there is nothing to prepare.
  if (go && existsSync(join(GO_EXAMPLE, "go.mod")) && (force || !goExampleReady(go))) {
    steps.push(goExampleStep(go));
  }
  if (!genSdk) {
    if (go) steps.push(genSdkStep(go, binDir));
    else
      skipped(GEN_SDK, "Go is not installed to build it (`pulumi package gen-sdk` of an official CLI works)");
  }
  const basePython = python ? undefined : findPython();
  if (!python) {
    if (basePython) steps.push(venvStep(basePython, version, venvDir));
    else skipped("the Python virtualenv", `no Python >= ${MIN_PYTHON} with the venv module on PATH`);
  }
  if (!wheels && (python || basePython)) steps.push(wheelsStep(venvPython, version, wheelsDir));
  if (steps.length > 0) {
    log(`${steps.length} step(s) to build what is missing, into ${versionDir}`);
    log("this happens once per machine (a few minutes); later runs reuse them");
  }
  await runSteps(steps);

  if (!cli) {
    installShim(binDir);
    const v = versionOf(cliBin);
    if (v !== version) fail(`the built CLI reports version ${v ?? "(none)"}, expected ${version}`);
  }
  pythonHost ??= ours(PYHOST, PYEXEC);
  yamlHost ??= ours(YAMLHOST);
  goHost ??= ours(GOHOST);
  if (go && !genSdk) {
    if (!genSdkCurrent(join(binDir, GEN_SDK))) fail(`the built ${join(binDir, GEN_SDK)} does not run`);
    genSdk = join(binDir, GEN_SDK);
  }
  if (basePython) {
    if (!venvCurrent(venvPython, venvPackages(version))) {
      fail(`${venvPython} does not have ${venvPackages(version).join(" ")} installed`);
    }
    python = venvPython;
  }
  if (!wheels && python) {
    if (!wheelsCurrent(wheelsDir, wheelPackages(version))) fail(`${wheelsDir} does not have the wheels`);
    wheels = wheelsDir;
  }

  const info = {
    pulumi: cliBin,
    // root is what the Automation API's PulumiCommand.get({ root }) wants: <root>/bin/pulumi.
    root: dirname(dirname(cliBin)),
    version: cli?.version ?? version,
    built: !cli,
    bin_dir: binDir,
    python_host: pythonHost,
    yaml_host: yamlHost,
    go_host: goHost,
    gen_sdk: genSdk,
    python,
    python_wheels: wheels,
  };
  const stateDir = join(root, ".pulumi-state");
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, "cli.json"), `${JSON.stringify(info, null, 2)}\n`);
  log(`using pulumi ${info.version} at ${info.pulumi}${info.built ? " (built from source)" : ""}`);
  log(
    `python host ${pythonHost ?? "(none)"}, YAML host ${yamlHost ?? "(none)"}, Go host ${goHost ?? "(none)"}`,
  );
  log(`python ${python ?? "(none)"} (wheels ${wheels ?? "(none)"}), SDK generator ${genSdk ?? "(none)"}`);
}

main().catch((err) => fail(err.message));
