// A rotation the bank must know of, at banks that offer no PUT: replaced where the bank allows a
// second registration of the software, else refused with the portal steps (nothing orphaned).
import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../sandbox/index.js";
import {
  argsFor,
  type EngineHarness,
  engineHarness,
  expectBanksMatchState,
} from "../reliability/engine_support.js";
import { startTestSandbox } from "../support/sandbox.js";

describe("day 2 at banks without PUT", () => {
  let sb: Sandbox;
  let h: EngineHarness;
  const certDir = mkdtempSync(join(tmpdir(), "obdcr-noput-"));
  const sw = () => sb.manifest.orgs[0]!.softwares[0]!;
  const BANKS = ["noput-bank", "noput-strict"];

  beforeAll(async () => {
    sb = await startTestSandbox({
      prefix: "rel-noput",
      banks: [
        { name: "noput-bank", management: "registration_access_token", quirks: { allow_put: false } },
        {
          name: "noput-strict",
          management: "registration_access_token",
          quirks: { allow_put: false, reject_duplicate_software: true },
        },
      ],
    });
    mkdirSync(join(certDir, "c"));
    copyFileSync(sw().transport.cert_file, join(certDir, "c", "transport.cert.pem"));
    copyFileSync(sw().transport.key_file, join(certDir, "c", "transport.key.pem"));
    h = await engineHarness("ob-dcr-noput", "noput");
    for (const bank of BANKS) {
      const a = argsFor(sb, bank, false);
      h.declared.set(bank, {
        ...a,
        bankProfile: { supports: { update: false }, refusesDuplicateRegistration: bank === "noput-strict" },
        transport: {
          ...a.transport,
          certFile: join(certDir, "c", "transport.cert.pem"),
          keyFile: join(certDir, "c", "transport.key.pem"),
        },
        client: { ...a.client, tokenEndpointAuthMethod: "tls_client_auth" },
      });
    }
    await h.stack.up({ onOutput: h.onOutput });
  });

  afterAll(async () => {
    await h?.stack.workspace.removeStack("noput", { force: true }).catch(() => undefined);
    await sb?.close();
  });

  it("a new subject DN: the preview says what happens; replaced where allowed, portal steps where not", async () => {
    const before = Object.fromEntries(
      await Promise.all(
        BANKS.map(async (b) => [b, (await sb.admin.registrations(b)).map((r) => r.client_id)]),
      ),
    );
    await sb.admin.reissueTransport(sw().software_id, { subjectDnChange: true, outDir: join(certDir, "c") });
    let text = "";
    const preview = await h.stack.preview({ onOutput: (s) => (text += s) });
    expect(preview.changeSummary.replace).toBe(1);
    expect(text).toMatch(
      /this bank offers no PUT: new tls_client_auth_subject_dn is applied by replacing the registration/,
    );
    expect(text).toMatch(/offers no PUT and refuses a second registration .* developer portal/);
    let upText = "";
    const ok = await h.stack.up({ onOutput: (s) => (upText += s), continueOnError: true }).then(
      () => true,
      (e: Error) => {
        upText += e.message;
        return false;
      },
    );
    expect(ok).toBe(false);
    expect(upText).toMatch(/OBDCR_NOT_SUPPORTED: .*this bank offers no PUT.*developer portal/s);
    // Replaced: a new client_id registered; the old one is deleted once the run completes (the
    // engine keeps it in state, pending deletion, while another resource failed). Refused: the
    // old one is still held and in state.
    const heldAt = (b: string) => sb.admin.registrations(b).then((r) => r.map((x) => x.client_id));
    const held = await heldAt("noput-bank");
    expect(held).toHaveLength(2);
    expect(held).toEqual(expect.arrayContaining(before["noput-bank"]!));
    expect(await heldAt("noput-strict")).toEqual(before["noput-strict"]);
    await expectBanksMatchState(h, sb, BANKS);
    // The strict bank's client is handled in its portal (here: dropped from the program); the
    // next run completes the replacement.
    h.declared.delete("noput-strict");
    await h.stack.up({ onOutput: h.onOutput });
    const now = await heldAt("noput-bank");
    expect(now).toHaveLength(1);
    expect(now).not.toEqual(before["noput-bank"]);
    expect(await heldAt("noput-strict")).toEqual([]);
    await expectBanksMatchState(h, sb, BANKS);
  });
});
