// A bank preset through the real engine: `bankProfile: "hsbc"` is all a user declares for an
// HSBC-like bank (application/jose, aud = issuer, ms timestamps, management scope).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ObClientRegistration } from "../../provider/resource/registration.js";
import type { Sandbox } from "../../sandbox/index.js";
import { localStack } from "../../scripts/lib/pulumi_stack.js";
import { pulumiArgs } from "../support/params.js";
import { startTestSandbox } from "../support/sandbox.js";

describe("bank profile preset on the real engine", () => {
  const dir = mkdtempSync(join(tmpdir(), "ob-dcr-profile-"));
  let sandbox: Sandbox;
  let stack: Stack;
  let bankProfile: string | undefined;
  let output = "";

  beforeAll(async () => {
    sandbox = await startTestSandbox({ dataDir: join(dir, "sandbox"), banks: ["hsbc-like"] });
    stack = await localStack({
      projectName: "ob-dcr-profile",
      stackName: "e2e",
      backend: `file://${join(dir, "state")}`,
      program: async () => {
        const args = pulumiArgs(sandbox, "hsbc-like");
        const r = new ObClientRegistration("hsbc", { ...args, ...(bankProfile ? { bankProfile } : {}) });
        return { clientId: r.clientId, issuedAt: r.clientIdIssuedAt };
      },
    });
  });

  afterAll(async () => {
    await stack?.workspace.removeStack("e2e", { force: true }).catch(() => undefined);
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("without the preset the bank refuses the spec-default request", async () => {
    bankProfile = undefined;
    const err = await stack.up({ onOutput: (s) => (output += s) }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(output).toMatch(/OBDCR_REGISTRATION_REJECTED/);
    expect(await sandbox.admin.registrations("hsbc-like")).toEqual([]);
  });

  it("with bankProfile: 'hsbc' it registers, refreshes cleanly and deletes", async () => {
    bankProfile = "hsbc";
    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    const held = await sandbox.admin.registrations("hsbc-like");
    expect(held.map((r) => r.client_id)).toEqual([up.outputs.clientId?.value]);
    // The bank answered client_id_issued_at in milliseconds: stored in seconds.
    expect(up.outputs.issuedAt?.value).toBeLessThan(1e11);
    await stack.refresh(); // GET with a management token of scope `accounts`
    expect((await stack.preview()).changeSummary.same).toBe(2);
    await stack.destroy();
    expect(await sandbox.admin.registrations("hsbc-like")).toEqual([]);
  });
});
