// `pulumi import` WITH code generation (issue #15): the YAML language host (pulumi-language-yaml,
// built by `npm run setup`) writes the program text of a registration imported by client_id. A
// registration made out of band at an RFC 7592 sandbox bank is imported into a fresh YAML project;
// the generated block must declare the inputs read from the bank and hold no credential, and, put
// into the program as generated, be accepted by the YAML host with the engine planning no change.
// The nodejs/python hosts built here (sdk v3.68) cannot generate code: docs in
// provider/native/README.md, "Generated code". Needs `npm run setup` and `npm run build`.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { createContext } from "../../provider/http/context.js";
import { camelToSnake } from "../../provider/lifecycle/inputs.js";
import { createRegistration } from "../../provider/lifecycle/registration.js";
import { DEMO_PASSPHRASE, repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { need, toolchain, toolPath } from "../../scripts/lib/toolchain.js";
import { coreParams, pulumiArgs } from "../support/params.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

const execP = promisify(execFile);
const TYPE = "obdcr:index:ClientRegistration";
const PROJECT = "obdcr-import-codegen";
const BANK = "rat-bank";
type Json = Record<string, unknown>;

/** The project file: the plugin from this repository, and the program's `resources:` (YAML text). */
const pulumiYaml = (resources = "") => `name: ${PROJECT}
runtime: yaml
plugins:
  providers:
    - name: obdcr
      path: ${join(repoRoot, "bin")}
${resources}`;

describe("pulumi import of a registration, with the YAML code pulumi generates", () => {
  const tmp = mkdtempSync(join(tmpdir(), "obdcr-import-codegen-"));
  const dir = join(tmp, "project");
  const out = join(tmp, "imported.yaml");
  const t = toolchain();
  let sb: TestSandbox;
  let env: NodeJS.ProcessEnv;
  let existing: Awaited<ReturnType<typeof createRegistration>>;
  let importInputs: Json;
  let generated: string;
  let log = "";

  /** `pulumi <args>` in the project, `input` on stdin; what it printed is kept in `log`. */
  const pulumiIn = async (input: string | undefined, ...args: string[]) => {
    const p = execP(t.pulumi, ["--non-interactive", ...args], { cwd: dir, env, maxBuffer: 64 << 20 });
    if (input !== undefined) p.child.stdin?.end(input);
    try {
      const r = await p;
      log += r.stdout + r.stderr;
      return r.stdout;
    } catch (e) {
      const x = e as { stdout?: string; stderr?: string };
      log += (x.stdout ?? "") + (x.stderr ?? "");
      throw new Error(`pulumi ${args.slice(0, 2).join(" ")} failed:\n${x.stdout ?? ""}\n${x.stderr ?? ""}`);
    }
  };
  const pulumi = (...args: string[]) => pulumiIn(undefined, ...args);
  /** A secret config value, piped (never on a command line). */
  const secretConfig = (key: string, value: string) => pulumiIn(value, "config", "set", "--secret", key);
  const sw = () => sb.manifest.orgs[0]!.softwares[0]!;
  /** Every credential of the test: none may appear in generated code or output. */
  const credentials = () => [
    existing.secrets.registration_access_token!,
    existing.secrets.client_secret!,
    ...[sw().signing.private_key_file, sw().transport.key_file].flatMap((f) =>
      readFileSync(f, "utf8")
        .split("\n")
        .filter((l) => l.length > 40),
    ),
  ];
  const held = async () => (await sb.admin.registrations(BANK)).map((r) => r.client_id);
  const metadataAtBank = async () =>
    (await sb.admin.registrations(BANK)).find((r) => r.client_id === existing.client_id)!.metadata as Json;
  const program = () => parse(readFileSync(join(dir, "Pulumi.yaml"), "utf8")) as Json;

  beforeAll(async () => {
    need(t, "yamlHost");
    sb = await startTestSandbox({ dataDir: join(tmp, "sandbox"), banks: [BANK] });
    // Out of band: a client_secret_basic client at an RFC 7592 bank (a RAT and a client secret).
    existing = await createRegistration(
      coreParams(sb, BANK, { client: { token_endpoint_auth_method: "client_secret_basic" } }),
      createContext(),
    );
    // The inputs as a program declares them, key material by file, without `client`: the import
    // then takes every managed field as the bank holds it. A bank profile (a union in the schema)
    // and an integer input go through the generated code too.
    const args = pulumiArgs(sb, BANK) as unknown as Json;
    importInputs = {
      ...args,
      client: undefined,
      bankProfile: { aud: "org_id", management: { style: "rfc7592" } },
      expiryWarningDays: 10,
    };
    delete importInputs.client;
    mkdirSync(dir);
    mkdirSync(join(tmp, "backend"));
    writeFileSync(join(dir, "Pulumi.yaml"), pulumiYaml());
    env = {
      ...process.env,
      // The CLI and the recorded language hosts first; not the repo's Node (the wrapper finds it).
      PATH: toolPath(t)
        .split(":")
        .filter((p) => !p.includes("node_modules"))
        .join(":"),
      PULUMI_BACKEND_URL: `file://${join(tmp, "backend")}`,
      PULUMI_CONFIG_PASSPHRASE: DEMO_PASSPHRASE,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    await pulumi("stack", "init", "dev");
  });

  afterAll(async () => {
    await sb?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("import inputs holding a private key are refused (CheckConfig), naming the member and the fix", async () => {
    const pem = readFileSync(sw().signing.private_key_file, "utf8");
    const inline = {
      ...importInputs,
      signingKey: { kid: sw().signing.kid, alg: "PS256", privateKey: pem },
    };
    await pulumi("config", "set", "obdcr:importInputs", JSON.stringify(inline));
    const refused = await pulumi("import", TYPE, "imported", existing.client_id, "--yes", "--out", out).then(
      () => "imported",
      (e: Error) => e.message,
    );
    expect(refused).toMatch(
      /obdcr:importInputs\.signingKey\.privateKey: a secret in the import inputs .*give signingKey\.privateKeyFile, or set the secret obdcr:signingPrivateKey/,
    );
    for (const line of pem.split("\n").filter((l) => l.length > 40)) expect(refused).not.toContain(line);
    expect(await pulumi("stack", "--show-urns")).not.toContain(TYPE); // nothing imported
  });

  it("`pulumi import` generates YAML declaring the registration as the bank holds it, with no credential in it", async () => {
    await pulumi("config", "set", "obdcr:importInputs", JSON.stringify(importInputs));
    await secretConfig("obdcr:importRegistrationAccessToken", existing.secrets.registration_access_token!);
    await secretConfig("obdcr:importClientSecret", existing.secrets.client_secret!);
    await pulumi("up", "--yes"); // records the provider config; registers nothing
    expect(await held()).toEqual([existing.client_id]);

    await pulumi("import", TYPE, "imported", existing.client_id, "--yes", "--out", out);
    generated = readFileSync(out, "utf8");
    const doc = parse(generated) as { resources: Record<string, Json> };
    expect(Object.keys(doc.resources)).toEqual(["imported"]);
    const r = doc.resources.imported!;
    expect(r.type).toBe("obdcr:ClientRegistration"); // the YAML host's short form of TYPE
    expect(r.options).toEqual({ protect: true });
    const { client, ...rest } = r.properties as Json;
    // Everything but `client` as the import inputs gave it (files, not their contents).
    expect(rest).toEqual(importInputs);
    // `client`: the bank's registered metadata, camelCase, value for value.
    const atBank = await metadataAtBank();
    expect(client).toMatchObject({
      redirectUris: sw().software_redirect_uris.slice(0, 1),
      scope: "openid accounts",
      tokenEndpointAuthMethod: "client_secret_basic",
      grantTypes: expect.any(Array),
    });
    for (const [k, v] of Object.entries(client as Json)) expect(v, k).toEqual(atBank[camelToSnake(k)]);
    // No credential in the generated code nor in what the commands printed.
    expect(generated).not.toMatch(/PRIVATE KEY|clientSecret|registrationAccessToken|adopt/);
    for (const s of credentials()) {
      expect(generated).not.toContain(s);
      expect(log).not.toContain(s);
    }
    expect(await held()).toEqual([existing.client_id]); // read, nothing registered
  });

  it("the generated block as the program: the YAML host accepts it and the engine plans no change", async () => {
    writeFileSync(join(dir, "Pulumi.yaml"), pulumiYaml(generated));
    const before = { metadata: await metadataAtBank(), requests: await sb.admin.requests(BANK) };
    await pulumi("preview", "--expect-no-changes");
    const up = await pulumi("up", "--yes", "--expect-no-changes");
    expect(up).toMatch(/2 unchanged/);
    expect(await held()).toEqual([existing.client_id]);
    expect(await metadataAtBank()).toEqual(before.metadata);
    const puts = (r: Record<string, number>) =>
      Object.entries(r)
        .filter(([k]) => k.startsWith("PUT ") || k.startsWith("POST "))
        .reduce((n, [, c]) => n + c, 0);
    expect(puts(await sb.admin.requests(BANK))).toBe(puts(before.requests));
  });

  it("the nodejs host built here imports, then says it cannot generate code (the README quotes it)", async () => {
    const node = join(tmp, "nodejs");
    mkdirSync(node);
    writeFileSync(
      join(node, "Pulumi.yaml"),
      pulumiYaml().replace("runtime: yaml", "runtime: nodejs").replace(PROJECT, `${PROJECT}-nodejs`),
    );
    writeFileSync(join(node, "index.js"), "");
    const inNode = (...args: string[]) =>
      execP(t.pulumi, ["--non-interactive", ...args], { cwd: node, env }).then(
        (r) => ({ code: 0, out: r.stdout + r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
    await inNode("stack", "init", "dev");
    await inNode("config", "set", "obdcr:importInputs", JSON.stringify(importInputs));
    const p = execP(
      t.pulumi,
      ["--non-interactive", "config", "set", "--secret", "obdcr:importRegistrationAccessToken"],
      {
        cwd: node,
        env,
      },
    );
    p.child.stdin?.end(existing.secrets.registration_access_token!);
    await p;
    const r = await inNode("import", TYPE, "imported", existing.client_id, "--yes", "--protect=false");
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/= 1 imported/);
    expect(r.out).toContain("error: method GenerateProgram not implemented");
    for (const c of credentials()) expect(r.out).not.toContain(c);
    // Leave the registration to the YAML stack: forget it here without deleting it at the bank.
    const urn = `urn:pulumi:dev::${PROJECT}-nodejs::${TYPE}::imported`;
    expect((await inNode("state", "delete", urn, "--yes")).code).toBe(0);
    expect(await held()).toEqual([existing.client_id]);
  });

  it("an edit of the generated declaration updates the registration in place (PUT, same client_id)", async () => {
    const p = program();
    const imported = (p.resources as Record<string, Json>).imported!;
    const props = imported.properties as Json;
    props.client = { ...(props.client as Json), scope: "openid accounts payments" };
    writeFileSync(join(dir, "Pulumi.yaml"), stringify(p));
    const up = await pulumi("up", "--yes");
    expect(up).toMatch(/1 updated/);
    expect(await held()).toEqual([existing.client_id]);
    expect((await metadataAtBank()).scope).toBe("openid accounts payments");
    await pulumi("preview", "--expect-no-changes");
  });

  it("the served schema names the committed SDKs, so TypeScript/Python generated code imports them", async () => {
    const wrapper = join(repoRoot, "bin", "pulumi-resource-obdcr");
    const schema = JSON.parse(await pulumi("package", "get-schema", wrapper)) as {
      language: Record<string, { packageName: string }>;
    };
    const npmName = JSON.parse(readFileSync(join(repoRoot, "sdk", "nodejs", "package.json"), "utf8")).name;
    expect(schema.language.nodejs?.packageName).toBe(npmName);
    const pyName = /setup\(name='([^']+)'/.exec(
      readFileSync(join(repoRoot, "sdk", "python", "setup.py"), "utf8"),
    )?.[1];
    expect(schema.language.python?.packageName).toBe(pyName);
  });

  it("unprotected, destroy deletes the imported registration at the bank", async () => {
    const p = program();
    (p.resources as Record<string, Json>).imported!.options = { protect: false };
    writeFileSync(join(dir, "Pulumi.yaml"), stringify(p));
    await pulumi("up", "--yes");
    await pulumi("destroy", "--yes");
    expect(await held()).toEqual([]);
    for (const s of credentials()) expect(log).not.toContain(s);
  });
});
