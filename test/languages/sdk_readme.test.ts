// The Python and Go SDKs' READMEs (scripts/sdk_extra/<language>/README.md, generated into
// sdk/python/README.md and sdk/go/obdcr/README.md: what PyPI and pkg.go.dev show) run as written:
// a new project made of the README's `Pulumi.yaml`, program and (Go) `go.mod` blocks, its
// commands run in order against a sandbox on the real CLI (`<clone>/.sandbox` standing for the
// test sandbox's data dir, the file backend as PULUMI_BACKEND_URL instead of `pulumi login`): `up`
// registers at `rfc7592-bank` and shows its registration access token as `[secret]` (so does
// `pulumi stack output`; the state holds it encrypted), a second `up` changes nothing, `refresh`
// reads it back, `destroy` deletes it at the bank. Offline: the Python SDK installed from sdk/python with the wheels setup
// keeps; Go with GOPROXY=off (examples/go's go.sum: the same modules, in the module cache).
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sdkReadme } from "../../scripts/gen_sdk.js";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { need, toolchain, toolPath } from "../../scripts/lib/toolchain.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { openProject, type Project } from "./project.js";
import { freshVirtualenv } from "./python_sdk.js";

/** The first fenced block of `lang` (`""`: no language) in `readme` that contains `marker`. */
function block(readme: string, lang: string, marker: string): string {
  const re = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (const m of readme.matchAll(re)) if (m[1] === lang && m[2]!.includes(marker)) return m[2]!;
  throw new Error(`no \`\`\`${lang} block with ${JSON.stringify(marker)}`);
}

/** The `pulumi …` commands of the README's run block, continuation lines joined, comments dropped. */
function commands(readme: string): string[] {
  return block(readme, "sh", "pulumi destroy")
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l.startsWith("pulumi ") && !l.startsWith("pulumi login"));
}

const GO_ENV = { GOPROXY: "off", GOWORK: "off", GOTOOLCHAIN: "local" };

function goBin(): string {
  const go = [...(process.env.PATH ?? "").split(delimiter), "/usr/local/go/bin"]
    .map((d) => join(d, "go"))
    .find((f) => f.startsWith("/") && existsSync(f));
  if (!go) throw new Error("Go is not installed: the Go language host runs `go build`");
  return go;
}

const cases = {
  /** The venv the README makes, here offline from sdk/python; PULUMI_PYTHON_CMD as it says. */
  async python(readme: string, dir: string, work: string): Promise<Project> {
    writeFileSync(join(dir, "__main__.py"), block(readme, "python", "ClientRegistration("));
    const src = join(work, "sdk-python");
    cpSync(join(repoRoot, "sdk", "python"), src, { recursive: true });
    const python = await freshVirtualenv(work, "venv", src);
    return openProject(dir, work, { PULUMI_PYTHON_CMD: python });
  },
  /** go.mod: `go mod init`'s first lines and the README's require/replace block; `go mod tidy`. */
  async go(readme: string, dir: string, work: string): Promise<Project> {
    writeFileSync(join(dir, "main.go"), block(readme, "go", "NewClientRegistration("));
    const mod = block(readme, "", "replace github.com/ob-dcr/ob-dcr/sdk/go/obdcr").replace(
      "<clone>",
      repoRoot,
    );
    writeFileSync(join(dir, "go.mod"), `module example.com/my-banks\n\ngo 1.26.6\n\n${mod}`);
    copyFileSync(join(repoRoot, "examples", "go", "go.sum"), join(dir, "go.sum"));
    const go = goBin();
    const path = toolPath(toolchain())
      .split(delimiter)
      .filter((p) => !p.includes("node_modules"));
    const p = openProject(dir, work, { PATH: [...path, dirname(go)].join(delimiter), ...GO_ENV });
    await p.run(go, ["mod", "tidy"]);
    return p;
  },
};

for (const language of ["python", "go"] as const) {
  describe(`the ${language} SDK's README, run as written against the sandbox`, () => {
    const readme = sdkReadme(language);
    const work = mkdtempSync(join(tmpdir(), `obdcr-readme-${language}-`));
    let sb: TestSandbox;
    let p: Project;
    // As `npm run sandbox` starts it (sandbox/main.ts): RFC 7592, a registration access token.
    const bank = "rfc7592-bank";
    const held = async () => (await sb.admin.registrations(bank)).map((r) => r.client_id);

    beforeAll(async () => {
      if (language === "go") need(toolchain(), "goHost");
      sb = await startTestSandbox({
        dataDir: join(work, "sandbox"),
        banks: [{ name: bank, management: "registration_access_token" }],
      });
      const dir = join(work, "project");
      mkdirSync(dir);
      const yaml = block(readme, "yaml", "plugins:");
      expect(yaml).toContain(`runtime: ${language}`);
      writeFileSync(join(dir, "Pulumi.yaml"), yaml.replace("node_modules/ob-dcr/bin", join(repoRoot, "bin")));
      p = await cases[language](readme, dir, work);
    }, 300_000);

    afterAll(async () => {
      await sb?.close();
      rmSync(work, { recursive: true, force: true });
    });

    it("names the sandbox's files where the sandbox writes them", () => {
      const sw = sb.manifest.orgs[0]!.softwares[0]!;
      const keyCommand = commands(readme).find((c) => c.includes("obdcr:signingPrivateKey"));
      expect(keyCommand).toBe(
        `pulumi config set --secret obdcr:signingPrivateKey < <clone>/.sandbox/${sw.signing.private_key_file.slice(
          sb.dataDir.length + 1,
        )}`,
      );
    });

    it("up registers at rfc7592-bank, its token [secret]; a second up changes nothing; refresh reads it; destroy deletes it", async () => {
      const run = (c: string) => p.run("sh", ["-c", c.replaceAll("<clone>/.sandbox", sb.dataDir)]);
      const steps = commands(readme);
      expect(steps.slice(-5)).toEqual([
        "pulumi up --yes",
        "pulumi stack output",
        "pulumi up --yes --expect-no-changes",
        "pulumi refresh --yes",
        "pulumi destroy --yes",
      ]);
      for (const c of steps.slice(0, -5)) await run(c); // stack init, config
      const up = await run("pulumi up --yes");
      expect(up).toMatch(/2 created/);
      expect(up).toMatch(/registrationAccessToken: \[secret\]/);
      expect(await run("pulumi stack output")).toMatch(/registrationAccessToken\s+\[secret\]/);
      const out = JSON.parse(await p.pulumi(["stack", "output", "--json"])) as Record<string, unknown>;
      expect(out.registrationAccessToken).toBe("[secret]");
      expect(await held()).toEqual([out.clientId]);
      expect(out.managementUri).toBe(
        `${new URL(sb.manifest.banks[0]!.discovery_url).origin}/register/${out.clientId}`,
      );
      // --show-secrets gives the token the bank issued; the state holds it encrypted only.
      const shown = JSON.parse(await p.pulumi(["stack", "output", "--json", "--show-secrets"])) as Record<
        string,
        string
      >;
      const rat = shown.registrationAccessToken!;
      const read = await fetch(String(out.managementUri), {
        headers: { authorization: `Bearer ${rat}` },
        dispatcher: sb.agent,
      });
      expect(read.status).toBe(200); // the bank's own token for this client
      await read.body?.cancel();
      expect(await p.pulumi(["stack", "export"])).not.toContain(rat);
      expect(p.log()).not.toContain(rat);
      expect(await run("pulumi up --yes --expect-no-changes")).toMatch(/2 unchanged/);
      expect(await run("pulumi refresh --yes")).toMatch(/2 unchanged/);
      expect((await sb.admin.requests(bank))["GET /register/{client_id}"]).toBeGreaterThanOrEqual(1);
      expect(await run("pulumi destroy --yes")).toMatch(/2 deleted/);
      expect(await held()).toEqual([]);
      // The signing key went in as a secret: neither the state nor the output holds it.
      const key = readFileSync(sb.manifest.orgs[0]!.softwares[0]!.signing.private_key_file, "utf8")
        .split("\n")
        .filter((l) => l.length > 40);
      const state = await p.pulumi(["stack", "export"]);
      for (const line of key) {
        expect(state).not.toContain(line);
        expect(p.log()).not.toContain(line);
      }
    }, 600_000);
  });
}
