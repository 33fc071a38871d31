import { describe, expect, it } from "vitest";
import { resolveDirectory } from "../../provider/core/directory/resolve.js";
import {
  CIBA_GRANT,
  DiscoveryDocument,
  getProfile,
  RegistrationParams,
  resolveBankProfile,
  SsaClaims,
  validateAgainstDiscovery,
  validateAuthMaterial,
  validateClientForProfile,
  validateRedirectUris,
  validateSigningKid,
  validateSsaClaims,
} from "../../provider/core/index.js";
import { client } from "./helpers.js";

const p32 = getProfile("obie-3.2");
const field = (f: string) => expect.objectContaining({ code: "OBDCR_INVALID_INPUT", field: f });
const SID = "2cfGqDWH4LgtDRHd5JtFp8";

describe("validateRedirectUris", () => {
  const ssa = ["https://tpp.example.com/cb", "https://tpp.example.com/cb2"];
  it("accepts a subset", () =>
    expect(() => validateRedirectUris(p32, ["https://tpp.example.com/cb2"], ssa)).not.toThrow());
  it("rejects one outside the SSA, naming its index", () =>
    expect(() => validateRedirectUris(p32, [ssa[0] as string, "https://evil.example/cb"], ssa)).toThrow(
      field("client.redirect_uris.1"),
    ));
  it("names the SSA's URIs as the directory's text: escaped, at most five, the rest counted", () => {
    const many = [
      "https://tpp.example.com/a\u001b[31m\n::add-mask::x",
      ...Array.from({ length: 9 }, (_, i) => `https://tpp.example.com/${i}`),
    ];
    let message = "";
    try {
      validateRedirectUris(p32, ["https://evil.example/cb"], many);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("\\u001b[31m\\u000a::add-mask::x");
    expect([...message].filter((c) => c.charCodeAt(0) < 0x20)).toEqual([]);
    expect(message).toContain('"https://tpp.example.com/3" and 5 more');
    expect(message).not.toContain("tpp.example.com/4");
  });
  it("rejects http, localhost, fragments, empty", () => {
    expect(() => validateRedirectUris(p32, ["http://tpp.example.com/cb"], undefined)).toThrow(/https/);
    expect(() => validateRedirectUris(p32, ["https://localhost/cb"], undefined)).toThrow(/localhost/);
    expect(() => validateRedirectUris(p32, ["https://a.example/cb#x"], undefined)).toThrow(/fragment/);
    expect(() => validateRedirectUris(p32, [], ssa)).toThrow(field("client.redirect_uris"));
  });
  it("rfc7591 is lenient on scheme but still checks the SSA list", () => {
    expect(() =>
      validateRedirectUris(getProfile("rfc7591"), ["http://127.0.0.1/cb"], undefined),
    ).not.toThrow();
    expect(() => validateRedirectUris(getProfile("rfc7591"), ["https://x.example/cb"], ssa)).toThrow();
  });
  it("omitted URIs need SSA URIs for OBIE", () => {
    expect(() => validateRedirectUris(p32, undefined, undefined)).toThrow(field("client.redirect_uris"));
    expect(() => validateRedirectUris(p32, undefined, ssa)).not.toThrow();
  });
});

describe("validateSigningKid", () => {
  const jwks = {
    keys: [
      { kty: "RSA", kid: "a" },
      { kty: "EC", kid: "b" },
    ],
  };
  it("present", () => expect(() => validateSigningKid("a", jwks)).not.toThrow());
  it("missing", () => expect(() => validateSigningKid("z", jwks)).toThrow(field("signing_key.kid")));
  it("revoked", () =>
    expect(() => validateSigningKid("b", jwks, { keys: [{ kty: "EC", kid: "b" }] })).toThrow(/revoked/));
});

describe("validateClientForProfile", () => {
  const ok = (
    c = client(),
    alg: "PS256" | "ES256" | "RS256" = "PS256",
    name = "obie-3.2" as const,
    sid = SID,
  ) => validateClientForProfile(getProfile(name), c, { alg }, sid);
  it("accepts the defaults", () => expect(() => ok()).not.toThrow());
  it("RS256 refused by OBIE, allowed by rfc7591", () => {
    expect(() => ok(client(), "RS256")).toThrow(field("signing_key.alg"));
    expect(() => ok(client({ id_token_signed_response_alg: "RS256" }))).toThrow(
      field("client.id_token_signed_response_alg"),
    );
    expect(() =>
      validateClientForProfile(getProfile("rfc7591"), client(), { alg: "RS256" }, SID),
    ).not.toThrow();
  });
  it("iss length 18 in 3.1 vs 22 in 3.2", () => {
    expect(() => validateClientForProfile(getProfile("obie-3.1"), client(), { alg: "PS256" }, SID)).toThrow(
      field("software.software_id"),
    );
    expect(() => ok(client(), "PS256", "obie-3.2", "a".repeat(23))).toThrow(field("software.software_id"));
    expect(() => ok(client(), "PS256", "obie-3.2", "bad-id")).toThrow(field("software.software_id"));
  });
  it("client_secret_jwt only from 3.2", () => {
    const c = client({ token_endpoint_auth_method: "client_secret_jwt" });
    expect(() => validateClientForProfile(getProfile("obie-3.1"), c, { alg: "PS256" }, "abc")).toThrow(
      field("client.token_endpoint_auth_method"),
    );
    expect(() => ok(c)).not.toThrow();
  });
  it("response_types and grant_types", () => {
    expect(() => ok(client({ response_types: ["id_token token"] }))).toThrow(
      field("client.response_types.0"),
    );
    expect(() => ok(client({ grant_types: ["password"] }))).toThrow(field("client.grant_types.0"));
  });
  it("CIBA only from 3.3, with its conditional fields", () => {
    expect(() => ok(client({ grant_types: [CIBA_GRANT] }))).toThrow(field("client.grant_types"));
    expect(() => ok(client({ backchannel_token_delivery_mode: "poll" }))).toThrow(
      field("client.backchannel_token_delivery_mode"),
    );
    const p33 = getProfile("obie-3.3");
    expect(() =>
      validateClientForProfile(p33, client({ grant_types: [CIBA_GRANT] }), { alg: "PS256" }, SID),
    ).toThrow(field("client.backchannel_token_delivery_mode"));
    expect(() =>
      validateClientForProfile(
        p33,
        client({ grant_types: [CIBA_GRANT], backchannel_token_delivery_mode: "ping" }),
        { alg: "PS256" },
        SID,
      ),
    ).toThrow(field("client.backchannel_client_notification_endpoint"));
    expect(() =>
      validateClientForProfile(
        p33,
        client({
          grant_types: [CIBA_GRANT],
          backchannel_token_delivery_mode: "poll",
          backchannel_user_code_parameter_supported: true,
        }),
        { alg: "PS256" },
        SID,
      ),
    ).toThrow(field("client.backchannel_user_code_parameter_supported"));
    expect(() =>
      validateClientForProfile(
        p33,
        client({ backchannel_token_delivery_mode: "poll" }),
        { alg: "PS256" },
        SID,
      ),
    ).toThrow(/only allowed with/);
  });
  it("application_type per version", () => {
    expect(() => ok(client({ application_type: "native" }))).not.toThrow(); // mapped to mobile
  });
  it("scope required and ≤256 for OBIE 3.2+", () => {
    expect(() => ok(client({ scope: "" }))).toThrow(field("client.scope"));
    expect(() => ok(client({ scope: "x".repeat(257) }))).toThrow(field("client.scope"));
  });
});

describe("validateAuthMaterial", () => {
  it("tls_client_auth needs a DN given or derived", () => {
    const c = client({ token_endpoint_auth_method: "tls_client_auth" });
    expect(() => validateAuthMaterial(c, { subject_dn: undefined })).toThrow(
      field("client.tls_client_auth_subject_dn"),
    );
    expect(() => validateAuthMaterial(c, { subject_dn: "CN=x" })).not.toThrow();
  });
  it("a DN with another method is a mistake", () =>
    expect(() =>
      validateAuthMaterial(client({ tls_client_auth_subject_dn: "CN=x" }), { subject_dn: undefined }),
    ).toThrow(field("client.tls_client_auth_subject_dn")));
});

describe("validateSsaClaims", () => {
  const claims = SsaClaims.parse({
    iss: "OpenBanking Ltd",
    iat: 1000,
    software_id: SID,
    org_id: "o1",
    org_status: "Active",
  });
  const e = { issuer: "OpenBanking Ltd", software_id: SID, org_id: "o1", now: 1100 };
  const ssaErr = (claim: string) => expect.objectContaining({ code: "OBDCR_SSA_INVALID", claim });
  it("accepts", () => expect(() => validateSsaClaims(claims, e)).not.toThrow());
  it("iss", () => expect(() => validateSsaClaims({ ...claims, iss: "x" }, e)).toThrow(ssaErr("iss")));
  it("software_id", () =>
    expect(() => validateSsaClaims({ ...claims, software_id: "x" }, e)).toThrow(ssaErr("software_id")));
  it("org_id", () =>
    expect(() => validateSsaClaims({ ...claims, org_id: "x" }, e)).toThrow(ssaErr("org_id")));
  it("expired", () => expect(() => validateSsaClaims({ ...claims, exp: 1000 }, e)).toThrow(ssaErr("exp")));
  it("iat in the future", () =>
    expect(() => validateSsaClaims({ ...claims, iat: 5000 }, e)).toThrow(ssaErr("iat")));
  it("org not active", () =>
    expect(() => validateSsaClaims({ ...claims, org_status: "Revoked" }, e)).toThrow(ssaErr("org_status")));
});

describe("validateAgainstDiscovery", () => {
  const d = DiscoveryDocument.parse({
    token_endpoint_auth_methods_supported: ["private_key_jwt", "tls_client_auth"],
    token_endpoint_auth_signing_alg_values_supported: ["PS256"],
    id_token_signing_alg_values_supported: ["PS256"],
    request_object_signing_alg_values_supported: ["PS256"],
    response_types_supported: ["code", "code id_token"],
    grant_types_supported: ["authorization_code", "client_credentials", "refresh_token"],
  });
  it("accepts supported values (response type order-insensitive)", () =>
    expect(() =>
      validateAgainstDiscovery(d, client({ response_types: ["id_token code"] }), "PS256"),
    ).not.toThrow());
  it("names the unsupported field", () => {
    expect(() =>
      validateAgainstDiscovery(d, client({ token_endpoint_auth_method: "client_secret_basic" }), "PS256"),
    ).toThrow(field("client.token_endpoint_auth_method"));
    expect(() => validateAgainstDiscovery(d, client(), "ES256")).toThrow(
      field("client.token_endpoint_auth_signing_alg"),
    );
    expect(() =>
      validateAgainstDiscovery(d, client({ id_token_signed_response_alg: "ES256" }), "PS256"),
    ).toThrow(field("client.id_token_signed_response_alg"));
    expect(() =>
      validateAgainstDiscovery(d, client({ request_object_signing_alg: "ES256" }), "PS256"),
    ).toThrow(field("client.request_object_signing_alg"));
    expect(() => validateAgainstDiscovery(d, client({ response_types: ["token"] }), "PS256")).toThrow(
      field("client.response_types.0"),
    );
  });
});

describe("RegistrationParams schema", () => {
  const minimal = {
    profile: "obie-3.2",
    bank: { discovery_url: "https://bank.example/.well-known/openid-configuration", org_id: "b1" },
    directory: { software_statement: "a.b.c" },
    software: { software_id: SID, org_id: "o1" },
    signing_key: { kid: "k", private_key: "-----BEGIN PRIVATE KEY-----" },
    transport: { cert: "c", key: "k" },
  };
  it("applies defaults", () => {
    const p = RegistrationParams.parse(minimal);
    expect(p.client.token_endpoint_auth_method).toBe("private_key_jwt");
    // Directory defaults are per regime, resolved from the profile (core/directory/resolve.ts).
    expect(resolveDirectory(p)?.scope).toEqual(["ASPSPReadAccess", "TPPReadAccess", "AuthoritiesReadAccess"]);
    expect(resolveDirectory(p)?.reuse_seconds).toBe(300);
    expect(resolveBankProfile(p).management.scope).toBeNull();
    expect(p.signing_key.alg).toBe("PS256");
  });
  it("refuses unknown keys, http endpoints, missing SSA source", () => {
    expect(RegistrationParams.safeParse({ ...minimal, extra: 1 }).success).toBe(false);
    expect(
      RegistrationParams.safeParse({ ...minimal, bank: { discovery_url: "http://bank.example/x" } }).success,
    ).toBe(false);
    expect(RegistrationParams.safeParse({ ...minimal, directory: {} }).success).toBe(false);
  });
});
