// A failed `up` of a Python program that uses the component `obdcr.BankRegistrations`
// (examples/python-banks, real CLI, BR emulator): the registrations inside it fail, the engine ends
// the component's construction and shuts the resource monitor down while the program still waits
// on the component's RegisterResource, which is answered with gRPC UNKNOWN "resource monitor shut
// down". The Python SDK made that a plain Exception: "Program failed with an unhandled exception"
// and a Python traceback of some fifty lines below the real error. pulumi_obdcr now maps it to the
// SDK's own quiet shutdown error (sdk/python/pulumi_obdcr/_engine_exit.py): the output shows the
// registrations' errors and no traceback. The SDK as a user gets it: the wheel, in a fresh
// virtualenv. Without the mapping the traceback shows in most runs, not all (it races the engine's
// SIGINT to the program, which _engine_exit also ends quietly): here 3 of 4 runs, 1 of 2 of this test.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfbBrSandbox } from "../../sandbox/ofb_br/index.js";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { startOfbBr } from "../support/regimes.js";
import { copyExample, type Project } from "./project.js";
import { buildPythonDist, freshVirtualenv } from "./python_sdk.js";

describe("examples/python-banks: a registration inside BankRegistrations fails", () => {
  const work = mkdtempSync(join(tmpdir(), "obdcr-python-component-failure-"));
  let sb: OfbBrSandbox;
  let p: Project;

  beforeAll(async () => {
    sb = await startOfbBr({
      dataDir: join(work, "sandbox"),
      servers: [{ name: "ofb-as-a" }, { name: "ofb-as-b" }],
      listing: { servers: ["ofb-as-a", "ofb-as-b"] },
    });
    const { wheel } = await buildPythonDist(work);
    p = copyExample("python-banks", work, { PULUMI_PYTHON_CMD: await freshVirtualenv(work, "venv", wheel) });
    await p.pulumi(["stack", "init", "dev"]);
    const script = join(repoRoot, "examples", "yaml-banks", "sandbox-config.mjs");
    await p.run(process.execPath, [script, "--manifest", join(work, "sandbox", "manifest.json")]);
    // A redirect URI the SSA does not list: every registration is refused before anything is sent.
    await p.pulumi(["config", "set", "--path", "redirectUris[0]", "https://elsewhere.example/cb"]);
  }, 300_000);

  afterAll(async () => {
    await sb?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("the up fails with the registrations' errors and no Python traceback", async () => {
    await expect(p.pulumi(["up", "--yes", "--skip-preview"])).rejects.toThrow(/update failed/);
    const out = p.log();
    expect(out).toContain(
      'OBDCR_INVALID_INPUT: client.redirectUris.0: "https://elsewhere.example/cb" is not one of the SSA\'s software_redirect_uris',
    );
    expect(out).not.toContain("Traceback");
    expect(out).not.toContain("unhandled exception");
    expect(out).not.toContain("KeyboardInterrupt");
    for (const server of ["ofb-as-a", "ofb-as-b"]) expect(sb.admin.clients(server)).toEqual([]);
  }, 300_000);
});
