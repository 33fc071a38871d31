// The sandbox as a user of the installed package meets it: `npm pack` of the built repo, installed
// offline into a new project with the sandbox's optional peers, the sandbox started from
// node_modules/ob-dcr as the README says, and the CLI run against it with the docs' own paths
// (`ob-dcr run -c .sandbox/cli/sandbox-bank.json`). Its data (CA, keys, registrations) must live
// outside node_modules, which `npm ci` replaces, and survive a reinstall. Needs `npm run build`.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Agent, fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultDataDir } from "../../sandbox/options.js";
import {
  describeRun,
  nodeOnlyBin,
  npm,
  packRepo,
  ROOT,
  type RunResult,
  run,
  userEnv,
  writeOfflineProject,
} from "./offline_project.js";

const SANDBOX_PEERS = ["@peculiar/asn1-schema", "@peculiar/asn1-x509", "@peculiar/x509", "reflect-metadata"];

interface Running {
  child: ChildProcess;
  out: string;
  manifest: string;
  ca: string;
}

describe("the sandbox from the installed package", () => {
  const tmp = mkdtempSync(path.join(tmpdir(), "ob-dcr-installed-sandbox-"));
  const project = path.join(tmp, "project");
  const home = path.join(tmp, "home"); // ~/.cache/ob-dcr/sandbox.json lands here, not in the real home
  let env: NodeJS.ProcessEnv; // npm's (its cache is under the real home)
  let userShell: NodeJS.ProcessEnv; // the sandbox's and the CLI's
  let sandbox: Running | undefined;

  const ok = (what: string, r: RunResult) => {
    if (r.code !== 0) throw new Error(describeRun(what, r));
    return r;
  };

  /** `npx ob-dcr-sandbox` in the project (the bin npx runs), as README "A first program against the sandbox". */
  const start = async (): Promise<Running> => {
    const child = spawn(
      path.join(project, "node_modules", ".bin", "ob-dcr-sandbox"),
      ["--ephemeral", "--no-log"],
      {
        cwd: project,
        env: userShell,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the sandbox did not start: ${out}`)), 60_000);
      child.stdout!.on("data", (d) => {
        out += String(d);
        if (out.includes("server:")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr!.on("data", (d) => (out += String(d)));
      child.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the sandbox exited ${code}: ${out}`));
      });
    });
    const field = (name: string) => new RegExp(`^${name}:\\s+(\\S+)$`, "m").exec(out)?.[1] ?? "";
    return { child, out, manifest: field("manifest"), ca: field("CA") };
  };
  const stop = async (s: Running | undefined) => {
    if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
    const exited = new Promise((r) => s.child.once("exit", r));
    s.child.kill("SIGTERM");
    await exited;
  };

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, "dist", "sandbox", "main.js"))) {
      throw new Error("dist/ is missing: run `npm run build` before this test (npm test does)");
    }
    env = userEnv();
    env.PATH = `${nodeOnlyBin(path.join(tmp, "node-bin"))}${path.delimiter}${process.env.PATH ?? ""}`;
    userShell = { ...env, HOME: home };
    mkdirSync(home);
    const { tarball } = await packRepo(path.join(tmp, "pack"), env);
    writeOfflineProject({
      dir: project,
      manifest: { name: "my-banks", private: true },
      tarball,
      devDependencies: SANDBOX_PEERS,
    });
    ok("npm ci --offline", await npm(["ci", "--offline"], project, env));
  }, 180_000);

  afterAll(async () => {
    await stop(sandbox);
    rmSync(tmp, { recursive: true, force: true });
  });

  it("a clone keeps .sandbox/ at the repository root, wherever it runs from", () => {
    expect(defaultDataDir(ROOT, tmp)).toBe(path.join(ROOT, ".sandbox"));
    expect(defaultDataDir(path.join(project, "node_modules", "ob-dcr"), project)).toBe(
      path.join(project, ".sandbox"),
    );
  });

  it("its bin `ob-dcr-sandbox` is installed and its --help names itself, not a checkout's `npm run sandbox`", async () => {
    const r = await run(path.join(project, "node_modules", ".bin", "ob-dcr-sandbox"), ["--help"], {
      cwd: project,
      env: userShell,
    });
    expect(r.code, describeRun("ob-dcr-sandbox --help", r)).toBe(0);
    expect(r.stdout).toMatch(/^npx ob-dcr-sandbox \[options\]/);
    expect(r.stdout).toContain("--data-dir");
  });

  it("the READMEs it ships (its own, the Python SDK's) start the sandbox with that bin and the peers this project installed", () => {
    const installed = path.join(project, "node_modules", "ob-dcr");
    for (const readme of ["README.md", path.join("sdk", "python", "README.md")]) {
      const text = readFileSync(path.join(installed, readme), "utf8");
      expect(text, readme).toContain("npx ob-dcr-sandbox");
      expect(text, readme).toContain(
        "npm install -D @peculiar/x509 @peculiar/asn1-schema @peculiar/asn1-x509 reflect-metadata",
      );
    }
    for (const peer of SANDBOX_PEERS)
      expect(existsSync(path.join(project, "node_modules", peer)), peer).toBe(true);
  });

  it("keeps its data in .sandbox/ of the current folder, not in node_modules, and out of git; the CLI registers with the docs' paths; the CA survives `npm ci`", async () => {
    // The project is a git repository, as a user's usually is.
    ok("git init", await run("git", ["init", "-q"], { cwd: project, env: userShell }));
    sandbox = await start();
    const dataDir = path.join(project, ".sandbox");
    expect(sandbox.manifest).toBe(path.join(dataDir, "manifest.json"));
    expect(sandbox.ca).toBe(path.join(dataDir, "pki", "ca.cert.pem"));
    expect(existsSync(path.join(project, "node_modules", "ob-dcr", ".sandbox"))).toBe(false);
    // Its keys would be committed with the project: git ignores the folder the sandbox made.
    const status = ok(
      "git status",
      await run("git", ["status", "--porcelain", "--untracked-files=all", "--", ".sandbox"], {
        cwd: project,
        env: userShell,
      }),
    );
    expect(status.stdout).toBe("");

    // docs/cli.md and README "CLI", as written, from the project folder.
    const obDcr = path.join(project, "node_modules", ".bin", "ob-dcr");
    const config = path.join(".sandbox", "cli", "sandbox-bank.json");
    const reg = await run(obDcr, ["run", "-c", config, "--state", "state.json", "--json"], {
      cwd: project,
      env: userShell,
    });
    expect(reg.code, describeRun("ob-dcr run", reg)).toBe(0);
    const clientId = (
      JSON.parse(readFileSync(path.join(project, "state.json"), "utf8")) as { client_id: string }
    ).client_id;
    const manifest = JSON.parse(readFileSync(sandbox.manifest, "utf8")) as { admin_url: string };
    const agent = new Agent({ connect: { ca: readFileSync(sandbox.ca) } });
    const held = async () => {
      const r = await fetch(`${manifest.admin_url}/admin/banks/sandbox-bank/registrations`, {
        dispatcher: agent,
      });
      return ((await r.json()) as { client_id: string }[]).map((c) => c.client_id);
    };
    expect(await held()).toEqual([clientId]);
    const del = await run(obDcr, ["delete", "-c", config, "--state", "state.json", "--json"], {
      cwd: project,
      env: userShell,
    });
    expect(del.code, describeRun("ob-dcr delete", del)).toBe(0);
    expect(await held()).toEqual([]);
    await agent.close();

    // A reinstall replaces node_modules/ob-dcr: the CA a user trusts stays the same.
    const ca = readFileSync(sandbox.ca, "utf8");
    await stop(sandbox);
    ok("npm ci --offline (again)", await npm(["ci", "--offline"], project, env));
    sandbox = await start();
    expect(sandbox.ca).toBe(path.join(dataDir, "pki", "ca.cert.pem"));
    expect(readFileSync(sandbox.ca, "utf8")).toBe(ca);
    await stop(sandbox);
  }, 240_000);
});
