// Ctrl-C on `pulumi up` (the dynamic resource) while the bank holds back its answer to the POST:
// the engine signals Cancel to the providers, starts nothing new, and waits for the creates in
// flight. ob-dcr's create ends on its own timeout (the transport's, never the engine's), finds the
// committed registration by its client_id hint, and returns it: the engine records it in state.
// One SIGINT to the Pulumi CLI process only, as a terminal sends it to the foreground job. A second
// SIGINT is the engine's "terminate immediately": it leaves a pending create, and the runbook after
// a crash applies (the next up finds the committed client by its hint).
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../sandbox/index.js";
import { type Args, nativeStack, TYPE } from "../native/stack.js";
import { pulumiArgs } from "../support/params.js";
import { startTestSandbox } from "../support/sandbox.js";
import {
  argsFor,
  descendants,
  type EngineHarness,
  engineHarness,
  expectBanksMatchState,
  FAST_TRANSPORT_ENV,
  stateRegistrations,
} from "./engine_support.js";

function pulumiCli(root: number): number | undefined {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,comm="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/));
  const kids = (p: number) => rows.filter((r) => Number(r[1]) === p);
  const walk = (p: number): number | undefined => {
    for (const r of kids(p)) {
      if (r[2] === "pulumi") return Number(r[0]);
      const d = walk(Number(r[0]));
      if (d) return d;
    }
    return undefined;
  };
  return walk(root);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("pulumi up interrupted by one SIGINT while the bank holds back its answer", () => {
  let sb: Sandbox;
  let h: EngineHarness;
  const BANK = "hint-bank";

  beforeAll(async () => {
    sb = await startTestSandbox({
      prefix: "rel-sigint",
      banks: [{ name: BANK, quirks: { honour_client_id_hint: true } }],
    });
    h = await engineHarness("ob-dcr-reliability", "sigint");
    h.declared.set("reg", argsFor(sb, BANK));
  });
  afterAll(async () => {
    await h?.stack.workspace.removeStack("sigint", { force: true }).catch(() => undefined);
    await sb?.close();
  });

  it("the engine waits for the create in flight, and the registration the bank committed is in state", async () => {
    await sb.admin.setFaults(BANK, [
      { kind: "stall_after_commit", path: "/register", method: "POST", count: 1 },
    ]);
    const t0 = Date.now();
    const running = h.stack.up({ onOutput: h.onOutput }).then(
      (r) => `finished ${r.summary.result}`,
      (e: Error) => `failed ${e.message}`,
    );
    let committed = false;
    for (let i = 0; i < 300 && !committed; i++) {
      committed = (await sb.admin.registrations(BANK)).length === 1;
      if (!committed) await sleep(100);
    }
    expect(committed).toBe(true);
    const pid = pulumiCli(process.pid);
    expect(pid).toBeDefined();
    process.kill(pid!, "SIGINT");
    const how = await running;
    // The engine waited for the create (ended by ob-dcr's 3 s headers timeout, then found by hint).
    expect(how).toMatch(/^failed/);
    expect(h.output()).toMatch(/\^C received; cancelling/);
    expect(h.output()).toMatch(/reg created/);
    expect(h.output()).toMatch(/update canceled/);
    expect(Date.now() - t0).toBeLessThan(60_000);
    const held = (await sb.admin.registrations(BANK)).map((r) => r.client_id);
    expect(held).toHaveLength(1);
    expect((await stateRegistrations(h)).map((r) => r.id)).toEqual(held);
    await sb.admin.setFaults(BANK, []);
    await expectBanksMatchState(h, sb, [BANK]);
    expect((await h.stack.destroy()).summary.result).toBe("succeeded");
    expect(await sb.admin.registrations(BANK)).toEqual([]);
  });

  it("a second SIGINT (the engine's 'terminate immediately'): the CLI exits at once, the providers follow, and the runbook finds the committed client by its hint", async () => {
    await sb.admin.setFaults(BANK, [
      { kind: "stall_after_commit", path: "/register", method: "POST", count: 1 },
    ]);
    const t0 = Date.now();
    const running = h.stack.up({ onOutput: h.onOutput }).then(
      (r) => `finished ${r.summary.result}`,
      (e: Error) => `failed ${e.message}`,
    );
    let committed = false;
    for (let i = 0; i < 300 && !committed; i++) {
      committed = (await sb.admin.registrations(BANK)).length === 1;
      if (!committed) await sleep(100);
    }
    expect(committed).toBe(true);
    const pid = pulumiCli(process.pid)!;
    const before = descendants(process.pid);
    process.kill(pid, "SIGINT");
    await sleep(300);
    process.kill(pid, "SIGINT");
    const how = await running;
    const ms = Date.now() - t0;
    // The providers exit when the engine is gone (engine_watch): nothing is left behind.
    for (let i = 0; i < 100 && before.some(alive); i++) await sleep(100);
    expect(how).toMatch(/^failed/);
    expect(h.output()).toMatch(/reg creating \(interrupted\)/);
    // Not the 3 s headers timeout: the engine did not wait for the create.
    expect(ms).toBeLessThan(15_000);
    expect(before.filter(alive)).toEqual([]);
    const committedId = (await sb.admin.registrations(BANK))[0]!.client_id;
    const dep = (await h.stack.exportStack()).deployment as { pending_operations?: { type: string }[] };
    expect(dep.pending_operations?.map((o) => o.type)).toEqual(["creating"]);
    // The runbook (docs/RELIABILITY.md): the next up finds the client by its hint; no second client.
    await sb.admin.setFaults(BANK, []);
    await h.stack.cancel().catch(() => undefined);
    await h.stack.refresh({ clearPendingCreates: true, onOutput: h.onOutput });
    await h.stack.up({ onOutput: h.onOutput });
    expect(h.output()).toMatch(/an earlier interrupted run registered it/);
    expect((await sb.admin.registrations(BANK)).map((r) => r.client_id)).toEqual([committedId]);
    await expectBanksMatchState(h, sb, [BANK]);
    expect((await h.stack.destroy()).summary.result).toBe("succeeded");
    await sb.admin.setFaults(BANK, []);
  });
});

describe("pulumi destroy interrupted by one SIGINT while the bank holds back its answer to the DELETE", () => {
  let sb: Sandbox;
  let h: EngineHarness;
  const BANK = "hint-bank";

  beforeAll(async () => {
    sb = await startTestSandbox({
      prefix: "rel-sigint-del",
      banks: [{ name: BANK, quirks: { honour_client_id_hint: true } }],
    });
    h = await engineHarness("ob-dcr-reliability", "sigintdel");
    h.declared.set("reg", argsFor(sb, BANK));
  });
  afterAll(async () => {
    await h?.stack.workspace.removeStack("sigintdel", { force: true }).catch(() => undefined);
    await sb?.close();
  });

  it("the engine waits for the delete; state and bank agree afterwards, and a second destroy finishes", async () => {
    await h.stack.up({ onOutput: h.onOutput });
    expect(await sb.admin.registrations(BANK)).toHaveLength(1);
    await sb.admin.setFaults(BANK, [
      { kind: "stall_after_commit", path: "/register/", method: "DELETE", count: 1 },
    ]);
    const running = h.stack.destroy({ onOutput: h.onOutput }).then(
      (r) => `finished ${r.summary.result}`,
      () => "failed",
    );
    for (let i = 0; i < 300 && (await sb.admin.registrations(BANK)).length === 1; i++) await sleep(100);
    expect(await sb.admin.registrations(BANK)).toEqual([]);
    process.kill(pulumiCli(process.pid)!, "SIGINT");
    // The delete in flight ends on ob-dcr's timeout, its outcome settled by a GET (gone): deleted.
    expect(await running).toMatch(/^finished|^failed/);
    expect(h.output()).toMatch(/\^C received; cancelling/);
    expect(h.output()).toMatch(/reg deleted/);
    await sb.admin.setFaults(BANK, []);
    await expectBanksMatchState(h, sb, [BANK]);
    expect((await h.stack.destroy({ onOutput: h.onOutput })).summary.result).toBe("succeeded");
    expect(await stateRegistrations(h)).toEqual([]);
  });
});

describe("pulumi up interrupted by one SIGINT while a bank that rotates the registration access token holds back its answer to the PUT", () => {
  let sb: Sandbox;
  let h: EngineHarness;
  const BANK = "rat-bank";

  beforeAll(async () => {
    sb = await startTestSandbox({ prefix: "rel-sigint-put", banks: [BANK] });
    h = await engineHarness("ob-dcr-reliability", "sigintput");
    h.declared.set("reg", argsFor(sb, BANK, false));
  });
  afterAll(async () => {
    await h?.stack.workspace.removeStack("sigintput", { force: true }).catch(() => undefined);
    await sb?.close();
  });

  it("the update ends on the timeout, the doubt about the token is kept in state, and the next refresh does not drop the live client", async () => {
    await h.stack.up({ onOutput: h.onOutput });
    const a = argsFor(sb, BANK, false);
    h.declared.set("reg", { ...a, client: { ...a.client, scope: "openid" } });
    await sb.admin.setFaults(BANK, [
      { kind: "stall_after_commit", path: "/register/", method: "PUT", count: 1 },
    ]);
    const puts = async () =>
      Object.entries(await sb.admin.requests(BANK))
        .filter(([k]) => k.startsWith("PUT "))
        .reduce((x, [, n]) => x + n, 0);
    const running = h.stack.up({ onOutput: h.onOutput }).then(
      () => "finished",
      () => "failed",
    );
    for (let i = 0; i < 300 && (await puts()) === 0; i++) await sleep(100);
    process.kill(pulumiCli(process.pid)!, "SIGINT");
    expect(await running).toBe("failed");
    await sb.admin.setFaults(BANK, []);
    const refreshed = await h.stack.refresh({ onOutput: h.onOutput }).then(
      () => "ok",
      (e: Error) => e.message,
    );
    expect(refreshed).toMatch(/OBDCR_GONE_UNCONFIRMED/);
    expect(await stateRegistrations(h)).toHaveLength(1);
    expect(await sb.admin.registrations(BANK)).toHaveLength(1);
  });
});

describe("the native plugin (bin/pulumi-resource-obdcr): one SIGINT, and the plugin acts on the engine's Cancel", () => {
  let sb: Sandbox;
  let stack: Stack;
  let out = "";
  const BANK = "hint-bank";
  const declared = new Map<string, Args>();
  // The bank holds its answer for the whole test: without the plugin's Cancel, the create in
  // flight would end only on this timeout, long after the test's own.
  const SLOW = {
    ...FAST_TRANSPORT_ENV,
    OBDCR_HEADERS_TIMEOUT_MS: "120000",
    OBDCR_BODY_TIMEOUT_MS: "120000",
    OBDCR_EXCHANGE_DEADLINE_MS: "120000",
  };
  const inState = async () =>
    ((await stack.exportStack()).deployment.resources ?? [])
      .filter((r: { type: string }) => r.type === TYPE)
      .map((r: { id: string }) => r.id);
  /** SIGINT to the Pulumi CLI once the bank holds `n` registrations (0: once it deleted them). */
  async function sigintWhenBankHolds(n: number): Promise<number> {
    for (let i = 0; i < 300 && (await sb.admin.registrations(BANK)).length !== n; i++) await sleep(100);
    expect(await sb.admin.registrations(BANK)).toHaveLength(n);
    process.kill(pulumiCli(process.pid)!, "SIGINT");
    return Date.now();
  }

  beforeAll(async () => {
    sb = await startTestSandbox({
      prefix: "rel-sigint-native",
      banks: [{ name: BANK, quirks: { honour_client_id_hint: true } }],
    });
    const dir = mkdtempSync(join(tmpdir(), "obdcr-rel-sigint-native-"));
    declared.set("reg", {
      ...(pulumiArgs(sb, BANK) as unknown as Args),
      bankProfile: { clientIdHint: true },
    });
    stack = await nativeStack({
      projectName: "ob-dcr-native-sigint",
      stackName: "native-sigint",
      backend: `file://${join(dir, "state")}`,
      declared,
      envVars: SLOW,
    });
  });
  afterAll(async () => {
    await stack?.workspace.removeStack("native-sigint", { force: true }).catch(() => undefined);
    await sb?.close();
  });

  it("up: the Cancel aborts the POST the bank holds, the GET by hint finds the client it committed, and up ends in seconds with it in state", async () => {
    await sb.admin.setFaults(BANK, [
      { kind: "stall_after_commit", path: "/register", method: "POST", count: 1 },
    ]);
    const running = stack.up({ onOutput: (x) => (out += x) }).then(
      () => "finished",
      () => "failed",
    );
    const t = await sigintWhenBankHolds(1);
    expect(await running).toBe("failed");
    // Inside a pipeline's grace between SIGTERM and SIGKILL (GitHub Actions: about 7.5 s).
    expect(Date.now() - t).toBeLessThan(7_500);
    expect(out).toMatch(/\^C received; cancelling/);
    expect(out).toMatch(/reg created/);
    expect(out).toMatch(/update canceled/);
    const held = (await sb.admin.registrations(BANK)).map((r) => r.client_id);
    expect(held).toHaveLength(1);
    expect(await inState()).toEqual(held);
    await sb.admin.setFaults(BANK, []);
    expect((await stack.destroy()).summary.result).toBe("succeeded");
    expect(await sb.admin.registrations(BANK)).toEqual([]);
  });

  it("up: when the GET by hint is held too, the lookup ends with the grace and the error names the proposed client_id; the next up finds it", async () => {
    out = "";
    await sb.admin.setFaults(BANK, [
      { kind: "stall_after_commit", path: "/register", method: "POST", count: 1 },
      { kind: "stall", path: "/register/", method: "GET" },
    ]);
    const running = stack.up({ onOutput: (x) => (out += x) }).then(
      () => "finished",
      (e: Error) => `failed ${e.message}`,
    );
    const t = await sigintWhenBankHolds(1);
    const how = await running;
    expect(Date.now() - t).toBeLessThan(7_500);
    const committed = (await sb.admin.registrations(BANK))[0]!.client_id;
    expect(how).toMatch(/OBDCR_OUTCOME_UNKNOWN/);
    expect(how).toContain(`proposed client_id ${committed}`);
    expect(how).toMatch(/interrupted \(the engine's Cancel\)/);
    expect(await inState()).toEqual([]);
    await sb.admin.setFaults(BANK, []);
    await stack.up({ onOutput: (x) => (out += x) });
    expect(out).toMatch(/an earlier interrupted run registered it/);
    expect(await inState()).toEqual([committed]);
    expect((await sb.admin.registrations(BANK)).map((r) => r.client_id)).toEqual([committed]);
  });

  it("destroy: the Cancel aborts the DELETE the bank holds, the DELETE sent again settles it, and destroy ends in seconds with state and bank agreeing", async () => {
    out = "";
    expect(await inState()).toHaveLength(1);
    await sb.admin.setFaults(BANK, [
      { kind: "stall_after_commit", path: "/register/", method: "DELETE", count: 1 },
    ]);
    const running = stack.destroy({ onOutput: (x) => (out += x) }).then(
      () => "finished",
      () => "failed",
    );
    const t = await sigintWhenBankHolds(0);
    expect(await running).toMatch(/finished|failed/);
    expect(Date.now() - t).toBeLessThan(7_500);
    expect(out).toMatch(/\^C received; cancelling/);
    expect(out).toMatch(/reg deleted/);
    expect(await inState()).toEqual([]);
    expect(await sb.admin.registrations(BANK)).toEqual([]);
    await sb.admin.setFaults(BANK, []);
  });
});

// A forced stop (SIGKILL, as a pipeline's after its grace; once two SIGINTs) while a bank that
// rotates the registration access token on PUT holds back its answer: the engine keeps a pending
// update and the old outputs,
// the old token among them, which the bank has retired. No ob-dcr code ran to record the doubt, so
// the next refresh gets a 401 for the stored token: the bank's token endpoint still authenticates
// the client, and the registration stays in state (it was dropped before, orphaning the client).
describe.each(["dynamic", "native"] as const)(
  "%s face: a forced stop mid-PUT at a bank that rotates the registration access token",
  (face) => {
    let sb: Sandbox;
    let stack: Stack;
    let out = "";
    const BANK = "rat-bank";
    const stackName = `sigint2put-${face}`;
    const declared = new Map<string, Args>();
    let h: EngineHarness | undefined;
    let args: Args;

    beforeAll(async () => {
      sb = await startTestSandbox({ prefix: `rel-sigint2-put-${face}`, banks: [BANK] });
      if (face === "dynamic") {
        h = await engineHarness("ob-dcr-reliability", stackName);
        args = argsFor(sb, BANK, false) as unknown as Args;
        h.declared.set("reg", args as never);
        stack = h.stack;
      } else {
        const dir = mkdtempSync(join(tmpdir(), `obdcr-rel-${stackName}-`));
        args = pulumiArgs(sb, BANK) as unknown as Args;
        declared.set("reg", args);
        stack = await nativeStack({
          projectName: "ob-dcr-native-sigint2put",
          stackName,
          backend: `file://${join(dir, "state")}`,
          declared,
          envVars: FAST_TRANSPORT_ENV,
        });
      }
    });
    afterAll(async () => {
      await stack?.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
      await sb?.close();
    });

    const inState = async () =>
      ((await stack.exportStack()).deployment.resources ?? [])
        .filter((r: { type: string }) => r.type === TYPE || r.type.endsWith(":ObClientRegistration"))
        .map((r: { id: string }) => r.id);

    it("the next pulumi refresh keeps the registration (OBDCR_GONE_UNCONFIRMED, adopt the bank's current token); no second client", async () => {
      await stack.up({ onOutput: (x) => (out += x) });
      const id = (await inState())[0];
      expect(await sb.admin.registrations(BANK)).toHaveLength(1);
      const changed = { ...args, client: { ...(args.client as object), scope: "openid" } };
      if (h) h.declared.set("reg", changed as never);
      else declared.set("reg", changed);
      await sb.admin.setFaults(BANK, [
        { kind: "stall_after_commit", path: "/register/", method: "PUT", count: 1 },
      ]);
      const puts = async () =>
        Object.entries(await sb.admin.requests(BANK))
          .filter(([k]) => k.startsWith("PUT "))
          .reduce((x, [, n]) => x + n, 0);
      const running = stack.up({ onOutput: (x) => (out += x) }).then(
        () => "finished",
        () => "failed",
      );
      for (let i = 0; i < 300 && (await puts()) === 0; i++) await sleep(100);
      // A forced stop: a pipeline's SIGKILL after its grace (two SIGINTs no longer reach the native
      // plugin in time: it acts on the first one's Cancel and the update ends on its own).
      const before = descendants(process.pid);
      process.kill(pulumiCli(process.pid)!, "SIGKILL");
      expect(await running).toBe("failed");
      // The providers end with the engine (engine_watch), past the bank's held answer: none spins on
      // a closed stderr (the SDK host's uncaught-error log failing with EPIPE, over and over).
      for (let i = 0; i < 150 && before.some(alive); i++) await sleep(100);
      expect(before.filter(alive)).toEqual([]);
      const dep = (await stack.exportStack()).deployment as { pending_operations?: { type: string }[] };
      expect(dep.pending_operations?.map((o) => o.type)).toEqual(["updating"]);
      await sb.admin.setFaults(BANK, []);
      await stack.cancel().catch(() => undefined);
      const refreshed = await stack.refresh({ onOutput: (x) => (out += x) }).then(
        () => "ok",
        (e: Error) => e.message,
      );
      expect(refreshed).toMatch(/OBDCR_GONE_UNCONFIRMED/);
      expect(refreshed).toMatch(/still authenticates client/);
      expect(refreshed).toMatch(/registrationAccessToken/);
      expect(await inState()).toEqual([id]);
      expect((await sb.admin.registrations(BANK)).map((r) => r.client_id)).toEqual([id]);
    });
  },
);
