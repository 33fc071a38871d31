// The package as users get it: `npm pack` of the built repo, installed WITHOUT the network into
// (1) a new Pulumi TypeScript project (`pulumi new typescript` layout) that runs a real
// `pulumi up` and `pulumi destroy` against the sandbox with the Pulumi CLI from `npm run setup`,
// and (2) a CLI-only project without @pulumi/pulumi, whose `ob-dcr` registers and deletes.
// The sandbox's own list of registrations is the ground truth. Needs `npm run build` first.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../sandbox/index.js";
import { cliInfo, DEMO_PASSPHRASE } from "../../scripts/lib/pulumi_stack.js";
import {
  describeRun,
  nodeOnlyBin,
  npm,
  type PackageJson,
  packRepo,
  ROOT,
  type RunResult,
  repoPackage,
  run,
  TSCONFIG,
  userEnv,
  writeOfflineProject,
} from "./offline_project.js";

const SANDBOX_PEERS = ["@peculiar/asn1-schema", "@peculiar/asn1-x509", "@peculiar/x509", "reflect-metadata"];
const PULUMI_BANK = "pulumi-bank";
const CLI_BANK = "cli-bank";
const PROJECT = "ob-dcr-packed";
const STACK = "dev";

// `pulumi new typescript`, with the program declaring one registration at a sandbox bank.
const PULUMI_YAML = `name: ${PROJECT}
description: A Pulumi TypeScript program using ob-dcr as installed from npm
runtime:
  name: nodejs
  options:
    packagemanager: npm
config:
  pulumi:tags:
    value:
      pulumi:template: typescript
`;

const INDEX_TS = `import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { ObClientRegistration } from "ob-dcr/pulumi";
import type { SandboxManifest } from "ob-dcr/sandbox";

const config = new pulumi.Config();
const manifest: SandboxManifest = JSON.parse(readFileSync(config.require("sandboxManifest"), "utf8"));
const org = manifest.orgs[0];
const software = org.softwares[0];
const bank = manifest.banks.find((b) => b.name === config.require("bank"));
if (!bank) throw new Error("the sandbox manifest has no bank " + config.require("bank"));

const registration = new ObClientRegistration("sandbox-bank", {
  profile: "obie-3.2",
  bank: { discoveryUrl: bank.discovery_url, orgId: bank.org_id },
  directory: {
    tokenEndpoint: manifest.directory.token_endpoint,
    ssaEndpoint: manifest.directory.ssa_endpoint_template,
    jwksUri: manifest.directory.jwks_uri,
  },
  software: { softwareId: software.software_id, orgId: org.org_id },
  signingKey: { kid: software.signing.kid, alg: "PS256", privateKeyFile: software.signing.private_key_file },
  transport: {
    certFile: software.transport.cert_file,
    keyFile: software.transport.key_file,
    caFile: manifest.ca_cert_file,
  },
  client: {
    redirectUris: [software.software_redirect_uris[0]],
    scope: "openid accounts",
    tokenEndpointAuthMethod: "private_key_jwt",
  },
});

export const clientId = registration.clientId;
`;

// Loads every subpath the package exports, from the installed copy, and checks one export of each.
const SUBPATHS_JS = `const pkg = require("ob-dcr/package.json");
const expected = {
  ".": "createRegistration",
  "./core": "RegistrationParams",
  "./http": "createRegistration",
  "./pulumi": "ObClientRegistration",
  "./resource-provider": "registrationProvider",
  "./resource-provider/stub": "create",
  "./sandbox": "startSandbox",
};
const out = {};
for (const sub of Object.keys(pkg.exports)) {
  if (sub === "./package.json") continue;
  const spec = sub === "." ? "ob-dcr" : "ob-dcr/" + sub.slice(2);
  const file = require.resolve(spec);
  const mod = require(spec);
  out[sub] = { file, has: expected[sub] ? expected[sub] in mod : null };
}
console.log(JSON.stringify(out));
`;

// CLI-only use: the core loads; the Pulumi and sandbox subpaths say which package is missing.
const CLI_ONLY_JS = `const out = {};
for (const spec of ["ob-dcr", "ob-dcr/core", "ob-dcr/http", "ob-dcr/pulumi", "ob-dcr/sandbox"]) {
  try {
    require(spec);
    out[spec] = "ok";
  } catch (e) {
    out[spec] = e.code + ": " + e.message.split("\\n")[0];
  }
}
console.log(JSON.stringify(out));
`;

describe("npm pack, installed offline into new projects", () => {
  const tmp = mkdtempSync(path.join(tmpdir(), "ob-dcr-pack-"));
  const pulumiDir = path.join(tmp, "pulumi-project");
  const cliDir = path.join(tmp, "cli-project");
  const backendDir = path.join(tmp, "backend");
  const pkg: PackageJson = repoPackage();
  let sandbox: Sandbox;
  let tarball: string;
  let packedFiles: string[] = [];
  let nodeBin: string;
  let baseEnv: NodeJS.ProcessEnv;

  const npmIn = (args: string[], cwd: string) => npm(args, cwd, baseEnv);
  const registered = async (bank: string) =>
    (await sandbox.admin.registrations(bank)).map((r) => r.client_id).sort();
  const ok = (what: string, r: RunResult) => {
    if (r.code !== 0) throw new Error(describeRun(what, r));
    return r;
  };

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, "dist", "provider", "cli", "main.js"))) {
      throw new Error("dist/ is missing: run `npm run build` before this test (npm test does)");
    }
    const major = Number(process.versions.node.split(".")[0]);
    if (major < 22) throw new Error(`needs Node >= 22 (this is ${process.version}): run through npm`);
    nodeBin = nodeOnlyBin(path.join(tmp, "node-bin"));
    baseEnv = userEnv();
    baseEnv.PATH = `${nodeBin}${path.delimiter}${process.env.PATH ?? ""}`;
    // The Pulumi CLI: `npm test` runs `npm run setup` first; run alone after `npm install && npm
    // run build`, this does the same (finds an installed CLI in well under a second).
    if (!existsSync(path.join(ROOT, ".pulumi-state", "cli.json"))) {
      ok("npm run setup", await run(process.execPath, ["scripts/setup.mjs"], { cwd: ROOT, env: baseEnv }));
    }

    // 1. Pack the build as it is (the prepack build already ran as `npm run build`; running it
    //    here would rebuild dist/ under the other test files).
    ({ tarball, files: packedFiles } = await packRepo(path.join(tmp, "pack"), baseEnv));

    sandbox = await startSandbox({
      dataDir: path.join(tmp, "sandbox"),
      banks: [{ name: PULUMI_BANK }, { name: CLI_BANK }],
    });

    // 2. The two projects, installed from the npm cache only.
    mkdirSync(pulumiDir);
    writeFileSync(path.join(pulumiDir, "Pulumi.yaml"), PULUMI_YAML);
    writeFileSync(path.join(pulumiDir, "tsconfig.json"), `${JSON.stringify(TSCONFIG, null, 4)}\n`);
    writeFileSync(path.join(pulumiDir, "index.ts"), INDEX_TS);
    writeFileSync(path.join(pulumiDir, "subpaths.js"), SUBPATHS_JS);
    writeOfflineProject({
      dir: pulumiDir,
      manifest: { name: PROJECT, main: "index.ts" },
      tarball,
      dependencies: ["@pulumi/pulumi"],
      // The sandbox is test tooling: its optional peers go with the dev dependencies.
      devDependencies: ["@types/node", "typescript", ...SANDBOX_PEERS],
    });
    mkdirSync(cliDir);
    writeFileSync(path.join(cliDir, "cli_only.js"), CLI_ONLY_JS);
    writeOfflineProject({ dir: cliDir, manifest: { name: "ob-dcr-cli-only", private: true }, tarball });
    // The CLI-only project is installed as on a machine without build tools: only node and sh on
    // PATH (no python3, make or C compiler for node-gyp), npm run by this Node.
    const noTools = nodeOnlyBin(path.join(tmp, "no-build-tools"));
    symlinkSync("/bin/sh", path.join(noTools, "sh"));
    const npmCli = realpathSync(
      (await run("sh", ["-c", "command -v npm"], { cwd: tmp, env: baseEnv })).stdout.trim(),
    );
    const [a, b] = await Promise.all([
      npmIn(["ci", "--offline"], pulumiDir),
      run(process.execPath, [npmCli, "ci", "--offline", "--no-audit", "--no-fund", "--no-update-notifier"], {
        cwd: cliDir,
        env: { ...baseEnv, PATH: noTools },
      }),
    ]);
    ok("npm ci --offline (Pulumi project)", a);
    ok("npm ci --offline (CLI-only project)", b);
  });

  afterAll(async () => {
    await sandbox?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("the tarball holds package.json, the README, LICENSE, CHANGELOG, the build of provider/ and sandbox/ and the Python SDK, nothing else", () => {
    for (const f of ["package.json", "README.md", "LICENSE", "CHANGELOG.md"])
      expect(packedFiles).toContain(f);
    // The Python SDK, so `pip install node_modules/ob-dcr/sdk/python` needs no clone of the repository.
    expect(packedFiles).toContain("sdk/python/setup.py");
    expect(packedFiles).toContain("sdk/python/pulumi_obdcr/__init__.py");
    const strays = packedFiles.filter(
      (f) =>
        !["package.json", "README.md", "LICENSE", "CHANGELOG.md"].includes(f) &&
        f !== "bin/pulumi-resource-obdcr" && // the native provider plugin's wrapper
        !/^sdk\/python\/(setup\.py$|README\.md$|LICENSE$|pulumi_obdcr\/)/.test(f) && // the Python SDK, for `pip install node_modules/ob-dcr/sdk/python`
        !/^dist\/(provider|sandbox)\//.test(f),
    );
    expect(strays).toEqual([]);
    expect(
      packedFiles.filter(
        (f) => !/\.(js|d\.ts)$/.test(f) && f.startsWith("dist/") && f !== "dist/provider/native/schema.json",
      ),
    ).toEqual([]);
    expect(packedFiles.filter((f) => /\.test\.|\/test\//.test(f))).toEqual([]);
    // Every entry point is in it.
    const targets = [pkg.main, pkg.types, ...Object.values(pkg.bin ?? {})];
    for (const [sub, target] of Object.entries(pkg.exports ?? {})) {
      if (typeof target === "string") targets.push(target);
      else targets.push(target.types, target.default);
      expect(sub).toMatch(/^\.(\/[a-z-]+)*(\.json)?$/);
    }
    for (const t of targets) expect(packedFiles, String(t)).toContain(path.posix.normalize(String(t)));
  });

  it("a Pulumi TypeScript project type-checks against it (module nodenext; node10 resolution through typesVersions) and loads every exported subpath", async () => {
    const installed = path.join(pulumiDir, "node_modules", "ob-dcr");
    expect(existsSync(path.join(installed, "dist", "provider", "pulumi.js"))).toBe(true);
    // A copy of the tarball's content, not a link to the repo.
    expect(readFileSync(path.join(installed, "package.json"), "utf8")).toBe(
      readFileSync(path.join(ROOT, "package.json"), "utf8"),
    );
    const tsc = await run(
      process.execPath,
      [path.join("node_modules", "typescript", "bin", "tsc"), "--noEmit"],
      {
        cwd: pulumiDir,
        env: baseEnv,
      },
    );
    expect(tsc.code, describeRun("tsc --noEmit", tsc)).toBe(0);
    // Node10 resolution (ts-node without a tsconfig, older templates) finds the subpaths' types
    // through typesVersions.
    const node10 = await run(
      process.execPath,
      [
        path.join("node_modules", "typescript", "bin", "tsc"),
        "--noEmit",
        "--ignoreConfig",
        "--module",
        "commonjs",
        "--moduleResolution",
        "node10",
        "--ignoreDeprecations",
        "6.0",
        "--esModuleInterop",
        "--skipLibCheck",
        "--types",
        "node",
        "index.ts",
      ],
      { cwd: pulumiDir, env: baseEnv },
    );
    expect(node10.code, describeRun("tsc --noEmit (node10 resolution)", node10)).toBe(0);

    const sub = ok(
      "subpaths.js",
      await run(process.execPath, ["subpaths.js"], { cwd: pulumiDir, env: baseEnv }),
    );
    const loaded = JSON.parse(sub.stdout) as Record<string, { file: string; has: boolean | null }>;
    expect(Object.keys(loaded).sort()).toEqual(
      Object.keys(pkg.exports ?? {})
        .filter((s) => s !== "./package.json")
        .sort(),
    );
    for (const [s, { file, has }] of Object.entries(loaded)) {
      expect(file.startsWith(installed + path.sep), `${s} resolves inside node_modules/ob-dcr: ${file}`).toBe(
        true,
      );
      expect(has, `${s} exports what the docs say`).not.toBe(false);
    }
    const version = await run(path.join(pulumiDir, "node_modules", ".bin", "ob-dcr"), ["--version"], {
      cwd: pulumiDir,
      env: baseEnv,
    });
    expect(version.stdout.trim(), describeRun("ob-dcr --version", version)).toContain(pkg.version);
  });

  it("`pulumi up` of that project registers one client at the sandbox bank; `pulumi destroy` deletes it", async () => {
    const cli = cliInfo();
    const env: NodeJS.ProcessEnv = {
      ...baseEnv,
      // node first (the language host and the dynamic provider shim run `node` from PATH), then
      // the CLI's own folder, where its language host and the shim are.
      PATH: [nodeBin, path.dirname(cli.pulumi), process.env.PATH ?? ""].join(path.delimiter),
      PULUMI_HOME: path.join(tmp, "pulumi-home"),
      PULUMI_BACKEND_URL: `file://${backendDir}`,
      PULUMI_CONFIG_PASSPHRASE: DEMO_PASSPHRASE,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    mkdirSync(backendDir, { recursive: true });
    const pulumi = (...args: string[]) =>
      run(cli.pulumi, [...args, "--non-interactive"], { cwd: pulumiDir, env });
    ok("pulumi stack init", await pulumi("stack", "init", STACK));
    ok("pulumi config set", await pulumi("config", "set", "sandboxManifest", sandbox.manifestPath));
    ok("pulumi config set", await pulumi("config", "set", "bank", PULUMI_BANK));

    const up = await pulumi("up", "--yes");
    expect(up.code, describeRun("pulumi up", up)).toBe(0);
    const outputs = JSON.parse(
      ok("pulumi stack output", await pulumi("stack", "output", "--json")).stdout,
    ) as {
      clientId?: string;
    };
    expect(outputs.clientId).toMatch(/\S/);
    expect(await registered(PULUMI_BANK)).toEqual([outputs.clientId]);
    expect(await registered(CLI_BANK)).toEqual([]);

    // The provider in state is a reference to the stub module, loaded by name from the project's
    // node_modules: one `require`, not the code of each method (2.6 KB before, in inputs and outputs).
    const state = readFileSync(path.join(backendDir, ".pulumi", "stacks", PROJECT, `${STACK}.json`), "utf8");
    expect(state).not.toContain(ROOT + path.sep);
    const resources = (
      JSON.parse(state) as {
        checkpoint: {
          latest: {
            resources: Array<{
              type: string;
              inputs: Record<string, unknown>;
              outputs: Record<string, unknown>;
            }>;
          };
        };
      }
    ).checkpoint.latest.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"));
    expect(resources).toHaveLength(1);
    // 11 KB from a checkout (the inline stub, twice); installed, with the reference, 6.6 KB here.
    expect(JSON.stringify(resources[0]).length).toBeLessThan(7_000);
    for (const props of [resources[0]!.inputs, resources[0]!.outputs]) {
      const stub = props.__provider as string;
      expect(stub).toContain('require("ob-dcr/resource-provider/stub")');
      expect(stub.length).toBeLessThan(600);
    }
    // The stub module serves every later verb: a second up changes nothing, refresh reads the bank.
    const again = await pulumi("up", "--yes", "--expect-no-changes");
    expect(again.code, describeRun("pulumi up (no change)", again)).toBe(0);
    const refresh = await pulumi("refresh", "--yes");
    expect(refresh.code, describeRun("pulumi refresh", refresh)).toBe(0);

    const destroy = await pulumi("destroy", "--yes");
    expect(destroy.code, describeRun("pulumi destroy", destroy)).toBe(0);
    expect(await registered(PULUMI_BANK)).toEqual([]);
  });

  it("installed without build tools, the optional signer backends stay optional: pkcs11js (node-gyp) is left out, the install succeeds", () => {
    const modules = path.join(cliDir, "node_modules");
    expect(existsSync(path.join(modules, "pkcs11js")), "pkcs11js built without a compiler?").toBe(false);
    expect(existsSync(path.join(modules, "@aws-sdk", "client-kms", "package.json"))).toBe(true);
  });

  it("without @pulumi/pulumi or the sandbox's peers installed, the CLI registers and deletes and the core loads", async () => {
    const modules = path.join(cliDir, "node_modules");
    for (const absent of ["@pulumi/pulumi", ...SANDBOX_PEERS]) {
      expect(existsSync(path.join(modules, absent)), `${absent} installed`).toBe(false);
    }
    const loads = JSON.parse(
      ok("cli_only.js", await run(process.execPath, ["cli_only.js"], { cwd: cliDir, env: baseEnv })).stdout,
    ) as Record<string, string>;
    expect(loads["ob-dcr"]).toBe("ok");
    expect(loads["ob-dcr/core"]).toBe("ok");
    expect(loads["ob-dcr/http"]).toBe("ok");
    expect(loads["ob-dcr/pulumi"]).toMatch(/MODULE_NOT_FOUND: .*'@pulumi\/pulumi'/);
    expect(loads["ob-dcr/sandbox"]).toMatch(/MODULE_NOT_FOUND: .*'(@peculiar\/[a-z0-9-]+|reflect-metadata)'/);

    const obDcr = path.join(modules, ".bin", "ob-dcr");
    const config = path.join(path.dirname(sandbox.manifestPath), "cli", `${CLI_BANK}.json`);
    const state = path.join(cliDir, "state.json");
    const reg = await run(obDcr, ["run", "-c", config, "--state", state, "--json"], {
      cwd: cliDir,
      env: baseEnv,
    });
    expect(reg.code, describeRun("ob-dcr run", reg)).toBe(0);
    const clientId = (JSON.parse(readFileSync(state, "utf8")) as { client_id: string }).client_id;
    expect(await registered(CLI_BANK)).toEqual([clientId]);

    const del = await run(obDcr, ["delete", "-c", config, "--state", state, "--json"], {
      cwd: cliDir,
      env: baseEnv,
    });
    expect(del.code, describeRun("ob-dcr delete", del)).toBe(0);
    expect(await registered(CLI_BANK)).toEqual([]);
  });
});
