import crypto from "node:crypto";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ssaUrl } from "../../sandbox/index.js";
import {
  b64urlJson,
  call,
  directoryAssertion,
  directoryToken,
  form,
  mtlsAgent,
  privateKey,
} from "../support/reference_client.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const now = () => Math.floor(Date.now() / 1000);

describe("directory", () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await startTestSandbox();
  });
  afterAll(async () => sb?.close());

  const tokenRequest = (assertion: string, extra: Record<string, string> = {}, agent = sb.agent) =>
    call(agent, sb.manifest.directory.token_endpoint, {
      method: "POST",
      ...form({
        grant_type: "client_credentials",
        client_id: sb.sw.software_id,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: assertion,
        scope: "ASPSPReadAccess TPPReadAccess AuthoritiesReadAccess",
        ...extra,
      }),
    });

  it("serves the directory JWKS, the software JWKS (with the revoked key) and the revoked JWKS", async () => {
    const dir = await call(sb.agent, sb.manifest.directory.jwks_uri);
    expect(dir.status).toBe(200);
    expect(dir.json.keys).toHaveLength(1);
    expect(dir.json.keys[0].d).toBeUndefined();
    const sw = await call(sb.agent, sb.sw.software_jwks_endpoint);
    const kids = sw.json.keys.map((k: { kid: string }) => k.kid);
    expect(kids).toEqual(
      expect.arrayContaining([sb.sw.signing.kid, sb.sw.signing_es256.kid, sb.sw.revoked_signing!.kid]),
    );
    for (const k of sw.json.keys) expect(k.d).toBeUndefined();
    const revoked = await call(sb.agent, sb.sw.software_jwks_revoked_endpoint);
    expect(revoked.json.keys.map((k: { kid: string }) => k.kid)).toEqual([sb.sw.revoked_signing!.kid]);
  });

  it("issues an opaque client_credentials token for a valid private_key_jwt assertion", async () => {
    const res = await tokenRequest(await directoryAssertion(sb.manifest, sb.sw));
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      token_type: "Bearer",
      expires_in: 3600,
      scope: sb.manifest.directory.scope,
    });
    expect(res.json.access_token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  });

  it.each([
    ["ES256 key", { header: { alg: "ES256" }, es: true }],
    ["RS256 (as real directory clients sign)", { header: { alg: "RS256" }, es: false }],
  ])("accepts an assertion signed with %s", async (_n, c) => {
    const key = c.es ? privateKey(sb.sw.signing_es256.private_key_file) : undefined;
    const header = c.es ? { ...c.header, kid: sb.sw.signing_es256.kid } : c.header;
    const res = await tokenRequest(await directoryAssertion(sb.manifest, sb.sw, { header, key }));
    expect(res.status, res.text).toBe(200);
  });

  const otherKey = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const badAssertions: Array<[string, () => Promise<string>, number, string]> = [
    [
      "unknown kid",
      () => directoryAssertion(sb.manifest, sb.sw, { header: { kid: "nope" } }),
      401,
      "invalid_client",
    ],
    [
      "signature by another key",
      () => directoryAssertion(sb.manifest, sb.sw, { key: otherKey }),
      401,
      "invalid_client",
    ],
    [
      "expired",
      () => directoryAssertion(sb.manifest, sb.sw, { claims: { iat: now() - 900, exp: now() - 600 } }),
      401,
      "invalid_client",
    ],
    [
      "iat in the future",
      () => directoryAssertion(sb.manifest, sb.sw, { claims: { iat: now() + 600, exp: now() + 900 } }),
      401,
      "invalid_client",
    ],
    [
      "wrong aud",
      () => directoryAssertion(sb.manifest, sb.sw, { claims: { aud: "https://elsewhere.example" } }),
      401,
      "invalid_client",
    ],
    [
      "iss not the software_id",
      () => directoryAssertion(sb.manifest, sb.sw, { claims: { iss: "someoneelse" } }),
      401,
      "invalid_client",
    ],
    [
      "sub not the software_id",
      () => directoryAssertion(sb.manifest, sb.sw, { claims: { sub: "someoneelse" } }),
      401,
      "invalid_client",
    ],
    [
      "revoked key",
      () =>
        directoryAssertion(sb.manifest, sb.sw, {
          header: { kid: sb.sw.revoked_signing!.kid },
          key: privateKey(sb.sw.revoked_signing!.private_key_file),
        }),
      401,
      "invalid_client",
    ],
    [
      "alg none",
      async () =>
        `${b64urlJson({ alg: "none", kid: sb.sw.signing.kid })}.${b64urlJson({ iss: sb.sw.software_id, sub: sb.sw.software_id, aud: sb.manifest.directory.token_endpoint, iat: now(), exp: now() + 60, jti: crypto.randomUUID() })}.`,
      401,
      "invalid_client",
    ],
    [
      "HS256 with the public key as secret",
      () =>
        directoryAssertion(sb.manifest, sb.sw, {
          header: { alg: "HS256" },
          key: new TextEncoder().encode(JSON.stringify(sb.sw.signing.public_jwk)),
        }),
      401,
      "invalid_client",
    ],
    ["garbage", async () => "not-a-jwt", 401, "invalid_client"],
  ];
  it.each(badAssertions)("token endpoint refuses an assertion with %s", async (_n, make, status, error) => {
    const res = await tokenRequest(await make());
    expect(res.status, res.text).toBe(status);
    expect(res.json.error).toBe(error);
    expect(res.headers["www-authenticate"]).toMatch(/^Bearer /);
  });

  it("refuses a replayed assertion jti", async () => {
    const a = await directoryAssertion(sb.manifest, sb.sw);
    expect((await tokenRequest(a)).status).toBe(200);
    const again = await tokenRequest(a);
    expect(again.status).toBe(401);
    expect(again.json.error_description).toMatch(/replay/);
  });

  it.each([
    ["no client certificate", "none" as const],
    ["a certificate from another CA", "untrusted" as const],
  ])("token endpoint refuses %s", async (_n, mode) => {
    const res = await tokenRequest(
      await directoryAssertion(sb.manifest, sb.sw),
      {},
      mtlsAgent(sb.manifest, sb.sw, mode),
    );
    expect(res.status).toBe(401);
    expect(res.json.error).toBe("invalid_client");
  });

  it.each([
    ["grant_type password", { grant_type: "password" }, 400, "unsupported_grant_type"],
    ["an unknown scope", { scope: "TPPReadAll admin" }, 400, "invalid_scope"],
    ["no client_assertion_type", { client_assertion_type: "" }, 401, "invalid_client"],
  ])("token endpoint refuses %s", async (_n, extra, status, error) => {
    const res = await tokenRequest(await directoryAssertion(sb.manifest, sb.sw), extra);
    expect(res.status).toBe(status);
    expect(res.json.error).toBe(error);
  });

  it("token endpoint refuses a JSON body (415-free: 400 invalid_request)", async () => {
    const res = await call(sb.agent, sb.manifest.directory.token_endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("invalid_request");
  });

  it("returns a PS256 SSA with the OB Directory claims, verifiable with the directory JWKS", async () => {
    const token = await directoryToken(sb);
    const res = await call(sb.agent, ssaUrl(sb.manifest, sb.orgId, sb.sw.software_id), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/jws");
    const jwks = jose.createLocalJWKSet((await call(sb.agent, sb.manifest.directory.jwks_uri)).json);
    const { payload, protectedHeader } = await jose.jwtVerify(res.text, jwks, { algorithms: ["PS256"] });
    expect(protectedHeader.kid).toBe((await call(sb.agent, sb.manifest.directory.jwks_uri)).json.keys[0].kid);
    expect(payload.iss).toBe("OpenBanking Ltd");
    expect(payload.exp).toBeUndefined();
    expect(typeof payload.iat).toBe("number");
    expect(typeof payload.jti).toBe("string");
    for (const claim of [
      "software_id",
      "software_client_id",
      "software_client_name",
      "software_client_description",
      "software_version",
      "software_environment",
      "software_mode",
      "software_roles",
      "software_jwks_endpoint",
      "software_jwks_revoked_endpoint",
      "software_redirect_uris",
      "software_logo_uri",
      "software_tos_uri",
      "software_policy_uri",
      "org_id",
      "org_name",
      "org_status",
      "org_jwks_endpoint",
      "org_jwks_revoked_endpoint",
      "org_contacts",
      "organisation_competent_authority_claims",
    ])
      expect(payload, claim).toHaveProperty(claim);
    expect(payload.software_id).toBe(sb.sw.software_id);
    expect(payload.org_id).toBe(sb.orgId);
    expect(payload.software_jwks_endpoint).toBe(sb.sw.software_jwks_endpoint);
  });

  it.each([
    ["no bearer token", () => ({}), 401, "invalid_token"],
    ["a bogus bearer token", () => ({ authorization: "Bearer bogus" }), 401, "invalid_token"],
  ])("SSA API refuses %s", async (_n, headers, status, error) => {
    const res = await call(sb.agent, ssaUrl(sb.manifest, sb.orgId, sb.sw.software_id), {
      headers: headers(),
    });
    expect(res.status).toBe(status);
    expect(res.json.error).toBe(error);
    expect(res.headers["www-authenticate"]).toBeDefined();
  });

  it("SSA API refuses a valid token without a client certificate", async () => {
    const token = await directoryToken(sb);
    const res = await call(
      mtlsAgent(sb.manifest, sb.sw, "none"),
      ssaUrl(sb.manifest, sb.orgId, sb.sw.software_id),
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(res.status).toBe(401);
    expect(res.json.error).toBe("invalid_client");
  });

  it("SSA API answers 404 for an unknown software and 403 for a token lacking TPPReadAccess", async () => {
    const token = await directoryToken(sb);
    const missing = await call(sb.agent, ssaUrl(sb.manifest, sb.orgId, "unknownsoftware"), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(missing.status).toBe(404);
    const narrow = await tokenRequest(await directoryAssertion(sb.manifest, sb.sw), {
      scope: "ASPSPReadAccess",
    });
    const res = await call(sb.agent, ssaUrl(sb.manifest, sb.orgId, sb.sw.software_id), {
      headers: { authorization: `Bearer ${narrow.json.access_token}` },
    });
    expect(res.status).toBe(403);
    expect(res.json.error).toBe("insufficient_scope");
  });
});
