// What the CLI redacts by name: every spelling of a token or a secret in a bank's answer, never
// the names that only look alike (endpoints, types, algs, expiries).
import { describe, expect, it } from "vitest";
import { isSecretKey, REDACTED, redact } from "../../provider/cli/redact.js";

describe("isSecretKey", () => {
  it.each([
    "access_token",
    "registration_access_token",
    "token",
    "x_token",
    "accessToken",
    "registrationAccessToken",
    "registration-access-token",
    "client_secret",
    "clientSecret",
    "x_vendor_secret_value",
    "client_assertion",
  ])("%s is secret", (k) => expect(isSecretKey(k)).toBe(true));
  it.each([
    "token_type",
    "token_endpoint",
    "token_endpoint_auth_method",
    "id_token_signed_response_alg",
    "client_secret_expires_at",
    "clientSecretExpiresAt",
    "token_endpoint_auth_signing_alg_values_supported",
    "client_id",
  ])("%s is not", (k) => expect(isSecretKey(k)).toBe(false));
  it("redacts values by name, deep, and walks containers", () => {
    expect(
      redact(
        { a: { token: "t1", accessToken: "t2", list: [{ clientSecret: "s" }] }, token_type: "Bearer" },
        false,
      ),
    ).toEqual({
      a: { token: REDACTED, accessToken: REDACTED, list: [{ clientSecret: REDACTED }] },
      token_type: "Bearer",
    });
  });
});
