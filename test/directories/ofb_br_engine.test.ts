// Banks from the BR directory through the real engine: `registerBanks` (list → filter → plan →
// one ObClientRegistration per bank) in an inline program, `pulumi up` with the real CLI and a
// file backend, against the BR emulator over real mTLS. The servers' own lists of clients and
// the emulator's request counts are the ground truth.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegisterBanksArgs, registerBanks } from "../../provider/resource/banks.js";
import type { OfbBrSandbox } from "../../sandbox/ofb_br/index.js";
import { localStack } from "../../scripts/lib/pulumi_stack.js";
import { ofbParams, regimePulumiArgs, startOfbBr } from "../support/regimes.js";

const SERVERS = ["ofb-as-a", "ofb-as-b", "ofb-as-c"];

describe("BR banks from the directory on the real engine", () => {
  const dir = mkdtempSync(join(tmpdir(), "ob-dcr-banks-br-"));
  let sb: OfbBrSandbox;
  let stack: Stack;
  let args: RegisterBanksArgs;
  let out = "";
  const id = (server: string) => sb.admin.listEntryFor(server).id;
  const held = (server: string) => sb.admin.clients(server).length;
  /** Requests that change a registration, at every server. */
  const changes = () =>
    SERVERS.reduce((n, s) => {
      const st = sb.admin.stats().servers[s]!;
      return n + st.registrations + st.puts + st.deletes;
    }, 0);
  const failingUp = async () => {
    let o = "";
    const e = await stack.up({ onOutput: (x) => (o += x) }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    if (e === undefined) throw new Error("the up succeeded; it was expected to fail");
    return o + e;
  };

  beforeAll(async () => {
    sb = await startOfbBr({
      dataDir: join(dir, "sandbox"),
      servers: SERVERS.map((name) => ({ name })),
      // c is not listed at first: the admin adds it later.
      listing: { servers: ["ofb-as-a", "ofb-as-b"] },
    });
    args = {
      registration: regimePulumiArgs(ofbParams(sb.manifest)) as RegisterBanksArgs["registration"],
      listUrl: sb.manifest.directory.participants_url!,
      filter: { families: [{ family: "payments-consents", major: 4 }], roles: ["CONTA"] },
      knownListFile: join(dir, "known.json"),
    };
    stack = await localStack({
      projectName: "ob-dcr-banks-br",
      stackName: "e2e",
      backend: `file://${join(dir, "state")}`,
      program: async () => {
        const banks = await registerBanks("br", args);
        return { banks: banks.banks, clientIds: banks.clientIds };
      },
    });
  });

  afterAll(async () => {
    await stack?.workspace.removeStack("e2e", { force: true }).catch(() => undefined);
    await sb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("one up registers exactly the matching active banks, with one directory token and one SSA", async () => {
    sb.admin.resetStats();
    sb.admin.list.resetStats();
    const up = await stack.up({ onOutput: (x) => (out += x) });
    // The stack, the component, two registrations.
    expect(up.summary.resourceChanges?.create).toBe(4);
    expect([held("ofb-as-a"), held("ofb-as-b"), held("ofb-as-c")]).toEqual([1, 1, 0]);
    expect((up.outputs.banks!.value as { id: string }[]).map((b) => b.id)).toEqual([
      id("ofb-as-a"),
      id("ofb-as-b"),
    ]);
    // docs/directories.md: `export const clientIds = banks.clientIds`, by bank id.
    expect(up.outputs.clientIds!.value).toEqual({
      [id("ofb-as-a")]: sb.admin.clients("ofb-as-a")[0]!.client_id,
      [id("ofb-as-b")]: sb.admin.clients("ofb-as-b")[0]!.client_id,
    });
    const st = sb.admin.stats();
    expect(st.directory_token_requests).toBe(1);
    expect(st.ssa_requests).toBe(1);
    expect(sb.admin.list.stats().list_requests).toBe(1);
  });

  it("a second up changes nothing", async () => {
    sb.admin.resetStats();
    const up = await stack.up({ onOutput: (x) => (out += x) });
    expect(up.summary.resourceChanges?.same).toBe(4);
    expect(changes()).toBe(0);
  });

  it("a bank added to the list: the next up creates only it", async () => {
    sb.admin.list.add(sb.admin.listEntryFor("ofb-as-c"));
    sb.admin.resetStats();
    const up = await stack.up({ onOutput: (x) => (out += x) });
    expect(up.summary.resourceChanges?.create).toBe(1);
    expect(up.summary.resourceChanges?.same).toBe(4);
    expect([held("ofb-as-a"), held("ofb-as-b"), held("ofb-as-c")]).toEqual([1, 1, 1]);
    expect(sb.admin.stats().servers["ofb-as-c"]!.registrations).toBe(1);
    expect(changes()).toBe(1);
  });

  it("directory down, 500 or a truncated list: the up fails saying why, and no bank receives a change", async () => {
    sb.admin.resetStats();
    sb.admin.list.setMode("error");
    expect(await failingUp()).toMatch(/OBDCR_DIRECTORY_LIST|answered HTTP 500; no bank was touched/);
    sb.admin.list.setMode("truncated");
    expect(await failingUp()).toMatch(
      /the directory list lost \d+ of \d+ entries .*policy\.max_shrink_percent/,
    );
    sb.admin.list.setMode("ok");
    const url = args.listUrl;
    args.listUrl = "https://127.0.0.1:1/participants";
    try {
      expect(await failingUp()).toMatch(/could not be read .*no bank was touched/);
    } finally {
      args.listUrl = url;
    }
    expect(changes()).toBe(0);
    expect([held("ofb-as-a"), held("ofb-as-b"), held("ofb-as-c")]).toEqual([1, 1, 1]);
  });

  it("keep-last-known: a failing directory leaves every bank as it is, with a warning", async () => {
    args.policy = { onDirectoryFailure: "keep-last-known" };
    sb.admin.list.setMode("error");
    sb.admin.resetStats();
    try {
      let o = "";
      const up = await stack.up({ onOutput: (x) => (o += x) });
      expect(up.summary.resourceChanges?.same).toBe(5);
      expect(o).toMatch(/kept the last known list of 3 bank/);
    } finally {
      sb.admin.list.setMode("ok");
      args.policy = undefined;
    }
    expect(changes()).toBe(0);
  });

  it("a list that grew past the ceiling fails before any registration", async () => {
    args.policy = { maxNewBanks: 0 };
    sb.admin.list.remove(id("ofb-as-c"));
    try {
      // c is missing now (kept, warned); then it comes back as "new" only if it was dropped: use a fresh id.
      sb.admin.list.add({ ...sb.admin.listEntryFor("ofb-as-c"), id: "a0000000-0000-4000-8000-0000000000cc" });
      sb.admin.resetStats();
      expect(await failingUp()).toMatch(/would add 1 bank\(s\) in one run .*policy\.max_new_banks 0/);
      expect(changes()).toBe(0);
    } finally {
      sb.admin.list.remove("a0000000-0000-4000-8000-0000000000cc");
      sb.admin.list.add(sb.admin.listEntryFor("ofb-as-c"));
      args.policy = undefined;
    }
  });

  it("a bank retired: kept by default, with a warning naming it", async () => {
    sb.admin.list.retire(id("ofb-as-b"));
    sb.admin.resetStats();
    let o = "";
    const up = await stack.up({ onOutput: (x) => (o += x) });
    expect(up.summary.resourceChanges?.delete ?? 0).toBe(0);
    expect(o).toContain(`bank ${id("ofb-as-b")} (ofb-as-b) is no longer selected (status: inactive`);
    expect(o).toMatch(/its registration is kept/);
    expect(held("ofb-as-b")).toBe(1);
    expect(changes()).toBe(0);
  });

  it("with on_missing delete: exactly that bank is deleted", async () => {
    args.policy = { onMissing: "delete" };
    sb.admin.resetStats();
    const up = await stack.up({ onOutput: (x) => (out += x) });
    expect(up.summary.resourceChanges?.delete).toBe(1);
    expect([held("ofb-as-a"), held("ofb-as-b"), held("ofb-as-c")]).toEqual([1, 0, 1]);
    const st = sb.admin.stats().servers;
    expect(st["ofb-as-b"]!.deletes).toBe(1);
    expect(changes()).toBe(1);
  });

  it("destroy deletes every registration", async () => {
    await stack.destroy({ onOutput: (x) => (out += x) });
    for (const s of SERVERS) expect(held(s)).toBe(0);
  });
});
