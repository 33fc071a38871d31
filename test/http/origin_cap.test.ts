// The per-bank concurrency cap (provider/http/limits.ts) against the real sandbox over mTLS: with a
// cap of 2 and 10 concurrent calls to one slow bank, the bank never has more than 2 of them in
// flight (counted at the sandbox), all 10 complete, and another bank is served meanwhile.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { TlsMaterial } from "../../provider/http/index.js";
// Transport internals (not exported by ob-dcr/http): imported from their source modules.
import { send } from "../../provider/http/send.js";
import { originLimitStats, resetOriginLimitStats } from "../../provider/http/transport.js";
import { closeAgents, createContext } from "../../provider/index.js";
import { sandboxForFile } from "../support/hooks.js";

const sb = sandboxForFile({ prefix: "cap", banks: ["sandbox-bank", "rat-bank"] }, closeAgents);
const SLOW = "sandbox-bank";
const OTHER = "rat-bank";
const LATENCY_MS = 300;
const DISCOVERY = "GET /.well-known/openid-configuration";

afterEach(async () => {
  await sb.admin.reset();
});

const tls = (): TlsMaterial => ({
  cert: readFileSync(sb.sw.transport.cert_file, "utf8"),
  key: readFileSync(sb.sw.transport.key_file, "utf8"),
  ca: readFileSync(sb.manifest.ca_cert_file, "utf8"),
});
const bank = (name: string) => sb.manifest.banks.find((b) => b.name === name)!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("per-origin concurrency cap", () => {
  it("keeps at most 2 requests in flight at the bank, completes all 10, and does not block another bank", async () => {
    const ctx = createContext({ transport: { max_per_origin: 2, max_retries: 0 } });
    const material = tls();
    const slow = bank(SLOW);
    const other = bank(OTHER);
    const slowOrigin = new URL(slow.discovery_url).origin;
    expect(new URL(other.discovery_url).origin).not.toBe(slowOrigin);
    await sb.admin.setFaults(SLOW, [{ kind: "latency", ms: LATENCY_MS }]);
    resetOriginLimitStats();

    let completed = 0;
    const t0 = performance.now();
    const calls = Array.from({ length: 10 }, (_, i) =>
      send(
        { method: "GET", url: slow.discovery_url, idempotent: true, label: `discovery ${i}` },
        material,
        ctx.transport,
      ).then((res) => {
        completed++;
        return res;
      }),
    );

    // At the sandbox: a new request can reach the bank only after one of ours completed and gave its
    // slot back, so arrivals <= cap + completions (read after the sandbox answered) at every sample.
    let sampling = true;
    let worst = 0;
    let samples = 0;
    const sampler = (async () => {
      while (sampling) {
        const arrived = (await sb.admin.requests(SLOW))[DISCOVERY] ?? 0;
        worst = Math.max(worst, arrived - completed);
        samples++;
        await sleep(10);
      }
    })();

    // Another bank while the slow one's queue is full: served at once, not behind that queue.
    while ((originLimitStats(slowOrigin)?.queued ?? 0) === 0) await sleep(5);
    const otherRes = await send(
      { method: "GET", url: other.discovery_url, idempotent: true, label: "other bank discovery" },
      material,
      ctx.transport,
    );
    expect(otherRes.status).toBe(200);
    const slowQueuedWhenOtherDone = originLimitStats(slowOrigin)!.queued;
    const completedWhenOtherDone = completed;

    const results = await Promise.all(calls);
    const wall = performance.now() - t0;
    sampling = false;
    await sampler;

    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect((await sb.admin.requests(SLOW))[DISCOVERY]).toBe(10);
    expect(samples).toBeGreaterThan(10);
    // Sandbox side: never more than 2 of ours at the bank at once, and the cap was reached.
    expect(worst).toBeLessThanOrEqual(2);
    expect(worst).toBe(2);
    // Client side: the limiter's own count, and 5 rounds of the injected latency.
    const stats = originLimitStats(slowOrigin)!;
    expect(stats).toMatchObject({ max: 2, active: 0, queued: 0, peak: 2, waited: 8 });
    expect(wall).toBeGreaterThanOrEqual(5 * LATENCY_MS - 50);
    // The other bank answered while the slow bank still had requests waiting.
    expect(slowQueuedWhenOtherDone).toBeGreaterThan(0);
    expect(completedWhenOtherDone).toBeLessThan(10);
    expect(originLimitStats(new URL(other.discovery_url).origin)!.waited).toBe(0);
  }, 30_000);

  it("defaults to 8 per origin, and 0 lifts the cap", async () => {
    const material = tls();
    const slow = bank(SLOW);
    const origin = new URL(slow.discovery_url).origin;
    await sb.admin.setFaults(SLOW, [{ kind: "latency", ms: 100 }]);
    const run = async (transport: Record<string, number>) => {
      resetOriginLimitStats();
      const ctx = createContext({ transport: { max_retries: 0, ...transport } });
      const res = await Promise.all(
        Array.from({ length: 12 }, () =>
          send({ method: "GET", url: slow.discovery_url, idempotent: true, label: "discovery" }, material, {
            ...ctx.transport,
          }),
        ),
      );
      expect(res.every((r) => r.status === 200)).toBe(true);
      return originLimitStats(origin)!;
    };
    expect(await run({})).toMatchObject({ max: 8, peak: 8, waited: 4 });
    expect(await run({ max_per_origin: 0 })).toMatchObject({ max: 0, peak: 12, waited: 0 });
  }, 30_000);
});
