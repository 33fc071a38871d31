/**
 * The CI templates in examples/pipelines (docs/pipelines.md):
 * - the GitHub Actions workflow passes actionlint (pinned, built here from the Go module proxy on first
 *   use by scripts/actionlint.mjs), and broken copies fail it, so the linter is known to run;
 * - the GitLab CI file, which has no offline linter, is checked for its structure and its rules;
 * - every ob-dcr command and flag, npm script and Pulumi CLI flag the templates call exists.
 */
import { spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { ensureBuilt, MAIN } from "../cli/helpers.js";
import { sandboxForFile } from "../support/hooks.js";

const ROOT = path.resolve(__dirname, "../..");
const GITHUB = path.join(ROOT, "examples/pipelines/github-actions.yml");
const GITLAB = path.join(ROOT, "examples/pipelines/gitlab-ci.yml");
const ACTIONLINT_SCRIPT = path.join(ROOT, "scripts/actionlint.mjs");
const ACTIONLINT_VERSION = /ACTIONLINT_VERSION = "([^"]+)"/.exec(
  readFileSync(ACTIONLINT_SCRIPT, "utf8"),
)![1]!;
// Same flags as scripts/actionlint.mjs: no shellcheck/pyflakes, so the result is the same everywhere.
const LINT_FLAGS = ["-no-color", "-shellcheck=", "-pyflakes="];
const BUILD_TIMEOUT_MS = 10 * 60_000;
const MIN_PULUMI = "3.216.0";
/** A GitHub Actions expression, `${{ e }}`, spelled so that it is not taken for a JS placeholder. */
const gh = (e: string) => `$${"{{"} ${e} }}`;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Finds or builds actionlint; the build's progress goes to stderr as it happens. */
function findOrBuildActionlint(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ACTIONLINT_SCRIPT, "--which"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const timer = setTimeout(() => child.kill("SIGTERM"), BUILD_TIMEOUT_MS);
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
      process.stderr.write(c);
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const bin = out.trim();
      if (code === 0 && bin && existsSync(bin)) resolve(bin);
      else reject(new Error(`scripts/actionlint.mjs --which failed (${signal ?? `exit ${code}`}):\n${err}`));
    });
  });
}

function lint(bin: string, file: string) {
  const r = spawnSync(bin, [...LINT_FLAGS, file], { encoding: "utf8" });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true", NO_COLOR: "1" },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Every shell line of the templates' `run:` / `script:` members (continuations joined). */
function shellLines(text: string): string[] {
  return text
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => !l.startsWith("#"));
}

describe("GitHub Actions template", () => {
  let actionlint = "";
  let tmp = "";
  const workflow = readFileSync(GITHUB, "utf8");

  beforeAll(async () => {
    actionlint = await findOrBuildActionlint();
    tmp = mkdtempSync(path.join(os.tmpdir(), "ob-dcr-pipelines-"));
  }, BUILD_TIMEOUT_MS + 30_000);
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it(`actionlint v${ACTIONLINT_VERSION} (built from the Go module proxy) finds nothing`, () => {
    const v = spawnSync(actionlint, ["-version"], { encoding: "utf8" });
    expect(v.stdout.split("\n")[0]).toBe(`v${ACTIONLINT_VERSION}`);
    const r = lint(actionlint, GITHUB);
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  });

  it.each([
    [
      "an unknown key next to runs-on",
      (s: string) => s.replace("runs-on: ubuntu-24.04", "run-on: ubuntu-24.04"),
      /unexpected key "run-on"/,
    ],
    [
      "an expression naming an unknown matrix key",
      (s: string) => s.replace(`${gh("matrix.software")}-`, `${gh("matrix.softwar")}-`),
      /property "softwar" is not defined/,
    ],
    [
      "an unknown input of a popular action",
      (s: string) => s.replace("pulumi-version:", "pulumi-versions:"),
      /input "pulumi-versions" is not defined/,
    ],
  ])("a broken copy with %s fails actionlint", (_name, breakIt, finding) => {
    const broken = breakIt(workflow);
    expect(broken).not.toBe(workflow);
    const file = path.join(tmp, "broken.yml");
    writeFileSync(file, broken);
    const r = lint(actionlint, file);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(finding);
  });

  it("previews on pull requests, applies on main, runs doctor on a schedule; one stack per matrix cell", () => {
    const wf = YAML.parse(workflow) as Obj;
    const on = wf.on as Obj;
    expect(Object.keys(on).sort()).toEqual(["pull_request", "push", "schedule", "workflow_dispatch"]);
    expect((on.push as Obj).branches).toEqual(["main"]);
    const jobs = wf.jobs as Record<string, Obj>;
    const steps = (job: string) => (jobs[job]!.steps as Obj[]).map((s) => String(s.run ?? s.uses)).join("\n");
    expect(jobs.preview!.if).toBe("github.event_name == 'pull_request'");
    expect(steps("preview")).toMatch(/pulumi preview --diff .*--stack "\$STACK"/);
    expect(jobs.up!.if).toContain("github.ref == 'refs/heads/main'");
    expect(steps("up")).toMatch(/pulumi up --yes --continue-on-error .*--stack "\$STACK"/);
    expect(steps("up")).toMatch(/pulumi stack output --json --stack "\$STACK"/);
    expect(steps("up")).not.toContain("--show-secrets");
    expect(steps("doctor")).toMatch(/npx ob-dcr doctor -c \S+ --json/);
    expect(steps("doctor")).toContain('exit "$code"');
    for (const job of ["preview", "up", "doctor"]) {
      const j = jobs[job]!;
      expect((j.strategy as Obj).matrix).toEqual({
        software: ["payments"],
        environment: ["sandbox", "production"],
      });
      expect(String((j.concurrency as Obj).group)).toContain(
        `${gh("matrix.software")}-${gh("matrix.environment")}`,
      );
      expect(j.environment).toBe(`${gh("matrix.software")}-${gh("matrix.environment")}`);
    }
    // An `up` is never cancelled halfway.
    expect((jobs.up!.concurrency as Obj)["cancel-in-progress"]).toBe(false);
    // Pinned Pulumi install through the official action; npm ci before anything runs.
    for (const job of ["preview", "up"]) {
      const pulumi = (jobs[job]!.steps as Obj[]).find((s) => String(s.uses).startsWith("pulumi/actions@"));
      expect((pulumi!.with as Obj)["pulumi-version"]).toBe(`${gh("env.PULUMI_VERSION")}`);
      expect(steps(job)).toContain("npm ci");
    }
    expect(jobs["client-ids"]!.outputs).toEqual({ "client-ids": `${gh("steps.merge.outputs.client-ids")}` });
  });
});

// --- GitLab CI: structure and rules (no offline linter exists) ---

const GITLAB_GLOBAL_KEYS = new Set([
  "default",
  "include",
  "stages",
  "variables",
  "workflow",
  "image",
  "services",
  "cache",
  "before_script",
  "after_script",
  "spec",
]);

function merge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(out[k]) ? merge(out[k] as Obj, v) : v;
  return out;
}

/** A job with its `extends` resolved the way GitLab does: hashes merged deeply, the rest replaced. */
function resolveJob(doc: Obj, name: string, seen: string[] = []): Obj {
  if (seen.includes(name)) throw new Error(`extends cycle: ${[...seen, name].join(" -> ")}`);
  const job = doc[name];
  if (!isObj(job)) throw new Error(`${name}: not a job (extends target missing?)`);
  const parents = job.extends === undefined ? [] : [job.extends].flat().map(String);
  let base: Obj = {};
  for (const p of parents) base = merge(base, resolveJob(doc, p, [...seen, name]));
  const { extends: _e, ...own } = job;
  return merge(base, own);
}

type Ctx = Record<string, string>;

/** Evaluates the subset of GitLab's `rules:if` syntax the template uses: ==, !=, &&, ||, presence. */
function evalIf(expr: string, ctx: Ctx): boolean {
  const value = (t: string): string | undefined => {
    t = t.trim();
    if (t.startsWith("$")) return ctx[t.slice(1)];
    const m = /^"(.*)"$|^'(.*)'$/.exec(t);
    if (!m) throw new Error(`unsupported operand in rules:if: ${t}`);
    return m[1] ?? m[2];
  };
  return expr.split("||").some((alt) =>
    alt.split("&&").every((term) => {
      const eq = /^(.*?)(==|!=)(.*)$/.exec(term);
      if (!eq) return Boolean(value(term));
      const same = value(eq[1]!) === value(eq[3]!);
      return eq[2] === "==" ? same : !same;
    }),
  );
}

function runs(rules: unknown, ctx: Ctx): boolean {
  for (const rule of rules as Obj[]) {
    if (rule.if === undefined || evalIf(String(rule.if), ctx)) return rule.when !== "never";
  }
  return false;
}

const MAIN_BRANCH = "main";
const CONTEXTS: Record<string, Ctx> = {
  "merge request": { CI_PIPELINE_SOURCE: "merge_request_event", CI_DEFAULT_BRANCH: MAIN_BRANCH },
  "push to main": {
    CI_PIPELINE_SOURCE: "push",
    CI_COMMIT_BRANCH: MAIN_BRANCH,
    CI_DEFAULT_BRANCH: MAIN_BRANCH,
  },
  "push to a branch with an open MR": {
    CI_PIPELINE_SOURCE: "push",
    CI_COMMIT_BRANCH: "feature",
    CI_OPEN_MERGE_REQUESTS: "group/project!1",
    CI_DEFAULT_BRANCH: MAIN_BRANCH,
  },
  schedule: { CI_PIPELINE_SOURCE: "schedule", CI_COMMIT_BRANCH: MAIN_BRANCH, CI_DEFAULT_BRANCH: MAIN_BRANCH },
};

describe("GitLab CI template (structural checks)", () => {
  const text = readFileSync(GITLAB, "utf8");
  const doc = YAML.parse(text) as Obj;
  const stages = doc.stages as string[];
  const jobNames = Object.keys(doc).filter((k) => !GITLAB_GLOBAL_KEYS.has(k) && !k.startsWith("."));
  const jobs = Object.fromEntries(jobNames.map((n) => [n, resolveJob(doc, n)]));

  it("parses as YAML, with the expected jobs", () => {
    const parsed = YAML.parseDocument(text);
    expect(parsed.errors).toEqual([]);
    expect(parsed.warnings).toEqual([]);
    expect(jobNames.sort()).toEqual(["client-ids", "doctor", "preview", "up"]);
  });

  it("every job has a declared stage, a script and rules, and no only/except", () => {
    expect(Array.isArray(stages) && stages.length > 0).toBe(true);
    for (const [name, job] of Object.entries(jobs)) {
      expect(stages, `${name}: stage`).toContain(job.stage);
      const script = [job.script].flat();
      expect(
        script.length > 0 && script.every((l) => typeof l === "string" && l.trim()),
        `${name}: script`,
      ).toBe(true);
      expect(Array.isArray(job.rules) && (job.rules as unknown[]).length > 0, `${name}: rules`).toBe(true);
      expect(job.only ?? job.except, `${name}: only/except mixed with rules`).toBeUndefined();
    }
    // Hidden templates carry no only/except either (they would end up in the jobs).
    for (const k of Object.keys(doc).filter((k) => k.startsWith(".")))
      expect((doc[k] as Obj).only ?? (doc[k] as Obj).except, k).toBeUndefined();
  });

  it("rules: preview on merge requests, up and client ids on the default branch, doctor on a schedule", () => {
    const workflowRules = (doc.workflow as Obj).rules;
    const ran = (ctx: Ctx) =>
      runs(workflowRules, ctx) ? jobNames.filter((n) => runs(jobs[n]!.rules, ctx)).sort() : [];
    expect(ran(CONTEXTS["merge request"]!)).toEqual(["preview"]);
    expect(ran(CONTEXTS["push to main"]!)).toEqual(["client-ids", "up"]);
    expect(ran(CONTEXTS.schedule!)).toEqual(["doctor"]);
    // No duplicate branch pipeline next to the merge request pipeline.
    expect(ran(CONTEXTS["push to a branch with an open MR"]!)).toEqual([]);
  });

  it("one stack per software and environment, serialised per stack; the commands and secrets", () => {
    for (const name of ["preview", "up", "doctor"]) {
      const job = jobs[name]!;
      expect((job.parallel as Obj).matrix, name).toEqual([
        { SOFTWARE: ["payments"], ENVIRONMENT: ["sandbox", "production"] },
      ]);
      expect(String(job.resource_group), name).toContain("$SOFTWARE-$ENVIRONMENT");
      expect((job.environment as Obj).name, name).toBe("$SOFTWARE-$ENVIRONMENT");
    }
    expect(jobs.preview!.resource_group).toBe(jobs.up!.resource_group);
    expect(jobs.up!.interruptible).toBe(false);
    const all = (job: Obj) =>
      [job.before_script, job.script, job.after_script].flat().filter(Boolean).join("\n");
    expect(all(jobs.preview!)).toMatch(/pulumi preview --diff .*--stack "\$STACK"/);
    expect(all(jobs.up!)).toMatch(/pulumi up --yes --continue-on-error .*--stack "\$STACK"/);
    expect(all(jobs.up!)).toMatch(/pulumi stack output --json --stack "\$STACK"/);
    for (const job of Object.values(jobs)) expect(all(job)).not.toContain("--show-secrets");
    expect(all(jobs.up!)).toContain("npm ci");
    expect(all(jobs.up!)).toMatch(/get\.pulumi\.com \| sh -s -- --version "\$PULUMI_VERSION"/);
    expect(all(jobs.doctor!)).toMatch(/npx ob-dcr doctor -c \S+ --json/);
    expect(all(jobs.doctor!)).toContain('exit "$code"');
    expect((jobs["client-ids"]!.artifacts as Obj).reports).toEqual({ dotenv: "client-ids.env" });
    for (const secret of [
      "PULUMI_BACKEND_URL",
      "PULUMI_CONFIG_PASSPHRASE",
      "OBDCR_SIGNING_KEY",
      "OBDCR_TRANSPORT_KEY",
    ])
      expect(text).toContain(secret);
  });
});

// --- Every command the templates call exists ---

describe("commands the templates call", () => {
  const texts = [readFileSync(GITHUB, "utf8"), readFileSync(GITLAB, "utf8")];
  const lines = texts.flatMap(shellLines);

  beforeAll(() => ensureBuilt());

  it("ob-dcr commands and flags are in the built CLI's --help", () => {
    const calls = lines.flatMap((l) => [
      ...l.matchAll(/\bob-dcr (\w+)((?: -{1,2}[\w-]+(?: "[^"]*"| [^-\s]\S*)?)*)/g),
    ]);
    expect(calls.length).toBeGreaterThan(0);
    const root = run(process.execPath, [MAIN, "--help"]);
    expect(root.code).toBe(0);
    for (const [, cmd, rest] of calls) {
      expect(root.out).toMatch(new RegExp(`^\\s+${cmd}\\s{2,}\\S`, "m"));
      const help = run(process.execPath, [MAIN, cmd!, "--help"]);
      expect(help.code).toBe(0);
      for (const flag of rest!.match(/ -{1,2}[\w-]+/g) ?? []) {
        const f = flag.trim();
        // -c is the short form of --config: help lists both as "-c, --config=<file>".
        expect(help.out, `ob-dcr ${cmd} ${f}`).toMatch(
          new RegExp(f.startsWith("--") ? `${f}\\b` : `${f}, --`),
        );
      }
    }
  });

  it("npm scripts exist in package.json", () => {
    const scripts = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Obj;
    const used = new Set(lines.flatMap((l) => [...l.matchAll(/\bnpm run ([\w:-]+)/g)].map((m) => m[1]!)));
    expect([...used].sort()).toEqual(["build", "setup"]);
    for (const s of used) expect(scripts, `npm run ${s}`).toHaveProperty(s);
  });

  it("Pulumi CLI subcommands and flags exist in the CLI that npm run setup records", () => {
    const cliJson = path.join(ROOT, ".pulumi-state/cli.json");
    expect(existsSync(cliJson), "no .pulumi-state/cli.json: run `npm run setup` (npm test does)").toBe(true);
    const pulumi = JSON.parse(readFileSync(cliJson, "utf8")).pulumi as string;
    const calls = lines.flatMap((l) => [
      ...l.matchAll(/\bpulumi ((?:[a-z]+ )*?[a-z]+)((?: --[\w-]+(?: "[^"]*")?)+)/g),
    ]);
    const seen = new Set(calls.map((c) => c[1]));
    expect([...seen].sort()).toEqual(["config set", "preview", "stack output", "up"]);
    for (const [, sub, flags] of calls) {
      const help = run(pulumi, [...sub!.split(" "), "--help"]);
      expect(help.code, `pulumi ${sub} --help`).toBe(0);
      for (const f of flags!.match(/--[\w-]+/g) ?? [])
        expect(help.out, `pulumi ${sub} ${f}`).toMatch(new RegExp(`${f}\\b`));
    }
  });

  it("both templates pin the same Pulumi CLI, at least the version ob-dcr needs", () => {
    const pins = texts.map((t) => /PULUMI_VERSION: "(\d+\.\d+\.\d+)"/.exec(t)?.[1]);
    expect(pins[0]).toBeDefined();
    expect(pins[1]).toBe(pins[0]);
    const [a, b] = [pins[0]!, MIN_PULUMI].map((v) => v.split(".").map(Number));
    const cmp = a!.map((x, i) => x - b![i]!).find((d) => d !== 0) ?? 0;
    expect(cmp).toBeGreaterThanOrEqual(0);
  });
});

/**
 * Runs shell scripts in order, the way a CI runner runs a job's steps (bash -eo pipefail, GitHub's
 * default shell); stops at the first failure. Asynchronous: the sandbox answers from this process,
 * so the event loop must keep running.
 */
async function bashSteps(scripts: string[], cwd: string, env: NodeJS.ProcessEnv) {
  let out = "";
  for (const script of scripts) {
    const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      out += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    if (code !== 0) return { code, out };
  }
  return { code: 0 as number | null, out };
}

// --- The templates' doctor steps, run as written against the sandbox ---

describe("the doctor steps of both templates, run against the sandbox", () => {
  const work = mkdtempSync(path.join(os.tmpdir(), "ob-dcr-doctor-step-"));
  // Registered before the sandbox's hooks, so it runs after the sandbox has closed.
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const sb = sandboxForFile({ dataDir: path.join(work, "sb") });
  const STACK = "payments-sandbox";
  const bin = path.join(work, "bin");
  let keys: { signing: string; transport: string; other: string };

  beforeAll(() => {
    ensureBuilt();
    // The committed ob-dcr/<stack>/ folder the templates expect: doctor.yaml with relative key
    // names, and the public material. The private keys stay outside it (the secret store).
    const ready = JSON.parse(
      readFileSync(path.join(path.dirname(sb.manifestPath), "cli", "sandbox-bank.json"), "utf8"),
    ) as Record<string, Obj>;
    const stackDir = path.join(work, "ob-dcr", STACK);
    mkdirSync(stackDir, { recursive: true });
    const t = ready.transport!;
    copyFileSync(String(t.cert_file), path.join(stackDir, "transport.pem"));
    copyFileSync(String(t.ca_file), path.join(stackDir, "ca.pem"));
    const config = {
      ...ready,
      signing_key: { ...ready.signing_key, private_key_file: "signing.key" },
      transport: { cert_file: "transport.pem", key_file: "transport.key", ca_file: "ca.pem" },
    };
    writeFileSync(path.join(stackDir, "doctor.yaml"), YAML.stringify(config));
    const other = path.join(work, "other.key");
    writeFileSync(
      other,
      generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }),
    );
    keys = {
      signing: String(ready.signing_key!.private_key_file),
      transport: String(t.key_file),
      other,
    };
    // `npx ob-dcr` stands for the project's installed ob-dcr: here, this repository's built CLI.
    mkdirSync(bin);
    writeFileSync(
      path.join(bin, "npx"),
      `#!/bin/sh\n[ "$1" = ob-dcr ] || { echo "npx $1: not in this test" >&2; exit 127; }\nshift\nexec "${process.execPath}" "${MAIN}" "$@"\n`,
      { mode: 0o755 },
    );
  });

  async function runSteps(scripts: string[], env: Record<string, string>) {
    const runnerTemp = mkdtempSync(path.join(work, "runner-"));
    rmSync(path.join(work, "doctor.json"), { force: true });
    return bashSteps(scripts, work, {
      PATH: `${bin}${path.delimiter}${process.env.PATH}`,
      HOME: process.env.HOME ?? work,
      STACK,
      RUNNER_TEMP: runnerTemp,
      GITHUB_STEP_SUMMARY: path.join(runnerTemp, "summary.md"),
      ...env,
    });
  }
  const doctorExit = () => {
    const r = JSON.parse(readFileSync(path.join(work, "doctor.json"), "utf8")) as {
      error?: { exit_code: number };
    };
    return r.error?.exit_code ?? 0;
  };

  const githubSteps = () => {
    const wf = YAML.parse(readFileSync(GITHUB, "utf8")) as Obj;
    const steps = ((wf.jobs as Record<string, Obj>).doctor!.steps as Obj[]).filter(
      (s) => typeof s.run === "string" && !String(s.run).startsWith("npm "),
    );
    expect(steps.map((s) => s.name)).toEqual(["Doctor config and keys", "ob-dcr doctor"]);
    return steps.map((s) => String(s.run));
  };
  const gitlabScript = () => {
    const job = resolveJob(YAML.parse(readFileSync(GITLAB, "utf8")) as Obj, "doctor");
    const lines = [job.before_script, job.script].flat().map(String);
    // One shell for before_script and script, as the runner does; npm ci/build already happened.
    return [lines.filter((l) => !l.startsWith("npm ")).join("\n")];
  };

  it("GitHub Actions: the step passes the doctor's exit code through (0, or 6 for an expiring certificate)", async () => {
    const r = await runSteps(githubSteps(), {
      OBDCR_SIGNING_KEY: readFileSync(keys.signing, "utf8"),
      OBDCR_TRANSPORT_KEY: readFileSync(keys.transport, "utf8"),
    });
    expect([0, 6], r.out).toContain(r.code);
    expect(r.code).toBe(doctorExit());
    expect(r.out).toMatch(/^ok {4}signing key published: /m);
    expect(r.out).toMatch(/^ok {4}bank reachable over mTLS: /m);
    expect(r.out).toContain(`ob-dcr doctor exit code: ${r.code}`);
  });

  it("GitHub Actions: a signing key the directory does not publish fails the job with exit 3", async () => {
    const r = await runSteps(githubSteps(), {
      OBDCR_SIGNING_KEY: readFileSync(keys.other, "utf8"),
      OBDCR_TRANSPORT_KEY: readFileSync(keys.transport, "utf8"),
    });
    expect(r.code, r.out).toBe(3);
    expect(doctorExit()).toBe(3);
    expect(r.out).toMatch(/^fail {2}/m);
  });

  it("GitLab CI: File variables, the same exit codes", async () => {
    const ok = await runSteps(gitlabScript(), {
      OBDCR_SIGNING_KEY: keys.signing,
      OBDCR_TRANSPORT_KEY: keys.transport,
    });
    expect([0, 6], ok.out).toContain(ok.code);
    expect(ok.code).toBe(doctorExit());
    expect(ok.out).toMatch(/^ok {4}directory token: /m);
    const bad = await runSteps(gitlabScript(), {
      OBDCR_SIGNING_KEY: keys.other,
      OBDCR_TRANSPORT_KEY: keys.transport,
    });
    expect(bad.code, bad.out).toBe(3);
  });
});

// --- The templates' preview / up / stack output steps, run as written on the real engine ---

describe("the Pulumi steps of both templates, run against the sandbox on a file backend", () => {
  // Under the repository (.pulumi-state is ignored): the dynamic provider host starts in the project
  // folder and must resolve `ob-dcr/resource-provider` from there, as in a team's own project.
  const project = mkdtempSync(path.join(ROOT, ".pulumi-state", "pipeline-"));
  afterAll(() => rmSync(project, { recursive: true, force: true }));
  const sb = sandboxForFile({ dataDir: path.join(project, "sb"), banks: ["sandbox-bank", "rfc7592-bank"] });
  const STACK = "payments-sandbox";
  let env: NodeJS.ProcessEnv = {};
  let signingPem = "";
  let transportPem = "";

  const runJob = (scripts: string[], extra: NodeJS.ProcessEnv = {}) =>
    bashSteps(scripts, project, { ...env, ...extra });
  const githubJob = (job: string) => {
    const wf = YAML.parse(readFileSync(GITHUB, "utf8")) as Obj;
    // Install steps (npm ci, setup, build) already ran for this repository.
    return ((wf.jobs as Record<string, Obj>)[job]!.steps as Obj[])
      .map((s) => s.run)
      .filter((r): r is string => typeof r === "string" && !r.startsWith("npm "));
  };

  beforeAll(async () => {
    ensureBuilt();
    const cli = JSON.parse(readFileSync(path.join(ROOT, ".pulumi-state/cli.json"), "utf8")) as {
      pulumi: string;
    };
    const runnerTemp = path.join(project, "runner");
    mkdirSync(runnerTemp);
    env = {
      // The pinned CLI first (what the install step puts on PATH), and the project's Node 24.
      PATH: [path.dirname(cli.pulumi), path.join(ROOT, "node_modules/.bin"), process.env.PATH].join(
        path.delimiter,
      ),
      HOME: process.env.HOME ?? project,
      STACK,
      PULUMI_WORK_DIR: ".",
      RUNNER_TEMP: runnerTemp,
      CI_PROJECT_DIR: project,
      PULUMI_BACKEND_URL: `file://${path.join(project, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "pipeline-test-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      NO_COLOR: "1",
    };
    mkdirSync(path.join(project, "state"));
    // The team's project: examples/multi-bank (built), its stack created once by hand with the
    // public config committed in Pulumi.<stack>.yaml.
    writeFileSync(
      path.join(project, "Pulumi.yaml"),
      YAML.stringify({
        name: "ob-dcr-pipeline",
        runtime: { name: "nodejs", options: { typescript: false } },
        main: path.relative(project, path.join(ROOT, "dist/examples/multi-bank/index.js")),
      }),
    );
    const m = sb.manifest;
    const sw = sb.sw;
    signingPem = readFileSync(sw.signing.private_key_file, "utf8");
    transportPem = readFileSync(sw.transport.key_file, "utf8");
    const config: Record<string, unknown> = {
      software: { softwareId: sw.software_id, orgId: sb.orgId, kid: sw.signing.kid },
      directory: {
        tokenEndpoint: m.directory.token_endpoint,
        ssaEndpoint: m.directory.ssa_endpoint_template,
        jwksUri: m.directory.jwks_uri,
      },
      transport: { certFile: sw.transport.cert_file, caFile: m.ca_cert_file },
      banks: m.banks.map((b) => ({ name: b.name, discoveryUrl: b.discovery_url, orgId: b.org_id })),
      redirectUris: sw.software_redirect_uris.slice(0, 1),
    };
    const init = await runJob([
      `pulumi stack init "$STACK"`,
      ...Object.entries(config).map(
        ([k, v]) => `pulumi config set --stack "$STACK" ob-dcr:${k} '${JSON.stringify(v)}'`,
      ),
    ]);
    expect(init.code, init.out).toBe(0);
  }, 120_000);

  const secrets = () => ({ OBDCR_SIGNING_KEY: signingPem, OBDCR_TRANSPORT_KEY: transportPem });

  it("GitHub preview job: the keys from the secret store, then the diff in the log", async () => {
    const r = await runJob(githubJob("preview"), secrets());
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/\+ pulumi-nodejs:dynamic\/ob-dcr:ObClientRegistration: \(create\)/);
    expect(r.out).toMatch(/\+ 3 to create/);
    // The keys became encrypted stack config, and nothing else printed them.
    const stackFile = readFileSync(path.join(project, `Pulumi.${STACK}.yaml`), "utf8");
    expect(stackFile).toMatch(/ob-dcr:signingPrivateKey:\n\s+secure: /);
    expect(stackFile).toMatch(/ob-dcr:transportKey:\n\s+secure: /);
    for (const pem of [signingPem, transportPem]) {
      expect(stackFile).not.toContain(pem.split("\n")[1]!);
      expect(r.out).not.toContain(pem.split("\n")[1]!);
    }
  });

  it("GitHub up job: registers at every bank and publishes the client ids", async () => {
    const r = await runJob(githubJob("up"), secrets());
    expect(r.code, r.out).toBe(0);
    const outputs = JSON.parse(
      readFileSync(path.join(env.RUNNER_TEMP!, "client-ids", `${STACK}.json`), "utf8"),
    );
    const ids = outputs.clientIds as Record<string, string>;
    expect(Object.keys(ids).sort()).toEqual(["rfc7592-bank", "sandbox-bank"]);
    for (const [bank, id] of Object.entries(ids))
      expect((await sb.admin.registrations(bank)).map((x) => x.client_id)).toEqual([id]);
    const state = readFileSync(
      path.join(project, "state/.pulumi/stacks/ob-dcr-pipeline", `${STACK}.json`),
      "utf8",
    );
    for (const pem of [signingPem, transportPem]) expect(state).not.toContain(pem.split("\n")[1]!);
  });

  it("GitLab up job (before_script, script, after_script): nothing to change, the same client ids", async () => {
    const job = resolveJob(YAML.parse(readFileSync(GITLAB, "utf8")) as Obj, "up");
    // npm ci / setup / build and the CLI installer already ran here; one shell for before_script
    // and script, a new one for after_script, as the runner does.
    const lines = (k: string) =>
      [job[k]]
        .flat()
        .map(String)
        .filter((l) => !/^(npm |curl )/.test(l));
    const keysDir = mkdtempSync(path.join(project, "files-"));
    writeFileSync(path.join(keysDir, "signing"), signingPem);
    writeFileSync(path.join(keysDir, "transport"), transportPem);
    const files = {
      OBDCR_SIGNING_KEY: path.join(keysDir, "signing"),
      OBDCR_TRANSPORT_KEY: path.join(keysDir, "transport"),
    };
    const r = await runJob([[...lines("before_script"), ...lines("script")].join("\n")], files);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/\b3 unchanged/);
    const after = await runJob([lines("after_script").join("\n")], files);
    expect(after.code, after.out).toBe(0);
    const outputs = JSON.parse(readFileSync(path.join(project, "client-ids", `${STACK}.json`), "utf8"));
    const github = JSON.parse(
      readFileSync(path.join(env.RUNNER_TEMP!, "client-ids", `${STACK}.json`), "utf8"),
    );
    expect(outputs).toEqual(github);
  });
});
