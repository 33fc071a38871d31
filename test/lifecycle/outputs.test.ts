// What state holds of a bank's answer (`registeredMetadata`, plain and shown by diffs): a credential
// the bank quotes back in any member is redacted by value, a JWS (our SSA, our request JWT) by its
// shape, and controls are escaped, so nothing secret or terminal-bending is kept in plaintext.
import { describe, expect, it } from "vitest";
import { forgetSecrets, rememberSecret } from "../../provider/core/untrusted.js";
import type { RegistrationOutcome } from "../../provider/lifecycle/outcome.js";
import { computed, sameManagedMetadata } from "../../provider/lifecycle/outputs.js";

describe("computed: registeredMetadata", () => {
  it("redacts echoed credentials and JWSs, escapes controls, keeps the rest as the bank said it", () => {
    forgetSecrets();
    const rat = "rat-Es44mlGXtS9AYG85JiQ4GTHlx_bOD0dB";
    rememberSecret(rat); // as the GET's bearer was, or the 201's own token
    const jws = "eyJhbGciOiJQUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJ4In0.c2ln";
    const r = {
      client_id: "c1",
      management_uri: "https://bank.example/register/c1",
      secrets: { registration_access_token: rat },
      substitutions: [],
      metadata: {
        redirect_uris: ["https://tpp.example.com/callback"],
        x_debug: `token=${rat}`,
        note: jws,
        debug: { echo: [jws] },
        client_name: "ok\u001b[31mRED\n::error::meta",
      },
    } as unknown as RegistrationOutcome;
    const m = computed(r, undefined).registeredMetadata;
    const text = JSON.stringify(m);
    expect(text).not.toContain(rat);
    expect(text).not.toContain("eyJhbGci");
    expect(m.redirect_uris).toEqual(["https://tpp.example.com/callback"]);
    expect(m.client_name).toBe("ok\\u001b[31mRED\\u000a::error::meta");
    forgetSecrets();
  });
});

describe("drift: the bank's order is no change", () => {
  const applied = {
    scope: "openid accounts payments",
    redirect_uris: ["https://tpp.example.com/callback", "https://tpp.example.com/b"],
    grant_types: ["client_credentials", "authorization_code"],
  };
  it("scopes and lists in another order are the same registration", () => {
    const sorted = {
      scope: ["accounts", "openid", "payments"],
      redirect_uris: ["https://tpp.example.com/b", "https://tpp.example.com/callback"],
      grant_types: ["authorization_code", "client_credentials"],
      ext_other: 1,
    };
    expect(sameManagedMetadata(applied, sorted)).toBe(true);
  });
  it.each([
    ["a scope dropped", { ...applied, scope: "openid accounts" }],
    [
      "a redirect URI replaced",
      { ...applied, redirect_uris: ["https://tpp.example.com/callback", "https://x"] },
    ],
    ["a member gone", { scope: applied.scope, redirect_uris: applied.redirect_uris }],
  ])("%s is drift", (_what, now) => {
    expect(sameManagedMetadata(applied, now)).toBe(false);
  });
});
