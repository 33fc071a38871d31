// docs/pipelines.md: a team's own project, made from a copy of examples/multi-bank as the block
// `pipelines-project` says (read from the doc, run as written, installed offline from the packed
// tarball), outside this repository. Its stack is set up as "One stack per software and
// environment" says, then the GitHub `up` job's steps (the keys piped into secret config, `pulumi
// up`, `pulumi stack output --json`) run twice against the sandbox: the first registers at both
// banks, the second changes nothing. Neither run warns about the copied project (a `main` that
// names this repository's build) nor fails to load it (`Cannot find module './program.js'`).
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { cliInfo } from "../../scripts/lib/pulumi_stack.js";
import { ensureBuilt } from "../cli/helpers.js";
import { docBlock, type Installers, runBlock } from "../docs/blocks.js";
import {
  describeRun,
  nodeOnlyBin,
  npm,
  packRepo,
  ROOT,
  repoLock,
  userEnv,
  writeOfflineProject,
} from "../package/offline_project.js";
import { sandboxForFile } from "../support/hooks.js";

const STACK = "payments-sandbox";
const GITHUB = path.join(ROOT, "examples/pipelines/github-actions.yml");

async function bash(script: string, cwd: string, env: NodeJS.ProcessEnv) {
  const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { code, out };
}

describe("docs/pipelines.md: the team's project from a copy of examples/multi-bank", () => {
  const tmp = mkdtempSync(path.join(tmpdir(), "ob-dcr-pipeline-project-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const sb = sandboxForFile({ dataDir: path.join(tmp, "sb"), banks: ["sandbox-bank", "rfc7592-bank"] });
  const project = path.join(tmp, "my-banks");
  let env: NodeJS.ProcessEnv = {};
  let signingPem = "";
  let transportPem = "";

  /** The steps of the GitHub `up` job after the install steps (which ran for this repository). */
  const upSteps = () => {
    const wf = YAML.parse(readFileSync(GITHUB, "utf8")) as {
      jobs: Record<string, { steps: { run?: string }[] }>;
    };
    return wf.jobs.up!.steps.map((s) => s.run).filter((r): r is string => !!r && !r.startsWith("npm "));
  };
  const runUpJob = async () => {
    const secrets = { OBDCR_SIGNING_KEY: signingPem, OBDCR_TRANSPORT_KEY: transportPem };
    let out = "";
    for (const step of upSteps()) {
      const r = await bash(step, project, { ...env, ...secrets });
      out += r.out;
      if (r.code !== 0) return { code: r.code, out };
    }
    return { code: 0, out };
  };

  beforeAll(async () => {
    ensureBuilt();
    const base = userEnv();
    // What setup-node and pulumi/actions put first on PATH: Node 24 and the pinned CLI.
    base.PATH = [
      nodeOnlyBin(path.join(tmp, "node-bin")),
      path.dirname(cliInfo().pulumi),
      ...(process.env.PATH ?? "").split(path.delimiter).filter((p) => !p.includes("node_modules")),
    ].join(path.delimiter);
    const { tarball } = await packRepo(path.join(tmp, "pack"), base);
    mkdirSync(project);
    const installers: Installers = {
      async npmInstall(cwd, names) {
        const lock = repoLock();
        for (const n of names)
          if (n !== "ob-dcr" && !lock.packages[`node_modules/${n}`])
            throw new Error(`npm install ${n}: not in the repository's package-lock.json`);
        // npm keeps what package.json already holds besides its dependencies (a copied `main`).
        const file = path.join(cwd, "package.json");
        const {
          dependencies: _d,
          devDependencies: _dd,
          ...have
        } = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
        writeOfflineProject({
          dir: cwd,
          manifest: { name: path.basename(cwd), ...have },
          tarball,
          dependencies: names.filter((n) => n !== "ob-dcr"),
        });
        const r = await npm(["ci", "--offline", "--ignore-scripts"], cwd, base);
        if (r.code !== 0) throw new Error(describeRun("npm ci --offline", r));
      },
      async pipInstall() {
        throw new Error("no pip install in this block");
      },
    };
    await runBlock(
      docBlock("docs/pipelines.md", "pipelines-project").text,
      project,
      { ...base, OB_DCR: ROOT },
      installers,
    );

    // The stack, created once by hand (docs/pipelines.md, "One stack per software and environment"):
    // the public material committed next to Pulumi.<stack>.yaml.
    const m = sb.manifest;
    const sw = sb.sw;
    signingPem = readFileSync(sw.signing.private_key_file, "utf8");
    transportPem = readFileSync(sw.transport.key_file, "utf8");
    symlinkSync(sw.transport.cert_file, path.join(project, "transport.pem"));
    symlinkSync(m.ca_cert_file, path.join(project, "ca.pem"));
    mkdirSync(path.join(tmp, "state"));
    env = {
      ...base,
      STACK,
      RUNNER_TEMP: path.join(tmp, "runner"),
      PULUMI_BACKEND_URL: `file://${path.join(tmp, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "pipeline-project-test",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      NO_COLOR: "1",
    };
    mkdirSync(env.RUNNER_TEMP!);
    const config: Record<string, unknown> = {
      software: { softwareId: sw.software_id, orgId: sb.orgId, kid: sw.signing.kid },
      directory: {
        tokenEndpoint: m.directory.token_endpoint,
        ssaEndpoint: m.directory.ssa_endpoint_template,
        jwksUri: m.directory.jwks_uri,
      },
      transport: { certFile: "transport.pem", caFile: "ca.pem" },
      banks: m.banks.map((b) => ({ name: b.name, discoveryUrl: b.discovery_url, orgId: b.org_id })),
    };
    const init = await bash(
      [
        `pulumi stack init "$STACK" --secrets-provider passphrase`,
        ...Object.entries(config).map(([k, v]) => `pulumi config set ob-dcr:${k} '${JSON.stringify(v)}'`),
      ].join("\n"),
      project,
      env,
    );
    expect(init.code, init.out).toBe(0);
  }, 300_000);

  it("the workflow copied into the project passes the clone's actionlint script, run from there", async () => {
    // actionlint is built on first use (scripts/actionlint.mjs): up to 10 minutes on a cold machine.
    const none = () => Promise.reject(new Error("the lint block installs nothing"));
    const results = await runBlock(
      docBlock("docs/pipelines.md", "pipelines-lint").text,
      project,
      { ...env, OB_DCR: ROOT },
      { npmInstall: none, pipInstall: none },
    );
    const lint = results.at(-1)!;
    expect(lint.line).toMatch(/actionlint\.mjs/);
    expect(lint.result.code).toBe(0);
    expect(`${lint.result.stdout}${lint.result.stderr}`.trim()).toBe("");
    expect(readFileSync(path.join(project, ".github/workflows/ob-dcr.yml"), "utf8")).toBe(
      readFileSync(GITHUB, "utf8"),
    );
    // The same command finds a broken copy: the linter really ran on the project's file.
    const wf = path.join(project, ".github/workflows/ob-dcr.yml");
    writeFileSync(wf, readFileSync(GITHUB, "utf8").replace("runs-on: ubuntu-24.04", "run-on: ubuntu-24.04"));
    const broken = await bash(lint.line, project, { ...env, OB_DCR: ROOT });
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/unexpected key "run-on"/);
  }, 660_000);

  it("the up job registers at both banks; a second run changes nothing", async () => {
    const first = await runUpJob();
    expect(first.code, first.out).toBe(0);
    expect(first.out).not.toMatch(/Could not find entry point|Cannot find module|DEP0128/);
    expect(first.out).toMatch(/\+ 3 created/);
    const outputs = JSON.parse(
      readFileSync(path.join(env.RUNNER_TEMP!, "client-ids", `${STACK}.json`), "utf8"),
    ) as { clientIds: Record<string, string> };
    expect(Object.keys(outputs.clientIds).sort()).toEqual(["rfc7592-bank", "sandbox-bank"]);
    for (const [bank, id] of Object.entries(outputs.clientIds))
      expect((await sb.admin.registrations(bank)).map((x) => x.client_id)).toEqual([id]);
    for (const pem of [signingPem, transportPem]) expect(first.out).not.toContain(pem.split("\n")[1]!);

    const second = await runUpJob();
    expect(second.code, second.out).toBe(0);
    expect(second.out).toMatch(/\b3 unchanged/);
    expect(second.out).not.toMatch(/Could not find entry point|DEP0128/);
  }, 300_000);
});
