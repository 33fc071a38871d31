import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { FaultSpecInput } from "../../sandbox/index.js";
import {
  call,
  fetchSsa,
  postRegister,
  register,
  registrationClaims,
  signRegistration,
} from "../support/reference_client.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

describe("faults", () => {
  let sb: TestSandbox;
  let ssa: string;
  const count = async () => (await sb.admin.registrations("sandbox-bank")).length;
  const setBank = (faults: FaultSpecInput[]) => sb.admin.setFaults("sandbox-bank", faults);
  beforeAll(async () => {
    sb = await startTestSandbox();
    ssa = await fetchSsa(sb);
  });
  afterEach(async () => sb.admin.reset());
  afterAll(async () => sb?.close());

  it("latency delays the response", async () => {
    await setBank([{ kind: "latency", ms: 300, path: "/register", count: 1 }]);
    const t = Date.now();
    expect((await register(sb, {}, { ssa })).status).toBe(201);
    expect(Date.now() - t).toBeGreaterThanOrEqual(290);
    const t2 = Date.now();
    await register(sb, {}, { ssa });
    expect(Date.now() - t2).toBeLessThan(290);
  });

  it("the timeline records when each request arrived and was answered, by route; reset empties it", async () => {
    await setBank([{ kind: "latency", ms: 200, path: "/register", count: 1 }]);
    const before = Date.now();
    expect((await register(sb, {}, { ssa })).status).toBe(201);
    const posts = (await sb.admin.timeline("sandbox-bank")).filter((e) => e.route === "POST /register");
    expect(posts).toHaveLength(1);
    const [p] = posts;
    expect(p!.status).toBe(201);
    expect(p!.start).toBeGreaterThanOrEqual(before);
    expect(p!.end - p!.start).toBeGreaterThanOrEqual(195);
    // The bank's own reads of the directory's JWKS while it validated: inside the POST.
    const keystore = (await sb.admin.timeline("directory")).filter((e) =>
      e.route.startsWith("GET /keystore/"),
    );
    expect(keystore.length).toBeGreaterThan(0);
    for (const k of keystore) expect(k.start).toBeGreaterThanOrEqual(p!.start);
    await sb.admin.reset();
    expect(await sb.admin.timeline("sandbox-bank")).toEqual([]);
  });

  it("server_error for the next N requests, then normal service", async () => {
    await setBank([{ kind: "server_error", status: 502, path: "/register", method: "POST", count: 2 }]);
    for (let i = 0; i < 2; i++) {
      const res = await register(sb, {}, { ssa });
      expect(res.status).toBe(502);
      expect(res.json.error).toBe("server_error");
    }
    expect(await count()).toBe(0);
    expect((await register(sb, {}, { ssa })).status).toBe(201);
  });

  it("rate_limit answers 429 with Retry-After", async () => {
    await setBank([{ kind: "rate_limit", retry_after: 7, count: 1 }]);
    const res = await register(sb, {}, { ssa });
    expect(res.status).toBe(429);
    expect(res.headers["retry-after"]).toBe("7");
    expect(res.json.error).toBe("too_many_requests");
  });

  it("reset_before_commit destroys the connection and stores nothing", async () => {
    await setBank([{ kind: "reset_before_commit", path: "/register", count: 1 }]);
    await expect(register(sb, {}, { ssa })).rejects.toThrow();
    expect(await count()).toBe(0);
  });

  it("reset_after_commit stores the registration but never answers", async () => {
    await setBank([{ kind: "reset_after_commit", path: "/register", count: 1 }]);
    await expect(register(sb, {}, { ssa })).rejects.toThrow();
    const held = await sb.admin.registrations("sandbox-bank");
    expect(held).toHaveLength(1);
    expect(held[0]!.software_id).toBe(sb.sw.software_id);
  });

  it("stall never answers within the client's timeout", async () => {
    await setBank([{ kind: "stall", path: "/register", count: 1 }]);
    const jwt = await signRegistration(sb, registrationClaims(sb, ssa));
    const t = Date.now();
    await expect(
      call(sb.agent, sb.bank.registration_endpoint, {
        method: "POST",
        headers: { "content-type": "application/jwt" },
        body: jwt,
        timeoutMs: 400,
      }),
    ).rejects.toThrow(/timeout/i);
    expect(Date.now() - t).toBeGreaterThanOrEqual(390);
  });

  it("clock_skew on the bank: a registration JWT made now is seen as expired, the SSA as too old", async () => {
    await setBank([{ kind: "clock_skew", seconds: 2 * 3600 }]);
    const res = await register(sb, {}, { ssa });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("invalid_software_statement");
    expect(res.json.error_description).toMatch(/too old/);
    await setBank([{ kind: "clock_skew", seconds: 600 }]);
    const res2 = await register(sb, {}, { ssa: await fetchSsa(sb) });
    expect(res2.status).toBe(400);
    expect(res2.json.error_description).toMatch(/expired/);
  });

  it("clock_skew on the directory: an hour ahead it refuses a fresh assertion; minutes ahead its SSA is refused", async () => {
    await sb.admin.setFaults("directory", [{ kind: "clock_skew", seconds: 3600 }]);
    await expect(fetchSsa(sb)).rejects.toThrow(/401.*expired/);
    await sb.admin.setFaults("directory", [{ kind: "clock_skew", seconds: 120 }]);
    const future = await fetchSsa(sb);
    const res = await register(sb, {}, { ssa: future });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("invalid_software_statement");
    expect(res.json.error_description).toMatch(/SSA iat is in the future/);
  });

  it("a directory outage makes the bank refuse the registration (JWKS unreachable) and the SSA API fail", async () => {
    await sb.admin.setFaults("directory", [{ kind: "server_error", status: 503, path: "/keystore" }]);
    const res = await register(sb, {}, { ssa });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("invalid_software_statement");
    expect(res.json.error_description).toMatch(/cannot fetch JWKS/);
    await sb.admin.setFaults("directory", [{ kind: "server_error", path: "/api/" }]);
    await expect(fetchSsa(sb)).rejects.toThrow(/503/);
  });

  it("faults are listed with their remaining count and cleared by reset", async () => {
    await setBank([
      { kind: "server_error", count: 3, path: "/register" },
      { kind: "clock_skew", seconds: 5 },
    ]);
    await register(sb, {}, { ssa });
    const listed = await sb.admin.faults("sandbox-bank");
    expect(listed).toEqual([
      { kind: "server_error", status: 503, path: "/register", count: 2 },
      { kind: "clock_skew", seconds: 5 },
    ]);
    await sb.admin.reset();
    expect(await sb.admin.faults("sandbox-bank")).toEqual([]);
  });

  it("refuses an invalid fault spec", async () => {
    await expect(setBank([{ kind: "server_error", status: 404 } as FaultSpecInput])).rejects.toThrow();
    await expect(setBank([{ kind: "explode" } as unknown as FaultSpecInput])).rejects.toThrow();
  });

  it("applies only to the matching method", async () => {
    await setBank([{ kind: "server_error", method: "GET" }]);
    expect((await postRegister(sb, await signRegistration(sb, registrationClaims(sb, ssa)))).status).toBe(
      201,
    );
    expect((await call(sb.agent, sb.bank.discovery_url)).status).toBe(503);
  });
});
