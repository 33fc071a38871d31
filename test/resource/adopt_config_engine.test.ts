/**
 * examples/adopt-existing reads the bank's registration access token from the stack config
 * (`ob-dcr:adoptRegistrationAccessToken`). The engine records a dynamic provider's configuration in
 * the state of its provider resource as given, so the token set without `--secret` was in
 * plaintext in `pulumi stack export`, although the program read it with getSecret. The program now
 * stops before registering or adopting anything, naming the key and `--secret`; set as a secret, the
 * example adopts the client and the token is encrypted in state. Real engine, sandbox over mTLS.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adopt } from "../../examples/adopt-existing/program.js";
import { createContext } from "../../provider/http/context.js";
import { createRegistration } from "../../provider/lifecycle/registration.js";
import { localStack, stateFile } from "../../scripts/lib/pulumi_stack.js";
import { tmpDir } from "../cli/helpers.js";
import { sandboxForFile } from "../support/hooks.js";
import { coreParams, pulumiArgs } from "../support/params.js";

const sb = sandboxForFile({ prefix: "adopt-cfg", banks: ["rat-bank"] });
const dir = tmpDir();
const backend = `file://${join(dir, "state")}`;
let stack: Stack;
let out = "";
const onOutput = (s: string) => {
  out += s;
};
let existing: { client_id: string; rat: string };

beforeAll(async () => {
  const made = await createRegistration(coreParams(sb, "rat-bank"), createContext());
  const rat = made.secrets.registration_access_token;
  if (!rat) throw new Error("rat-bank issued no registration access token");
  existing = { client_id: made.client_id, rat };
  stack = await localStack({
    projectName: "ob-dcr-adopt-cfg",
    stackName: "adopt",
    backend,
    program: async () => adopt("adopted", pulumiArgs(sb, "rat-bank")),
  });
  await stack.setConfig("ob-dcr:adoptClientId", { value: existing.client_id });
});

afterAll(async () => {
  await stack?.workspace.removeStack("adopt", { force: true }).catch(() => undefined);
});

/** The state as stored (what `pulumi stack export` prints without --show-secrets). */
const state = () => readFileSync(stateFile(backend, "ob-dcr-adopt-cfg", "adopt"), "utf8");

describe("examples/adopt-existing: ob-dcr:adoptRegistrationAccessToken", () => {
  it("set without --secret: up stops before adopting, naming the key and --secret; the token is in no state or output", async () => {
    await stack.setConfig("ob-dcr:adoptRegistrationAccessToken", { value: existing.rat, secret: false });
    const e = await stack.up({ onOutput }).then(
      () => undefined,
      (x: Error) => x,
    );
    expect(e, "up must fail").toBeDefined();
    expect(out).toContain("pulumi config set --secret ob-dcr:adoptRegistrationAccessToken");
    expect(out).toContain("OBDCR_INVALID_INPUT");
    expect(out).not.toContain(existing.rat);
    expect(state()).not.toContain(existing.rat);
    // Nothing was adopted: no resource of ours in state.
    expect(state()).not.toContain("dynamic:Resource::adopted");
  });

  it("set as a secret: up adopts the client, and the token is encrypted in state", async () => {
    await stack.setConfig("ob-dcr:adoptRegistrationAccessToken", { value: existing.rat, secret: true });
    const up = await stack.up({ onOutput });
    expect(up.outputs.clientId?.value).toBe(existing.client_id);
    expect(state()).not.toContain(existing.rat);
    expect(out).not.toContain(existing.rat);
    await stack.destroy({ onOutput });
  });
});
