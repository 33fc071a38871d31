/**
 * docs/signing.md's SoftHSM and "against the local sandbox" blocks, as written (read from the
 * markdown), in a folder laid out as the doc says: inside a clone (here a folder whose
 * node_modules is the repository's, so `npm prefix` is that folder and `npx ob-dcr` the built
 * CLI), whose `.sandbox/` is a sandbox started on free ports (not the doc's 9443…: the block reads
 * the ports from the sandbox's files). The token is made by the doc's own lines; the doctor and the
 * registration run through the PKCS#11 key, then through a local-kms key (on a free port: KMS_PORT).
 */
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import net from "node:net";
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
const background: ChildProcess[] = [];

beforeAll(async () => {
  requireSoftHsm();
  await ensureBuilt();
  symlinkSync(join(ROOT, "node_modules"), join(clone, "node_modules"));
  // What `npm run setup` leaves in a clone: .pulumi-state/signers.json names local-kms.
  symlinkSync(join(ROOT, ".pulumi-state"), join(clone, ".pulumi-state"));
  mkdirSync(work);
  sb = await startTestSandbox({
    dataDir: join(clone, ".sandbox"),
    banks: [{ name: "rfc7592-bank", management: "registration_access_token" }],
  });
});

afterAll(async () => {
  for (const c of background) if (c.pid) process.kill(-c.pid, "SIGTERM");
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

  it("KMS: starts local-kms, makes an ES256 key, publishes it, doctor is all ok, run registers with it", async () => {
    const port = await new Promise<number>((res) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => res(port));
      });
    });
    const env: NodeJS.ProcessEnv = { KMS_PORT: String(port) };
    for (const [k, v] of Object.entries(process.env))
      if (!k.startsWith("OBDCR_") && !k.startsWith("AWS_") && !["SANDBOX", "CLONE"].includes(k)) env[k] = v;
    const before = (await sb.admin.registrations("rfc7592-bank")).map((r) => r.client_id);
    const done = await runBlock(
      docBlock("docs/signing.md", "signing-kms-sandbox").text,
      work,
      env,
      noInstall,
      background,
    );
    expect(background).toHaveLength(1);
    const [doctor, run] = done.at(-1)!.result.stdout.split(/^== 1\./m);
    expect(doctor).toMatch(/^ok +signing key +the AWS KMS key [-0-9a-f]+: kid kms-1, alg ES256/m);
    expect(doctor).toMatch(/^ok +signing key published +the directory publishes kid kms-1 with this key/m);
    expect(doctor).not.toMatch(/^(fail|warn) /m);
    const clientId = /^client_id: (\S+)$/m.exec(run ?? "")?.[1];
    expect((await sb.admin.registrations("rfc7592-bank")).map((r) => r.client_id).sort()).toEqual(
      [...before, clientId].sort(),
    );
  }, 300_000);
});
