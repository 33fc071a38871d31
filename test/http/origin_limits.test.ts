// The per-origin limiter on its own: first come, first served beyond the cap, a slot freed when the
// exchange fails, origins independent, and a raised cap drains the queue.
import { describe, expect, it } from "vitest";
import { originLimitStats, withOriginSlot } from "../../provider/http/limits.js";

const gate = () => {
  let open!: () => void;
  const p = new Promise<void>((r) => {
    open = r;
  });
  return { p, open };
};
const tick = () => new Promise((r) => setImmediate(r));

describe("withOriginSlot", () => {
  it("serves waiters in arrival order and never exceeds the cap", async () => {
    const origin = "https://fifo.example:1";
    const started: number[] = [];
    const gates = Array.from({ length: 6 }, gate);
    const runs = gates.map((g, i) =>
      withOriginSlot(origin, 2, async () => {
        started.push(i);
        await g.p;
        return i;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(originLimitStats(origin)).toMatchObject({ max: 2, active: 2, queued: 4 });
    gates[1]!.open();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.open();
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    for (const g of gates) g.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(originLimitStats(origin)).toMatchObject({ active: 0, queued: 0, peak: 2, waited: 4 });
  });

  it("frees the slot of a failed exchange", async () => {
    const origin = "https://fails.example:1";
    await expect(
      withOriginSlot(origin, 1, async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await withOriginSlot(origin, 1, async () => "next")).toBe("next");
    expect(originLimitStats(origin)).toMatchObject({ active: 0, queued: 0 });
  });

  it("keeps origins apart, and a raised cap lets waiters in", async () => {
    const a = "https://a.example:1";
    const b = "https://b.example:1";
    const hold = gate();
    const first = withOriginSlot(a, 1, () => hold.p);
    const second = withOriginSlot(a, 1, async () => "a2");
    await tick();
    expect(originLimitStats(a)).toMatchObject({ active: 1, queued: 1 });
    expect(await withOriginSlot(b, 1, async () => "b")).toBe("b");
    // The next request to `a` comes with a cap of 2: the waiter gets the new slot at once.
    const third = withOriginSlot(a, 2, async () => "a3");
    expect(await second).toBe("a2");
    expect(await third).toBe("a3");
    hold.open();
    await first;
    expect(originLimitStats(a)).toMatchObject({ max: 2, active: 0, queued: 0 });
  });
});
