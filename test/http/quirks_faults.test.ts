/** Sandbox quirks the core must handle, and fault modes: retried where allowed, a clear error where not. */
import { beforeEach, describe, expect, it } from "vitest";
import {
  closeAgents,
  createContext,
  createRegistration,
  deleteRegistration,
  type ObDcrContext,
  type RegistrationParamsInput,
  readRegistration,
  updateRegistration,
} from "../../provider/index.js";
import { sandboxForFile } from "../support/hooks.js";
import { read } from "../support/params.js";
import { HTTP_BANKS, paramsFor, stateOf } from "./sandbox_helpers.js";

const sb = sandboxForFile({ prefix: "http", banks: HTTP_BANKS }, closeAgents);
let ctx: ObDcrContext;
const BANK = "sandbox-bank";

beforeEach(async () => {
  await sb.admin.reset();
  ctx = createContext({ transport: { backoff_base_ms: 20, backoff_max_ms: 100 } });
});

const p32 = (over: Parameters<typeof paramsFor>[3] = {}) => paramsFor(sb, BANK, "obie-3.2", over);
const bankOf = () => sb.manifest.banks.find((b) => b.name === BANK)!;

describe("quirks", () => {
  it("aud = issuer URL needs a literal bank_profile.aud", async () => {
    await sb.admin.setQuirks(BANK, { aud: "issuer" });
    await expect(createRegistration(p32(), ctx)).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_REJECTED",
      status: 400,
    });
    const r = await createRegistration(p32({ bank_profile: { aud: { literal: bankOf().issuer } } }), ctx);
    expect(r.client_id).toBeTruthy();
  });
  it("aud literal", async () => {
    await sb.admin.setQuirks(BANK, { aud: { literal: "revolut" } });
    expect(
      (await createRegistration(p32({ bank_profile: { aud: { literal: "revolut" } } }), ctx)).client_id,
    ).toBeTruthy();
  });
  it("Content-Type application/jose", async () => {
    await sb.admin.setQuirks(BANK, { content_type: "application/jose" });
    await expect(createRegistration(p32(), ctx)).rejects.toMatchObject({ status: 415 });
    expect(
      (await createRegistration(p32({ bank_profile: { content_type: "application/jose" } }), ctx)).client_id,
    ).toBeTruthy();
  });
  it("200 instead of 201, ms timestamps, scope array, extra members, substitutions", async () => {
    await sb.admin.setQuirks(BANK, {
      created_status: 200,
      client_id_issued_at_unit: "ms",
      scope_format: "array",
      extra_members: { jwt_replay_prevention: true },
      substitute: { scope: "openid" },
    });
    const r = await createRegistration(p32(), ctx);
    const now = Math.floor(Date.now() / 1000);
    expect(r.client_id_issued_at).toBeGreaterThan(now - 120);
    expect(r.client_id_issued_at).toBeLessThan(now + 120);
    expect(r.metadata.scope).toBe("openid");
    expect(r.metadata.jwt_replay_prevention).toBe(true);
    expect(r.substitutions).toEqual([{ field: "scope", requested: "openid accounts", registered: "openid" }]);
  });
  it("management scope required / forbidden, and scope none", async () => {
    await sb.admin.setQuirks(BANK, { management_scope_required: "accounts" });
    const r = await createRegistration(p32(), ctx);
    await expect(readRegistration(p32(), stateOf(r), ctx)).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_REJECTED",
    });
    const withScope = p32({ bank_profile: { management: { scope: "accounts" } } });
    expect((await readRegistration(withScope, stateOf(r), ctx)).client_id).toBe(r.client_id);
    await sb.admin.setQuirks(BANK, {
      management_scope_required: null,
      management_scope_forbidden: ["openid"],
    });
    const ctx2 = createContext();
    await expect(
      readRegistration(p32({ bank_profile: { management: { scope: "openid" } } }), stateOf(r), ctx2),
    ).rejects.toMatchObject({ code: "OBDCR_REGISTRATION_REJECTED" });
    expect((await readRegistration(p32(), stateOf(r), ctx2)).client_id).toBe(r.client_id);
  });
  it("GET/PUT/DELETE not offered → NotSupported (405) or refused up front", async () => {
    await sb.admin.setQuirks(BANK, { allow_get: false, allow_put: false, allow_delete: false });
    const r = await createRegistration(p32(), ctx);
    await expect(readRegistration(p32(), stateOf(r), ctx)).rejects.toMatchObject({
      code: "OBDCR_NOT_SUPPORTED",
    });
    await expect(updateRegistration(p32(), stateOf(r), ctx)).rejects.toMatchObject({
      code: "OBDCR_NOT_SUPPORTED",
    });
    await expect(deleteRegistration(p32(), stateOf(r), ctx)).rejects.toMatchObject({
      code: "OBDCR_NOT_SUPPORTED",
    });
    const declared = p32({ bank_profile: { supports: { read: false } } });
    await expect(readRegistration(declared, stateOf(r), ctx)).rejects.toMatchObject({
      code: "OBDCR_NOT_SUPPORTED",
    });
  });
  it("unknown client: invalid_client at the token endpoint is ambiguous unless the profile says it means gone", async () => {
    await sb.admin.setQuirks(BANK, { unknown_client_status: 404 });
    const r = await createRegistration(p32(), ctx);
    const p = p32({ bank_profile: { management: { gone_statuses: [401, 404] } } });
    expect(await deleteRegistration(p, stateOf(r), ctx)).toBe("deleted");
    await expect(readRegistration(p, stateOf(r), ctx)).rejects.toMatchObject({
      code: "OBDCR_GONE_UNCONFIRMED",
      field: undefined,
    });
    const declared = {
      ...p,
      bank_profile: { management: { gone_statuses: [401, 404], invalid_client_is_gone: true } },
    } as RegistrationParamsInput;
    await expect(readRegistration(declared, stateOf(r), ctx)).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_GONE",
    });
    expect(await deleteRegistration(declared, stateOf(r), ctx)).toBe("gone");
  });
  it("duplicate software refused with the bank's error", async () => {
    await sb.admin.setQuirks(BANK, { reject_duplicate_software: true });
    await createRegistration(p32(), ctx);
    await expect(createRegistration(p32(), ctx)).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_REJECTED",
      error: "invalid_client_metadata",
    });
  });
  it.each(["name", "oid"] as const)("subject DN encoding %s", async (enc) => {
    await sb.admin.setQuirks(BANK, { subject_dn_encoding: enc });
    const tls = { client: { token_endpoint_auth_method: "tls_client_auth" } };
    await expect(createRegistration(p32(tls), ctx)).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_REJECTED",
    });
    const r = await createRegistration(p32({ ...tls, bank_profile: { dn_format: enc } }), ctx);
    expect(r.metadata.tls_client_auth_subject_dn).toBe(
      sb.manifest.orgs[0]?.softwares[0]?.transport.subject_dn_encodings[enc],
    );
    expect(
      (await readRegistration(p32({ ...tls, bank_profile: { dn_format: enc } }), stateOf(r), ctx)).client_id,
    ).toBe(r.client_id);
  });
  it("upper-case jti is refused by a lower-case bank; default is lower", async () => {
    await sb.admin.setQuirks(BANK, { lowercase_jti: true });
    expect((await createRegistration(p32(), ctx)).client_id).toBeTruthy();
    await expect(createRegistration(p32({ bank_profile: { jti_case: "upper" } }), ctx)).rejects.toMatchObject(
      {
        status: 400,
      },
    );
  });
});

describe("pre-flight against the sandbox", () => {
  it("redirect URI outside the SSA", async () => {
    await expect(
      createRegistration(p32({ client: { redirect_uris: ["https://evil.example/cb"] } }), ctx),
    ).rejects.toMatchObject({
      field: "client.redirect_uris.0",
    });
  });
  it("revoked signing key named before sending", async () => {
    const sw = sb.manifest.orgs[0]!.softwares[0]!;
    const rev = sw.revoked_signing!;
    const p = {
      ...p32(),
      signing_key: { kid: rev.kid, alg: rev.alg, private_key: read(rev.private_key_file) },
    };
    await createRegistration(p32(), ctx); // downloads the SSA with the valid key (the directory refuses revoked keys)
    await expect(createRegistration(p as RegistrationParamsInput, ctx)).rejects.toMatchObject({
      field: "signing_key.kid",
    });
  });
  it("unknown kid", async () => {
    const p = p32();
    const q = { ...p, signing_key: { ...(p.signing_key as object), kid: "nope" } } as RegistrationParamsInput;
    await expect(createRegistration(q, ctx)).rejects.toMatchObject({ code: "OBDCR_REGISTRATION_REJECTED" }); // directory refuses the assertion
  });
  it("unsupported auth method per discovery", async () => {
    await expect(
      createRegistration(p32({ client: { token_endpoint_auth_method: "client_secret_post" } }), ctx),
    ).rejects.toMatchObject({ field: "client.token_endpoint_auth_method" });
  });
  it("SSA issuer mismatch", async () => {
    await expect(
      createRegistration(p32({ directory: { issuer: "Someone Else" } }), ctx),
    ).rejects.toMatchObject({
      code: "OBDCR_SSA_INVALID",
      claim: "iss",
    });
  });
  it("untrusted client certificate → TLS/transport or 401", async () => {
    const u = sb.manifest.untrusted;
    const p = p32();
    const q = {
      ...p,
      transport: { ...(p.transport as object), cert: read(u.client_cert_file), key: read(u.client_key_file) },
    };
    await expect(createRegistration(q as RegistrationParamsInput, ctx)).rejects.toSatisfy(
      (e: { code?: string }) => e.code === "OBDCR_TRANSPORT" || e.code === "OBDCR_REGISTRATION_REJECTED",
    );
  });
  it("a server cert from an untrusted CA fails TLS verification", async () => {
    const p = p32();
    const q = {
      ...p,
      transport: { ...(p.transport as object), ca: read(sb.manifest.untrusted.ca_cert_file) },
    };
    await expect(createRegistration(q as RegistrationParamsInput, ctx)).rejects.toMatchObject({
      code: "OBDCR_TRANSPORT",
    });
  });
});

describe("faults", () => {
  it("503 and 429 on POST /register are retried (Retry-After honoured)", async () => {
    await sb.admin.setFaults(BANK, [
      { kind: "server_error", status: 503, path: "/register", method: "POST", count: 1 },
    ]);
    const after503 = await createRegistration(p32(), ctx);
    expect(after503.client_id).toBeTruthy();
    // Said, so that a client a broken bank made anyway is not orphaned silently.
    expect(after503.unavailable_before).toBe(1);
    await sb.admin.setFaults(BANK, [
      { kind: "rate_limit", retry_after: 1, path: "/register", method: "POST", count: 1 },
    ]);
    const t0 = Date.now();
    const r = await createRegistration(p32(), ctx);
    expect(r.client_id).toBeTruthy();
    expect(r.unavailable_before).toBeUndefined(); // a 429 is refused before any processing
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(await sb.admin.registrations(BANK)).toHaveLength(2);
  });
  it("a 500 on POST is not retried", async () => {
    await sb.admin.setFaults(BANK, [
      { kind: "server_error", status: 500, path: "/register", method: "POST", count: 1 },
    ]);
    await expect(createRegistration(p32(), ctx)).rejects.toMatchObject({
      code: "OBDCR_UNEXPECTED_RESPONSE",
      status: 500,
    });
  });
  it("a reset after commit on POST → OutcomeUnknown, never retried", async () => {
    await sb.admin.setFaults(BANK, [
      { kind: "reset_after_commit", path: "/register", method: "POST", count: 1 },
    ]);
    await expect(createRegistration(p32(), ctx)).rejects.toMatchObject({ code: "OBDCR_OUTCOME_UNKNOWN" });
    expect(await sb.admin.registrations(BANK)).toHaveLength(1);
  });
  it("resets and 5xx on GET / directory calls are retried", async () => {
    const r = await createRegistration(p32(), ctx);
    await sb.admin.setFaults(BANK, [
      { kind: "reset_before_commit", path: "/register/", method: "GET", count: 1 },
      { kind: "server_error", status: 502, path: "/register/", method: "GET", count: 1 },
    ]);
    expect((await readRegistration(p32(), stateOf(r), ctx)).client_id).toBe(r.client_id);
    await sb.admin.setFaults("directory", [
      { kind: "server_error", status: 503, count: 1 },
      { kind: "reset_before_commit", count: 1 },
    ]);
    const fresh = createContext({ transport: { backoff_base_ms: 20 } });
    await sb.admin.reset();
    await sb.admin.setFaults("directory", [
      { kind: "server_error", status: 503, count: 1 },
      { kind: "reset_before_commit", count: 1 },
    ]);
    expect((await createRegistration(p32(), fresh)).client_id).toBeTruthy();
  });
  it("a stalled POST times out as OutcomeUnknown; a stalled GET as Timeout after retries", async () => {
    const quick = createContext({
      transport: { headers_timeout_ms: 400, max_retries: 1, backoff_base_ms: 10 },
    });
    const r = await createRegistration(p32(), quick);
    await sb.admin.setFaults(BANK, [{ kind: "stall", path: "/register" }]);
    await expect(createRegistration(p32(), quick)).rejects.toMatchObject({ code: "OBDCR_OUTCOME_UNKNOWN" });
    await expect(readRegistration(p32(), stateOf(r), quick)).rejects.toMatchObject({ code: "OBDCR_TIMEOUT" });
  });
  it("latency within the timeouts is fine", async () => {
    await sb.admin.setFaults(BANK, [{ kind: "latency", ms: 200, count: 2 }]);
    expect((await createRegistration(p32(), ctx)).client_id).toBeTruthy();
  });
  it("bank clock skew: request iat/exp judged by the bank", async () => {
    await sb.admin.setFaults(BANK, [{ kind: "clock_skew", seconds: 3600 }]);
    await expect(createRegistration(p32(), ctx)).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_REJECTED",
    });
  });
});
