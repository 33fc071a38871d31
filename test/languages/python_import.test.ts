// provider/native/README.md "pulumi import", in Python, run as written: a client the CLI made at an
// RFC 7592 sandbox bank (`ob-dcr run`, its token kept in ob-dcr-state/), the README's import block
// up to its `pulumi up` with a program that declares nothing yet, then its Python import line and
// its Python declaration (the CLI's config file as the resource's keyword arguments): the next
// preview changes nothing, the token is `[secret]`, and the bank still holds the one client. The
// project is a folder outside the repository whose node_modules/ob-dcr is the repository (what
// `npm install ob-dcr` would put there: the CLI for `npx ob-dcr`, the plugin for Pulumi.yaml) and
// whose Python SDK is sdk/python, installed offline into a fresh virtualenv.
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { need, toolchain, toolPath } from "../../scripts/lib/toolchain.js";
import { docBlock, runBlock, shellLines } from "../docs/blocks.js";
import { run } from "../package/offline_project.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { freshVirtualenv } from "./python_sdk.js";

const noInstalls = {
  npmInstall: () => Promise.reject(new Error("no npm install here")),
  pipInstall: () => Promise.reject(new Error("no pip install here")),
};

describe("pulumi import of a CLI registration into a Python project, as provider/native/README.md says", () => {
  const work = mkdtempSync(join(tmpdir(), "obdcr-python-import-"));
  const dir = join(work, "project");
  const bank = "rfc7592-bank";
  let sb: TestSandbox;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const t = toolchain();
    need(t, "pythonHost");
    sb = await startTestSandbox({
      dataDir: join(work, "sandbox"),
      banks: [{ name: bank, management: "registration_access_token" }],
    });
    mkdirSync(join(dir, "node_modules", ".bin"), { recursive: true });
    symlinkSync(repoRoot, join(dir, "node_modules", "ob-dcr"));
    symlinkSync("../ob-dcr/dist/provider/cli/main.js", join(dir, "node_modules", ".bin", "ob-dcr"));
    symlinkSync(process.execPath, join(dir, "node_modules", ".bin", "node"));
    writeFileSync(
      join(dir, "Pulumi.yaml"),
      "name: my-banks\nruntime: python\nplugins: { providers: [{ name: obdcr, path: node_modules/ob-dcr/bin }] }\n",
    );
    writeFileSync(join(dir, "__main__.py"), "import pulumi\n");
    cpSync(join(sb.dataDir, "cli", `${bank}.json`), join(dir, "bank.json"));
    const src = join(work, "sdk-python");
    cpSync(join(repoRoot, "sdk", "python"), src, { recursive: true });
    const python = await freshVirtualenv(work, "venv", src);
    const backend = join(work, "backend");
    mkdirSync(backend);
    env = {
      ...process.env,
      // The engine's PATH: the CLI and its hosts, no repository Node (npx finds the project's).
      PATH: toolPath(t)
        .split(":")
        .filter((p) => !p.includes("node_modules"))
        .join(":"),
      PULUMI_BACKEND_URL: `file://${backend}`,
      PULUMI_CONFIG_PASSPHRASE: "python-import-test",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_PYTHON_CMD: python,
    };
  }, 300_000);

  afterAll(async () => {
    await sb?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const sh = async (line: string) => {
    const r = await run("sh", ["-c", line], { cwd: dir, env, timeoutMs: 180_000 });
    expect(r.code, `${line}\n${r.stdout}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };

  it("imports the CLI's client, the declaration changes nothing, the token is [secret]", async () => {
    const made = await run("npx", ["ob-dcr", "run", "-c", "bank.json"], { cwd: dir, env });
    expect(made.code, made.stderr).toBe(0);
    const [file] = readdirSync(join(dir, "ob-dcr-state"));
    const state = JSON.parse(readFileSync(join(dir, "ob-dcr-state", file!), "utf8")) as { client_id: string };
    env.STATE = join("ob-dcr-state", file!);
    env.CLIENT_ID = state.client_id;
    await sh("pulumi stack init dev");

    // The import block up to its `pulumi up` (its `pulumi import` line is the YAML one).
    const lines = shellLines(docBlock("provider/native/README.md", "import").text);
    const upTo = lines.findIndex((l) => l.startsWith("pulumi up"));
    expect(upTo).toBeGreaterThan(0);
    await runBlock(lines.slice(0, upTo + 1).join("\n"), dir, env, noInstalls);
    const py = docBlock("provider/native/README.md", "import-python");
    expect(py.lang).toBe("sh");
    const imported = await runBlock(py.text, dir, env, noInstalls);
    expect(imported.at(-1)!.result.stdout).toMatch(/1 imported/);

    const program = docBlock("provider/native/README.md", "import-python-program");
    expect(program.lang).toBe("python");
    writeFileSync(join(dir, "__main__.py"), program.text);
    const preview = await sh("pulumi preview --expect-no-changes");
    expect(preview).toMatch(/2 unchanged/);
    expect(preview).toMatch(/registrationAccessToken: \[secret\]/);

    // Steps 2 and 3: the import settings removed; the registration stays protected and unchanged.
    await sh("pulumi config rm obdcr:importInputs && pulumi config rm obdcr:importRegistrationAccessToken");
    expect(await sh("pulumi up --yes")).toMatch(/2 unchanged/);
    expect(await sh("pulumi stack output")).toMatch(/registrationAccessToken\s+\[secret\]/);
    expect(JSON.parse(await sh("pulumi stack output --json")).clientId).toBe(state.client_id);
    expect((await sb.admin.registrations(bank)).map((r) => r.client_id)).toEqual([state.client_id]);
    expect((await sb.admin.requests(bank))["PUT /register/{client_id}"] ?? 0).toBe(0);

    // Unprotected, destroy deletes it at the bank.
    writeFileSync(join(dir, "__main__.py"), program.text.replace("protect=True", "protect=False"));
    await sh("pulumi up --yes");
    await sh("pulumi destroy --yes");
    expect(await sb.admin.registrations(bank)).toEqual([]);
  }, 600_000);
});
