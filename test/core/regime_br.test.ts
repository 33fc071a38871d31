// BR Open Finance, pure: the directory's SSA in the common view (no exp, iat freshness, roles),
// the directory token and SSA URL, the JSON request (jwks_uri from the SSA, webhooks), the
// ICP-Brasil subject DN (§2.5 test vectors) and the refusals made before anything is sent.
import "reflect-metadata";
import type { webcrypto } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from "@peculiar/asn1-x509";
import * as x509 from "@peculiar/x509";
import { beforeAll, describe, expect, it } from "vitest";
import { clientKeys } from "../../provider/core/build/client_keys.js";
import { resolveDirectory } from "../../provider/core/directory/resolve.js";
import { ssaView, validateSsaView } from "../../provider/core/directory/ssa_view.js";
import {
  buildRegistrationClaims,
  getProfile,
  RegistrationParams,
  resolveBankProfile,
  subjectDnFromCertificate,
} from "../../provider/core/index.js";
import { missingManagementCredentials } from "../../provider/core/validate/regime.js";
import { fitToSsa, validateAgainstSsa } from "../../provider/core/validate/ssa_fit.js";
import { directoryTokenForm } from "../../provider/http/directory.js";
import { client, testKey } from "./helpers.js";

const NOW = 1_800_000_000;
const ORG = "67c57882-043b-11ec-9a03-0242ac130003";
const SW = "2e4f6e8a-1b3c-4d5e-8f90-a1b2c3d4e5f6";
const SSA_JWKS = `https://keystore.example/${ORG}/${SW}/application.jwks`;
const WEBHOOKS = ["https://tpp.example.com/open-banking/webhook/v1"];

const ssaClaims = (o: Record<string, unknown> = {}) => ({
  iss: "Open Banking Open Banking Brasil sandbox SSA issuer",
  iat: NOW - 30,
  software_id: SW,
  software_client_id: "dir-client-1",
  org_id: ORG,
  org_name: "TPP SA",
  org_number: "13353236000189",
  org_status: "Active",
  software_redirect_uris: ["https://tpp.example.com/cb", "https://tpp.example.com/cb2"],
  software_api_webhook_uris: WEBHOOKS,
  software_jwks_uri: SSA_JWKS,
  software_roles: ["DADOS", "PAGTO"],
  software_statement_roles: [{ role: "DADOS", authorisation_domain: "Open Banking", status: "Active" }],
  ...o,
});

const params = (o: Record<string, unknown> = {}) =>
  RegistrationParams.parse({
    profile: "ofb-br",
    bank: { discovery_url: "https://as.example/.well-known/openid-configuration" },
    directory: {
      token_endpoint: "https://matls-auth.example/token",
      ssa_endpoint:
        "https://matls-api.example/organisations/{org_id}/softwarestatements/{software_statement_id}/assertion",
      jwks_uri: "https://keystore.example/openbanking.jwks",
      client_id: "dir-client-1",
    },
    software: { software_id: SW, org_id: ORG },
    signing_key: { kid: "k", private_key: "placeholder: never imported by these pure checks" },
    transport: { cert: "c", key: "k" },
    ...o,
  });

describe("ofb-br: the directory's SSA", () => {
  const exp = {
    issuers: resolveDirectory(params())!.issuers,
    software_id: SW,
    org_id: ORG,
    now: NOW,
    fresh_seconds: 300,
  };
  it("normalises the claims into the common view; every known issuer variant is accepted by default", () => {
    const v = ssaView("ofb-directory", ssaClaims());
    expect(v).toMatchObject({
      software_id: SW,
      org_id: ORG,
      jwks_uri: SSA_JWKS,
      webhook_uris: WEBHOOKS,
      software_client_id: "dir-client-1",
      active_roles: true,
      exp: undefined,
    });
    for (const iss of [
      "Open Banking Brasil sandbox SSA issuer",
      "Open Finance Open Finance Brasil production SSA issuer",
    ])
      expect(() => validateSsaView(ssaView("ofb-directory", ssaClaims({ iss })), exp)).not.toThrow();
    expect(() =>
      validateSsaView(ssaView("ofb-directory", ssaClaims({ iss: "OpenBanking Ltd" })), exp),
    ).toThrow(/directory\.issuer/);
  });
  it("is stale after 5 minutes by iat (no exp), and needs an Active organisation and role", () => {
    expect(() => validateSsaView(ssaView("ofb-directory", ssaClaims({ iat: NOW - 301 })), exp)).toThrow(
      expect.objectContaining({ code: "OBDCR_SSA_INVALID", claim: "iat" }),
    );
    expect(() =>
      validateSsaView(ssaView("ofb-directory", ssaClaims({ org_status: "Inactive" })), exp),
    ).toThrow(expect.objectContaining({ claim: "org_status" }));
    expect(() =>
      validateSsaView(
        ssaView(
          "ofb-directory",
          ssaClaims({ software_statement_roles: [{ role: "DADOS", status: "Inactive" }] }),
        ),
        exp,
      ),
    ).toThrow(expect.objectContaining({ claim: "software_statement_roles" }));
  });
});

describe("ofb-br: directory token and SSA request", () => {
  it("tls_client_auth with client_id = software_client_id, scope directory:software, Accept application/jwt", async () => {
    const r = resolveDirectory(params())!;
    expect(r).toMatchObject({
      token_auth: "tls_client_auth",
      client_id: "dir-client-1",
      scope: ["directory:software"],
    });
    expect(r.ssa_url).toBe(
      `https://matls-api.example/organisations/${ORG}/softwarestatements/${SW}/assertion`,
    );
    expect(r.ssa_headers).toEqual({ accept: "application/jwt" });
    expect(r.reuse_seconds).toBeLessThan(300);
    const form = await directoryTokenForm(
      {
        token_endpoint: "https://matls-auth.example/token",
        client_id: r.client_id,
        scope: r.scope,
        key: (await testKey()).key,
        auth: r.token_auth,
      },
      NOW,
    );
    expect(form).toEqual({
      grant_type: "client_credentials",
      client_id: "dir-client-1",
      scope: "directory:software",
    });
  });
  it("refuses a missing directory.client_id (unless the SSA is inline)", () => {
    const d = { ...params().directory };
    delete (d as Record<string, unknown>).client_id;
    const r = RegistrationParams.safeParse({ ...params(), directory: d });
    expect(r.error?.issues.map((i) => i.path.join("."))).toEqual(["directory.client_id"]);
    expect(
      RegistrationParams.safeParse({ ...params(), directory: { software_statement: "a.b.c" } }).success,
    ).toBe(true);
  });
});

describe("ofb-br: the request", () => {
  const profile = getProfile("ofb-br");
  it("JSON with software_statement, jwks_uri from the SSA, webhook_uris; no iss/aud, no software_id, no scope by default", async () => {
    const k = await testKey();
    const c = client({ scope: undefined, redirect_uris: undefined, webhook_uris: WEBHOOKS });
    const keys = await clientKeys({
      profile,
      client: c,
      ssa_jwks_endpoint: SSA_JWKS,
      signing_public_jwk: k.jwk,
    });
    const { payload } = buildRegistrationClaims({
      profile,
      client: c,
      software_id: SW,
      software_statement: "a.b.c",
      ssa_redirect_uris: ["https://tpp.example.com/cb"],
      default_auth_signing_alg: "PS256",
      now: NOW,
      jti: "j",
      client_keys: keys,
      client_id: "as-client-1",
    });
    expect(payload).toEqual({
      redirect_uris: ["https://tpp.example.com/cb"],
      token_endpoint_auth_method: "private_key_jwt",
      token_endpoint_auth_signing_alg: "PS256",
      grant_types: ["authorization_code", "client_credentials", "refresh_token"],
      response_types: ["code id_token"],
      application_type: "web",
      id_token_signed_response_alg: "PS256",
      request_object_signing_alg: "PS256",
      webhook_uris: WEBHOOKS,
      jwks_uri: SSA_JWKS,
      client_id: "as-client-1",
      software_statement: "a.b.c",
    });
  });
  it("webhook_uris go out exactly as the SSA lists them (same set, the SSA's order)", () => {
    const ssa = ["https://tpp.example.com/wh/a", "https://tpp.example.com/wh/b"];
    const view = ssaView("ofb-directory", ssaClaims({ software_api_webhook_uris: ssa }));
    const c = client({ webhook_uris: [ssa[1]!, ssa[0]!] });
    expect(() => validateAgainstSsa(profile, c, view)).not.toThrow();
    expect(fitToSsa(profile, c, view).webhook_uris).toEqual(ssa);
    // Left out: webhooks off, nothing added.
    expect(fitToSsa(profile, client({}), view).webhook_uris).toBeUndefined();
    expect(fitToSsa(getProfile("cdr-au"), c, view)).toBe(c);
  });
  it("bank profile spec layer: RFC 7592, one registration per software", () => {
    const bp = resolveBankProfile(params());
    expect(bp.management.style).toBe("rfc7592");
    expect(bp.refuses_duplicate_registration).toBe(true);
    expect(bp.content_type).toBe("application/json");
  });
});

describe("ofb-br: refused before sending, naming the field", () => {
  const issues = (c: Record<string, unknown>) =>
    RegistrationParams.safeParse({ ...params(), client: c }).error?.issues.map((i) => i.path.join(".")) ?? [];
  it("inline jwks, jwks / tls_client_auth_san_* in extra", () => {
    expect(issues({ jwks: { keys: [] } })).toEqual(["client.jwks"]);
    expect(issues({ extra: { jwks: {}, tls_client_auth_san_dns: "x" } })).toEqual([
      "client.extra.jwks",
      "client.extra.tls_client_auth_san_dns",
    ]);
  });
  it("a webhook URI with a query, over 255 characters, or http", () => {
    expect(
      issues({
        webhook_uris: [
          "https://x.example/a?b=1",
          `https://x.example/${"a".repeat(250)}`,
          "http://x.example/w",
        ],
      }),
    ).toEqual(["client.webhook_uris.0", "client.webhook_uris.1", "client.webhook_uris.2"]);
  });
  it("against the SSA: jwks_uri other than software_jwks_uri, webhooks other than the SSA's, a redirect outside", () => {
    const v = ssaView("ofb-directory", ssaClaims());
    expect(() => validateAgainstSsa(profile(), { jwks_uri: "https://elsewhere.example/jwks" }, v)).toThrow(
      expect.objectContaining({ field: "client.jwks_uri" }),
    );
    expect(() =>
      validateAgainstSsa(profile(), { webhook_uris: ["https://tpp.example.com/other"] }, v),
    ).toThrow(expect.objectContaining({ field: "client.webhook_uris" }));
    expect(() =>
      validateAgainstSsa(profile(), { webhook_uris: WEBHOOKS, jwks_uri: SSA_JWKS }, v),
    ).not.toThrow();
    expect(() => validateAgainstSsa(profile(), { redirect_uris: ["https://tpp.example.com/x"] }, v)).toThrow(
      expect.objectContaining({
        field: "client.redirect_uris.0",
        message: expect.stringContaining("software_redirect_uris"),
      }),
    );
  });
  const profile = () => getProfile("ofb-br");
});

describe("ofb-br: subject DN of an ICP-Brasil transport certificate (§2.5)", () => {
  type Enc = "printableString" | "utf8String";
  const atv = (type: string, enc: Enc, value: string) =>
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type, value: new AttributeValue({ [enc]: value }) }),
    ]);
  let pem = "";
  beforeAll(async () => {
    // Certificate order; the DN string is the reverse.
    const name = new Name([
      atv("2.5.4.6", "printableString", "BR"),
      atv("2.5.4.8", "utf8String", "SP"),
      atv("2.5.4.7", "utf8String", "Sao Paulo"),
      atv("2.5.4.10", "utf8String", "TPP SA"),
      atv("2.5.4.15", "utf8String", "Private Organization"),
      atv("1.3.6.1.4.1.311.60.2.1.3", "printableString", "BR"),
      atv("2.5.4.5", "printableString", "13353236000189"),
      atv("2.5.4.3", "utf8String", "tpp.example.com.br"),
      atv("2.5.4.97", "printableString", `OFBBR-${ORG}`),
      atv("0.9.2342.19200300.100.1.1", "utf8String", SW),
    ]);
    const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
    const keys = (await crypto.subtle.generateKey(alg, false, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: new x509.Name(new Uint8Array(AsnConvert.serialize(name))),
      keys,
      signingAlgorithm: alg,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
    });
    pem = cert.toString("pem");
  });
  it("writes the four OFB OIDs as OID=#<DER hex> with their tag, the rest as strings, in reverse order", () => {
    const dn = subjectDnFromCertificate(pem, resolveBankProfile(params()).dn_format);
    const hex = (tag: string, s: string) =>
      `#${tag}${Buffer.from([s.length]).toString("hex")}${Buffer.from(s).toString("hex")}`;
    expect(dn).toBe(
      [
        `UID=${SW}`,
        `2.5.4.97=${hex("13", `OFBBR-${ORG}`)}`,
        "CN=tpp.example.com.br",
        `2.5.4.5=${hex("13", "13353236000189")}`,
        `1.3.6.1.4.1.311.60.2.1.3=${hex("13", "BR")}`,
        `2.5.4.15=${hex("0c", "Private Organization")}`,
        "O=TPP SA",
        "L=Sao Paulo",
        "ST=SP",
        "C=BR",
      ].join(","),
    );
    // The digest's decoding examples (§2.5), byte for byte.
    expect(dn).toContain("2.5.4.97=#132a4f464242522d");
    expect(dn).toContain("2.5.4.5=#130e3133333533323336303030313839"); // "13353236000189"
    expect(dn).toContain("1.3.6.1.4.1.311.60.2.1.3=#13024252");
  });
  it("the DN claim may be longer than OBIE's 128 characters", () => {
    const dn = subjectDnFromCertificate(pem);
    expect(dn.length).toBeGreaterThan(128);
    expect(
      RegistrationParams.safeParse({
        ...params(),
        client: { token_endpoint_auth_method: "tls_client_auth", tls_client_auth_subject_dn: dn },
      }).success,
    ).toBe(true);
  });
});

describe("ofb-br: the 201 must carry the DCM credentials (§2.3)", () => {
  const full = {
    registration_client_uri: "https://as.example/register/c1",
    secrets: { registration_access_token: "r" },
  };
  it("requires both registration_client_uri and registration_access_token", () => {
    expect(missingManagementCredentials(getProfile("ofb-br"), full)).toEqual([]);
    expect(missingManagementCredentials(getProfile("ofb-br"), { secrets: {} })).toEqual([
      "registration_client_uri",
      "registration_access_token",
    ]);
    expect(missingManagementCredentials(getProfile("ofb-br"), { ...full, secrets: {} })).toEqual([
      "registration_access_token",
    ]);
  });
  it("other regimes manage without them (AU: a cdr:registration token; RFC 7591: optional)", () => {
    expect(missingManagementCredentials(getProfile("cdr-au"), { secrets: {} })).toEqual([]);
    expect(missingManagementCredentials(getProfile("rfc7591"), { secrets: {} })).toEqual([]);
  });
});
