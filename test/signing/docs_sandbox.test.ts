/**
 * docs/signing.md's SoftHSM and "against the local sandbox" blocks, as written (read from the
 * markdown), in a folder laid out as the doc says: inside a clone (here a folder whose
 * node_modules is the repository's, so `npm prefix` is that folder and `npx ob-dcr` the built
 * CLI), whose `.sandbox/` is a sandbox started on free ports (not the doc's 9443…: the block reads
 * the ports from the sandbox's files). The token is made by the doc's own lines; the doctor and the
 * registration run through the PKCS#11 key.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../cli/helpers.js";
import { docBlock, runBlock } from "../docs/blocks.js";
import { ROOT } from "../package/offline_project.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { requireSoftHsm } from "./softhsm.js";

const clone = mkdtempSync(join(tmpdir(), "obdcr-docs-signing-"));
const work = join(clone, "try-hsm");
let sb: TestSandbox;

beforeAll(async () => {
  requireSoftHsm();
  await ensureBuilt();
  symlinkSync(join(ROOT, "node_modules"), join(clone, "node_modules"));
  mkdirSync(work);
  sb = await startTestSandbox({
    dataDir: join(clone, ".sandbox"),
    banks: [{ name: "rfc7592-bank", management: "registration_access_token" }],
  });
});

afterAll(async () => {
  await sb?.close();
  rmSync(clone, { recursive: true, force: true });
});

const noInstall = {
  npmInstall: async () => {
    throw new Error("these blocks install nothing");
  },
  pipInstall: async () => {
    throw new Error("these blocks install nothing");
  },
};

describe("docs/signing.md: a SoftHSM key against the local sandbox, the blocks as written", () => {
  it("makes the token and key, publishes it, doctor is all ok, run registers with the HSM key", async () => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env))
      if (!k.startsWith("OBDCR_") && k !== "SOFTHSM2_CONF" && k !== "SANDBOX") env[k] = v;
    await runBlock(docBlock("docs/signing.md", "signing-softhsm").text, work, env, noInstall);
    const done = await runBlock(
      docBlock("docs/signing.md", "signing-pkcs11-sandbox").text,
      work,
      env,
      noInstall,
    );
    expect(env.SANDBOX).toBe(join(clone, ".sandbox"));
    const [doctor, run] = done.at(-1)!.result.stdout.split(/^== 1\./m);
    expect(doctor).toMatch(
      /^ok +signing key +the PKCS#11 key label "signing" in token "obdcr": kid hsm-1, alg ES256/m,
    );
    expect(doctor).toMatch(/^ok +signing key published +the directory publishes kid hsm-1 with this key/m);
    expect(doctor).not.toMatch(/^(fail|warn) /m);
    const clientId = /^client_id: (\S+)$/m.exec(run ?? "")?.[1];
    expect((await sb.admin.registrations("rfc7592-bank")).map((r) => r.client_id)).toEqual([clientId]);
  }, 300_000);
});
