import { describe, expect, it } from "vitest";
import { parseRegistrationResponse } from "../../provider/core/index.js";
// Internal helpers (not exported by ob-dcr/core): imported from their source module.
import { normalizeScope, normalizeTimestamp } from "../../provider/core/parse/registration_response.js";

describe("normalizeTimestamp", () => {
  it.each([
    [1_700_000_000, 1_700_000_000],
    [1_700_000_000_123, 1_700_000_000],
    ["1700000000", 1_700_000_000],
    ["1700000000123", 1_700_000_000],
    ["2023-11-14T22:13:20Z", 1_700_000_000],
    ["Tue, 14 Nov 2023 22:13:20 GMT", 1_700_000_000],
    [0, 0],
    ["garbage", undefined],
  ])("%s → %s", (i, o) => expect(normalizeTimestamp(i)).toBe(o));
});

describe("parseRegistrationResponse", () => {
  it("keeps secrets apart, normalises, keeps unknown members", () => {
    const r = parseRegistrationResponse({
      client_id: "c1",
      client_secret: "s3cret",
      client_secret_expires_at: "0",
      client_id_issued_at: 1_700_000_000_000,
      scope: ["openid", "accounts"],
      jwt_replay_prevention: true,
    });
    expect(r.secrets).toEqual({ client_secret: "s3cret" });
    expect(r.metadata).not.toHaveProperty("client_secret");
    expect(r.metadata.scope).toBe("openid accounts");
    expect(r.client_id_issued_at).toBe(1_700_000_000);
    expect(r.client_secret_expires_at).toBe(0);
    expect(r.metadata.jwt_replay_prevention).toBe(true);
  });
  it("reports substitutions (and not equal sets in another order)", () => {
    const r = parseRegistrationResponse(
      {
        client_id: "c1",
        scope: "openid",
        grant_types: ["client_credentials", "authorization_code"],
        tls_client_auth_dn: "CN=y",
      },
      {
        scope: "accounts openid",
        grant_types: ["authorization_code", "client_credentials"],
        tls_client_auth_subject_dn: "CN=x",
        response_types: ["code"],
      },
    );
    expect(r.substitutions).toEqual([
      { field: "scope", requested: "accounts openid", registered: "openid" },
      { field: "tls_client_auth_subject_dn", requested: "CN=x", registered: "CN=y" },
    ]);
    expect(r.metadata.tls_client_auth_subject_dn).toBe("CN=y");
  });
  it("RAT and RCU both or neither", () => {
    const both = parseRegistrationResponse({
      client_id: "c",
      registration_access_token: "t",
      registration_client_uri: "https://x/c",
    });
    expect(both.secrets.registration_access_token).toBe("t");
    expect(both.registration_client_uri).toBe("https://x/c");
    expect(() => parseRegistrationResponse({ client_id: "c", registration_access_token: "t" })).toThrow(
      expect.objectContaining({ code: "OBDCR_UNEXPECTED_RESPONSE" }),
    );
    expect(() => parseRegistrationResponse({ client_id: "c", registration_client_uri: "https://x" })).toThrow(
      /both or neither/,
    );
  });
  it("client_id required; secret needs expires_at", () => {
    expect(() => parseRegistrationResponse({ foo: 1 })).toThrow(/client_id/);
    expect(() => parseRegistrationResponse({ client_id: "c", client_secret: "s" })).toThrow(
      /client_secret_expires_at/,
    );
  });
  it("error messages never contain the secret", () => {
    try {
      parseRegistrationResponse({ client_id: "c", client_secret: "TOPSECRET" });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain("TOPSECRET");
    }
  });
  it("normalizeScope", () => {
    expect(normalizeScope(["a", "b"])).toBe("a b");
    expect(normalizeScope("a  b")).toBe("a b");
    expect(normalizeScope(3)).toBeUndefined();
  });
});
