// The committed SDKs (sdk/nodejs, sdk/python, sdk/go) against a fresh generation from the committed
// schema.json (a schema change without `npm run sdk` fails here), the Node SDK type-checks, the
// Python SDK installs offline (`pip install ./sdk/python`) and imports with the package's version,
// and the Go SDK's module builds and vets offline under its documented module path.
import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { GO_MODULE, GO_SDK_DIR, generateSdks, SDK_DIR, SDK_LANGUAGES } from "../../scripts/gen_sdk.js";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { need, toolchain } from "../../scripts/lib/toolchain.js";
import { installPythonSdk } from "./python_sdk.js";

const exec = promisify(execFile);
/** What building or installing leaves in an SDK directory (each SDK's .gitignore lists them). */
const BUILT = /(^|\/)(node_modules|bin|build|dist|__pycache__|\.mypy_cache)(\/|$)|\.egg-info(\/|$)|\.pyc$/;

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const rel = relative(dir, p);
      if (BUILT.test(rel)) continue;
      if (statSync(p).isDirectory()) walk(p);
      else out.set(rel, readFileSync(p, "utf8"));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

describe("generated SDKs", () => {
  const work = mkdtempSync(join(tmpdir(), "obdcr-sdk-test-"));
  const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("the committed sdk/ is what `npm run sdk` generates from the committed schema.json", async () => {
    // The Go SDK's go.sum by `go mod tidy` from the module cache alone.
    await generateSdks(join(work, "fresh"), undefined, { GOPROXY: "off" });
    for (const language of SDK_LANGUAGES) {
      const fresh = files(join(work, "fresh", language));
      const committed = files(join(SDK_DIR, language));
      const stale = `sdk/${language} is stale: run \`npm run sdk\``;
      expect([...committed.keys()].sort(), stale).toEqual([...fresh.keys()].sort());
      for (const [name, text] of fresh) expect(committed.get(name), `${stale} (${name})`).toBe(text);
    }
  });

  it("the Node SDK type-checks against this repo's @pulumi/pulumi and carries the package's version", async () => {
    const dir = join(work, "nodejs");
    cpSync(join(SDK_DIR, "nodejs"), dir, { recursive: true });
    symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
    await exec(join(repoRoot, "node_modules", ".bin", "tsc"), ["-p", dir, "--noEmit"]);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(pkg).toMatchObject({ name: "@ob-dcr/obdcr", version, pulumi: { resource: true, name: "obdcr" } });
    expect(readFileSync(join(dir, "clientRegistration.ts"), "utf8")).toContain(
      "__pulumiType = 'obdcr:index:ClientRegistration'",
    );
  });

  it("the Go SDK is the module GO_MODULE, builds and vets offline, and carries the package's version", async () => {
    const mod = readFileSync(join(GO_SDK_DIR, "go.mod"), "utf8");
    expect(mod.split("\n")[0]).toBe(`module ${GO_MODULE}`);
    expect(GO_MODULE).toBe("github.com/ob-dcr/ob-dcr/sdk/go/obdcr");
    const { version: pulumiVersion } = JSON.parse(
      readFileSync(join(repoRoot, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8"),
    ) as { version: string };
    expect(mod).toContain(`github.com/pulumi/pulumi/sdk/v3 v${pulumiVersion}\n`);
    expect(JSON.parse(readFileSync(join(GO_SDK_DIR, "pulumi-plugin.json"), "utf8"))).toEqual({
      resource: true,
      name: "obdcr",
      version,
    });
    expect(readFileSync(join(GO_SDK_DIR, "clientRegistration.go"), "utf8")).toContain(
      'ctx.RegisterResource("obdcr:index:ClientRegistration"',
    );
    const env = {
      ...process.env,
      GOPROXY: "off",
      GOFLAGS: "-mod=readonly",
      GOWORK: "off",
      GOTOOLCHAIN: "local",
    };
    // In place (go build of several packages and go vet write nothing into the tree): the build
    // cache that setup filled for examples/go, which compiles this module at this path, serves.
    const dir = GO_SDK_DIR;
    await exec("go", ["build", "./..."], { cwd: dir, env });
    await exec("go", ["vet", "./..."], { cwd: dir, env });
    const list = await exec("go", ["list", "./..."], { cwd: dir, env });
    expect(list.stdout.trim().split("\n").sort()).toEqual([
      GO_MODULE,
      `${GO_MODULE}/config`,
      `${GO_MODULE}/internal`,
    ]);
  }, 600_000);

  it("the Python SDK installs offline and imports as pulumi_obdcr with the package's version", async () => {
    const site = await installPythonSdk(work);
    const probe = [
      "import importlib.metadata as m, json, pulumi_obdcr as o, pulumi_obdcr.config as c",
      "from importlib.resources import files",
      "print(json.dumps([m.version('pulumi_obdcr'), o.ClientRegistration._internal_init.__code__.co_varnames[:20],",
      " json.loads(files('pulumi_obdcr').joinpath('pulumi-plugin.json').read_text())]))",
    ].join("\n");
    const py = await exec(need(toolchain(), "python"), ["-c", probe], {
      env: { ...process.env, PYTHONPATH: site },
    });
    const [v, params, plugin] = JSON.parse(py.stdout) as [string, string[], Record<string, unknown>];
    expect(v).toBe(version);
    expect(params).toEqual(
      expect.arrayContaining(["bank", "directory", "signing_key", "transport", "client"]),
    );
    expect(plugin).toEqual({ resource: true, name: "obdcr", version });
  });
});
