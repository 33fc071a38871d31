/** Malformed responses the sandbox cannot produce (undici MockAgent), plus cache behaviour. */
import * as jose from "jose";
import { MockAgent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import {
  createContext,
  getDirectoryToken,
  processRegistrationResponse,
  processSsaResponse,
  verifySsa,
} from "../../provider/http/index.js";
// Transport internals (not exported by ob-dcr/http): imported from their source modules.
import { send } from "../../provider/http/send.js";
import { getAgent } from "../../provider/http/transport.js";
import { testKey } from "../core/helpers.js";

const ORIGIN = "https://bank.example";
let mock: MockAgent | undefined;
afterEach(async () => {
  const m = mock;
  mock = undefined;
  if (!m) return;
  m.assertNoPendingInterceptors();
  await m.close();
});
const agent = () => {
  const m = new MockAgent();
  m.disableNetConnect();
  mock = m;
  return m;
};
const get = (dispatcher: MockAgent, extra = {}) =>
  send(
    { method: "GET", url: `${ORIGIN}/x`, idempotent: true, label: "test" },
    {},
    { dispatcher, backoff_base_ms: 1, ...extra },
  );

describe("transport", () => {
  it("caps the response size", async () => {
    const m = agent();
    m.get(ORIGIN).intercept({ path: "/x" }).reply(200, "x".repeat(2000));
    await expect(get(m, { max_response_bytes: 1000 })).rejects.toMatchObject({
      code: "OBDCR_UNEXPECTED_RESPONSE",
    });
  });
  it("retries an idempotent GET after a network error", async () => {
    const m = agent();
    m.get(ORIGIN)
      .intercept({ path: "/x" })
      .replyWithError(Object.assign(new Error("reset"), { code: "ECONNRESET" }));
    m.get(ORIGIN).intercept({ path: "/x" }).reply(200, "ok");
    expect((await get(m)).body.toString()).toBe("ok");
  });
  it("never retries a POST that may have been sent", async () => {
    const m = agent();
    m.get(ORIGIN)
      .intercept({ path: "/register", method: "POST" })
      .replyWithError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    await expect(
      send(
        {
          method: "POST",
          url: `${ORIGIN}/register`,
          body: "a.b.c",
          idempotent: false,
          label: "registration",
        },
        {},
        { dispatcher: m },
      ),
    ).rejects.toMatchObject({ code: "OBDCR_OUTCOME_UNKNOWN" });
  });
  it("retries a POST refused before connecting", async () => {
    const m = agent();
    m.get(ORIGIN)
      .intercept({ path: "/register", method: "POST" })
      .replyWithError(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }));
    m.get(ORIGIN).intercept({ path: "/register", method: "POST" }).reply(201, "{}");
    const r = await send(
      { method: "POST", url: `${ORIGIN}/register`, body: "x", idempotent: false, label: "registration" },
      {},
      { dispatcher: m, backoff_base_ms: 1 },
    );
    expect(r.status).toBe(201);
  });
  it("agent cache keys on fingerprints: same material → same Agent, other CA → another", () => {
    const a = getAgent("https://h.example", { ca: "CA1" });
    expect(getAgent("https://h.example", { ca: "CA1" })).toBe(a);
    expect(getAgent("https://h.example", { ca: "CA2" })).not.toBe(a);
  });
});

describe("malformed bodies", () => {
  const res = (status: number, body: string, ct = "application/json") =>
    ({ status, headers: { "content-type": ct }, body: Buffer.from(body), url: ORIGIN }) as const;
  it("non-JSON registration response", async () => {
    // A 2xx to the POST: the bank probably created a client, so the outcome is unknown to us.
    await expect(processRegistrationResponse(res(201, "<html>"))).rejects.toMatchObject({
      code: "OBDCR_OUTCOME_UNKNOWN",
      status: 201,
      remedy: { kind: "adopt" },
    });
  });
  it("no client_id", async () => {
    await expect(processRegistrationResponse(res(201, "{}"))).rejects.toThrow(/client_id/);
  });
  it("RFC 7591 error body", async () => {
    await expect(
      processRegistrationResponse(
        res(400, JSON.stringify({ error: "invalid_software_statement", error_description: "stale" })),
      ),
    ).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_REJECTED",
      error: "invalid_software_statement",
      error_description: "stale",
    });
  });
  it("signed JWT response verified against the bank JWKS", async () => {
    const k = await testKey("PS256", "bank-1");
    const jwt = await new jose.SignJWT({ client_id: "c9", scope: ["openid"] })
      .setProtectedHeader({ alg: "PS256", kid: "bank-1" })
      .sign(k.privateKey);
    const r = await processRegistrationResponse(res(201, jwt, "application/jwt"), {
      bank_jwks: { keys: [k.jwk] },
    });
    expect(r.client_id).toBe("c9");
    expect(r.metadata.scope).toBe("openid");
    const other = await testKey("PS256", "bank-1");
    await expect(
      processRegistrationResponse(res(201, jwt, "application/jwt"), { bank_jwks: { keys: [other.jwk] } }),
    ).rejects.toMatchObject({
      code: "OBDCR_OUTCOME_UNKNOWN",
      client_id: "c9",
      salvaged: { client_id: "c9" },
    });
  });
  it("signed answer from a bank whose clock is a little ahead: verified; far ahead or expired: refused", async () => {
    const k = await testKey("PS256", "bank-1");
    const now = Math.floor(Date.now() / 1000);
    const signed = (claims: jose.JWTPayload) =>
      new jose.SignJWT({ client_id: "c9", ...claims })
        .setProtectedHeader({ alg: "PS256", kid: "bank-1" })
        .sign(k.privateKey);
    const answer = async (claims: jose.JWTPayload) =>
      processRegistrationResponse(res(201, await signed(claims), "application/jwt"), {
        bank_jwks: { keys: [k.jwk] },
      });
    expect((await answer({ iat: now + 20, nbf: now + 20, exp: now + 300 })).client_id).toBe("c9");
    await expect(answer({ nbf: now + 600 })).rejects.toMatchObject({ code: "OBDCR_OUTCOME_UNKNOWN" });
    await expect(answer({ exp: now - 600 })).rejects.toMatchObject({ code: "OBDCR_OUTCOME_UNKNOWN" });
  });
  it("SSA body that is not a JWS", () => {
    expect(() => processSsaResponse(res(200, "hello", "application/jws"))).toThrow(/compact JWS/);
    expect(processSsaResponse(res(200, JSON.stringify("a.b.c")))).toBe("a.b.c");
  });
});

describe("directory caches", () => {
  it("token cache honours expires_in with a margin", async () => {
    const m = agent();
    let now = 1_000_000;
    const ctx = createContext({ now: () => now, token_margin_seconds: 60, transport: { dispatcher: m } });
    const k = await testKey();
    const pool = m.get("https://dir.example");
    pool
      .intercept({ path: "/token", method: "POST" })
      .reply(200, { access_token: "t1", token_type: "Bearer", expires_in: 600 });
    pool
      .intercept({ path: "/token", method: "POST" })
      .reply(200, { access_token: "t2", token_type: "bearer", expires_in: 600 });
    const i = {
      token_endpoint: "https://dir.example/token",
      client_id: "sw",
      scope: ["A", "B"],
      key: k.key,
      tls: {},
    };
    expect(await getDirectoryToken(ctx, i)).toBe("t1");
    now += 500;
    expect(await getDirectoryToken(ctx, { ...i, scope: ["B", "A"] })).toBe("t1");
    now += 50; // 550 > 600 - 60
    expect(await getDirectoryToken(ctx, i)).toBe("t2");
    expect(ctx.stats.token_requests).toBe(2);
  });
  it("SSA JWKS refetched once on an unknown kid", async () => {
    const m = agent();
    const ctx = createContext({ transport: { dispatcher: m } });
    const dir1 = await testKey("PS256", "d1");
    const dir2 = await testKey("PS256", "d2");
    const ssa = await new jose.SignJWT({ software_id: "sw", org_id: "o" })
      .setProtectedHeader({ alg: "PS256", kid: "d2", typ: "JWT" })
      .setIssuer("OpenBanking Ltd")
      .setIssuedAt()
      .sign(dir2.privateKey);
    const pool = m.get("https://dir.example");
    pool.intercept({ path: "/jwks" }).reply(200, { keys: [dir1.jwk] });
    pool.intercept({ path: "/jwks" }).reply(200, { keys: [dir1.jwk, dir2.jwk] });
    const v = {
      issuer: "OpenBanking Ltd",
      software_id: "sw",
      org_id: "o",
      jwks_uri: "https://dir.example/jwks",
      tls: {},
    };
    // warm the cache with the old set
    const { fetchJwks } = await import("../../provider/http/index.js");
    await fetchJwks(ctx, v.jwks_uri, {});
    expect((await verifySsa(ctx, ssa, v)).software_id).toBe("sw");
    expect(ctx.stats.jwks_fetches).toBe(2);
    await expect(verifySsa(ctx, ssa, { ...v, software_id: "other" })).rejects.toMatchObject({
      code: "OBDCR_SSA_INVALID",
    });
  });
});
