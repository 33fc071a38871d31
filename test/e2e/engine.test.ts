// The real engine path: Automation API → pulumi CLI → dynamic provider host → our provider,
// with a throwaway file backend. No mocks.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { program } from "../../examples/engine-check/program.js";
import { localStack, stateFile } from "../../scripts/lib/pulumi_stack.js";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

describe("engine path (real pulumi up/preview/destroy)", () => {
  const dir = mkdtempSync(join(tmpdir(), "ob-dcr-engine-"));
  const backend = `file://${dir}`;
  const projectName = "ob-dcr-engine-check";
  const stackName = "e2e";
  let message = "first message";
  let stack: Stack;
  let output = "";

  beforeAll(async () => {
    stack = await localStack({ projectName, stackName, backend, program: async () => program(message) });
  });

  afterAll(async () => {
    await stack?.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it("up creates the resource and returns its outputs", async () => {
    const up = await stack.up({ onOutput: (s) => (output += s) });
    expect(up.summary.result).toBe("succeeded");
    expect(up.summary.resourceChanges?.create).toBe(2); // the stack + Echo
    expect(up.outputs.digest?.value).toBe(sha256("first message"));
    expect(up.outputs.packageVersion?.value).toBe(
      JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")).version,
    );
    expect(up.outputs.nonce?.secret).toBe(true);
    expect(up.outputs.nonce?.value).toMatch(/^[0-9a-f]{32}$/);
  });

  it("keeps the secret output out of plaintext state and engine output", async () => {
    const nonce = (await stack.outputs()).nonce?.value as string;
    const state = readFileSync(stateFile(backend, projectName, stackName), "utf8");
    expect(state).toContain('"ciphertext"');
    expect(state).not.toContain(nonce);
    expect(output).not.toContain(nonce);
  });

  it("preview with no edit shows no change", async () => {
    const preview = await stack.preview();
    expect(preview.changeSummary.same).toBe(2);
    expect(preview.changeSummary.update ?? 0).toBe(0);
  });

  it("an edited input updates in place", async () => {
    const before = (await stack.outputs()).nonce?.value;
    message = "second message";
    const up = await stack.up();
    expect(up.summary.resourceChanges?.update).toBe(1);
    expect(up.outputs.digest?.value).toBe(sha256("second message"));
    expect(up.outputs.nonce?.value).toBe(before); // update keeps state it did not change
  });

  it("destroy removes everything", async () => {
    const res = await stack.destroy();
    expect(res.summary.result).toBe("succeeded");
    expect(res.summary.resourceChanges?.delete).toBe(2);
    const state = await stack.exportStack();
    expect(state.deployment.resources ?? []).toHaveLength(0);
  });
});
