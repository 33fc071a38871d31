// The tools `npm run setup` records for programs in other languages and SDK generation, each run for
// real: a YAML and a Python program (outputs only, no provider) go through `pulumi up` on the real
// engine with a file backend; obdcr-gen-sdk writes a python SDK that installs offline and imports,
// and a nodejs SDK that type-checks against this repo's @pulumi/pulumi.
import { execFile } from "node:child_process";
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
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { need, pythonEnv, type Toolchain, toolchain, toolPath } from "../../scripts/lib/toolchain.js";

const exec = promisify(execFile);

const SCHEMA = {
  name: "tcsample",
  version: "0.3.1",
  // Without respectSchemaVersion the python package says 0.0.0.
  language: { python: { respectSchemaVersion: true } },
  config: { variables: { endpoint: { type: "string", description: "Where the API is." } } },
  resources: {
    "tcsample:index:Thing": {
      description: "A thing.",
      inputProperties: { name: { type: "string" }, token: { type: "string", secret: true } },
      requiredInputs: ["name"],
      properties: { name: { type: "string" }, thingId: { type: "string" } },
      required: ["name", "thingId"],
    },
  },
};

describe("toolchain recorded by npm run setup", () => {
  let t: Toolchain;
  let dir: string;
  let env: Record<string, string | undefined>;

  beforeAll(() => {
    t = toolchain();
    dir = mkdtempSync(join(tmpdir(), "obdcr-toolchain-"));
    mkdirSync(join(dir, "backend"));
    env = {
      ...process.env,
      PATH: toolPath(t),
      PULUMI_BACKEND_URL: `file://${join(dir, "backend")}`,
      PULUMI_CONFIG_PASSPHRASE: "toolchain-test",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** `pulumi up` of the project in `project`; returns the stack's outputs (secrets shown). */
  async function up(project: string, extraEnv: Record<string, string> = {}) {
    const opts = { cwd: project, env: { ...env, ...extraEnv } };
    await exec(t.pulumi, ["stack", "init", "dev"], opts);
    const r = await exec(t.pulumi, ["up", "--yes", "--skip-preview", "--stack", "dev"], opts);
    expect(r.stdout).toContain("1 created");
    const o = await exec(t.pulumi, ["stack", "output", "--json", "--show-secrets", "--stack", "dev"], opts);
    return JSON.parse(o.stdout) as Record<string, unknown>;
  }

  it("records a python venv with the CLI's pulumi SDK and a current obdcr-gen-sdk", async () => {
    for (const tool of ["pythonHost", "yamlHost", "goHost", "genSdk", "python", "pythonWheels"] as const) {
      expect(existsSync(need(t, tool)), tool).toBe(true);
    }
    const py = await exec(need(t, "python"), [
      "-c",
      "import pulumi, importlib.metadata as m; print(m.version('pulumi'))",
    ]);
    expect(py.stdout.trim()).toBe(t.version);
    const gen = await exec(need(t, "genSdk"), ["--version"]);
    expect(gen.stdout.trim()).toMatch(/^obdcr-gen-sdk [0-9a-f]{16}$/);
  });

  it("runs a YAML program through pulumi up", async () => {
    const project = join(dir, "yaml");
    mkdirSync(project);
    const yaml = [
      "name: tc-yaml",
      "runtime: yaml",
      "variables:",
      "  who: world",
      "outputs:",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Pulumi YAML's interpolation, not JS
      "  greeting: hello ${who}",
      "  answer: 42",
    ];
    writeFileSync(join(project, "Pulumi.yaml"), `${yaml.join("\n")}\n`);
    expect(await up(project)).toEqual({ greeting: "hello world", answer: 42 });
  });

  it("runs a Python program through pulumi up with PULUMI_PYTHON_CMD", async () => {
    const project = join(dir, "python");
    mkdirSync(project);
    writeFileSync(join(project, "Pulumi.yaml"), "name: tc-python\nruntime: python\n");
    const program = [
      "import sys",
      "import pulumi",
      'pulumi.export("greeting", "hello from python")',
      'pulumi.export("secret", pulumi.Output.secret("s3"))',
      'pulumi.export("exe", sys.executable)',
    ];
    writeFileSync(join(project, "__main__.py"), `${program.join("\n")}\n`);
    const out = await up(project, pythonEnv(t));
    expect(out).toMatchObject({ greeting: "hello from python", secret: "s3" });
    // The program ran on the recorded virtualenv's python, not on the machine's.
    expect(out.exe).toBe(need(t, "python"));
  });

  it("generates a python SDK that installs offline and imports, and a nodejs SDK that type-checks", async () => {
    const schema = join(dir, "schema.json");
    writeFileSync(schema, JSON.stringify(SCHEMA));
    const gen = need(t, "genSdk");
    await exec(gen, ["--schema", schema, "--language", "python", "--out", join(dir, "sdk", "python")]);
    await exec(gen, ["--schema", schema, "--language", "nodejs", "--out", join(dir, "sdk", "nodejs")]);

    // --no-deps --no-build-isolation: the venv's own setuptools builds it, nothing is downloaded.
    const site = join(dir, "site");
    const pip = [
      "-m",
      "pip",
      "install",
      "-q",
      "--disable-pip-version-check",
      "--no-deps",
      "--no-build-isolation",
    ];
    await exec(need(t, "python"), [...pip, "--target", site, join(dir, "sdk", "python")]);
    const probe = [
      "import importlib.metadata as m, pulumi_tcsample as s",
      "print(m.version('pulumi_tcsample'), s.Thing.__name__, s.Provider.__name__)",
    ].join("; ");
    const py = await exec(need(t, "python"), ["-c", probe], { env: { ...process.env, PYTHONPATH: site } });
    expect(py.stdout.trim()).toBe("0.3.1 Thing Provider");

    const node = join(dir, "sdk", "nodejs");
    expect(JSON.parse(readFileSync(join(node, "package.json"), "utf8"))).toMatchObject({
      name: "@pulumi/tcsample",
    });
    expect(readFileSync(join(node, "thing.ts"), "utf8")).toContain(
      "export class Thing extends pulumi.CustomResource",
    );
    symlinkSync(join(repoRoot, "node_modules"), join(node, "node_modules"));
    await exec(join(repoRoot, "node_modules", ".bin", "tsc"), ["-p", node, "--noEmit"]);
  });

  it("refuses a schema that is not valid, naming the file", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(
      bad,
      JSON.stringify({ name: "bad", resources: { "bad:index:X": { properties: { a: { type: "nope" } } } } }),
    );
    const r = exec(need(t, "genSdk"), ["--schema", bad, "--language", "python", "--out", join(dir, "bad")]);
    await expect(r).rejects.toThrow(/bad\.json is not valid/);
  });
});
