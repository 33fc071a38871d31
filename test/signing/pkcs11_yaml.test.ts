/**
 * The plugin from a Pulumi YAML program (no SDK: the YAML host reads the plugin's schema) with the
 * signing key in a SoftHSM2 token: `signingKey.pkcs11` in YAML (docs/signing.md's block, as written), the PIN as the `obdcr:pkcs11Pin`
 * stack config secret. One `up` registers at the sandbox, `destroy` deletes; the PIN is not in the
 * plaintext state or the CLI's output.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { toolchain, toolPath } from "../../scripts/lib/toolchain.js";
import { docBlock } from "../docs/blocks.js";
import { pulumiArgs } from "../support/params.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { makeToken, type Token } from "./softhsm.js";

const execP = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), "ob-dcr-pkcs11-yaml-"));
let sb: TestSandbox;
let token: Token;
let log = "";

async function pulumi(args: string[], input?: string): Promise<string> {
  const t = toolchain();
  const p = execP(t.pulumi, ["--non-interactive", ...args], {
    cwd: join(work, "project"),
    maxBuffer: 64 << 20,
    env: {
      ...process.env,
      PATH: toolPath(t)
        .split(":")
        .filter((d) => !d.includes("node_modules"))
        .join(":"),
      PULUMI_BACKEND_URL: `file://${join(work, "backend")}`,
      PULUMI_CONFIG_PASSPHRASE: "pkcs11-yaml-test",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    },
  });
  if (input !== undefined) p.child.stdin?.end(input);
  try {
    const r = await p;
    log += r.stdout + r.stderr;
    return r.stdout;
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    log += (x.stdout ?? "") + (x.stderr ?? "");
    throw new Error(`pulumi ${args[0]} failed:\n${x.stdout ?? ""}\n${x.stderr ?? ""}`);
  }
}

beforeAll(async () => {
  // The token and key docs/signing.md's SoftHSM steps make; its YAML block's signingKey, as written.
  token = makeToken([{ label: "signing", id: "01", type: "EC:prime256v1" }], { label: "obdcr" });
  const { signingKey } = parseYaml(docBlock("docs/signing.md", "signing-pkcs11-yaml").text) as {
    signingKey: { kid: string; alg: string; pkcs11: Record<string, string> };
  };
  expect(signingKey.pkcs11.module).toBe(token.module);
  sb = await startTestSandbox({ dataDir: join(work, "sandbox"), banks: ["sandbox-bank"] });
  await sb.admin.publishSigningKey(sb.sw.software_id, {
    ...token.publicJwk("01"),
    kid: signingKey.kid,
    alg: signingKey.alg,
  });
  const properties = {
    ...(pulumiArgs(sb, "sandbox-bank") as unknown as Record<string, unknown>),
    signingKey,
  };
  const project = {
    name: "obdcr-pkcs11-yaml",
    runtime: "yaml",
    plugins: { providers: [{ name: "obdcr", path: join(repoRoot, "bin") }] },
    resources: { reg: { type: "obdcr:index:ClientRegistration", properties } },
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Pulumi YAML's own interpolation, not a JS template
    outputs: { clientId: "${reg.clientId}" },
  };
  mkdirSync(join(work, "project"), { recursive: true });
  mkdirSync(join(work, "backend"), { recursive: true });
  // YAML is a superset of JSON.
  writeFileSync(join(work, "project", "Pulumi.yaml"), JSON.stringify(project, null, 2));
  await pulumi(["stack", "init", "dev"]);
  await pulumi(["config", "set", "--secret", "obdcr:pkcs11Pin"], token.pin);
});

afterAll(async () => {
  await sb?.close();
  rmSync(work, { recursive: true, force: true });
});

describe("Pulumi YAML program, plugin, key in a PKCS#11 token", () => {
  it("up registers, the PIN stays out of plaintext state and output; destroy deletes", async () => {
    await pulumi(["up", "--yes", "--skip-preview"]);
    const id = JSON.parse(await pulumi(["stack", "output", "--json"])).clientId as string;
    expect((await sb.admin.registrations("sandbox-bank")).map((r) => r.client_id)).toEqual([id]);
    const exported = await pulumi(["stack", "export"]);
    expect(exported).toContain("hsm-1");
    expect(exported.includes(token.pin)).toBe(false);
    expect(log.includes(token.pin)).toBe(false);
    await pulumi(["destroy", "--yes", "--skip-preview"]);
    expect(await sb.admin.registrations("sandbox-bank")).toEqual([]);
  });
});
