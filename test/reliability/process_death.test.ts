// The process dies mid-create: the bank committed the POST, its answer never came, and the Pulumi
// CLI and the provider host are killed (SIGKILL) before anything reached state. The next `up`
// proposes the same client_id (derived from the stack, the resource name and its identity), the
// bank refuses the duplicate id, and a GET on it finds the registration: adopted, no duplicate.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../sandbox/index.js";
import { startTestSandbox } from "../support/sandbox.js";
import {
  argsFor,
  descendants,
  type EngineHarness,
  engineHarness,
  expectBanksMatchState,
  expectNoChanges,
  upUntilConverged,
} from "./engine_support.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the process dies after the bank committed the POST", () => {
  let sb: Sandbox;
  let h: EngineHarness;
  const BANK = "hint-bank";

  beforeAll(async () => {
    sb = await startTestSandbox({
      prefix: "rel-death",
      banks: [{ name: BANK, quirks: { honour_client_id_hint: true } }],
    });
    // Long timeouts: the provider must still be waiting for the answer when it is killed.
    h = await engineHarness("ob-dcr-reliability", "death", {
      OBDCR_HEADERS_TIMEOUT_MS: "60000",
      OBDCR_BODY_TIMEOUT_MS: "60000",
    });
    h.declared.set("reg", argsFor(sb, BANK));
  });
  afterAll(async () => {
    await h?.stack.workspace.removeStack("death", { force: true }).catch(() => undefined);
    await sb?.close();
  });

  it("the next up finds the committed registration by its client_id hint: no duplicate, no orphan", async () => {
    await sb.admin.setFaults(BANK, [
      { kind: "stall_after_commit", path: "/register", method: "POST", count: 1 },
    ]);
    const running = h.stack.up({ onOutput: h.onOutput }).then(
      () => "finished",
      () => "killed",
    );
    let committed = false;
    for (let i = 0; i < 200 && !committed; i++) {
      committed = (await sb.admin.registrations(BANK)).length === 1;
      if (!committed) await sleep(100);
    }
    expect(committed, "the bank committed the POST").toBe(true);
    const victims = descendants(process.pid);
    expect(victims.length).toBeGreaterThan(0);
    for (const pid of victims) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    expect(await running).toBe("killed");
    const committedId = (await sb.admin.registrations(BANK))[0]!.client_id;
    // nothing reached state: the engine only knew it had started a create
    await sb.admin.setFaults(BANK, []);
    // The operator's runbook after a crash (what the engine asks for): clear the dead run's lock,
    // drop its pending create (nothing of it reached state), then up.
    await h.stack.cancel();
    const pending = (await h.stack.exportStack()).deployment as { pending_operations?: { type: string }[] };
    expect(pending.pending_operations?.map((o) => o.type)).toEqual(["creating"]);
    await h.stack.refresh({ clearPendingCreates: true, onOutput: h.onOutput });
    const { runs } = await upUntilConverged(h, 2);
    expect(runs).toBe(1);
    expect(h.output()).toMatch(/an earlier interrupted run registered it/);
    const held = (await sb.admin.registrations(BANK)).map((r) => r.client_id);
    expect(held).toEqual([committedId]);
    expect((await h.stack.outputs()).reg?.value).toBe(committedId);
    await expectBanksMatchState(h, sb, [BANK]);
    await expectNoChanges(h);
    expect((await h.stack.destroy()).summary.result).toBe("succeeded");
    expect(await sb.admin.registrations(BANK)).toEqual([]);
  });
});
