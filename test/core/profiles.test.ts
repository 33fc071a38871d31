import * as jose from "jose";
import { describe, expect, it } from "vitest";
import {
  buildRegistrationClaims,
  CIBA_GRANT,
  getProfile,
  InvalidInputError,
  PROFILES,
  type ProfileName,
  signRegistrationRequest,
} from "../../provider/core/index.js";
import { client, testKey } from "./helpers.js";

const NOW = 1_800_000_000;
const base = (name: ProfileName, c = client()) => ({
  profile: getProfile(name),
  client: c,
  software_id: "2cfGqDWH4LgtDRHd5JtFp8",
  aud: "0015800000jfQ9aAAE",
  software_statement: "h.p.s",
  default_auth_signing_alg: "PS256" as const,
  now: NOW,
  jti: "4A0E7F33-1B2C-4D5E-8F90-ABCDEF012345",
});

const REQUIRED = [
  "iss",
  "iat",
  "exp",
  "aud",
  "jti",
  "software_statement",
  "redirect_uris",
  "token_endpoint_auth_method",
  "grant_types",
  "response_types",
  "software_id",
  "application_type",
  "id_token_signed_response_alg",
  "request_object_signing_alg",
];

describe.each(["obie-3.1", "obie-3.2", "obie-3.3", "obie-3.4"] as const)("%s request claims", (name) => {
  it("has every required claim", () => {
    const { payload } = buildRegistrationClaims(base(name));
    for (const c of REQUIRED) expect(payload, c).toHaveProperty(c);
    expect(payload.iss).toBe("2cfGqDWH4LgtDRHd5JtFp8");
    expect(payload.aud).toBe("0015800000jfQ9aAAE");
    expect(payload.exp).toBe(NOW + 300);
    expect(payload.jti).toBe("4a0e7f33-1b2c-4d5e-8f90-abcdef012345");
    expect(payload.token_endpoint_auth_signing_alg).toBe("PS256");
  });
  it("scope format and DN claim name follow the version", () => {
    const { payload } = buildRegistrationClaims(
      base(
        name,
        client({ token_endpoint_auth_method: "tls_client_auth", tls_client_auth_subject_dn: "CN=x" }),
      ),
    );
    if (name === "obie-3.1") {
      expect(payload.scope).toEqual(["openid", "accounts"]);
      expect(payload.tls_client_auth_dn).toBe("CN=x");
      expect(payload).not.toHaveProperty("tls_client_auth_subject_dn");
      expect(payload.token_endpoint_auth_signing_alg).toBe("PS256"); // 1..1 in 3.1
    } else {
      expect(payload.scope).toBe("openid accounts");
      expect(payload.tls_client_auth_subject_dn).toBe("CN=x");
      expect(payload).not.toHaveProperty("tls_client_auth_dn");
      expect(payload).not.toHaveProperty("token_endpoint_auth_signing_alg");
    }
  });
  it("application_type mobile/native follows the version", () => {
    const { payload } = buildRegistrationClaims(base(name, client({ application_type: "mobile" })));
    expect(payload.application_type).toBe(name === "obie-3.4" ? "native" : "mobile");
  });
  it("passes strict jose verification", async () => {
    const k = await testKey();
    const jwt = await signRegistrationRequest(
      buildRegistrationClaims({ ...base(name), now: Math.floor(Date.now() / 1000) }).payload,
      k.key,
    );
    const r = await jose.jwtVerify(jwt, k.publicKey, {
      algorithms: ["PS256"],
      typ: "JWT",
      issuer: "2cfGqDWH4LgtDRHd5JtFp8",
      audience: "0015800000jfQ9aAAE",
      requiredClaims: ["iss", "aud", "iat", "exp", "jti", "software_statement", "redirect_uris"],
      maxTokenAge: 600,
    });
    expect(r.protectedHeader).toEqual({ alg: "PS256", kid: "kid-1", typ: "JWT" });
  });
});

describe("profile declarations", () => {
  it("limits", () => {
    expect(PROFILES["obie-3.1"].software_id_max).toBe(18);
    expect(PROFILES["obie-3.2"].software_id_max).toBe(22);
    expect(PROFILES["obie-3.2"].ciba).toBe(false);
    expect(PROFILES["obie-3.3"].ciba).toBe(true);
    expect(PROFILES["obie-3.3"].grant_types).toContain(CIBA_GRANT);
    expect(PROFILES["obie-3.4"].application_types).toEqual(["web", "native"]);
    expect(PROFILES.rfc7591.format).toBe("json");
    expect(PROFILES.rfc7591.management.style).toBe("rfc7592");
    for (const n of ["obie-3.1", "obie-3.2", "obie-3.3", "obie-3.4"] as const) {
      expect(PROFILES[n].algs).not.toContain("RS256");
      expect(PROFILES[n].management.gone_statuses).toEqual([401]);
      expect(PROFILES[n].content_type).toBe("application/jwt");
    }
  });
  it("CIBA claims in 3.3", () => {
    const { payload } = buildRegistrationClaims(
      base(
        "obie-3.3",
        client({
          grant_types: ["client_credentials", CIBA_GRANT],
          backchannel_token_delivery_mode: "poll",
          backchannel_authentication_request_signing_alg: "PS256",
          backchannel_user_code_parameter_supported: false,
        }),
      ),
    );
    expect(payload.backchannel_token_delivery_mode).toBe("poll");
    expect(payload.backchannel_user_code_parameter_supported).toBe(false);
  });
  it("rfc7591 is plain JSON with optional SSA and client_id for updates", () => {
    const { payload } = buildRegistrationClaims({
      ...base("rfc7591"),
      software_statement: undefined,
      client_id: "c1",
    });
    expect(payload).not.toHaveProperty("iss");
    expect(payload).not.toHaveProperty("software_statement");
    expect(payload.client_id).toBe("c1");
    expect(payload.scope).toBe("openid accounts");
  });
  it("aud override, upper-case jti, array scope override, extra claims", () => {
    const { payload } = buildRegistrationClaims({
      ...base("obie-3.2"),
      aud: "https://bank.example",
      jti_case: "upper",
      scope_format: "array",
      extra_claims: { subject_type: "pairwise" },
    });
    expect(payload.aud).toBe("https://bank.example");
    expect(payload.jti).toBe("4A0E7F33-1B2C-4D5E-8F90-ABCDEF012345");
    expect(payload.scope).toEqual(["openid", "accounts"]);
    expect(payload.subject_type).toBe("pairwise");
  });
  it("redirect_uris default to the SSA's", () => {
    const { payload } = buildRegistrationClaims({
      ...base("obie-3.2", client({ redirect_uris: undefined })),
      ssa_redirect_uris: ["https://a.example/cb"],
    });
    expect(payload.redirect_uris).toEqual(["https://a.example/cb"]);
  });
  it("tls_client_auth without DN and jwt without aud are input errors naming the field", () => {
    expect(() =>
      buildRegistrationClaims(base("obie-3.2", client({ token_endpoint_auth_method: "tls_client_auth" }))),
    ).toThrow(
      expect.objectContaining({ code: "OBDCR_INVALID_INPUT", field: "client.tls_client_auth_subject_dn" }),
    );
    expect(() => buildRegistrationClaims({ ...base("obie-3.2"), aud: undefined })).toThrow(InvalidInputError);
  });
});
