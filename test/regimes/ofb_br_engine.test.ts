// BR Open Finance through the real engine: ObClientRegistration (`pulumi up` with the real CLI,
// file backend) against the strict OFB emulator (Directory + three authorisation servers) over
// real mTLS. The servers' own lists of clients are the ground truth.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObClientRegistrationArgs } from "../../provider/pulumi.js";
import type { OfbBrSandbox } from "../../sandbox/ofb_br/index.js";
import { ofbParams, ofbServer, ofbSoftware, regimePulumiArgs, startOfbBr } from "../support/regimes.js";
import {
  confirmedRefresh,
  failingRefresh,
  keyLines,
  type RegimeStack,
  regimeStack,
} from "./engine_support.js";

const SERVERS = ["ofb-as-a", "ofb-as-b", "ofb-as-c"];

describe("ofb-br on the real engine", () => {
  const dir = mkdtempSync(join(tmpdir(), "ob-dcr-ofb-"));
  let sb: OfbBrSandbox;
  let s: RegimeStack;
  const held = (server: string) =>
    sb.admin
      .clients(server)
      .map((c) => c.client_id)
      .sort();
  const args = (server: string, over: Record<string, unknown> = {}): ObClientRegistrationArgs =>
    regimePulumiArgs(ofbParams(sb.manifest, { server }), over);

  beforeAll(async () => {
    sb = await startOfbBr({
      dataDir: join(dir, "sandbox"),
      servers: [
        { name: "ofb-as-a" },
        // Rotates the registration access token on every management call; RCU with ?client_id=.
        { name: "ofb-as-b", rat_rotation: "every-call", rcu_style: "query" },
        { name: "ofb-as-c", rat_rotation: "on-put", duplicate_error: "invalid_request" },
      ],
    });
    s = await regimeStack(dir, "ob-dcr-ofb", "e2e");
    s.declared.set("a", { args: args("ofb-as-a") });
    // tls_client_auth: the subject DN is derived from the ICP-Brasil-style certificate (§2.5).
    s.declared.set("b", {
      args: args("ofb-as-b", { client: { tokenEndpointAuthMethod: "tls_client_auth" } }),
    });
    s.declared.set("c", { args: args("ofb-as-c") });
  });

  afterAll(async () => {
    await s?.stack.workspace.removeStack("e2e", { force: true }).catch(() => undefined);
    await sb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("preview refuses what ofb-br forbids, naming the property, before anything is sent", async () => {
    sb.admin.resetStats();
    s.declared.set("bad", {
      args: args("ofb-as-a", {
        client: { jwks: { keys: [] }, webhookUris: ["https://tpp.example.com.br/w?x=1"] },
      }),
    });
    let out = "";
    const err = await s.stack.preview({ onOutput: (x) => (out += x) }).catch((e: Error) => e);
    s.declared.delete("bad");
    expect(err).toBeInstanceOf(Error);
    expect(out + String(err)).toMatch(/property client\.jwks .*has a problem: is refused by ofb-br/);
    expect(out + String(err)).toMatch(/property client\.webhookUris\.0 .*has a problem: .*without query/);
    expect(sb.admin.stats()).toMatchObject({ directory_token_requests: 0, ssa_requests: 0 });
  });

  it("up registers at each server with one directory token and one SSA; the RAT is a secret output", async () => {
    sb.admin.resetStats();
    const up = await s.stack.up({ onOutput: s.onOutput });
    expect(up.summary.resourceChanges?.create).toBe(4); // the stack and three registrations
    for (const [name, server] of [
      ["a", "ofb-as-a"],
      ["b", "ofb-as-b"],
      ["c", "ofb-as-c"],
    ] as const)
      expect(held(server)).toEqual([up.outputs[name]?.value]);
    const stats = sb.admin.stats();
    expect(stats.directory_token_requests).toBe(1);
    expect(stats.ssa_requests).toBe(1);
    expect(up.outputs.bRat?.secret).toBe(true);
    expect(up.outputs.bUri?.value).toMatch(/\?client_id=/); // the RCU, used verbatim
    const { sw } = ofbSoftware(sb.manifest);
    const b = sb.admin.clients("ofb-as-b")[0]!.metadata;
    expect(b.tls_client_auth_subject_dn).toBe(sw.transport.subject_dn);
    expect(b.jwks_uri).toBe(sw.software_jwks_uri);
  });

  it("a second up with no change changes nothing", async () => {
    const up = await s.stack.up({ onOutput: s.onOutput });
    expect(up.summary.resourceChanges?.same).toBe(4);
    expect((await s.stack.preview()).changeSummary.same).toBe(4);
    // A refresh reads each server's view (a rotating one hands out a new RAT, which is stored): no
    // drift, so no PUT.
    const refreshed = await s.stack.up({ onOutput: s.onOutput, refresh: true });
    expect(refreshed.summary.resourceChanges?.update ?? 0).toBe(0);
    expect((await s.stack.preview()).changeSummary.same).toBe(4);
  });

  it("redirect URIs and webhook_uris edit: a PUT with a freshly fetched SSA, client_id kept", async () => {
    const before = await s.stack.outputs();
    const { sw } = ofbSoftware(sb.manifest);
    const a = s.declared.get("a")!;
    s.declared.set("a", {
      args: {
        ...a.args,
        client: {
          ...(a.args.client as object),
          redirectUris: sw.software_redirect_uris.slice(1, 2),
          webhookUris: sw.software_api_webhook_uris,
        },
      },
    });
    sb.admin.resetStats();
    const up = await s.stack.up({ onOutput: s.onOutput });
    expect(up.summary.resourceChanges?.update).toBe(1);
    expect(up.outputs.a?.value).toBe(before.a?.value);
    const md = sb.admin.clients("ofb-as-a")[0]!.metadata;
    expect(md.redirect_uris).toEqual(sw.software_redirect_uris.slice(1, 2));
    expect(md.webhook_uris).toEqual(sw.software_api_webhook_uris);
    expect(sb.admin.stats().ssa_requests).toBe(1);
    expect((await s.stack.preview()).changeSummary.same).toBe(4);
  });

  it("RAT rotation on every call: GET, PUT, GET each store the newest token (the old one stops working at once)", async () => {
    // Stack outputs are re-exported from state by an `up` that changes nothing (no call to the server).
    const stored = async () => {
      const up = await s.stack.up({ onOutput: s.onOutput, refresh: false });
      return up.outputs.bRat?.value as string;
    };
    const seen = [await stored()];
    sb.admin.resetStats();
    // 1: refresh (GET) rotates.
    await s.stack.refresh({ onOutput: s.onOutput });
    seen.push(await stored());
    // 2: an edit (PUT) rotates; it authenticates with the token the refresh stored.
    const b = s.declared.get("b")!;
    s.declared.set("b", {
      args: { ...b.args, client: { ...(b.args.client as object), scope: "openid payments" } },
    });
    const up = await s.stack.up({ onOutput: s.onOutput, refresh: false });
    expect(up.summary.resourceChanges?.update).toBe(1);
    seen.push(up.outputs.bRat?.value as string);
    // 3: refresh (GET) again, with the token the PUT returned.
    await s.stack.refresh({ onOutput: s.onOutput });
    seen.push(await stored());
    // Four different tokens, and each call succeeded with the one stored before it: an older token
    // is refused at once (401), which a refresh would have taken for a deletion.
    expect(new Set(seen).size).toBe(4);
    const st = sb.admin.stats().servers["ofb-as-b"]!;
    expect(st).toMatchObject({ gets: 2, puts: 1 });
    expect(held("ofb-as-b")).toHaveLength(1);
    expect(await s.ids()).toContain(held("ofb-as-b")[0]);
    expect((await s.stack.preview()).changeSummary.same).toBe(4);
  });

  it("a preview --refresh whose rotated RAT is never saved does not make the next refresh drop the live registration", async () => {
    const id = (await s.stack.outputs()).b?.value as string;
    // The preview's GET rotates the RAT at the server; a preview saves no state.
    await s.stack.preview({ refresh: true, onOutput: s.onOutput });
    // The stored RAT is superseded: refused (401), which must not count as a deletion.
    const said = await failingRefresh(s);
    expect(said).toMatch(/OBDCR_GONE_UNCONFIRMED/);
    expect(said).toMatch(/superseded the token/);
    expect(await s.ids()).toContain(id);
    expect(held("ofb-as-b")).toEqual([id]);
    // Recover for the next cases: the operator deletes the client at the server, confirms, re-registers.
    sb.admin.deleteClient("ofb-as-b", id);
    await confirmedRefresh(s, id);
    const up = await s.stack.up({ onOutput: s.onOutput });
    expect(up.summary.resourceChanges?.create).toBe(1);
    expect(held("ofb-as-b")).toEqual([up.outputs.b?.value]);
  });

  it("a deletion at the server is seen by refresh: a 401 for the RAT is ambiguous (it may rotate), kept until confirmed, then dropped and registered again", async () => {
    const id = (await s.stack.outputs()).c?.value as string;
    sb.admin.deleteClient("ofb-as-c", id);
    const said = await failingRefresh(s);
    expect(said).toMatch(/OBDCR_GONE_UNCONFIRMED/);
    expect(said).toContain(`OBDCR_CONFIRM_GONE=${id}`);
    expect(await s.ids()).toContain(id);
    await confirmedRefresh(s, id);
    expect(await s.ids()).not.toContain(id);
    const up = await s.stack.up({ onOutput: s.onOutput });
    expect(up.summary.resourceChanges?.create).toBe(1);
    expect(held("ofb-as-c")).toEqual([up.outputs.c?.value]);
  });

  it("one registration per software: a replacement at the same server deletes first", async () => {
    const old = (await s.stack.outputs()).c?.value as string;
    const c = s.declared.get("c")!;
    const server = ofbServer(sb.manifest, "ofb-as-c");
    // Naming the endpoint explicitly is an identity change: a replacement at the same server.
    s.declared.set("c", {
      args: {
        ...c.args,
        bank: { ...(c.args.bank as object), registrationEndpoint: server.registration_endpoint },
      },
    });
    const preview = await s.stack.preview();
    expect(preview.changeSummary.replace).toBe(1);
    const up = await s.stack.up({ onOutput: s.onOutput });
    expect(up.summary.result).toBe("succeeded");
    expect(held("ofb-as-c")).toEqual([up.outputs.c?.value]);
    expect(up.outputs.c?.value).not.toBe(old);
  });

  it("no secret in state or engine output (keys, registration access tokens)", async () => {
    const { sw } = ofbSoftware(sb.manifest);
    const state = s.state();
    const outs = await s.stack.outputs();
    const secrets = [outs.aRat?.value, outs.bRat?.value, outs.cRat?.value] as string[];
    for (const v of secrets) {
      expect(v.length).toBeGreaterThan(10);
      expect(state).not.toContain(v);
      expect(s.output()).not.toContain(v);
    }
    for (const line of [...keyLines(sw.signing.private_key_file), ...keyLines(sw.transport.key_file)]) {
      expect(state).not.toContain(line);
      expect(s.output()).not.toContain(line);
    }
  });

  it("destroy deletes every registration (DELETE 204 with the newest RAT)", async () => {
    const res = await s.stack.destroy({ onOutput: s.onOutput });
    expect(res.summary.result).toBe("succeeded");
    for (const server of SERVERS) expect(held(server)).toEqual([]);
    expect(await s.ids()).toEqual([]);
  });
});
