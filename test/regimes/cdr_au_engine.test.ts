// AU CDR through the real engine: ObClientRegistration (`pulumi up` with the real CLI, file
// backend) against the strict CDR emulator (Register + three data holders) over real mTLS. The
// holders' own lists of clients are the ground truth; the Register counts tokens and SSAs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObClientRegistrationArgs } from "../../provider/pulumi.js";
import type { CdrAuSandbox } from "../../sandbox/cdr_au/index.js";
import { cdrParams, cdrProduct, regimePulumiArgs, startCdrAu } from "../support/regimes.js";
import {
  confirmedRefresh,
  failingRefresh,
  keyLines,
  type RegimeStack,
  regimeStack,
} from "./engine_support.js";

const HOLDERS = ["cdr-holder-a", "cdr-holder-b", "cdr-holder-c"];

describe("cdr-au on the real engine", () => {
  const dir = mkdtempSync(join(tmpdir(), "ob-dcr-cdr-"));
  let sb: CdrAuSandbox;
  let s: RegimeStack;
  const held = (holder: string) =>
    sb.admin
      .clients(holder)
      .map((c) => c.client_id)
      .sort();
  const args = (holder: string, over: Record<string, unknown> = {}): ObClientRegistrationArgs =>
    regimePulumiArgs(cdrParams(sb.manifest, { holder }), over);

  beforeAll(async () => {
    sb = await startCdrAu({
      dataDir: join(dir, "sandbox"),
      holders: [
        { name: "cdr-holder-a" },
        // The mock data holder's rules: authorization_code required, the other duplicate code.
        {
          name: "cdr-holder-b",
          require_authorization_code_grant: true,
          duplicate_error: "invalid_software_statement",
        },
        // DELETE is optional in the CDS: this one answers 405.
        { name: "cdr-holder-c", delete_supported: false },
      ],
    });
    s = await regimeStack(dir, "ob-dcr-cdr", "e2e");
    s.declared.set("a", { args: args("cdr-holder-a") });
    s.declared.set("b", { args: args("cdr-holder-b", { bankProfile: "cdr-mock-dh" }) });
    s.declared.set("c", { args: args("cdr-holder-c") });
  });

  afterAll(async () => {
    await s?.stack.workspace.removeStack("e2e", { force: true }).catch(() => undefined);
    await sb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("preview refuses what cdr-au forbids, naming the property, before anything is sent", async () => {
    sb.admin.resetStats();
    s.declared.set("bad", { args: args("cdr-holder-a", { client: { responseTypes: ["code id_token"] } }) });
    let out = "";
    const err = await s.stack.preview({ onOutput: (x) => (out += x) }).catch((e: Error) => e);
    s.declared.delete("bad");
    expect(err).toBeInstanceOf(Error);
    expect(out + String(err)).toMatch(
      /property client\.idTokenEncryptedResponseAlg .*has a problem: is required by cdr-au/,
    );
    expect(sb.admin.stats().register_token_requests).toBe(0);
  });

  it("up registers the product at each holder with one Register token and one SSA", async () => {
    sb.admin.resetStats();
    const up = await s.stack.up({ onOutput: s.onOutput });
    expect(up.summary.resourceChanges?.create).toBe(4); // the stack and three registrations
    for (const [name, holder] of [
      ["a", "cdr-holder-a"],
      ["b", "cdr-holder-b"],
      ["c", "cdr-holder-c"],
    ] as const)
      expect(held(holder)).toEqual([up.outputs[name]?.value]);
    const stats = sb.admin.stats();
    expect(stats.register_token_requests).toBe(1);
    expect(stats.ssa_requests).toBe(1);
    for (const h of HOLDERS) expect(stats.holders[h]?.registrations).toBe(1);
    // What the holder registered: the product's SSA, code + JARM, no RAT (CDR has none).
    const md = sb.admin.clients("cdr-holder-a")[0]!.metadata;
    const { product } = cdrProduct(sb.manifest);
    expect(md).toMatchObject({
      software_id: product.software_product_id,
      response_types: ["code"],
      authorization_signed_response_alg: "PS256",
      application_type: "web",
    });
    expect(up.outputs.aRat?.value).toBeUndefined();
  });

  it("a second up with no change changes nothing", async () => {
    const up = await s.stack.up({ onOutput: s.onOutput });
    expect(up.summary.resourceChanges?.same).toBe(4);
    expect(up.summary.resourceChanges?.update ?? 0).toBe(0);
    expect((await s.stack.preview()).changeSummary.same).toBe(4);
    // A refresh reads each holder's view (the SSA's claims flattened into it, no RAT/RCU): no
    // substitution, no drift, so no PUT.
    const refreshed = await s.stack.up({ onOutput: s.onOutput, refresh: true });
    expect(refreshed.summary.resourceChanges?.update ?? 0).toBe(0);
    expect((await s.stack.preview()).changeSummary.same).toBe(4);
  });

  it("a redirect URI edit is a PUT with a fresh SSA (cdr:registration token), client_id kept", async () => {
    const before = await s.stack.outputs();
    const { product } = cdrProduct(sb.manifest);
    const uris = product.redirect_uris.slice(1, 2);
    const a = s.declared.get("a")!;
    s.declared.set("a", {
      args: { ...a.args, client: { ...(a.args.client as object), redirectUris: uris } },
    });
    sb.admin.resetStats();
    const up = await s.stack.up({ onOutput: s.onOutput });
    expect(up.summary.resourceChanges?.update).toBe(1);
    expect(up.outputs.a?.value).toBe(before.a?.value);
    expect(sb.admin.clients("cdr-holder-a")[0]!.metadata.redirect_uris).toEqual(uris);
    const stats = sb.admin.stats();
    expect(stats.holders["cdr-holder-a"]?.puts).toBe(1);
    expect(stats.ssa_requests).toBe(1); // fresh SSA for the PUT
    expect((await s.stack.preview()).changeSummary.same).toBe(4);
  });

  it("a deletion at the holder is seen by refresh: kept until confirmed (invalid_client is ambiguous), then dropped and registered again", async () => {
    const id = (await s.stack.outputs()).a?.value as string;
    sb.admin.deleteClient("cdr-holder-a", id);
    const said = await failingRefresh(s);
    expect(said).toMatch(/OBDCR_GONE_UNCONFIRMED/);
    expect(said).toContain(`OBDCR_CONFIRM_GONE=${id}`);
    expect(await s.ids()).toContain(id);
    await confirmedRefresh(s, id);
    expect(await s.ids()).not.toContain(id);
    const up = await s.stack.up({ onOutput: s.onOutput });
    expect(up.summary.resourceChanges?.create).toBe(1);
    expect(held("cdr-holder-a")).toEqual([up.outputs.a?.value]);
  });

  it("no secret in state or engine output (private keys, the Register's and holders' tokens never recorded)", async () => {
    const { product } = cdrProduct(sb.manifest);
    const state = s.state();
    for (const line of [
      ...keyLines(product.signing.private_key_file),
      ...keyLines(product.transport.key_file),
    ]) {
      expect(state).not.toContain(line);
      expect(s.output()).not.toContain(line);
    }
    expect(state).not.toMatch(/access_token/);
  });

  it("destroy: DELETE 204 at two holders; the holder without DELETE (405) fails the destroy with the portal remedy, nothing orphaned", async () => {
    let out = "";
    const err = await s.stack.destroy({ onOutput: (x) => (out += x) }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(out).toMatch(/OBDCR_NOT_SUPPORTED: .*HTTP 405.*Revoke the client in the bank's developer portal/s);
    expect(held("cdr-holder-a")).toEqual([]);
    expect(held("cdr-holder-b")).toEqual([]);
    expect(await s.ids()).toEqual(held("cdr-holder-c")); // still tracked
    // The remedy: revoke it in the holder's portal (here: its admin API), then let Pulumi forget it.
    sb.admin.deleteClient("cdr-holder-c", held("cdr-holder-c")[0]!);
    const c = s.declared.get("c")!;
    s.declared.clear();
    s.declared.set("c", { ...c, retainOnDelete: true });
    await s.stack.up({ onOutput: s.onOutput, refresh: false }); // records retainOnDelete, sends nothing
    const res = await s.stack.destroy({ onOutput: s.onOutput });
    expect(res.summary.result).toBe("succeeded");
    expect(await s.ids()).toEqual([]);
    for (const h of HOLDERS) expect(held(h)).toEqual([]);
  });
});
