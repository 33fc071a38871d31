// provider/native/README.md "pulumi import", in Go, run as written: a client the CLI made at an
// RFC 7592 sandbox bank (`ob-dcr run`, its token kept in ob-dcr-state/), the README's import block
// up to its `pulumi up` with a main.go that declares nothing yet, then its Go lines (the inputs
// saved as inputs.json, the import without generated code) and its main.go (inputs.json decoded
// into the SDK's plain types): the next preview changes nothing, the token is `[secret]` and never
// printed, and destroy (once unprotected) deletes the client at the bank. The project is a folder
// outside the repository whose node_modules/ob-dcr is the repository (what `npm install ob-dcr`
// would put there) and whose go.mod is examples/go's, the Go SDK `replace`d by sdk/go/obdcr (as
// sdk/go/obdcr/README.md says until it is published). Nothing downloads: GOPROXY=off, as go.test.ts.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docBlock, runBlock } from "../docs/blocks.js";
import { run } from "../package/offline_project.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import {
  goEnv,
  goModule,
  installedProject,
  NO_INSTALLS,
  openProject,
  type Project,
  readmeImportStart,
  shellIn,
} from "./project.js";

describe("pulumi import of a CLI registration into a Go project, as provider/native/README.md says", () => {
  const work = mkdtempSync(join(tmpdir(), "obdcr-go-import-"));
  const dir = join(work, "project");
  const bank = "rfc7592-bank";
  let sb: TestSandbox;
  let p: Project;
  const printed: string[] = [];

  beforeAll(async () => {
    const go = goEnv();
    sb = await startTestSandbox({
      dataDir: join(work, "sandbox"),
      banks: [{ name: bank, management: "registration_access_token" }],
    });
    installedProject(dir, "my-banks", "go");
    goModule(dir);
    writeFileSync(
      join(dir, "main.go"),
      'package main\n\nimport "github.com/pulumi/pulumi/sdk/v3/go/pulumi"\n\nfunc main() { pulumi.Run(func(*pulumi.Context) error { return nil }) }\n',
    );
    cpSync(join(sb.dataDir, "cli", `${bank}.json`), join(dir, "bank.json"));
    p = openProject(dir, work, { ...go, PULUMI_CONFIG_PASSPHRASE: "go-import-test" });
  }, 300_000);

  afterAll(async () => {
    await sb?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const sh = (line: string) => shellIn(p, 300_000, printed)(line);
  const block = async (text: string) => {
    const results = await runBlock(text, dir, p.env, NO_INSTALLS);
    for (const { result } of results) printed.push(result.stdout, result.stderr);
    return results;
  };

  it("imports the CLI's client, main.go declares it from inputs.json with no change, the token is [secret]", async () => {
    const state = await readmeImportStart(p, block);
    const token = state.secrets.registration_access_token!;
    expect(token).toMatch(/\S{16}/);
    const goLines = docBlock("provider/native/README.md", "import-go");
    expect(goLines.lang).toBe("sh");
    const imported = await block(goLines.text);
    expect(imported.at(-1)!.result.stdout).toMatch(/1 imported/);

    const program = docBlock("provider/native/README.md", "import-go-program");
    expect(program.lang).toBe("go");
    writeFileSync(join(dir, "main.go"), `${program.text}\n`); // as saved by an editor
    const fmt = await run("gofmt", ["-l", "main.go"], { cwd: dir, env: p.env });
    expect(fmt.stdout, "the README's main.go is gofmt'ed").toBe("");
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
    expect(program.text).toContain("pulumi.Protect(true)");
    writeFileSync(
      join(dir, "main.go"),
      program.text.replace("pulumi.Protect(true)", "pulumi.Protect(false)"),
    );
    await sh("pulumi up --yes");
    await sh("pulumi destroy --yes");
    expect(await sb.admin.registrations(bank)).toEqual([]);
    for (const out of printed) expect(out.includes(token), "the token printed").toBe(false);
  }, 900_000);
});
