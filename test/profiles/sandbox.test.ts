/**
 * For every bank-profile field: a sandbox bank configured with that deviation refuses (or, for
 * response fields, is reported as deviating from) the default request, and accepts the one built
 * from the matching profile. Everything runs through the core over real TLS/mTLS.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createContext,
  createRegistration,
  deleteRegistration,
  type ObDcrContext,
  type ProfileName,
  type RegistrationOutcome,
  RegistrationParams,
  type RegistrationParamsInput,
  readRegistration,
  resolveBankProfile,
  updateRegistration,
} from "../../provider/index.js";
import type { BankConfigInput } from "../../sandbox/index.js";
import { DEFAULT_SOFTWARE_ID_18, type Sandbox } from "../../sandbox/index.js";
import { stateOf } from "../http/sandbox_helpers.js";
import { coreParams, type Json, software } from "../support/params.js";
import { BANKS as CATALOGUE, startTestSandbox } from "../support/sandbox.js";

const BANKS: BankConfigInput[] = [
  { name: "jose", quirks: { content_type: "application/jose" } },
  { name: "aud-issuer", quirks: { aud: "issuer" } },
  { name: "aud-literal", quirks: { aud: { literal: "revolut" } } },
  { name: "iss-org", quirks: { iss: "org_id" } },
  { name: "jti-upper", quirks: { jti_case: "upper" } },
  { name: "scope-array", quirks: { request_scope_format: "array" } },
  { name: "no-refresh", quirks: { grant_types_refused: ["refresh_token"] } },
  { name: "pairwise", quirks: { required_claims: { subject_type: "pairwise" } } },
  { name: "dn-name", quirks: { subject_dn_encoding: "name" } },
  { name: "dn-oid", quirks: { subject_dn_encoding: "oid" } },
  { name: "rat", management: "registration_access_token" },
  { name: "mgmt-scope", quirks: { management_scope_required: "accounts" } },
  { name: "gone-404", quirks: { unknown_client_status: 404 } },
  { name: "no-get", quirks: { allow_get: false } },
  { name: "no-put", quirks: { allow_put: false } },
  { name: "no-delete", quirks: { allow_delete: false } },
  { name: "ms", quirks: { client_id_issued_at_unit: "ms" } },
  { name: "ts-string", quirks: { client_id_issued_at_unit: "string" } },
  { name: "scope-out-array", quirks: { scope_format: "array" } },
  { name: "created-200", quirks: { created_status: 200 } },
  { name: "old-dn-out", quirks: { response_dn_claim: "tls_client_auth_dn" } },
  { name: "single", quirks: { reject_duplicate_software: true } },
  {
    name: "v31",
    quirks: { request_scope_format: "array", dn_claim: "tls_client_auth_dn", scope_format: "array" },
  },
  { name: "rat-404", management: "registration_access_token", quirks: { unknown_client_status: 404 } },
  CATALOGUE["hsbc-like"],
];

let sb: Sandbox;
let ctx: ObDcrContext;

beforeAll(async () => {
  sb = await startTestSandbox({ prefix: "profiles", banks: BANKS });
  ctx = createContext();
}, 120_000);
afterAll(async () => {
  await sb?.close();
});

type Over = { client?: Json; bank?: Json; directory?: Json; bank_profile?: unknown };
/** The sandbox software at a bank (the profile decides the grant types). */
const params = (bank: string, over: Over = {}, profile: ProfileName = "obie-3.2"): RegistrationParamsInput =>
  coreParams(sb, bank, { profile, ...over });
const tls = { client: { token_endpoint_auth_method: "tls_client_auth" } };
/** The default request is refused by the bank; the profile's is accepted. */
async function refusedThenAccepted(bank: string, bank_profile: unknown, extra: Over = {}) {
  await expect(createRegistration(params(bank, extra), ctx)).rejects.toMatchObject({
    code: expect.stringMatching(/OBDCR_REGISTRATION_REJECTED|OBDCR_UNEXPECTED_RESPONSE/),
  });
  const r = await createRegistration(params(bank, { ...extra, bank_profile }), ctx);
  expect(r.client_id).toBeTruthy();
  return r;
}

describe("request fields: default refused, profile accepted", () => {
  it("content_type", async () => {
    await refusedThenAccepted("jose", { content_type: "application/jose" });
  });
  it("aud = issuer", async () => {
    await refusedThenAccepted("aud-issuer", { aud: "issuer" });
  });
  it("aud = literal", async () => {
    await refusedThenAccepted("aud-literal", { aud: { literal: "revolut" } });
  });
  it("iss = org_id", async () => {
    await refusedThenAccepted("iss-org", { iss: "org_id" });
  });
  it("jti_case", async () => {
    await refusedThenAccepted("jti-upper", { jti_case: "upper" });
  });
  it("scope_format", async () => {
    await refusedThenAccepted("scope-array", { scope_format: "array" });
  });
  it("grant_types", async () => {
    // the sandbox bank is not jose: the override wins over the preset
    const r = await refusedThenAccepted("no-refresh", { preset: "lloyds", content_type: "application/jwt" });
    expect(r.bank_profile.sources.grant_types).toBe("preset");
    expect(r.bank_profile.origins.content_type.from).toBe("bank_profile.content_type");
  });
  it("extra_claims", async () => {
    await refusedThenAccepted("pairwise", { extra_claims: { subject_type: "pairwise" } });
  });
  it("dn_format name and oid", async () => {
    await refusedThenAccepted("dn-name", "mettle", tls);
    await refusedThenAccepted("dn-oid", { dn_format: "oid" }, tls);
  });
});

describe("management fields", () => {
  it("management.style rfc7592", async () => {
    const r = await createRegistration(params("rat"), ctx);
    // An explicit style is honoured: OBIE-style management is refused by this bank.
    const obie = params("rat", { bank_profile: { management: { style: "obie" } } });
    // The bank answers the OBIE-style token's GET as for an unknown client (its 401), though its
    // token endpoint issued that token: not a deletion (the client is read just below), unconfirmed.
    await expect(readRegistration(obie, stateOf(r), ctx)).rejects.toMatchObject({
      code: "OBDCR_GONE_UNCONFIRMED",
      client_id: r.client_id,
      message: expect.stringMatching(/issued a management token .* HTTP 401 .*management\.style/),
    });
    const p = params("rat", { bank_profile: { management: { style: "rfc7592" } } });
    expect((await readRegistration(p, stateOf(r), ctx)).client_id).toBe(r.client_id);
    // Left to the spec profile, the registration access token the bank issued decides (RFC 7592 §3).
    expect((await readRegistration(params("rat"), stateOf(r), ctx)).client_id).toBe(r.client_id);
  });
  it("management.scope", async () => {
    const r = await createRegistration(params("mgmt-scope"), ctx);
    await expect(readRegistration(params("mgmt-scope"), stateOf(r), ctx)).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_REJECTED",
      status: 403,
    });
    const p = params("mgmt-scope", { bank_profile: { management: { scope: "accounts" } } });
    expect((await readRegistration(p, stateOf(r), ctx)).client_id).toBe(r.client_id);
  });
  it("management.gone_statuses", async () => {
    // With an OBIE token the token endpoint's invalid_client already tells "gone"; the status list
    // matters where the bearer is the registration access token: compare [401] with [401, 404].
    const only401 = params("rat-404", {
      bank_profile: { management: { style: "rfc7592", gone_statuses: [401] } },
    });
    const with404 = params("rat-404", {
      bank_profile: { management: { style: "rfc7592", gone_statuses: [401, 404] } },
    });
    const r = await createRegistration(with404, ctx);
    expect(await deleteRegistration(with404, stateOf(r), ctx)).toBe("deleted");
    await expect(readRegistration(only401, stateOf(r), ctx)).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_REJECTED",
      status: 404,
    });
    await expect(readRegistration(with404, stateOf(r), ctx)).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_GONE",
    });
  });
  it("supports.read / update / delete: 405 by default, refused up front (naming the field) with the profile", async () => {
    const cases = [
      ["no-get", "read", readRegistration],
      ["no-put", "update", updateRegistration],
      ["no-delete", "delete", deleteRegistration],
    ] as const;
    for (const [bank, op, call] of cases) {
      const r = await createRegistration(params(bank), ctx);
      const before = (await sb.admin.registrations(bank)).length;
      await expect(call(params(bank), stateOf(r), ctx)).rejects.toMatchObject({
        code: "OBDCR_NOT_SUPPORTED",
      });
      const p = params(bank, { bank_profile: { supports: { [op]: false } } });
      await expect(call(p, stateOf(r), ctx)).rejects.toThrow(
        `supports.${op} = false from bank_profile.supports.${op}`,
      );
      expect((await sb.admin.registrations(bank)).length).toBe(before);
    }
  });
  it("refuses_duplicate_registration drives delete-before-replace", async () => {
    /** What the resource does on replace, driven by the resolved flag. */
    async function replace(p: RegistrationParamsInput, old: RegistrationOutcome) {
      if (resolveBankProfile(RegistrationParams.parse(p)).refuses_duplicate_registration) {
        await deleteRegistration(p, stateOf(old), ctx);
        return createRegistration(p, ctx);
      }
      const next = await createRegistration(p, ctx);
      await deleteRegistration(p, stateOf(old), ctx);
      return next;
    }
    const first = await createRegistration(params("single"), ctx);
    await expect(replace(params("single"), first)).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_REJECTED",
      error: "invalid_client_metadata",
    });
    const p = params("single", { bank_profile: "single-registration" });
    const next = await replace(p, first);
    expect(next.client_id).not.toBe(first.client_id);
    expect((await sb.admin.registrations("single")).map((x) => x.client_id)).toEqual([next.client_id]);
  });
});

describe("response fields: deviation reported by default, none with the profile", () => {
  const cases = [
    ["ms", { response: { timestamp_unit: "ms" } }, "response.timestamp_unit", {}],
    ["ts-string", { response: { timestamp_unit: "string" } }, "response.timestamp_unit", {}],
    ["scope-out-array", { response: { scope_format: "array" } }, "response.scope_format", {}],
    ["created-200", "gluu-legacy", "response.created_status", {}],
    ["old-dn-out", { response: { dn_claim: "tls_client_auth_dn" } }, "response.dn_claim", tls],
  ] as const;
  for (const [bank, bank_profile, field, extra] of cases)
    it(`${field} (${bank})`, async () => {
      const d = await createRegistration(params(bank, extra), ctx);
      expect(d.response_deviations.map((x) => x.field)).toEqual([field]);
      const r = await createRegistration(params(bank, { ...extra, bank_profile }), ctx);
      expect(r.response_deviations).toEqual([]);
      // Normalised the same way either way: seconds, scope string, DN under the current name.
      expect(Math.abs((r.client_id_issued_at ?? 0) - Math.floor(Date.now() / 1000))).toBeLessThan(120);
      expect(r.metadata.scope).toBe("openid accounts");
      if (bank === "old-dn-out") expect(r.metadata.tls_client_auth_subject_dn).toBeTruthy();
    });
});

describe("presets and obie-3.1 end to end", () => {
  it("a preset name is all it takes (hsbc-like bank): create, read, update, delete", async () => {
    await expect(createRegistration(params("hsbc-like"), ctx)).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_REJECTED",
    });
    const p = params("hsbc-like", { bank_profile: "hsbc" });
    const r = await createRegistration(p, ctx);
    expect(r.response_deviations).toEqual([]);
    expect((await readRegistration(p, stateOf(r), ctx)).client_id).toBe(r.client_id);
    expect((await updateRegistration(p, stateOf(r), ctx)).client_id).toBe(r.client_id);
    expect(await deleteRegistration(p, stateOf(r), ctx)).toBe("deleted");
  });
  it("obie-3.1 with the 18-character software: create, read, update, delete (tls_client_auth)", async () => {
    const { sw } = software(sb, DEFAULT_SOFTWARE_ID_18);
    expect(sw.software_id).toHaveLength(18);
    const p31 = (bank: string) =>
      coreParams(sb, { bank, software: sw.software_id }, { profile: "obie-3.1", ...tls });
    // A UK 3.2 bank refuses the 3.1 request (scope array, tls_client_auth_dn); a 3.1 bank takes it.
    await expect(createRegistration(p31("jose"), ctx)).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_REJECTED",
    });
    const r = await createRegistration(p31("v31"), ctx);
    expect(r.response_deviations).toEqual([]);
    expect(r.metadata.tls_client_auth_subject_dn).toBe(sw.transport.subject_dn);
    expect((await readRegistration(p31("v31"), stateOf(r), ctx)).client_id).toBe(r.client_id);
    expect((await updateRegistration(p31("v31"), stateOf(r), ctx)).client_id).toBe(r.client_id);
    expect(await deleteRegistration(p31("v31"), stateOf(r), ctx)).toBe("deleted");
    // The 22-character default software is refused before anything is sent.
    await expect(createRegistration(params("v31", tls, "obie-3.1"), ctx)).rejects.toMatchObject({
      code: "OBDCR_INVALID_INPUT",
      field: "software.software_id",
    });
  });
});
