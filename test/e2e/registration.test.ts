// ObClientRegistration through the real engine (Automation API, file backend) against the
// sandbox over real mTLS. The sandbox's own list of registrations is the ground truth.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext } from "../../provider/http/context.js";
import {
  createRegistration,
  deleteRegistration,
  updateRegistration,
} from "../../provider/lifecycle/registration.js";
import { type RegistrationInputs, toCoreParams } from "../../provider/resource/args.js";
import { ObClientRegistration } from "../../provider/resource/registration.js";
import type { Sandbox } from "../../sandbox/index.js";
import { localStack, stateFile } from "../../scripts/lib/pulumi_stack.js";
import { pulumiArgs } from "../support/params.js";
import { startTestSandbox } from "../support/sandbox.js";

type Args = RegistrationInputs;

describe("ObClientRegistration on the real engine", () => {
  const dir = mkdtempSync(join(tmpdir(), "ob-dcr-reg-"));
  const backend = `file://${join(dir, "state")}`;
  const projectName = "ob-dcr-e2e";
  const stackName = "registration";
  let sandbox: Sandbox;
  let stack: Stack;
  let engineOutput = "";
  const onOutput = (s: string) => {
    engineOutput += s;
  };
  /** What the program declares: logical name → args. Tests edit it between runs. */
  const declared = new Map<string, Args>();

  const held = async (bank: string) =>
    (await sandbox.admin.registrations(bank)).map((r) => r.client_id).sort();
  const stateResources = async () =>
    ((await stack.exportStack()).deployment.resources ?? []).filter((r: { type: string }) =>
      r.type.endsWith(":ObClientRegistration"),
    ) as { id: string; urn: string; outputs: Record<string, unknown> }[];
  const idsInState = async () => (await stateResources()).map((r) => r.id).sort();
  const coreParams = (args: Args) => toCoreParams(args);

  beforeAll(async () => {
    sandbox = await startTestSandbox({ dataDir: join(dir, "sandbox"), banks: ["uk-bank", "rat-bank"] });
    const m = sandbox.manifest;
    const uk = pulumiArgs(sandbox, "uk-bank") as Args;
    const rat = pulumiArgs(sandbox, "rat-bank") as Args;
    const keyPem = readFileSync(m.orgs[0]!.softwares[0]!.signing.private_key_file, "utf8");
    // The RFC 7592 bank: a client secret and a registration access token come back; the signing
    // key is given inline (a secret input) rather than as a file.
    declared.set("uk", uk);
    declared.set("rat", {
      ...rat,
      signingKey: { kid: rat.signingKey.kid, alg: "PS256", privateKey: keyPem },
      client: { ...rat.client, tokenEndpointAuthMethod: "client_secret_basic" },
    });
    stack = await localStack({
      projectName,
      stackName,
      backend,
      program: async () => {
        const out: Record<string, unknown> = {};
        for (const [name, args] of declared) {
          const r = new ObClientRegistration(name, args as never);
          out[name] = r.clientId;
          out[`${name}Secret`] = r.clientSecret;
          out[`${name}Rat`] = r.registrationAccessToken;
          out[`${name}Applied`] = {
            signingKeyIdentity: r.signingKeyIdentity,
            transportCertificate: r.transportCertificate,
            caFingerprints: r.caFingerprints,
            softwareJwksEndpoint: r.softwareJwksEndpoint,
          };
        }
        return out;
      },
    });
  });

  afterAll(async () => {
    await stack?.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("up registers at each bank; client_id and secrets are outputs, secrets marked secret", async () => {
    const up = await stack.up({ onOutput });
    expect(up.summary.resourceChanges?.create).toBe(3);
    expect(await held("uk-bank")).toEqual([up.outputs.uk?.value]);
    expect(await held("rat-bank")).toEqual([up.outputs.rat?.value]);
    expect(up.outputs.ratSecret?.secret).toBe(true);
    expect(up.outputs.ratSecret?.value).toEqual(expect.any(String));
    expect(up.outputs.ratRat?.secret).toBe(true);
    expect(up.outputs.ratRat?.value).toEqual(expect.any(String));
    // What it was applied with (README "Outputs", docs/rotation.md), readable on the resource.
    expect(up.outputs.ukApplied?.value).toMatchObject({
      signingKeyIdentity: { kid: expect.any(String), alg: "PS256", thumbprint: expect.any(String) },
      transportCertificate: {
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        subjectDn: expect.any(String),
      },
      caFingerprints: [expect.stringMatching(/^[0-9a-f]{64}$/)],
      softwareJwksEndpoint: expect.stringMatching(/^https:\/\/localhost:\d+\/keystore\//),
    });
  });

  it("stores no secret in plaintext: state file, serialized provider, engine output", async () => {
    const outs = await stack.outputs();
    const keyPem = readFileSync(sandbox.manifest.orgs[0]!.softwares[0]!.signing.private_key_file, "utf8");
    const keyBody = keyPem.split("\n")[1]!; // a line of the key's base64
    const secrets = [outs.ratSecret?.value, outs.ratRat?.value, keyBody] as string[];
    const state = readFileSync(stateFile(backend, projectName, stackName), "utf8");
    const preview = await stack.preview({ diff: true, onOutput });
    expect(preview.changeSummary.same).toBe(3);
    for (const s of secrets) {
      expect(s.length).toBeGreaterThan(10);
      expect(state).not.toContain(s);
      expect(engineOutput).not.toContain(s);
    }
    // The provider in state is the stub that loads the package by name: no protocol code.
    const provider = (await stateResources())[0]!.outputs.__provider as string;
    expect(provider).toContain('require("ob-dcr/resource-provider")');
    expect(provider.length).toBeLessThan(6000);
  });

  it("preview with no edit shows no change, also after a refresh", async () => {
    expect((await stack.preview()).changeSummary.same).toBe(3);
    const refresh = await stack.refresh();
    expect(refresh.summary.result).toBe("succeeded");
    const after = await stack.preview();
    expect(after.changeSummary.same).toBe(3);
    expect(after.changeSummary.update ?? 0).toBe(0);
    // What a refresh writes back (outputs and inputs) keeps the inline private key encrypted.
    const keyPem = readFileSync(sandbox.manifest.orgs[0]!.softwares[0]!.signing.private_key_file, "utf8");
    const state = readFileSync(stateFile(backend, projectName, stackName), "utf8");
    for (const line of keyPem.split("\n").filter((l) => l.length > 40)) expect(state).not.toContain(line);
  });

  it("a metadata edit updates in place (PUT), keeps client_id and stores the rotated RAT", async () => {
    const before = await stack.outputs();
    for (const name of ["uk", "rat"]) {
      const a = declared.get(name)!;
      declared.set(name, { ...a, client: { ...a.client, scope: "openid accounts payments" } });
    }
    const preview = await stack.preview();
    expect(preview.changeSummary.update).toBe(2);
    const up = await stack.up({ onOutput });
    expect(up.summary.resourceChanges?.update).toBe(2);
    expect(up.outputs.uk?.value).toBe(before.uk?.value);
    expect(up.outputs.rat?.value).toBe(before.rat?.value);
    expect(up.outputs.ratRat?.value).not.toBe(before.ratRat?.value); // rotated on PUT
    const reg = (await sandbox.admin.registrations("uk-bank"))[0]!;
    expect(reg.metadata.scope).toBe("openid accounts payments");
    // The rotated RAT works: a refresh (GET with it) succeeds and nothing is left to do.
    expect((await stack.refresh()).summary.result).toBe("succeeded");
    expect((await stack.preview()).changeSummary.same).toBe(3);
  });

  it("an identity edit (another software) previews as a replace", async () => {
    const a = declared.get("uk")!;
    declared.set("uk", {
      ...a,
      software: { orgId: a.software!.orgId!, softwareId: "AnotherSoftwareId0001" },
    });
    const preview = await stack.preview();
    expect(preview.changeSummary.replace).toBe(1);
    declared.set("uk", a);
    expect((await stack.preview()).changeSummary.same).toBe(3);
  });

  it("refresh detects an out-of-band change, and up puts the declared metadata back", async () => {
    const uk = (await stateResources()).find((r) => r.urn.endsWith("::uk"));
    const args = declared.get("uk")!;
    const params = await coreParams({ ...args, client: { ...args.client, scope: "openid" } });
    await updateRegistration(params, { client_id: uk!.id }, createContext());
    expect((await sandbox.admin.registrations("uk-bank"))[0]!.metadata.scope).toBe("openid");
    await stack.refresh({ onOutput });
    const preview = await stack.preview();
    expect(preview.changeSummary.update).toBe(1);
    await stack.up({ onOutput });
    expect((await sandbox.admin.registrations("uk-bank"))[0]!.metadata.scope).toBe(
      "openid accounts payments",
    );
    expect((await stack.preview()).changeSummary.same).toBe(3);
  });

  it("refresh: deleted at an OBIE bank (ambiguous invalid_client) is kept until confirmed; then dropped and created again", async () => {
    const ukId = (await stack.outputs()).uk?.value as string;
    const params = await coreParams(declared.get("uk")!);
    expect(await deleteRegistration(params, { client_id: ukId }, createContext())).toBe("deleted");
    // invalid_client at the bank's token endpoint also means "cannot verify our key": kept, explained.
    let out = "";
    const failed = await stack.refresh({ onOutput: (x) => (out += x) }).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(failed).toBeDefined();
    expect(out + failed).toMatch(/OBDCR_GONE_UNCONFIRMED: registration \S+ is kept in state/);
    expect(out + failed).toMatch(/Checked our side: transport: ok.*signingKey: ok/s);
    expect(out + failed).toContain(`OBDCR_CONFIRM_GONE=${ukId} pulumi refresh`);
    expect(await idsInState()).toContain(ukId);
    // Confirmed by the operator: dropped, and the next up registers again.
    stack.workspace.envVars.OBDCR_CONFIRM_GONE = ukId;
    try {
      await stack.refresh({ onOutput });
    } finally {
      delete stack.workspace.envVars.OBDCR_CONFIRM_GONE;
    }
    expect(await idsInState()).not.toContain(ukId);
    const up = await stack.up({ onOutput });
    expect(up.summary.resourceChanges?.create).toBe(1);
    expect(await held("uk-bank")).toEqual([up.outputs.uk?.value]);
    expect(up.outputs.uk?.value).not.toBe(ukId);
  });

  it("refresh drops a registration deleted at an RFC 7592 bank (its declared 401), and the next up creates it again", async () => {
    const outs = await stack.outputs();
    const ratId = outs.rat?.value as string;
    const params = await coreParams(declared.get("rat")!);
    const state = {
      client_id: ratId,
      registration_client_uri: `${sandbox.manifest.banks[1]!.registration_endpoint}/${ratId}`,
      secrets: {
        registration_access_token: outs.ratRat?.value as string,
        client_secret: outs.ratSecret?.value as string,
      },
    };
    expect(await deleteRegistration(params, state, createContext())).toBe("deleted");
    await stack.refresh({ onOutput });
    expect(await idsInState()).not.toContain(ratId);
    const up = await stack.up({ onOutput });
    expect(up.summary.resourceChanges?.create).toBe(1);
    expect(await held("rat-bank")).toEqual([up.outputs.rat?.value]);
  });

  it("adopts an existing registration without a POST", async () => {
    const params = await coreParams(declared.get("uk")!);
    const existing = await createRegistration(params, createContext());
    const before = await held("uk-bank");
    declared.set("adopted", { ...declared.get("uk")!, adopt: { clientId: existing.client_id } });
    const up = await stack.up({ onOutput });
    expect(up.summary.resourceChanges?.create).toBe(1);
    expect(up.outputs.adopted?.value).toBe(existing.client_id);
    expect(await held("uk-bank")).toEqual(before); // taken over, nothing new registered
    expect((await stack.preview()).changeSummary.same).toBe(4);
  });

  it("a failure after the bank's 201 keeps the registration in state (no orphan); up converges", async () => {
    // The bank answers 201 with a client_secret but no client_secret_expires_at: unusable, but
    // the client exists at the bank.
    await sandbox.admin.setQuirks("uk-bank", {
      extra_members: { client_secret: "s3cr3t-from-a-broken-bank" },
    });
    declared.set("late", declared.get("uk")!);
    let out = "";
    // The client came with a credential: the dynamic provider keeps it as created (the engine
    // seals its secret outputs only then) and warns; no orphan, no plaintext secret.
    await stack.up({ onOutput: (s) => (out += s) });
    expect(out).toMatch(
      /warning: registration .* was created at the bank but could not be completed.*with its credentials \(encrypted\).*OBDCR_OUTCOME_UNKNOWN/,
    );
    expect(out).not.toContain("s3cr3t-from-a-broken-bank");
    // The salvaged secret is a secret of the state (exportStack shows it decrypted, marked).
    const kept = (await stateResources()).find((r) => r.urn.endsWith("::late"))!;
    expect(kept.outputs.clientSecret).toMatchObject({
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    });
    expect(JSON.stringify({ ...kept.outputs, clientSecret: undefined })).not.toContain(
      "s3cr3t-from-a-broken-bank",
    );
    expect(await idsInState()).toEqual((await held("uk-bank")).concat(await held("rat-bank")).sort());
    await sandbox.admin.setQuirks("uk-bank", { extra_members: {} });
    const refreshed = await stack.refresh({ onOutput });
    expect(refreshed.summary.result).toBe("succeeded");
    const up = await stack.up({ onOutput });
    expect(up.summary.result).toBe("succeeded");
    const late = (await stateResources()).find((r) => r.urn.endsWith("::late"))!;
    expect(late.outputs.managementUri).toMatch(/^https:\/\/localhost:\d+\/register\//);
    // Completed: the bank's view is recorded (client_id is an output of its own, not repeated there).
    expect(late.outputs.clientId).toBe(late.id);
    expect(Object.keys(late.outputs.registeredMetadata as object).length).toBeGreaterThan(0);
    expect(await idsInState()).toEqual((await held("uk-bank")).concat(await held("rat-bank")).sort());
    expect((await stack.preview()).changeSummary.same).toBe(5);
  });

  it("a POST whose answer is lost names the software and the bank and explains adoption", async () => {
    await sandbox.admin.setFaults("uk-bank", [
      { kind: "reset_after_commit", path: "/register", method: "POST", count: 1 },
    ]);
    declared.set("lost", declared.get("uk")!);
    const before = await held("uk-bank");
    let msg = "";
    const err = await stack.up({ onOutput: (s) => (msg += s) }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(msg).toContain("OBDCR_OUTCOME_UNKNOWN");
    expect(msg).toContain(sandbox.manifest.orgs[0]!.softwares[0]!.software_id);
    expect(msg).toMatch(/adopt: \{ clientId/);
    // The bank did commit it: adopt it as the message says, and state matches the bank again.
    const orphan = (await held("uk-bank")).find((id) => !before.includes(id))!;
    expect(orphan).toBeDefined();
    declared.set("lost", { ...declared.get("uk")!, adopt: { clientId: orphan } });
    await stack.up({ onOutput });
    expect(await idsInState()).toEqual((await held("uk-bank")).concat(await held("rat-bank")).sort());
  });

  it("a bank that offers no GET: refresh keeps the last known state and warns", async () => {
    await sandbox.admin.setQuirks("rat-bank", { allow_get: false });
    const before = await idsInState();
    let out = "";
    const refresh = await stack.refresh({ onOutput: (s) => (out += s) });
    expect(refresh.summary.result).toBe("succeeded");
    expect(out).toMatch(/the bank does not offer GET, so refresh keeps the last known state/);
    expect(await idsInState()).toEqual(before);
    await sandbox.admin.setQuirks("rat-bank", { allow_get: true });
  });

  it("destroy refuses to orphan a registration the bank won't delete, then deletes everything", async () => {
    await sandbox.admin.setQuirks("rat-bank", { allow_delete: false });
    let out = "";
    const err = await stack.destroy({ onOutput: (s) => (out += s) }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(out).toMatch(/OBDCR_NOT_SUPPORTED: .*Revoke the client in the bank's developer portal/);
    expect(await idsInState()).toEqual(await held("rat-bank")); // still tracked
    await sandbox.admin.setQuirks("rat-bank", { allow_delete: true });
    const res = await stack.destroy({ onOutput });
    expect(res.summary.result).toBe("succeeded");
    expect(await held("uk-bank")).toEqual([]);
    expect(await held("rat-bank")).toEqual([]);
    expect(await idsInState()).toEqual([]);
  });
});
