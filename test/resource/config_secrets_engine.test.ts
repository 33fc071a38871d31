/**
 * The engine records a dynamic provider's configuration (the whole stack config) in the state of
 * its provider resource, as it was given: `ob-dcr:pkcs11Pin` (or a private key) set without
 * `--secret` ended up in plaintext state, readable by `pulumi stack export`. The program now stops
 * before registering anything, naming the key and the fix; set as a secret, it is encrypted.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RegistrationInputs } from "../../provider/resource/args.js";
import { ObClientRegistration } from "../../provider/resource/registration.js";
import { localStack, stateFile } from "../../scripts/lib/pulumi_stack.js";
import { tmpDir } from "../cli/helpers.js";
import { sandboxForFile } from "../support/hooks.js";
import { pulumiArgs } from "../support/params.js";

const sb = sandboxForFile({ prefix: "cfg-secret", banks: ["sandbox-bank"] });
const dir = tmpDir();
const backend = `file://${join(dir, "state")}`;
const PIN = "pin-plain-4711-never-in-state";
let stack: Stack;
let out = "";
const onOutput = (s: string) => {
  out += s;
};
const state = () => readFileSync(stateFile(backend, "ob-dcr-cfg-secret", "cfg"), "utf8");

beforeAll(async () => {
  stack = await localStack({
    projectName: "ob-dcr-cfg-secret",
    stackName: "cfg",
    backend,
    program: async () => ({
      id: new ObClientRegistration("r", pulumiArgs(sb, "sandbox-bank") as unknown as RegistrationInputs)
        .clientId,
    }),
  });
});

afterAll(async () => {
  await stack?.workspace.removeStack("cfg", { force: true }).catch(() => undefined);
});

describe("ob-dcr:pkcs11Pin set without --secret (dynamic resource)", () => {
  it("up stops before anything is registered, naming the key and `--secret`; the PIN is in no state or output", async () => {
    await stack.setConfig("ob-dcr:pkcs11Pin", { value: PIN, secret: false });
    const before = (await sb.admin.registrations("sandbox-bank")).length;
    const e = await stack.up({ onOutput }).then(
      () => undefined,
      (x: Error) => x,
    );
    expect(e, "up must fail").toBeDefined();
    expect(out).toContain("OBDCR_INVALID_INPUT");
    expect(out).toContain("pulumi config set --secret ob-dcr:pkcs11Pin");
    expect(out).not.toContain(PIN);
    expect(state()).not.toContain(PIN);
    expect((await sb.admin.registrations("sandbox-bank")).length).toBe(before);
  });

  it("set as a secret: up registers, and the PIN is encrypted in state", async () => {
    await stack.setConfig("ob-dcr:pkcs11Pin", { value: PIN, secret: true });
    const up = await stack.up({ onOutput });
    expect(up.summary.result).toBe("succeeded");
    expect(state()).not.toContain(PIN);
    expect(out).not.toContain(PIN);
    await stack.destroy({ onOutput });
  });
});
