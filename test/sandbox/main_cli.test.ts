// `npm run sandbox` as a new user meets it (#27 finding 7): `--help` works, the default software's
// SSA lists a second redirect URI to change to, and `sandbox-config.mjs` without `--manifest`
// finds the running sandbox from a folder outside the repository (or says where it looked).
// Runs dist/sandbox/main.js (needs `npm run build`) with HOME in a temp folder.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeRun, ROOT, run } from "../package/offline_project.js";

const MAIN = path.join(ROOT, "dist", "sandbox", "main.js");
const CONFIG = path.join(ROOT, "examples", "yaml", "sandbox-config.mjs");

describe("npm run sandbox and sandbox-config.mjs", () => {
  const tmp = mkdtempSync(path.join(tmpdir(), "obdcr-sandbox-main-"));
  const home = path.join(tmp, "home");
  mkdirSync(home);
  let child: ChildProcess | undefined;
  const started: ChildProcess[] = [];

  afterAll(() => {
    for (const c of [child, ...started]) if (c?.pid && c.exitCode === null) c.kill("SIGTERM");
    rmSync(tmp, { recursive: true, force: true });
  });

  it("--help prints the options and exits 0", async () => {
    const r = await run(process.execPath, [MAIN, "--help"], {
      cwd: tmp,
      env: { ...process.env, HOME: home },
    });
    expect(r.code, describeRun("main.js --help", r)).toBe(0);
    for (const flag of ["--data-dir", "--port-base", "--ephemeral", "--no-log"])
      expect(r.stdout).toContain(flag);
  });

  it("on a Node older than 22.19 (the machine's, when it has one) it says which Node to use, not undici's TypeError", async () => {
    const old = ["/usr/bin/node", "/usr/local/bin/node"].find((n) => {
      const r = spawnSync(n, ["-p", "process.versions.node"], { encoding: "utf8" });
      return r.status === 0 && Number(r.stdout.split(".")[0]) < 22;
    });
    if (!old) return;
    const r = await run(old, [MAIN, "--help"], { cwd: tmp, env: { ...process.env, HOME: home } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^OBDCR_UNSUPPORTED_RUNTIME: ob-dcr needs Node\.js >= 22\.19\.0 .*npx ob-dcr-sandbox.*npm run sandbox/,
    );
    expect(r.stderr).not.toMatch(/TypeError/);
  });

  it("from an installed package without its optional peers, it names the npm install that adds them", async () => {
    // The package as installed (dist/ and package.json), beside a node_modules of every dependency
    // but the sandbox's optional peers, as `npm install ob-dcr` leaves it.
    const app = path.join(tmp, "installed");
    const pkg = path.join(app, "node_modules", "ob-dcr");
    mkdirSync(pkg, { recursive: true });
    cpSync(path.join(ROOT, "dist"), path.join(pkg, "dist"), { recursive: true });
    copyFileSync(path.join(ROOT, "package.json"), path.join(pkg, "package.json"));
    const peers = new Set(["@peculiar", "reflect-metadata", "ob-dcr"]);
    for (const name of readdirSync(path.join(ROOT, "node_modules")))
      if (!peers.has(name) && !name.startsWith("."))
        symlinkSync(path.join(ROOT, "node_modules", name), path.join(app, "node_modules", name));
    const r = await run(
      process.execPath,
      [path.join(pkg, "dist", "sandbox", "main.js"), "--data-dir", path.join(tmp, "sb-peers"), "--ephemeral"],
      { cwd: app, env: { ...process.env, HOME: home } },
    );
    expect(r.code, describeRun("main.js without the peers", r)).toBe(1);
    expect(r.stderr).toMatch(
      /^OBDCR_UNSUPPORTED_RUNTIME: the sandbox needs (@peculiar\/[\w-]+|reflect-metadata), one of its optional peers.*Fix: `npm install -D @peculiar\/x509 @peculiar\/asn1-schema @peculiar\/asn1-x509 reflect-metadata`/,
    );
    expect(r.stderr).not.toMatch(/Require stack/);
  });

  it("a port that is taken: it names the port and the running sandbox, and the options that choose other ports", async () => {
    // A home of its own: the record of a running sandbox names this test process.
    const ownHome = path.join(tmp, "home-ports");
    mkdirSync(path.join(ownHome, ".cache", "ob-dcr"), { recursive: true });
    const manifest = "/elsewhere/.sandbox/manifest.json";
    writeFileSync(
      path.join(ownHome, ".cache", "ob-dcr", "sandbox.json"),
      JSON.stringify({ pid: process.pid, manifest }),
    );
    // A free port low enough for --port-base (at most 65500), held here.
    const holder = createServer();
    let port = 0;
    for (;;) {
      await new Promise<void>((r) => holder.listen(0, "127.0.0.1", r));
      port = (holder.address() as { port: number }).port;
      if (port <= 65500) break;
      await new Promise((r) => holder.close(r));
    }
    try {
      const r = await run(
        process.execPath,
        [MAIN, "--port-base", String(port), "--data-dir", path.join(tmp, "sb-ports"), "--no-log"],
        { cwd: tmp, env: { ...process.env, HOME: ownHome } },
      );
      expect(r.code, describeRun("main.js on a taken port", r)).toBe(1);
      expect(r.stderr).toBe(
        `sandbox failed to start: port ${port} on 127.0.0.1 is already in use; an ob-dcr sandbox runs as pid ${process.pid} (manifest ${manifest}). ` +
          "Fix: stop what holds it, or start with --port-base N (it takes N to N+23) or --ephemeral " +
          "(free ports; the CLI configs in <data dir>/cli/ follow).\n",
      );
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });

  it("sandbox-config.mjs finds the running sandbox from elsewhere, or says where it looked", async () => {
    // A project outside the repository, and a `pulumi` that records what it is asked.
    const project = path.join(tmp, "project");
    mkdirSync(project);
    writeFileSync(path.join(project, "Pulumi.yaml"), "name: obdcr-yaml\nruntime: yaml\n");
    const bin = path.join(tmp, "bin");
    mkdirSync(bin);
    const log = path.join(tmp, "pulumi.log");
    // It reads stdin only when given a secret there (the signing key is piped, never an argument).
    writeFileSync(
      path.join(bin, "pulumi"),
      `#!/bin/sh\necho "$*" >> "${log}"\nif [ "$3" = "--secret" ]; then cat > /dev/null; fi\n`,
    );
    chmodSync(path.join(bin, "pulumi"), 0o755);
    const env = { ...process.env, HOME: home, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` };

    const none = await run(process.execPath, [CONFIG], { cwd: project, env });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no sandbox manifest found: not in \.sandbox\/ of .*project.*--manifest/);

    const dataDir = path.join(tmp, "sb");
    child = spawn(process.execPath, [MAIN, "--ephemeral", "--no-log", "--data-dir", dataDir], {
      env: { ...process.env, HOME: home },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on("data", (d) => {
        out += String(d);
        if (out.includes("server:")) resolve();
      });
      child!.on("exit", (code) => reject(new Error(`sandbox exited ${code}: ${out}`)));
    });
    const manifestPath = path.join(dataDir, "manifest.json");
    expect(out).toContain(manifestPath);
    // The default software's SSA: a second redirect URI to change to.
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
      orgs: { softwares: { software_redirect_uris: string[] }[] }[];
    };
    expect(manifest.orgs[0]!.softwares[0]!.software_redirect_uris).toEqual([
      "https://tpp.example.com/callback",
      "https://tpp.example.com/callback2",
    ]);

    const found = await run(process.execPath, [CONFIG], { cwd: project, env });
    expect(found.code, describeRun("sandbox-config.mjs", found)).toBe(0);
    expect(found.stdout).toContain(`from ${manifestPath}`);
    expect(readFileSync(log, "utf8")).toMatch(/config set-all --json/);

    child.kill("SIGTERM");
    await new Promise((r) => child!.once("exit", r));
  }, 180_000);

  it("a second sandbox: a port in use is named with the options that move it; stopping one keeps the other's record", async () => {
    const home2 = path.join(tmp, "home2");
    mkdirSync(home2);
    const env = { ...process.env, HOME: home2 };
    const record = path.join(home2, ".cache", "ob-dcr", "sandbox.json");
    const start = async (name: string): Promise<ChildProcess> => {
      const c = spawn(
        process.execPath,
        [MAIN, "--ephemeral", "--no-log", "--data-dir", path.join(tmp, name)],
        {
          env,
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      started.push(c);
      let out = "";
      await new Promise<void>((resolve, reject) => {
        c.stdout!.on("data", (d) => {
          out += String(d);
          if (out.includes("server:")) resolve();
        });
        c.on("exit", (code) => reject(new Error(`sandbox exited ${code}: ${out}`)));
      });
      return c;
    };
    const stop = async (c: ChildProcess) => {
      const exited = new Promise((r) => c.once("exit", r));
      c.kill("SIGTERM");
      await exited;
    };
    const a = await start("sb-a");
    const b = await start("sb-b");
    const pidIn = () => (JSON.parse(readFileSync(record, "utf8")) as { pid: number }).pid;
    expect(pidIn()).toBe(b.pid); // the last one started
    // Stopping the first took the second's record with it: sandbox-config.mjs then found no sandbox.
    await stop(a);
    expect(pidIn()).toBe(b.pid);

    // A port that the running one holds: which port, and how to start elsewhere.
    const held = JSON.parse(readFileSync(path.join(tmp, "sb-b", "manifest.json"), "utf8")) as {
      directory: { base_url: string };
    };
    const port = new URL(held.directory.base_url).port;
    const r = await run(
      process.execPath,
      [MAIN, "--no-log", "--data-dir", path.join(tmp, "sb-c"), "--port-base", port],
      { cwd: tmp, env },
    );
    expect(r.code, describeRun("main.js on a port in use", r)).toBe(1);
    expect(r.stderr).toMatch(
      /^sandbox failed to start: port \d+ on [^ ]+ is already in use; an ob-dcr sandbox runs as pid \d+ \(manifest [^)]+\)\. Fix: stop what holds it, or start with --port-base N \(it takes N to N\+23\) or --ephemeral/,
    );
    expect(pidIn()).toBe(b.pid);
    await stop(b);
    expect(existsSync(record)).toBe(false);
  }, 180_000);
});
