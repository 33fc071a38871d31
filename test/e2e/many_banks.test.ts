// Many banks in one `pulumi up`: the provider host shares one directory token and one SSA
// download per software across every registration (counted at the sandbox).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxArgs } from "../../examples/sandbox/program.js";
import { ObClientRegistration } from "../../provider/resource/registration.js";
import { type Sandbox, startSandbox } from "../../sandbox/index.js";
import { localStack } from "../../scripts/lib/pulumi_stack.js";

const BANKS = ["bank-a", "bank-b", "bank-c", "bank-d", "bank-e", "bank-f"];

describe("many banks in one pulumi up", () => {
  const dir = mkdtempSync(join(tmpdir(), "ob-dcr-many-"));
  let sandbox: Sandbox;
  let stack: Stack;

  beforeAll(async () => {
    sandbox = await startSandbox({ dataDir: join(dir, "sandbox"), banks: BANKS.map((name) => ({ name })) });
    stack = await localStack({
      projectName: "ob-dcr-many",
      stackName: "e2e",
      backend: `file://${join(dir, "state")}`,
      program: async () =>
        Object.fromEntries(
          BANKS.map((b) => [b, new ObClientRegistration(b, sandboxArgs(sandbox.manifest, b)).clientId]),
        ),
    });
  });

  afterAll(async () => {
    await stack?.workspace.removeStack("e2e", { force: true }).catch(() => undefined);
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("registers at every bank with one directory token and one SSA download", async () => {
    const up = await stack.up();
    expect(up.summary.resourceChanges?.create).toBe(BANKS.length + 1);
    const directory = await sandbox.admin.requests("directory");
    expect(directory["POST /as/token.oauth2"]).toBe(1);
    expect(directory["GET /api/v2/tpp/{org_id}/ssa/{software_id}"]).toBe(1);
    for (const b of BANKS) {
      expect((await sandbox.admin.requests(b))["POST /register"]).toBe(1);
      expect((await sandbox.admin.registrations(b)).map((r) => r.client_id)).toEqual([up.outputs[b]?.value]);
    }
    await stack.destroy();
    for (const b of BANKS) expect(await sandbox.admin.registrations(b)).toEqual([]);
  });
});
