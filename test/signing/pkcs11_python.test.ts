/**
 * A Python program (the plugin's SDK `pulumi_obdcr`, installed from its wheel into a fresh
 * virtualenv as a user does) with the signing key in a SoftHSM2 token, through the real CLI and
 * the Python language host against the sandbox over real mTLS. The PIN comes only from the
 * `obdcr:pkcs11Pin` config secret. A token key the directory does not publish fails the `up` with
 * the typed error before any token, SSA or bank request (counted), and the output shows that error
 * and no Python traceback (#27: no `KeyboardInterrupt` below a failed `up`). The published key
 * registers; state and output are searched for the PIN and for PKCS#11 handles.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { toolchain, toolPath } from "../../scripts/lib/toolchain.js";
import { buildPythonDist, freshVirtualenv } from "../languages/python_sdk.js";
import { pulumiArgs } from "../support/params.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { signedOrWrites, softwareJwksReads } from "./counts.js";
import { makeToken, type Token } from "./softhsm.js";

const execP = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), "ob-dcr-pkcs11-python-"));
const project = join(work, "project");
let sb: TestSandbox;
let token: Token;
let python = "";
let log = "";

// The program as a user would write it: every setting from stack config, the PIN nowhere in it.
const PROGRAM = `import pulumi
import pulumi_obdcr as obdcr

config = pulumi.Config()
reg = config.require_object("registration")
hsm = config.require_object("hsm")
d = reg["directory"]

# Two registrations: when one fails, the other is still in flight as the engine ends the update.
client_ids = {}
for name in ["bank-a", "bank-b"]:
    registration = obdcr.ClientRegistration(name,
        profile=reg["profile"],
        bank=obdcr.BankArgs(discovery_url=reg["bank"]["discoveryUrl"], org_id=reg["bank"]["orgId"]),
        directory=obdcr.DirectoryArgs(token_endpoint=d["tokenEndpoint"], ssa_endpoint=d["ssaEndpoint"],
                                      jwks_uri=d["jwksUri"], software_jwks_endpoint=d["softwareJwksEndpoint"]),
        software=obdcr.SoftwareArgs(software_id=reg["software"]["softwareId"], org_id=reg["software"]["orgId"]),
        signing_key=obdcr.SigningKeyArgs(kid=hsm["kid"], alg=hsm["alg"],
            pkcs11=obdcr.SigningKeyPkcs11Args(module=hsm["module"], token_label=hsm["tokenLabel"],
                                              key_label=hsm["keyLabel"])),   # PIN: obdcr:pkcs11Pin
        transport=obdcr.TransportArgs(cert_file=reg["transport"]["certFile"], key_file=reg["transport"]["keyFile"],
                                      ca_file=reg["transport"]["caFile"]),
        client=obdcr.ClientArgs(redirect_uris=reg["client"]["redirectUris"], scope=reg["client"]["scope"],
                                token_endpoint_auth_method="private_key_jwt"))
    client_ids[name] = registration.client_id
pulumi.export("clientIds", client_ids)
`;

/** `pulumi <args>` in the project; a failure resolves too (its output is what is asserted). */
async function pulumi(args: string[], input?: string): Promise<{ code: number; out: string }> {
  const t = toolchain();
  const p = execP(t.pulumi, ["--non-interactive", ...args], {
    cwd: project,
    maxBuffer: 64 << 20,
    env: {
      ...process.env,
      PATH: toolPath(t)
        .split(":")
        .filter((d) => !d.includes("node_modules"))
        .join(":"),
      PULUMI_PYTHON_CMD: python,
      PULUMI_BACKEND_URL: `file://${join(work, "backend")}`,
      PULUMI_CONFIG_PASSPHRASE: "pkcs11-python-test",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    },
  });
  if (input !== undefined) p.child.stdin?.end(input);
  try {
    const r = await p;
    log += r.stdout + r.stderr;
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    const out = (x.stdout ?? "") + (x.stderr ?? "");
    log += out;
    return { code: typeof x.code === "number" ? x.code : 1, out };
  }
}
const ok = async (args: string[], input?: string) => {
  const r = await pulumi(args, input);
  if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed:\n${r.out}`);
  return r.out;
};

const hsmConfig = (kid: string, alg: string, keyLabel: string) =>
  JSON.stringify({ kid, alg, module: token.module, tokenLabel: token.label, keyLabel });

beforeAll(async () => {
  token = makeToken([
    { label: "ps", id: "01", type: "rsa:2048" },
    { label: "unpublished", id: "03", type: "EC:prime256v1" },
  ]);
  sb = await startTestSandbox({ dataDir: join(work, "sandbox"), banks: ["sandbox-bank"] });
  await sb.admin.publishSigningKey(sb.sw.software_id, {
    ...token.publicJwk("01"),
    kid: "hsm-py",
    alg: "PS256",
  });
  const { wheel } = await buildPythonDist(work);
  python = await freshVirtualenv(work, "venv", wheel);
  mkdirSync(project, { recursive: true });
  mkdirSync(join(work, "backend"), { recursive: true });
  writeFileSync(
    join(project, "Pulumi.yaml"),
    JSON.stringify({
      name: "obdcr-pkcs11-python",
      runtime: "python",
      plugins: { providers: [{ name: "obdcr", path: join(repoRoot, "bin") }] },
    }),
  );
  writeFileSync(join(project, "__main__.py"), PROGRAM);
  // The key file's settings out (the key is the token's), where the keys are published in.
  const { signingKey: _file, ...reg } = pulumiArgs(sb, "sandbox-bank") as unknown as Record<string, object>;
  const registration = {
    ...reg,
    directory: { ...reg.directory, softwareJwksEndpoint: sb.sw.software_jwks_endpoint },
  };
  await ok(["stack", "init", "dev"]);
  await ok(["config", "set", "registration", JSON.stringify(registration)]);
  await ok(["config", "set", "--secret", "obdcr:pkcs11Pin"], token.pin);
}, 300_000);

afterAll(async () => {
  await sb?.close();
  rmSync(work, { recursive: true, force: true });
});

/** No PIN; no PKCS#11 session or object handle (the binding's handles are Buffers/numbers named so). */
function expectNoSecrets(text: string) {
  expect(text.includes(token.pin), "the PIN is in state or output").toBe(false);
  expect(text).not.toMatch(/\b(session|object|key)_?handle\b/i);
  expect(text).not.toMatch(/"pin"\s*:/i);
}

describe("Python program (pulumi_obdcr), signing key in a PKCS#11 token", () => {
  it("a token key the directory does not publish: up fails with OBDCR_INVALID_INPUT naming the signing key, before any token, SSA or bank request; no Python traceback", async () => {
    await ok(["config", "set", "hsm", hsmConfig("hsm-unpublished", "ES256", "unpublished")]);
    const dirBefore = await sb.admin.requests("directory");
    const bankBefore = await sb.admin.requests("sandbox-bank");
    // The SIGINT races the program's own exit: without the fix about 2 of 3 failed ups here print the
    // traceback, so three ups must all be clean.
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await pulumi(["up", "--yes", "--skip-preview"]));
    for (const x of runs) {
      expect(x.code, x.out).not.toBe(0);
      expect(x.out).not.toContain("KeyboardInterrupt");
      expect(x.out).not.toContain("Traceback");
    }
    const r = runs[0]!;
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain("OBDCR_INVALID_INPUT");
    expect(r.out).toMatch(/signingKey|signing_key/);
    expect(r.out).toContain("does not publish this key nor kid hsm-unpublished");
    // The real error only: the engine's SIGINT to the language host's process group must not
    // reach the Python program as a KeyboardInterrupt traceback.
    expect(r.out).not.toContain("KeyboardInterrupt");
    expect(r.out).not.toContain("Traceback");
    // No directory token or SSA request, nothing sent to the bank but GETs of public documents
    // (the plugin prefetches discovery at check); the software JWKS was read.
    const dirAfter = await sb.admin.requests("directory");
    expect(signedOrWrites(dirAfter), "a directory token or SSA request").toBe(signedOrWrites(dirBefore));
    expect(softwareJwksReads(dirAfter)).toBeGreaterThan(softwareJwksReads(dirBefore));
    expect(signedOrWrites(await sb.admin.requests("sandbox-bank")), "a registration request").toBe(
      signedOrWrites(bankBefore),
    );
    expectNoSecrets(r.out);
  });

  it("the published token key: up registers at the sandbox; the PIN and handles are in no state or output; destroy deletes", async () => {
    await ok(["config", "set", "hsm", hsmConfig("hsm-py", "PS256", "ps")]);
    await ok(["up", "--yes", "--skip-preview"]);
    const ids = JSON.parse(await ok(["stack", "output", "--json"])).clientIds as Record<string, string>;
    expect((await sb.admin.registrations("sandbox-bank")).map((x) => x.client_id).sort()).toEqual(
      [ids["bank-a"], ids["bank-b"]].sort(),
    );
    const exported = await ok(["stack", "export"]);
    expect(exported).toContain("hsm-py"); // the kid and the key's location stay readable
    expect(exported).toContain(token.label);
    const stateDir = join(work, "backend", ".pulumi", "stacks");
    const state = readFileSync(join(stateDir, "obdcr-pkcs11-python", "dev.json"), "utf8");
    expectNoSecrets(exported);
    expectNoSecrets(state);
    await ok(["destroy", "--yes", "--skip-preview"]);
    expect(await sb.admin.registrations("sandbox-bank")).toEqual([]);
    expectNoSecrets(log);
  });
});
