/**
 * The run's Cancel (the native plugin's `cancel`: provider/http/cancel.ts) at the lifecycle and
 * HTTP level, against the sandbox over real mTLS with a bank holding its answer far longer than
 * the test runs (headers timeout 120 s): a request in flight is aborted at once and reported as
 * interrupted, nothing starts after the Cancel, and a request that may have changed a registration
 * goes through the path that exists for a lost answer, within the grace.
 */
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { cancelContext, createContext } from "../../provider/http/context.js";
import { closeAgents } from "../../provider/http/transport.js";
import { capabilitiesOf } from "../../provider/lifecycle/diff.js";
import * as lifecycle from "../../provider/lifecycle/operations.js";
import type { Props } from "../../provider/lifecycle/props.js";
import { sandboxForFile } from "../support/hooks.js";
import { pulumiArgs } from "../support/params.js";

const BANK = "hint-bank";
const sb = sandboxForFile({
  prefix: "lifecycle-cancel",
  banks: [{ name: BANK, quirks: { honour_client_id_hint: true } }, "rat-bank"],
});
afterAll(() => closeAgents());

const GRACE_MS = 1_500;
const lc = (): lifecycle.Lifecycle => ({
  // Without the Cancel, every test here would wait for the 120 s timeout.
  ctx: createContext({ transport: { headers_timeout_ms: 120_000, cancel_grace_ms: GRACE_MS } }),
  secrets: {},
  confirmedGone: () => false,
  configKey: (key) => `obdcr:${key}`,
  now: () => Math.floor(Date.now() / 1000),
});
const HINT = "b6c1f9a2-6a55-4f5e-9d0a-cancel000001";
const props = (bank = BANK): Props => ({
  ...(JSON.parse(JSON.stringify(pulumiArgs(sb, bank))) as Props),
  ...(bank === BANK ? { bankProfile: { clientIdHint: true }, clientIdHint: HINT } : {}),
});
const held = async () => (await sb.admin.registrations(BANK)).map((r) => r.client_id);
/** Requests to the registration endpoint (`/register`, `/register/{id}`), token requests apart. */
const sent = async (method: string, bank = BANK) =>
  Object.entries(await sb.admin.requests(bank))
    .filter(([k]) => k.startsWith(`${method} /register`))
    .reduce((n, [, c]) => n + c, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Cancel `l` once the bank has received `n` requests of `method`. */
async function cancelWhenSent(l: lifecycle.Lifecycle, method: string, bank = BANK): Promise<number> {
  for (let i = 0; i < 300 && (await sent(method, bank)) < 1; i++) await sleep(50);
  expect(await sent(method, bank)).toBe(1);
  cancelContext(l.ctx);
  return Date.now();
}

beforeEach(async () => {
  await sb.admin.reset();
  await sb.admin.setQuirks(BANK, { honour_client_id_hint: true });
});

describe("the run's Cancel", () => {
  it("a GET in flight is aborted at once and reported as interrupted (OBDCR_INTERRUPTED), not as a failed connection", async () => {
    const c = await lifecycle.create(lc(), props());
    await sb.admin.setFaults(BANK, [{ kind: "stall", path: "/register/", method: "GET" }]);
    const l = lc();
    const reading = lifecycle.read(l, c.id, c.outs).then(
      () => undefined,
      (e: unknown) => e,
    );
    const t = await cancelWhenSent(l, "GET");
    const e = (await reading) as { code: string; message: string };
    expect(Date.now() - t).toBeLessThan(1_000);
    expect(e).toMatchObject({ code: "OBDCR_INTERRUPTED" });
    expect(e.message).toMatch(
      /interrupted \(the engine's Cancel\) while GET https:\/\/.*\/register\/.* was in flight/,
    );
    expect(e.message).toMatch(/no request that changes a registration was left unanswered/);
    expect(e.message).not.toMatch(/connection failed|OBDCR_TRANSPORT/);
  });

  it("after the Cancel, a check or a create fails at once with OBDCR_INTERRUPTED, and nothing reaches the bank", async () => {
    const l = lc();
    cancelContext(l.ctx);
    await expect(lifecycle.check(l, props(), { prefetch: true })).rejects.toMatchObject({
      code: "OBDCR_INTERRUPTED",
      message: expect.stringMatching(/before the check of .* started: nothing was sent/),
    });
    await expect(lifecycle.create(l, props())).rejects.toMatchObject({
      code: "OBDCR_INTERRUPTED",
      message: expect.stringMatching(/before the create of .* started: nothing was sent/),
    });
    expect(await sb.admin.requests(BANK)).toEqual({});
  });

  it("a POST the bank committed then held: the Cancel aborts it, the GET by hint finds the client, and the create returns it", async () => {
    await sb.admin.setFaults(BANK, [
      { kind: "stall_after_commit", path: "/register", method: "POST", count: 1 },
    ]);
    const l = lc();
    const creating = lifecycle.create(l, props());
    const t = await cancelWhenSent(l, "POST");
    const c = await creating;
    expect(Date.now() - t).toBeLessThan(GRACE_MS);
    expect(c.id).toBe(HINT);
    expect(c.notes).toContainEqual(expect.objectContaining({ kind: "reconciled", how: "lost_response" }));
    expect(await held()).toEqual([HINT]);
  });

  it("a POST held and the GET by hint held too: the lookup ends with the grace, and the error names the proposed client_id", async () => {
    await sb.admin.setFaults(BANK, [
      { kind: "stall_after_commit", path: "/register", method: "POST", count: 1 },
      { kind: "stall", path: "/register/", method: "GET" },
    ]);
    const l = lc();
    const creating = lifecycle.create(l, props()).then(
      () => undefined,
      (e: unknown) => e,
    );
    const t = await cancelWhenSent(l, "POST");
    const e = (await creating) as { code: string; message: string; remedy: unknown };
    expect(Date.now() - t).toBeGreaterThanOrEqual(GRACE_MS - 100);
    expect(Date.now() - t).toBeLessThan(GRACE_MS + 1_500);
    expect(e.code).toBe("OBDCR_OUTCOME_UNKNOWN");
    expect(e.message).toContain(`proposed client_id ${HINT}`);
    expect(e.message).toMatch(/interrupted \(the engine's Cancel\) after the request was sent/);
    expect(e.remedy).toEqual({ kind: "adopt", client_id: HINT });
    expect(await sent("POST")).toBe(1);
  });

  it("a POST held that the bank did not commit: the GET by hint says so, no second POST is sent, and the error says nothing was registered", async () => {
    await sb.admin.setFaults(BANK, [{ kind: "stall", path: "/register", method: "POST", count: 1 }]);
    const l = lc();
    const creating = lifecycle.create(l, props()).then(
      () => undefined,
      (e: unknown) => e,
    );
    await cancelWhenSent(l, "POST");
    const e = (await creating) as { code: string; message: string };
    expect(e).toMatchObject({ code: "OBDCR_INTERRUPTED", remedy: { kind: "retry" } });
    expect(e.message).toMatch(/showed that the bank had not registered it, so nothing was registered$/);
    expect(await sent("POST")).toBe(1);
    expect(await held()).toEqual([]);
  });

  it("a DELETE the bank committed then held: sent again within the grace, the bank's answer settles it, and the delete completes", async () => {
    const c = await lifecycle.create(lc(), props());
    await sb.admin.setFaults(BANK, [
      { kind: "stall_after_commit", path: "/register/", method: "DELETE", count: 1 },
    ]);
    const l = lc();
    const removing = lifecycle.remove(l, c.id, c.outs);
    const t = await cancelWhenSent(l, "DELETE");
    await removing;
    expect(Date.now() - t).toBeLessThan(GRACE_MS);
    expect(await sent("DELETE")).toBe(2);
    expect(await held()).toEqual([]);
  });

  it("a PUT held at a bank that manages with a registration access token: the lost update keeps the registration with its token in doubt (tokenUnconfirmed)", async () => {
    const c = await lifecycle.create(lc(), props("rat-bank"));
    await sb.admin.setFaults("rat-bank", [
      { kind: "stall_after_commit", path: "/register/", method: "PUT", count: 1 },
    ]);
    const l = lc();
    const news = { ...c.outs, client: { ...(c.outs.client as Props), scope: "openid" } };
    const updating = lifecycle.update(l, c.id, c.outs, news, capabilitiesOf(news)).then(
      () => undefined,
      (e: unknown) => e,
    );
    const t = await cancelWhenSent(l, "PUT", "rat-bank");
    const e = await updating;
    expect(Date.now() - t).toBeLessThan(1_000);
    expect(e).toBeInstanceOf(lifecycle.PartiallyUpdated);
    const p = e as lifecycle.PartiallyUpdated;
    expect(p.why).toBe("token_unconfirmed");
    expect(p.outputs.tokenUnconfirmed).toBe(true);
    expect(p.error).toMatchObject({ code: "OBDCR_OUTCOME_UNKNOWN" });
  });
});
