// provider/native/README.md "pulumi import", in Python, run as written: a client the CLI made at an
// RFC 7592 sandbox bank (`ob-dcr run`, its token kept in ob-dcr-state/), the README's import block
// up to its `pulumi up` with a program that declares nothing yet, then its Python import line and
// its Python declaration (the CLI's config file as the resource's keyword arguments): the next
// preview changes nothing, the token is `[secret]`, and the bank still holds the one client. The
// project is a folder outside the repository whose node_modules/ob-dcr is the repository (what
// `npm install ob-dcr` would put there: the CLI for `npx ob-dcr`, the plugin for Pulumi.yaml) and
// whose Python SDK is sdk/python, installed offline into a fresh virtualenv.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { need, toolchain } from "../../scripts/lib/toolchain.js";
import { docBlock, runBlock } from "../docs/blocks.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import {
  installedProject,
  NO_INSTALLS,
  openProject,
  type Project,
  readmeImportStart,
  shellIn,
} from "./project.js";
import { freshVirtualenv } from "./python_sdk.js";

describe("pulumi import of a CLI registration into a Python project, as provider/native/README.md says", () => {
  const work = mkdtempSync(join(tmpdir(), "obdcr-python-import-"));
  const dir = join(work, "project");
  const bank = "rfc7592-bank";
  let sb: TestSandbox;
  let p: Project;

  beforeAll(async () => {
    need(toolchain(), "pythonHost");
    sb = await startTestSandbox({
      dataDir: join(work, "sandbox"),
      banks: [{ name: bank, management: "registration_access_token" }],
    });
    installedProject(dir, "my-banks", "python");
    writeFileSync(join(dir, "__main__.py"), "import pulumi\n");
    cpSync(join(sb.dataDir, "cli", `${bank}.json`), join(dir, "bank.json"));
    const src = join(work, "sdk-python");
    cpSync(join(repoRoot, "sdk", "python"), src, { recursive: true });
    const python = await freshVirtualenv(work, "venv", src);
    p = openProject(dir, work, { PULUMI_CONFIG_PASSPHRASE: "python-import-test", PULUMI_PYTHON_CMD: python });
  }, 300_000);

  afterAll(async () => {
    await sb?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const sh = (line: string) => shellIn(p, 180_000)(line);

  it("imports the CLI's client, the declaration changes nothing, the token is [secret]", async () => {
    const state = await readmeImportStart(p, (text) => runBlock(text, dir, p.env, NO_INSTALLS));
    const py = docBlock("provider/native/README.md", "import-python");
    expect(py.lang).toBe("sh");
    const imported = await runBlock(py.text, dir, p.env, NO_INSTALLS);
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
