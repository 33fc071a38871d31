// provider/native/README.md "pulumi import", in Go, run as written: a client the CLI made at an
// RFC 7592 sandbox bank (`ob-dcr run`, its token kept in ob-dcr-state/), the README's import block
// up to its `pulumi up` with a main.go that declares nothing yet, then its Go lines (the inputs
// saved as inputs.json, the import without generated code) and its main.go (inputs.json decoded
// into the SDK's plain types): the next preview changes nothing, the token is `[secret]` and never
// printed, and destroy (once unprotected) deletes the client at the bank. The project is a folder
// outside the repository whose node_modules/ob-dcr is the repository (what `npm install ob-dcr`
// would put there) and whose go.mod is examples/go's, the Go SDK `replace`d by sdk/go/obdcr (as
// sdk/go/obdcr/README.md says until it is published). Nothing downloads: GOPROXY=off, as go.test.ts.
import {
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
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { need, toolchain, toolPath } from "../../scripts/lib/toolchain.js";
import { docBlock, runBlock, shellLines } from "../docs/blocks.js";
import { run } from "../package/offline_project.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

const noInstalls = {
  npmInstall: () => Promise.reject(new Error("no npm install here")),
  pipInstall: () => Promise.reject(new Error("no pip install here")),
};

describe("pulumi import of a CLI registration into a Go project, as provider/native/README.md says", () => {
  const work = mkdtempSync(join(tmpdir(), "obdcr-go-import-"));
  const dir = join(work, "project");
  const bank = "rfc7592-bank";
  let sb: TestSandbox;
  let env: NodeJS.ProcessEnv;
  let goBin: string;
  const printed: string[] = [];

  beforeAll(async () => {
    const t = toolchain();
    need(t, "goHost");
    const go = [...(process.env.PATH ?? "").split(delimiter), "/usr/local/go/bin"]
      .map((d) => join(d, "go"))
      .find((f) => f.startsWith("/") && existsSync(f));
    if (!go) throw new Error("Go is not installed: the Go language host runs `go build`");
    goBin = dirname(go);
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
      "name: my-banks\nruntime: go\nplugins: { providers: [{ name: obdcr, path: node_modules/ob-dcr/bin }] }\n",
    );
    const mod = readFileSync(join(repoRoot, "examples", "go", "go.mod"), "utf8");
    expect(mod).toContain("=> ../../sdk/go/obdcr");
    writeFileSync(
      join(dir, "go.mod"),
      mod.replace("=> ../../sdk/go/obdcr", `=> ${join(repoRoot, "sdk", "go", "obdcr")}`),
    );
    cpSync(join(repoRoot, "examples", "go", "go.sum"), join(dir, "go.sum"));
    writeFileSync(
      join(dir, "main.go"),
      'package main\n\nimport "github.com/pulumi/pulumi/sdk/v3/go/pulumi"\n\nfunc main() { pulumi.Run(func(*pulumi.Context) error { return nil }) }\n',
    );
    cpSync(join(sb.dataDir, "cli", `${bank}.json`), join(dir, "bank.json"));
    const backend = join(work, "backend");
    mkdirSync(backend);
    env = {
      ...process.env,
      // The engine's PATH: the CLI and its hosts, go, no repository Node (npx finds the project's).
      PATH: [
        ...toolPath(t)
          .split(delimiter)
          .filter((p) => !p.includes("node_modules")),
        dirname(go),
      ].join(delimiter),
      PULUMI_BACKEND_URL: `file://${backend}`,
      PULUMI_CONFIG_PASSPHRASE: "go-import-test",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      GOPROXY: "off",
      GOFLAGS: "-mod=readonly",
      GOWORK: "off",
      GOTOOLCHAIN: "local",
    };
  }, 300_000);

  afterAll(async () => {
    await sb?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const sh = async (line: string) => {
    const r = await run("sh", ["-c", line], { cwd: dir, env, timeoutMs: 300_000 });
    printed.push(r.stdout, r.stderr);
    expect(r.code, `${line}\n${r.stdout}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const block = async (text: string) => {
    const results = await runBlock(text, dir, env, noInstalls);
    for (const { result } of results) printed.push(result.stdout, result.stderr);
    return results;
  };

  it("imports the CLI's client, main.go declares it from inputs.json with no change, the token is [secret]", async () => {
    const made = await run("npx", ["ob-dcr", "run", "-c", "bank.json"], { cwd: dir, env });
    expect(made.code, made.stderr).toBe(0);
    const [file] = readdirSync(join(dir, "ob-dcr-state"));
    const state = JSON.parse(readFileSync(join(dir, "ob-dcr-state", file!), "utf8")) as {
      client_id: string;
      secrets: { registration_access_token: string };
    };
    const token = state.secrets.registration_access_token;
    expect(token).toMatch(/\S{16}/);
    env.STATE = join("ob-dcr-state", file!);
    env.CLIENT_ID = state.client_id;
    await sh("pulumi stack init dev");

    // The import block up to its `pulumi up` (its `pulumi import` line is the YAML one).
    const lines = shellLines(docBlock("provider/native/README.md", "import").text);
    const upTo = lines.findIndex((l) => l.startsWith("pulumi up"));
    expect(upTo).toBeGreaterThan(0);
    await block(lines.slice(0, upTo + 1).join("\n"));
    const goLines = docBlock("provider/native/README.md", "import-go");
    expect(goLines.lang).toBe("sh");
    const imported = await block(goLines.text);
    expect(imported.at(-1)!.result.stdout).toMatch(/1 imported/);

    const program = docBlock("provider/native/README.md", "import-go-program");
    expect(program.lang).toBe("go");
    writeFileSync(join(dir, "main.go"), `${program.text}\n`); // as saved by an editor
    const fmt = await run(join(goBin, "gofmt"), ["-l", "main.go"], { cwd: dir, env });
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
