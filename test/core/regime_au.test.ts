// AU CDR, pure: the Register's SSA in the common view, the GetSSA URL and headers, the CDS error
// list turned into what to fix, the request claims and the conditional-claim refusals.
import { describe, expect, it } from "vitest";
import { adviceForCdsErrors, cdsAdvice, parseCdsErrors } from "../../provider/core/directory/cds_errors.js";
import { resolveDirectory, ssaUrlFor } from "../../provider/core/directory/resolve.js";
import { ssaReusable, ssaView, validateSsaView } from "../../provider/core/directory/ssa_view.js";
import {
  buildRegistrationClaims,
  DirectoryRejectedError,
  getProfile,
  InvalidInputError,
  RegistrationParams,
  resolveBankProfile,
  SsaInvalidError,
} from "../../provider/core/index.js";
import { ratPairEnforced, regimeIssues } from "../../provider/core/validate/regime.js";
import { validateAgainstSsa } from "../../provider/core/validate/ssa_fit.js";
import { processRegistrationResponse } from "../../provider/http/dcr.js";
import { throwForSsaStatus } from "../../provider/http/directory.js";
import { client } from "./helpers.js";

const NOW = 1_800_000_000;
const BRAND = "11111111-2222-4333-8444-555555555555";
const PRODUCT = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const TEMPLATE =
  "https://register.example/cdr-register/v1/all/data-recipients/brands/{brand_id}/software-products/{software_product_id}/ssa";

const ssaClaims = (o: Record<string, unknown> = {}) => ({
  iss: "cdr-register",
  iat: NOW - 10,
  exp: NOW + 590,
  jti: "j1",
  org_id: BRAND,
  org_name: "Brand",
  client_name: "Product",
  redirect_uris: ["https://adr.example/cb", "https://adr.example/cb2"],
  jwks_uri: "https://adr.example/jwks",
  revocation_uri: "https://adr.example/revoke",
  recipient_base_uri: "https://adr.example",
  software_id: PRODUCT,
  software_roles: "data-recipient-software-product",
  scope: "openid profile bank:accounts.basic:read cdr:registration",
  ...o,
});

const params = (o: Record<string, unknown> = {}) =>
  RegistrationParams.parse({
    profile: "cdr-au",
    bank: { discovery_url: "https://dh.example/.well-known/openid-configuration" },
    directory: {
      token_endpoint: "https://register.example/idp/connect/token",
      ssa_endpoint: TEMPLATE,
      jwks_uri: "https://register.example/cdr-register/v1/jwks",
    },
    software: { software_id: PRODUCT, org_id: BRAND },
    signing_key: { kid: "k", private_key: "placeholder: never imported by these pure checks" },
    transport: { cert: "c", key: "k" },
    ...o,
  });

describe("cdr-au: the Register's SSA", () => {
  it("normalises the claims into the common view", () => {
    const v = ssaView("cdr-register", ssaClaims());
    expect(v).toMatchObject({
      software_id: PRODUCT,
      org_id: BRAND,
      redirect_uris: ["https://adr.example/cb", "https://adr.example/cb2"],
      jwks_uri: "https://adr.example/jwks",
      scope: "openid profile bank:accounts.basic:read cdr:registration",
      exp: NOW + 590,
    });
    expect(() =>
      validateSsaView(v, { issuers: ["cdr-register"], software_id: PRODUCT, org_id: BRAND, now: NOW }),
    ).not.toThrow();
  });
  it("refuses a missing relied-on claim, a wrong issuer, another brand, an expired SSA", () => {
    expect(() => ssaView("cdr-register", ssaClaims({ jwks_uri: undefined }))).toThrow(
      expect.objectContaining({ code: "OBDCR_SSA_INVALID", claim: "jwks_uri" }),
    );
    const exp = { issuers: ["cdr-register"], software_id: PRODUCT, org_id: BRAND, now: NOW };
    expect(() => validateSsaView(ssaView("cdr-register", ssaClaims({ iss: "x" })), exp)).toThrow(
      /directory\.issuer/,
    );
    expect(() => validateSsaView(ssaView("cdr-register", ssaClaims({ org_id: "other" })), exp)).toThrow(
      /software\.org_id/,
    );
    expect(() => validateSsaView(ssaView("cdr-register", ssaClaims({ exp: NOW - 120 })), exp)).toThrow(
      SsaInvalidError,
    );
  });
});

describe("cdr-au: reusing a downloaded SSA (exp = iat + 600)", () => {
  const iat = NOW;
  const claims = { iat, exp: iat + 600 };
  it("is reused within the maximum age while more than half its lifetime is left", () => {
    expect(ssaReusable(claims, iat, iat + 10, 300)).toBe(true);
    expect(ssaReusable(claims, iat, iat + 299, 300)).toBe(true);
  });
  it("is never reused past half its lifetime, whatever directory.ssa_max_age_seconds says", () => {
    // A maximum age longer than the SSA's life would otherwise send an expired SSA to the holder.
    expect(ssaReusable(claims, iat, iat + 300, 3600)).toBe(false);
    expect(ssaReusable(claims, iat, iat + 590, 3600)).toBe(false);
    // A Register whose SSAs live shorter (or whose clock is behind) is followed too.
    expect(ssaReusable({ iat, exp: iat + 120 }, iat, iat + 61, 300)).toBe(false);
  });
  it("is not reused past the maximum age; an SSA without exp (UK, BR) only by age", () => {
    expect(ssaReusable(claims, iat, iat + 60, 60)).toBe(false);
    expect(ssaReusable({ iat }, iat, iat + 59, 60)).toBe(true);
    expect(ssaReusable({}, iat, iat + 299, 300)).toBe(true);
  });
});

describe("cdr-au: GetSSA request", () => {
  it("fills {brand_id} and {software_product_id}, sends x-v 4 with x-min-v 3, client_id = the product id", () => {
    const r = resolveDirectory(params())!;
    expect(r.ssa_url).toBe(
      `https://register.example/cdr-register/v1/all/data-recipients/brands/${BRAND}/software-products/${PRODUCT}/ssa`,
    );
    // x-min-v 3: a Register that serves only v3 (the ConsumerDataRight mock) answers v3, not 406.
    expect(r.ssa_headers).toMatchObject({ "x-v": "4", "x-min-v": "3" });
    expect(r).toMatchObject({
      client_id: PRODUCT,
      token_auth: "private_key_jwt",
      scope: ["cdr-register:read"],
    });
    expect(r.issuers).toEqual(["cdr-register"]);
    const v3 = resolveDirectory(
      params({ directory: { ...params().directory, ssa_version: 3, ssa_min_version: 3 } }),
    )!;
    expect(v3.ssa_headers).toMatchObject({ "x-v": "3", "x-min-v": "3" });
    // The default x-min-v only when below the x-v asked for; a given one is sent as given.
    const only3 = resolveDirectory(params({ directory: { ...params().directory, ssa_version: 3 } }))!;
    expect(only3.ssa_headers["x-min-v"]).toBeUndefined();
    const min4 = resolveDirectory(params({ directory: { ...params().directory, ssa_min_version: 4 } }))!;
    expect(min4.ssa_headers).toMatchObject({ "x-v": "4", "x-min-v": "4" });
  });
  it("refuses a template variable the regime does not fill, naming directory.ssa_endpoint", () => {
    expect(() =>
      ssaUrlFor(
        "https://r.example/{org_id}/{software_product_id}",
        { software_product_id: "software_id" },
        {
          org_id: "o",
          software_id: "s",
        },
      ),
    ).toThrow(expect.objectContaining({ field: "directory.ssa_endpoint" }));
  });
});

describe("cdr-au: the CDS error list", () => {
  const res = (status: number, body: unknown) => ({
    status,
    headers: { "content-type": "application/json" },
    body: Buffer.from(JSON.stringify(body)),
    url: "https://register.example/ssa",
  });
  const list = (code: string, detail = "d") => ({ errors: [{ code, title: "t", detail }] });
  it.each([
    [400, "urn:au-cds:error:cds-all:Header/Missing", "directory.ssa_version"],
    [400, "urn:au-cds:error:cds-all:Header/InvalidVersion", "directory.ssa_version"],
    [406, "urn:au-cds:error:cds-all:Header/UnsupportedVersion", "directory.ssa_version"],
    [403, "urn:au-cds:error:cds-register:Field/InvalidBrand", "software.org_id"],
    [404, "urn:au-cds:error:cds-register:Field/InvalidSoftwareProduct", "software.software_id"],
  ])("HTTP %i %s names %s", (status, code, field) => {
    let err: unknown;
    try {
      throwForSsaStatus(res(status, list(code)), "cds");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DirectoryRejectedError);
    expect(err).toMatchObject({ code: "OBDCR_REGISTRATION_REJECTED", error: code, field, status });
    expect((err as Error).message).toContain(field);
    expect((err as DirectoryRejectedError).remedy).toEqual({ kind: "fix-input", field });
  });
  it("an inactive data recipient is the Register's business: no field, says so", () => {
    const a = adviceForCdsErrors(
      403,
      parseCdsErrors(list("urn:au-cds:error:cds-all:Authorisation/AdrStatusNotActive"))!,
    );
    expect(a.field).toBeUndefined();
    expect(a.fix).toMatch(/not active/);
  });
  it("a 400 without a known code points at the request path (industry)", () => {
    expect(
      adviceForCdsErrors(400, parseCdsErrors(list("urn:au-cds:error:cds-all:Field/Invalid"))!).field,
    ).toBe("directory.ssa_endpoint");
    expect(cdsAdvice("cds-register:Field/InvalidBrand")?.field).toBe("software.org_id");
    expect(parseCdsErrors({ error: "invalid_client" })).toBeUndefined();
  });
  it("an OAuth body from the Register stays a plain rejection", () => {
    expect(() => throwForSsaStatus(res(401, { error: "invalid_token" }), "cds")).toThrow(
      expect.objectContaining({ code: "OBDCR_REGISTRATION_REJECTED", error: "invalid_token" }),
    );
  });
});

describe("cdr-au: request claims", () => {
  const profile = getProfile("cdr-au");
  const base = {
    profile,
    software_id: PRODUCT,
    aud: "https://dh.example",
    software_statement: "a.b.c",
    ssa_redirect_uris: ["https://adr.example/cb"],
    default_auth_signing_alg: "PS256" as const,
    now: NOW,
    jti: "J",
  };
  it("iss = product id, aud = the holder's issuer, code + JARM, no software_id or scope claim", () => {
    const { payload } = buildRegistrationClaims({
      ...base,
      client: client({ scope: undefined, redirect_uris: undefined }),
    });
    expect(payload).toMatchObject({
      iss: PRODUCT,
      aud: "https://dh.example",
      redirect_uris: ["https://adr.example/cb"],
      token_endpoint_auth_method: "private_key_jwt",
      token_endpoint_auth_signing_alg: "PS256",
      response_types: ["code"],
      authorization_signed_response_alg: "PS256",
      id_token_signed_response_alg: "PS256",
      request_object_signing_alg: "PS256",
      application_type: "web",
      software_statement: "a.b.c",
    });
    expect(payload).not.toHaveProperty("software_id");
    expect(payload).not.toHaveProperty("scope");
    expect(payload).not.toHaveProperty("id_token_encrypted_response_alg");
  });
  it("hybrid: sends the id_token encryption given", () => {
    const { payload } = buildRegistrationClaims({
      ...base,
      client: client({
        response_types: ["code id_token"],
        id_token_encrypted_response_alg: "RSA-OAEP",
        id_token_encrypted_response_enc: "A256GCM",
      }),
    });
    expect(payload).toMatchObject({
      id_token_encrypted_response_alg: "RSA-OAEP",
      id_token_encrypted_response_enc: "A256GCM",
    });
  });
  it("the bank profile's spec layer: aud = issuer, management scope cdr:registration, one registration per product", () => {
    const bp = resolveBankProfile(params());
    expect(bp).toMatchObject({ aud: "issuer", refuses_duplicate_registration: true });
    expect(bp.management).toMatchObject({ style: "obie", scope: "cdr:registration" });
    expect(resolveBankProfile(params({ bank_profile: "cdr-no-delete" })).supports.delete).toBe(false);
    // The duplicate code is unconfirmed: both by default, one when the bank is known.
    expect(bp.duplicate_errors).toEqual(["invalid_client_metadata", "invalid_software_statement"]);
    expect(
      resolveBankProfile(params({ bank_profile: { duplicate_errors: ["invalid_software_statement"] } }))
        .duplicate_errors,
    ).toEqual(["invalid_software_statement"]);
  });
});

describe("cdr-au: refused before sending, naming the field", () => {
  const issues = (c: Record<string, unknown>) =>
    RegistrationParams.safeParse({ ...params(), client: c }).error?.issues.map((i) => i.path.join(".")) ?? [];
  it("hybrid without id_token encryption", () => {
    expect(issues({ response_types: ["code id_token"] })).toEqual([
      "client.id_token_encrypted_response_alg",
      "client.id_token_encrypted_response_enc",
    ]);
  });
  it("id_token encryption with code only", () => {
    expect(issues({ id_token_encrypted_response_alg: "RSA-OAEP" })).toEqual([
      "client.id_token_encrypted_response_alg",
    ]);
  });
  it("an unsupported JWE alg / enc, and JARM enc without alg", () => {
    expect(issues({ authorization_encrypted_response_alg: "RSA1_5" })).toEqual([
      "client.authorization_encrypted_response_alg",
    ]);
    expect(issues({ authorization_encrypted_response_enc: "A256GCM" })).toEqual([
      "client.authorization_encrypted_response_alg",
    ]);
  });
  it("webhook_uris outside Brazil", () => {
    expect(issues({ webhook_uris: ["https://x.example/w"] })).toEqual(["client.webhook_uris"]);
    expect(
      regimeIssues({
        profile: "obie-3.2",
        client: client({ webhook_uris: ["https://x"] }),
        directory: undefined,
      }),
    ).toHaveLength(1);
  });
  it("a redirect URI outside the SSA's list", () => {
    const v = ssaView("cdr-register", ssaClaims());
    const refused = (() => {
      try {
        validateAgainstSsa(getProfile("cdr-au"), { redirect_uris: ["https://adr.example/other"] }, v);
      } catch (e) {
        return e;
      }
    })();
    // A typed input error naming the field and the SSA claim (CDR calls it redirect_uris).
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect(refused).toMatchObject({ field: "client.redirect_uris.0", code: "OBDCR_INVALID_INPUT" });
    expect((refused as Error).message).toMatch(/is not one of the SSA's redirect_uris/);
    expect(() =>
      validateAgainstSsa(getProfile("cdr-au"), { redirect_uris: ["https://adr.example/cb2"] }, v),
    ).not.toThrow();
  });
});

describe("cdr-au: the holder's 201", () => {
  const created = (body: Record<string, unknown>) => ({
    url: "https://dh.example/register",
    status: 201,
    headers: { "content-type": "application/json" },
    body: Buffer.from(JSON.stringify(body)),
  });
  const echo = {
    client_id: "c1",
    software_id: PRODUCT,
    org_id: BRAND,
    scope: "openid",
    redirect_uris: ["https://adr.example/cb"],
  };
  it("has no RAT or RCU, and one of them alone is no fault: CDR manages with a cdr:registration token", async () => {
    const profile = getProfile("cdr-au");
    expect(ratPairEnforced(profile)).toBe(false);
    const r = await processRegistrationResponse(created(echo), { rat_pair: ratPairEnforced(profile) });
    expect(r.client_id).toBe("c1");
    const rcuOnly = await processRegistrationResponse(
      created({ ...echo, registration_client_uri: "https://dh.example/register/c1" }),
      { rat_pair: ratPairEnforced(profile) },
    );
    expect(rcuOnly.registration_client_uri).toBe("https://dh.example/register/c1");
  });
  it("the flattened SSA claims it echoes are not substitutions (only what was requested is compared)", async () => {
    const r = await processRegistrationResponse(created(echo), {
      requested: { redirect_uris: ["https://adr.example/cb"], response_types: ["code"] },
      rat_pair: false,
    });
    expect(r.substitutions).toEqual([]);
  });
  it("RFC 7591 keeps RFC 7592's both-or-neither", async () => {
    expect(ratPairEnforced(getProfile("rfc7591"))).toBe(true);
    await expect(
      processRegistrationResponse(created({ ...echo, registration_client_uri: "https://x.example/r/c1" })),
    ).rejects.toMatchObject({
      // A 201 we cannot use: the client is named (and kept), the outcome is the caller's to settle.
      code: "OBDCR_OUTCOME_UNKNOWN",
      message: expect.stringMatching(/only one of registration_access_token and registration_client_uri/),
    });
  });
});
