import { describe, expect, it } from "vitest";
import {
  BANK_PRESET_NAMES,
  BANK_PRESETS,
  BANK_PROFILE_FIELDS,
  DiscoveryDocument,
  describeBankProfile,
  InvalidInputError,
  type ProfileName,
  RegistrationParams,
  type RegistrationParamsInput,
  resolveBankProfile,
  validateProfileAgainstDiscovery,
} from "../../provider/core/index.js";

const base = (over: Partial<RegistrationParamsInput> = {}, profile: ProfileName = "obie-3.2") =>
  RegistrationParams.parse({
    profile,
    bank: { registration_endpoint: "https://bank.example/register", org_id: "0015800000jfQ9aAAE" },
    directory: { software_statement: "a.b.c" },
    software: { software_id: "2cfGqDWH4LgtDRHd5JtFp8", org_id: "0015800001041RHAAY" },
    signing_key: { kid: "k", private_key: "pem" },
    transport: { cert: "c", key: "k" },
    ...over,
  });

function catchInvalid(f: () => unknown): InvalidInputError {
  try {
    f();
  } catch (e) {
    if (e instanceof InvalidInputError) return e;
    throw e;
  }
  throw new Error("expected InvalidInputError");
}

describe("resolveBankProfile", () => {
  it("without a bank profile: every field from the spec profile", () => {
    const r = resolveBankProfile(base());
    expect(Object.keys(r.sources).sort()).toEqual([...BANK_PROFILE_FIELDS].sort());
    expect(new Set(Object.values(r.sources))).toEqual(new Set(["spec"]));
    expect(r).toMatchObject({
      content_type: "application/jwt",
      aud: "org_id",
      iss: "software_id",
      scope_format: "string",
      management: { style: "obie", scope: null, gone_statuses: [401] },
      supports: { read: true, update: true, delete: true },
      response: { created_status: 201, timestamp_unit: "s", dn_claim: "tls_client_auth_subject_dn" },
      refuses_duplicate_registration: false,
    });
  });
  it("spec layer follows the profile (3.1 array scope and old DN claim; rfc7591 JSON and RFC 7592)", () => {
    const r31 = resolveBankProfile(base({}, "obie-3.1"));
    expect(r31.scope_format).toBe("array");
    expect(r31.response.dn_claim).toBe("tls_client_auth_dn");
    const rfc = resolveBankProfile(base({}, "rfc7591"));
    expect(rfc.content_type).toBe("application/json");
    expect(rfc.management).toMatchObject({ style: "rfc7592", gone_statuses: [401, 404] });
  });
  it("a preset name is all it takes; sources say preset", () => {
    const r = resolveBankProfile(base({ bank_profile: "hsbc" }));
    expect(r.preset).toBe("hsbc");
    expect(r.content_type).toBe("application/jose");
    expect(r.aud).toBe("issuer");
    expect(r.management.scope).toBe("accounts");
    expect(r.response.timestamp_unit).toBe("ms");
    expect(r.sources.content_type).toBe("preset");
    expect(r.sources["management.scope"]).toBe("preset");
    expect(r.sources["management.style"]).toBe("spec");
    expect(r.origins.content_type.from).toBe("preset hsbc");
  });
  it("overrides win over the preset, field by field", () => {
    const r = resolveBankProfile(
      base({
        bank_profile: {
          preset: "hsbc",
          content_type: "application/jwt",
          supports: { delete: false },
          management: { scope: null },
          jti_case: "upper",
        },
        bank: { registration_endpoint: "https://bank.example/register", org_id: "x" },
      }),
    );
    expect(r.content_type).toBe("application/jwt");
    expect(r.origins.content_type).toEqual({ source: "override", from: "bank_profile.content_type" });
    expect(r.supports).toEqual({ read: true, update: true, delete: false });
    expect(r.management.scope).toBeNull();
    expect(r.origins["management.scope"].from).toBe("bank_profile.management.scope");
    expect(r.jti_case).toBe("upper");
    expect(r.aud).toBe("issuer"); // untouched preset value
  });
  it("a bank behaviour given under bank is refused with the bank_profile name to use", () => {
    const moved: [Record<string, unknown>, string][] = [
      [{ content_type: "application/jwt" }, "bank_profile.content_type"],
      [{ management: { style: "rfc7592" } }, "bank_profile.management"],
      [{ aud: "custom" }, "bank_profile.aud"],
      [{ client_id_hint: true }, "bank_profile.client_id_hint"],
      [{ extra_claims: { foo: 1 } }, "bank_profile.extra_claims"],
    ];
    for (const [bank, to] of moved) {
      const r = RegistrationParams.safeParse({
        ...base(),
        bank: { registration_endpoint: "https://b.example/r", org_id: "x", ...bank },
      });
      expect(r.success).toBe(false);
      const issue = r.error!.issues[0]!;
      expect(issue.path).toEqual(["bank", Object.keys(bank)[0]]);
      expect(issue.message).toContain(`moved: set ${to}`);
    }
  });
  it("a literal aud, client.grant_types wins, a preset's extra claims", () => {
    const r = resolveBankProfile(
      base({
        bank_profile: { preset: "lloyds-sandbox", aud: { literal: "custom" } },
        bank: { registration_endpoint: "https://b.example/r", org_id: "x" },
        client: { grant_types: ["client_credentials"] },
      }),
    );
    expect(r.aud).toEqual({ literal: "custom" });
    expect(r.grant_types).toEqual(["client_credentials"]);
    expect(r.origins.grant_types.from).toBe("client.grant_types");
    expect(r.extra_claims).toEqual({ subject_type: "pairwise" });
    expect(r.management.style).toBe("rfc7592");
  });
  it("unknown preset → InvalidInputError on bank_profile listing the known names", () => {
    for (const bp of ["no-such-bank", { preset: "no-such-bank" }]) {
      const e = catchInvalid(() => resolveBankProfile(base({ bank_profile: bp })));
      expect(e.code).toBe("OBDCR_INVALID_INPUT");
      expect(e.field).toBe("bank_profile");
      expect(e.message).toContain("no-such-bank");
      expect(e.message).toContain("hsbc");
      expect(e.message).toContain("nationwide");
    }
  });
  it("an unknown override key is a schema error naming it", () => {
    const r = RegistrationParams.safeParse({ ...base(), bank_profile: { contnt_type: "x" } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain("contnt_type");
  });
  it("conflicts with the spec profile name the field and both sides", () => {
    const ct = catchInvalid(() =>
      resolveBankProfile(base({ bank_profile: { content_type: "application/json" } })),
    );
    expect(ct.field).toBe("bank_profile.content_type");
    expect(ct.message).toContain("bank_profile.content_type");
    expect(ct.message).toContain("spec profile obie-3.2");
    const preset = catchInvalid(() => resolveBankProfile(base({ bank_profile: "hsbc" }, "rfc7591")));
    expect(preset.field).toBe("bank_profile.content_type");
    expect(preset.message).toContain("preset hsbc");
    expect(preset.message).toContain("spec profile rfc7591");
    const g = catchInvalid(() =>
      resolveBankProfile(
        base({ bank_profile: { grant_types: ["client_credentials", "urn:openid:params:grant-type:ciba"] } }),
      ),
    );
    expect(g.field).toBe("bank_profile.grant_types");
    const iss = catchInvalid(() =>
      resolveBankProfile(base({ bank_profile: { iss: { literal: "a2345678901234567890" } } }, "obie-3.1")),
    );
    expect(iss.field).toBe("bank_profile.iss");
    expect(iss.message).toContain("1-18");
  });
  it("every preset resolves on obie-3.2 and lists a source", () => {
    for (const name of BANK_PRESET_NAMES) {
      const r = resolveBankProfile(base({ bank_profile: name }));
      expect(r.preset).toBe(name);
      expect(BANK_PRESETS[name].sources.length).toBeGreaterThan(0);
      expect(Object.values(r.sources)).toContain("preset");
    }
  });
  it("describeBankProfile shows the order and each origin", () => {
    const lines = describeBankProfile(resolveBankProfile(base({ bank_profile: "nationwide" })));
    expect(lines[0]).toContain("spec → preset → overrides → discovery");
    expect(lines).toContain('content_type = "application/jose"  (preset nationwide)');
    expect(lines).toContain("supports.read = false  (preset nationwide)");
    expect(lines).toContain("supports.update = true  (spec obie-3.2)");
  });
});

describe("validateProfileAgainstDiscovery", () => {
  const disco = (d: Record<string, unknown>) =>
    DiscoveryDocument.parse({ issuer: "https://bank.example", ...d });
  it("grant types from a preset that discovery does not list", () => {
    const p = base({ bank_profile: { grant_types: ["client_credentials", "refresh_token"] } });
    const r = resolveBankProfile(p);
    const e = catchInvalid(() =>
      validateProfileAgainstDiscovery(
        r,
        disco({ grant_types_supported: ["client_credentials"] }),
        p.client,
        "PS256",
        "https://bank.example/.well-known/openid-configuration",
      ),
    );
    expect(e.field).toBe("bank_profile.grant_types");
    expect(e.message).toContain("refresh_token (from bank_profile.grant_types)");
    expect(e.message).toContain(
      "grant_types_supported (https://bank.example/.well-known/openid-configuration)",
    );
  });
  it("management scope outside scopes_supported", () => {
    const p = base({ bank_profile: "starling" });
    const e = catchInvalid(() =>
      validateProfileAgainstDiscovery(
        resolveBankProfile(p),
        disco({ scopes_supported: ["accounts"] }),
        p.client,
        "PS256",
      ),
    );
    expect(e.field).toBe("bank_profile.management.scope");
    expect(e.message).toContain("preset starling");
  });
  it("auth method and alg not supported: field and both sides named", () => {
    const p = base({ client: { token_endpoint_auth_method: "tls_client_auth" } });
    const r = resolveBankProfile(p);
    const e = catchInvalid(() =>
      validateProfileAgainstDiscovery(
        r,
        disco({ token_endpoint_auth_methods_supported: ["private_key_jwt"] }),
        p.client,
        "PS256",
      ),
    );
    expect(e.field).toBe("client.token_endpoint_auth_method");
    expect(e.message).toContain("token_endpoint_auth_methods_supported");
    expect(e.message).toContain("from the parameters client.token_endpoint_auth_method");
    const a = catchInvalid(() =>
      validateProfileAgainstDiscovery(
        r,
        disco({ id_token_signing_alg_values_supported: ["ES256"] }),
        p.client,
        "PS256",
      ),
    );
    expect(a.field).toBe("client.id_token_signed_response_alg");
  });
  it("aud = issuer needs an issuer", () => {
    const p = base({ bank_profile: { aud: "issuer" } });
    const e = catchInvalid(() =>
      validateProfileAgainstDiscovery(resolveBankProfile(p), DiscoveryDocument.parse({}), p.client, "PS256"),
    );
    expect(e.field).toBe("bank_profile.aud");
  });
});
