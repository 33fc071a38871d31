// The native provider (bin/pulumi-resource-obdcr) on the real engine against the sandbox over
// real mTLS: create, update, replace, refresh after an out-of-band deletion, delete; secrets
// encrypted in state. The sandbox's own list of registrations is the ground truth.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext } from "../../provider/http/context.js";
import { createRegistration, deleteRegistration } from "../../provider/lifecycle/registration.js";
import { type RegistrationInputs, toCoreParams } from "../../provider/resource/args.js";
import { stateFile } from "../../scripts/lib/pulumi_stack.js";
import { pulumiArgs } from "../support/params.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { type Args, nativeStack, TYPE } from "./stack.js";

type Resource = {
  id: string;
  urn: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
};

describe("native provider obdcr:index:ClientRegistration on the real engine", () => {
  const dir = mkdtempSync(join(tmpdir(), "ob-dcr-native-"));
  const backend = `file://${join(dir, "state")}`;
  const projectName = "ob-dcr-native";
  const stackName = "native";
  const declared = new Map<string, Args>();
  let sb: TestSandbox;
  let stack: Stack;
  let engineOutput = "";
  let imp: Args;
  let existing: Awaited<ReturnType<typeof createRegistration>>;
  let ratToken: string;
  const onOutput = (s: string) => {
    engineOutput += s;
  };
  /** What a bank holds, besides the registration made out of band for the import test. */
  const held = async (bank: string) =>
    (await sb.admin.registrations(bank))
      .map((r) => r.client_id)
      .filter((id) => id !== existing?.client_id)
      .sort();
  const resources = async () =>
    ((await stack.exportStack()).deployment.resources ?? []).filter(
      (r: { type: string }) => r.type === TYPE,
    ) as Resource[];
  const idOf = async (name: string) => (await resources()).find((r) => r.urn.endsWith(`::${name}`))?.id;
  /** A secret output's value (the export shows secrets decrypted, as `{sig, plaintext: JSON}`). */
  const secretOf = async (name: string, key: string) => {
    const r = (await resources()).find((x) => x.urn.endsWith(`::${name}`))!;
    const v = r.outputs[key] as { plaintext?: string } | string;
    return typeof v === "string" ? v : (JSON.parse(v.plaintext!) as string);
  };
  const transportPem = () => readFileSync(sb.manifest.orgs[0]!.softwares[0]!.transport.key_file, "utf8");
  const keyPem = () => readFileSync(sb.manifest.orgs[0]!.softwares[0]!.signing.private_key_file, "utf8");

  beforeAll(async () => {
    sb = await startTestSandbox({ dataDir: join(dir, "sandbox"), banks: ["uk-bank", "rat-bank"] });
    const rat = pulumiArgs(sb, "rat-bank") as unknown as RegistrationInputs;
    declared.set("uk", pulumiArgs(sb, "uk-bank") as unknown as Args);
    // Signing key inline and in plain (not a Pulumi secret): the provider must still keep it secret.
    declared.set("rat", {
      ...rat,
      signingKey: { kid: rat.signingKey.kid, alg: "PS256", privateKey: keyPem() },
      client: { ...rat.client, tokenEndpointAuthMethod: "client_secret_basic" },
    });
    stack = await nativeStack({ projectName, stackName, backend, declared });
    // A registration made outside Pulumi, to import later.
    imp = {
      ...pulumiArgs(sb, "rat-bank"),
      client: {
        ...(pulumiArgs(sb, "rat-bank").client as Args),
        tokenEndpointAuthMethod: "client_secret_basic",
      },
    } as unknown as Args;
    existing = await createRegistration(
      await toCoreParams(imp as unknown as RegistrationInputs),
      createContext(),
    );
    ratToken = existing.secrets.registration_access_token!;
  });

  afterAll(async () => {
    await stack?.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
    await sb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("up registers at each bank through the plugin (one directory token and SSA for both); client_id is the id, the client secret a secret output", async () => {
    const directory = async () => {
      const r = await sb.admin.requests("directory");
      return [r["POST /as/token.oauth2"] ?? 0, r["GET /api/v2/tpp/{org_id}/ssa/{software_id}"] ?? 0];
    };
    const [tokens, ssas] = await directory();
    const up = await stack.up({ onOutput });
    expect(up.summary.resourceChanges?.create).toBe(3); // the stack and 2 registrations
    // One provider process, one context: one directory token and one SSA serve both banks.
    expect(await directory()).toEqual([tokens! + 1, ssas! + 1]);
    expect(await held("uk-bank")).toEqual([up.outputs.uk?.value]);
    expect(await held("rat-bank")).toEqual([up.outputs.rat?.value]);
    expect(up.outputs.ratSecret?.secret).toBe(true);
    expect(up.outputs.ratSecret?.value).toEqual(expect.any(String));
  });

  it("keeps secrets encrypted in state and out of the engine output; the key material identity stays readable", async () => {
    const inState = readFileSync(stateFile(backend, projectName, stackName), "utf8");
    const raw = JSON.parse(inState) as { checkpoint: { latest: { resources: Resource[] } } };
    const rat = raw.checkpoint.latest.resources.find((r) => r.urn.endsWith("::rat"))!;
    const secrets = [
      ...keyPem()
        .split("\n")
        .filter((l) => l.length > 40),
      String((await stack.outputs()).ratSecret?.value),
      await secretOf("rat", "registrationAccessToken"),
    ];
    for (const s of secrets) {
      expect(inState).not.toContain(s);
      expect(engineOutput).not.toContain(s);
    }
    for (const k of ["clientSecret", "registrationAccessToken"]) {
      const v = JSON.stringify(rat.outputs[k]);
      expect(v, k).toContain("ciphertext");
    }
    // The declared inputs are recorded once, as inputs: the outputs do not repeat them.
    expect(JSON.stringify(rat.inputs.signingPrivateKey)).toContain("ciphertext");
    expect(rat.outputs.signingPrivateKey).toBeUndefined();
    expect(rat.inputs.signingKey).toEqual({ kid: expect.any(String), alg: "PS256" });
    expect(rat.outputs.signingKey).toBeUndefined();
    expect(rat.outputs.signingKeyIdentity).toMatchObject({ thumbprint: expect.any(String) });
  });

  it("every output key is a property of the schema", async () => {
    const schema = JSON.parse(readFileSync(join(__dirname, "../../provider/native/schema.json"), "utf8"));
    const props = Object.keys(schema.resources[TYPE].properties);
    for (const r of await resources())
      for (const k of Object.keys(r.outputs)) expect(props, `output ${k}`).toContain(k);
  });

  it("preview with no edit shows no change, also after a refresh", async () => {
    expect((await stack.preview()).changeSummary.same).toBe(3);
    expect((await stack.refresh({ onOutput })).summary.result).toBe("succeeded");
    const after = await stack.preview();
    expect(after.changeSummary.same).toBe(3);
    expect(after.changeSummary.update ?? 0).toBe(0);
  });

  it("a metadata edit updates in place (PUT) and keeps the client_id", async () => {
    const before = { uk: await idOf("uk"), rat: await idOf("rat") };
    for (const name of ["uk", "rat"]) {
      const a = declared.get(name)!;
      declared.set(name, { ...a, client: { ...(a.client as Args), scope: "openid accounts payments" } });
    }
    const up = await stack.up({ onOutput });
    expect(up.summary.resourceChanges?.update).toBe(2);
    expect(up.outputs.uk?.value).toBe(before.uk);
    expect(up.outputs.rat?.value).toBe(before.rat);
    expect((await sb.admin.registrations("uk-bank"))[0]!.metadata.scope).toBe("openid accounts payments");
    expect((await stack.preview()).changeSummary.same).toBe(3);
  });

  it("an identity edit (another profile) replaces: a new client_id, the old one deleted at the bank", async () => {
    const old = await idOf("uk");
    declared.set("uk", { ...declared.get("uk")!, profile: "obie-3.3" });
    const up = await stack.up({ onOutput });
    expect(up.summary.resourceChanges?.replace).toBe(1);
    expect(up.outputs.uk?.value).not.toBe(old);
    expect(await held("uk-bank")).toEqual([up.outputs.uk?.value]);
  });

  it("refresh drops a registration deleted out of band (RFC 7592 bank), and the next up registers it again", async () => {
    const ratId = (await idOf("rat"))!;
    const params = await toCoreParams(declared.get("rat") as unknown as RegistrationInputs);
    const state = {
      client_id: ratId,
      secrets: { registration_access_token: await secretOf("rat", "registrationAccessToken") },
    };
    expect(await deleteRegistration(params, state, createContext())).toBe("deleted");
    await stack.refresh({ onOutput });
    expect((await resources()).map((r) => r.id)).not.toContain(ratId);
    const up = await stack.up({ onOutput });
    expect(up.summary.resourceChanges?.create).toBe(1);
    expect(await held("rat-bank")).toEqual([up.outputs.rat?.value]);
  });

  it("provider config: the signing key from a config secret; config changes recorded by an up that changes no registration", async () => {
    const before = { uk: await held("uk-bank"), rat: await held("rat-bank") };
    await stack.setConfig("obdcr:importInputs", { value: JSON.stringify(imp) });
    await stack.setConfig("obdcr:importRegistrationAccessToken", { value: ratToken, secret: true });
    await stack.setConfig("obdcr:importClientSecret", {
      value: existing.secrets.client_secret!,
      secret: true,
    });
    await stack.setConfig("obdcr:signingPrivateKey", { value: keyPem(), secret: true });
    // Set without --secret: CheckConfig marks it secret all the same (checked in the state below).
    await stack.setConfig("obdcr:transportKey", { value: transportPem() });
    // A bad value is refused at preview, naming its key.
    await stack.setConfig("obdcr:maxRetries", { value: "many" });
    const bad = await stack.preview().then(
      () => "accepted",
      (e: Error) => e.message,
    );
    expect(bad).toMatch(/obdcr:maxRetries: /);
    await stack.setConfig("obdcr:maxRetries", { value: "2" });
    const up = await stack.up({ onOutput });
    expect(up.summary.resourceChanges?.create ?? 0).toBe(0);
    expect({ uk: await held("uk-bank"), rat: await held("rat-bank") }).toEqual(before);
    // A registration that names its key (kid, alg) but not the key: the provider config gives it.
    const uk = declared.get("uk")!;
    declared.set("cfgkey", { ...uk, signingKey: { kid: (uk.signingKey as Args).kid, alg: "PS256" } });
    const up2 = await stack.up({ onOutput });
    expect(up2.summary.resourceChanges?.create).toBe(1);
    expect(await held("uk-bank")).toContain(up2.outputs.cfgkey?.value);
    const inState = readFileSync(stateFile(backend, projectName, stackName), "utf8");
    for (const pem of [keyPem(), transportPem()])
      for (const line of pem.split("\n").filter((l) => l.length > 40)) expect(inState).not.toContain(line);
    expect(inState).not.toContain(ratToken);
  });

  it("pulumi import by client_id (inputs and the RAT from provider config); the next up changes nothing", async () => {
    // An unknown client_id: a clear error, not "provider does not support importing".
    const ghost = await stack
      .import({ resources: [{ type: TYPE, name: "ghost", id: "no-such-client" }], generateCode: false })
      .then(
        () => "imported?",
        (e: Error) => e.message,
      );
    expect(ghost).toMatch(
      /OBDCR_REGISTRATION_GONE: cannot import registration no-such-client: .* does not hold it/,
    );
    expect(ghost).not.toMatch(/does not support importing/);
    const before = await held("rat-bank");
    await stack.import({
      resources: [{ type: TYPE, name: "imported", id: existing.client_id }],
      generateCode: false,
      protect: false,
      onOutput,
    });
    expect(await idOf("imported")).toBe(existing.client_id);
    expect(await held("rat-bank")).toEqual(before); // read, nothing registered
    declared.set("imported", imp);
    const preview = await stack.preview({ onOutput });
    expect(preview.changeSummary.same).toBe(5);
    expect(preview.changeSummary.update ?? 0).toBe(0);
    const up = await stack.up({ onOutput });
    expect(up.summary.resourceChanges?.same).toBe(5);
    expect(up.outputs.imported?.value).toBe(existing.client_id);
    const inState = readFileSync(stateFile(backend, projectName, stackName), "utf8");
    expect(inState).not.toContain(ratToken);
    expect(inState).not.toContain(existing.secrets.client_secret!);
    expect(engineOutput).not.toContain(ratToken);
  });

  it("destroy deletes every registration at its bank", async () => {
    const res = await stack.destroy({ onOutput });
    expect(res.summary.result).toBe("succeeded");
    expect(await held("uk-bank")).toEqual([]);
    expect(await held("rat-bank")).toEqual([]);
    expect(await resources()).toEqual([]);
    expect(await sb.admin.registrations("rat-bank")).toEqual([]); // the imported one too
  });
});
