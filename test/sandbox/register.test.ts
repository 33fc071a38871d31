import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_ORG_ID, DEFAULT_SOFTWARE_ID } from "../../sandbox/index.js";
import {
  b64urlJson,
  bankToken,
  call,
  fetchSsa,
  managementToken,
  mtlsAgent,
  postRegister,
  privateKey,
  register,
  registrationClaims,
  signJwt,
  signRegistration,
} from "../support/reference_client.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

const now = () => Math.floor(Date.now() / 1000);
const OTHER_SOFTWARE = "9aBcDeFgHiJkLmNoPqRsTu";

describe("bank /register", () => {
  let sb: TestSandbox;
  let ssa: string;
  beforeAll(async () => {
    sb = await startTestSandbox({
      orgs: [
        {
          org_id: DEFAULT_ORG_ID,
          softwares: [{ software_id: DEFAULT_SOFTWARE_ID }, { software_id: OTHER_SOFTWARE }],
        },
        {
          org_id: "0015800001ZEZ1AAAX",
          org_status: "Revoked",
          softwares: [{ software_id: "revokedOrgSoftware1" }],
        },
      ],
    });
    ssa = await fetchSsa(sb);
  });
  afterAll(async () => sb?.close());

  it("publishes OIDC discovery", async () => {
    const res = await call(sb.agent, sb.bank.discovery_url);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      issuer: sb.bank.issuer,
      registration_endpoint: sb.bank.registration_endpoint,
      token_endpoint: sb.bank.token_endpoint,
      jwks_uri: sb.bank.jwks_uri,
    });
    for (const k of [
      "token_endpoint_auth_methods_supported",
      "token_endpoint_auth_signing_alg_values_supported",
      "id_token_signing_alg_values_supported",
      "request_object_signing_alg_values_supported",
      "response_types_supported",
      "grant_types_supported",
      "scopes_supported",
    ])
      expect(Array.isArray(res.json[k]), k).toBe(true);
  });

  it("registers a private_key_jwt client: 201 with client_id, issued_at, echoed metadata and SSA", async () => {
    const res = await register(sb, {}, { ssa });
    expect(res.status, res.text).toBe(201);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.json.client_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.json.client_id_issued_at).toBeGreaterThan(now() - 60);
    expect(res.json.client_id_issued_at).toBeLessThan(10 ** 11);
    expect(res.json.client_secret).toBeUndefined();
    expect(res.json.registration_access_token).toBeUndefined();
    expect(res.json).toMatchObject({
      software_statement: ssa,
      software_id: sb.sw.software_id,
      token_endpoint_auth_method: "private_key_jwt",
      token_endpoint_auth_signing_alg: "PS256",
      redirect_uris: sb.sw.software_redirect_uris,
      scope: "openid accounts payments",
    });
    for (const k of ["iss", "aud", "iat", "exp", "jti"]) expect(res.json[k]).toBeUndefined();
  });

  it("registers with an ES256 key and with tls_client_auth (DN from the manifest)", async () => {
    const es = await signRegistration(sb, registrationClaims(sb, ssa), {
      header: { alg: "ES256", kid: sb.sw.signing_es256.kid },
      key: privateKey(sb.sw.signing_es256.private_key_file),
    });
    expect((await postRegister(sb, es)).status).toBe(201);
    const tls = await register(
      sb,
      {
        token_endpoint_auth_method: "tls_client_auth",
        token_endpoint_auth_signing_alg: undefined,
        tls_client_auth_subject_dn: sb.sw.transport.subject_dn,
      },
      { ssa },
    );
    expect(tls.status, tls.text).toBe(201);
    expect(tls.json.tls_client_auth_subject_dn).toBe(sb.sw.transport.subject_dn);
  });

  it("issues client_secret (+ client_secret_expires_at 0) for client_secret_basic and accepts it at /token", async () => {
    const res = await register(
      sb,
      { token_endpoint_auth_method: "client_secret_basic", token_endpoint_auth_signing_alg: undefined },
      { ssa },
    );
    expect(res.status, res.text).toBe(201);
    expect(res.json.client_secret).toEqual(expect.any(String));
    expect(res.json.client_secret_expires_at).toBe(0);
    const basic = Buffer.from(`${res.json.client_id}:${res.json.client_secret}`).toString("base64");
    const tok = await call(sb.agent, sb.bank.token_endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${basic}` },
      body: "grant_type=client_credentials",
    });
    expect(tok.status, tok.text).toBe(200);
    const wrong = Buffer.from(`${res.json.client_id}:nope`).toString("base64");
    const bad = await call(sb.agent, sb.bank.token_endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${wrong}` },
      body: "grant_type=client_credentials",
    });
    expect(bad.status).toBe(401);
    expect(bad.json.error).toBe("invalid_client");
  });

  const otherRsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  type Case = [
    string,
    () => Promise<{ body: string; contentType?: string; agent?: "none" | "untrusted" }>,
    number,
    string,
  ];
  const jwtWith = (over: Record<string, unknown>, opts: Parameters<typeof signRegistration>[2] = {}) =>
    signRegistration(sb, { ...registrationClaims(sb, ssa), ...over }, opts).then((body) => ({ body }));
  const tamperedSsa = () => {
    const [h, p, s] = ssa.split(".");
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
    claims.software_redirect_uris = ["https://evil.example.com/cb"];
    return `${h}.${b64urlJson(claims)}.${s}`;
  };
  const badInputs: Case[] = [
    ["no client certificate", async () => ({ ...(await jwtWith({})), agent: "none" }), 401, "invalid_client"],
    [
      "a certificate from another CA",
      async () => ({ ...(await jwtWith({})), agent: "untrusted" }),
      401,
      "invalid_client",
    ],
    [
      "Content-Type application/json",
      async () => ({ ...(await jwtWith({})), contentType: "application/json" }),
      415,
      "invalid_request",
    ],
    [
      "Content-Type application/jose (default bank wants jwt)",
      async () => ({ ...(await jwtWith({})), contentType: "application/jose" }),
      415,
      "invalid_request",
    ],
    ["an oversized body", async () => ({ body: "a".repeat(70 * 1024) }), 413, "invalid_request"],
    ["a body that is not a JWS", async () => ({ body: "hello" }), 400, "invalid_client_metadata"],
    ["an unknown kid", () => jwtWith({}, { header: { kid: "unknown-kid" } }), 400, "invalid_client_metadata"],
    [
      "a signature by a key not in the JWKS",
      () => jwtWith({}, { key: otherRsa }),
      400,
      "invalid_client_metadata",
    ],
    [
      "the revoked key",
      () =>
        jwtWith(
          {},
          {
            header: { kid: sb.sw.revoked_signing!.kid },
            key: privateKey(sb.sw.revoked_signing!.private_key_file),
          },
        ),
      400,
      "invalid_client_metadata",
    ],
    ["alg RS256", () => jwtWith({}, { header: { alg: "RS256" } }), 400, "invalid_client_metadata"],
    [
      "alg none",
      async () => ({
        body: `${b64urlJson({ alg: "none", kid: sb.sw.signing.kid })}.${b64urlJson(registrationClaims(sb, ssa))}.`,
      }),
      400,
      "invalid_client_metadata",
    ],
    [
      "HS256 with the public key as secret",
      () =>
        jwtWith(
          {},
          {
            header: { alg: "HS256" },
            key: new TextEncoder().encode(JSON.stringify(sb.sw.signing.public_jwk)),
          },
        ),
      400,
      "invalid_client_metadata",
    ],
    [
      "an embedded jwk header",
      () => jwtWith({}, { header: { jwk: sb.sw.signing.public_jwk } }),
      400,
      "invalid_client_metadata",
    ],
    [
      "an x5u header",
      () => jwtWith({}, { header: { x5u: "https://tpp.example.com/cert.pem" } }),
      400,
      "invalid_client_metadata",
    ],
    [
      "an expired JWT",
      () => jwtWith({ iat: now() - 7200, exp: now() - 3600 }),
      400,
      "invalid_client_metadata",
    ],
    [
      "iat in the future",
      () => jwtWith({ iat: now() + 3600, exp: now() + 3900 }),
      400,
      "invalid_client_metadata",
    ],
    ["a lifetime over one hour", () => jwtWith({ exp: now() + 7200 }), 400, "invalid_client_metadata"],
    ["no exp", () => jwtWith({ exp: undefined }), 400, "invalid_client_metadata"],
    ["wrong aud", () => jwtWith({ aud: "0015800000WRONGAUD" }), 400, "invalid_client_metadata"],
    ["iss not the software_id", () => jwtWith({ iss: OTHER_SOFTWARE }), 400, "invalid_client_metadata"],
    ["iss of 30 characters", () => jwtWith({ iss: "a".repeat(30) }), 400, "invalid_client_metadata"],
    ["iss empty", () => jwtWith({ iss: "" }), 400, "invalid_client_metadata"],
    ["a jti that is not a UUID", () => jwtWith({ jti: "123" }), 400, "invalid_client_metadata"],
    [
      "a tampered SSA",
      () => jwtWith({ software_statement: tamperedSsa() }),
      400,
      "invalid_software_statement",
    ],
    ["no SSA", () => jwtWith({ software_statement: undefined }), 400, "invalid_software_statement"],
    [
      "an SSA signed by the TPP, not the directory",
      async () => {
        const forged = await signJwt(
          JSON.parse(Buffer.from(ssa.split(".")[1]!, "base64url").toString()),
          { alg: "PS256", kid: sb.sw.signing.kid },
          privateKey(sb.sw.signing.private_key_file),
        );
        return jwtWith({ software_statement: forged });
      },
      400,
      "invalid_software_statement",
    ],
    [
      "a redirect URI outside the SSA",
      () => jwtWith({ redirect_uris: ["https://evil.example.com/cb"] }),
      400,
      "invalid_redirect_uri",
    ],
    [
      "an http redirect URI",
      () => jwtWith({ redirect_uris: ["http://tpp.example.com/callback"] }),
      400,
      "invalid_redirect_uri",
    ],
    [
      "software_id differing from the SSA",
      () => jwtWith({ software_id: OTHER_SOFTWARE }),
      400,
      "invalid_client_metadata",
    ],
    [
      "an unsupported auth method",
      () => jwtWith({ token_endpoint_auth_method: "client_secret_jwt" }),
      400,
      "invalid_client_metadata",
    ],
    [
      "private_key_jwt without signing alg",
      () => jwtWith({ token_endpoint_auth_signing_alg: undefined }),
      400,
      "invalid_client_metadata",
    ],
    [
      "token_endpoint_auth_signing_alg RS256",
      () => jwtWith({ token_endpoint_auth_signing_alg: "RS256" }),
      400,
      "invalid_client_metadata",
    ],
    [
      "tls_client_auth without a DN",
      () =>
        jwtWith({
          token_endpoint_auth_method: "tls_client_auth",
          token_endpoint_auth_signing_alg: undefined,
        }),
      400,
      "invalid_client_metadata",
    ],
    [
      "tls_client_auth with another DN",
      () =>
        jwtWith({
          token_endpoint_auth_method: "tls_client_auth",
          token_endpoint_auth_signing_alg: undefined,
          tls_client_auth_subject_dn: "CN=someone,OU=else,O=OpenBanking,C=GB",
        }),
      400,
      "invalid_client_metadata",
    ],
    [
      "tls_client_auth with the organizationIdentifier as text (bank wants hex)",
      () =>
        jwtWith({
          token_endpoint_auth_method: "tls_client_auth",
          token_endpoint_auth_signing_alg: undefined,
          tls_client_auth_subject_dn: sb.sw.transport.subject_dn_encodings.name,
        }),
      400,
      "invalid_client_metadata",
    ],
    [
      "a DN with private_key_jwt",
      () => jwtWith({ tls_client_auth_subject_dn: sb.sw.transport.subject_dn }),
      400,
      "invalid_client_metadata",
    ],
    [
      "response_types id_token token",
      () => jwtWith({ response_types: ["id_token", "token"] }),
      400,
      "invalid_client_metadata",
    ],
    ["an unknown grant type", () => jwtWith({ grant_types: ["password"] }), 400, "invalid_client_metadata"],
    ["scope as an array", () => jwtWith({ scope: ["openid", "accounts"] }), 400, "invalid_client_metadata"],
    [
      "a scope the roles do not allow",
      () => jwtWith({ scope: "openid fundsconfirmations" }),
      400,
      "invalid_client_metadata",
    ],
    [
      "id_token_signed_response_alg RS256",
      () => jwtWith({ id_token_signed_response_alg: "RS256" }),
      400,
      "invalid_client_metadata",
    ],
    ["no application_type", () => jwtWith({ application_type: undefined }), 400, "invalid_client_metadata"],
    [
      "jwks by value",
      () => jwtWith({ jwks: { keys: [sb.sw.signing.public_jwk] } }),
      400,
      "invalid_client_metadata",
    ],
    [
      "another software's transport certificate",
      async () => ({
        ...(await jwtWith({})),
        agent: "other" as unknown as "none",
      }),
      401,
      "invalid_client",
    ],
  ];
  it.each(badInputs)("POST /register refuses %s", async (_name, make, status, error) => {
    const { body, contentType, agent } = await make();
    const m = sb.manifest;
    const other = m.orgs[0]!.softwares[1]!;
    const a =
      agent === undefined
        ? sb.agent
        : (agent as string) === "other"
          ? mtlsAgent(m, other)
          : mtlsAgent(m, sb.sw, agent);
    const res = await postRegister(sb, body, { contentType, agent: a });
    expect(res.status, res.text).toBe(status);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.json.error).toBe(error);
    expect(res.json.error_description).toEqual(expect.any(String));
    if (status === 401) expect(res.headers["www-authenticate"]).toMatch(/^Bearer /);
  });

  it("refuses a replayed registration JWT (same jti)", async () => {
    const jwt = await signRegistration(sb, registrationClaims(sb, ssa));
    expect((await postRegister(sb, jwt)).status).toBe(201);
    const again = await postRegister(sb, jwt);
    expect(again.status).toBe(400);
    expect(again.json.error_description).toMatch(/replay/);
  });

  it("refuses an SSA of a Revoked organisation as unapproved_software_statement", async () => {
    const org = sb.manifest.orgs[1]!;
    const sw = org.softwares[0]!;
    const agent = mtlsAgent(sb.manifest, sw);
    const revokedSsa = await fetchSsa(sb, sw, org.org_id, agent);
    const jwt = await signRegistration(sb, { ...registrationClaims(sb, revokedSsa, sb.bank, sw) }, { sw });
    const res = await postRegister(sb, jwt, { agent });
    expect(res.status, res.text).toBe(400);
    expect(res.json.error).toBe("unapproved_software_statement");
  });

  it("refuses the SSA API to a token of another software (403)", async () => {
    const other = sb.manifest.orgs[0]!.softwares[1]!;
    await expect(fetchSsa(sb, other, sb.orgId, mtlsAgent(sb.manifest, other))).resolves.toMatch(/^ey/);
    const { directoryToken } = await import("../support/reference_client.js");
    const token = await directoryToken(sb);
    const res = await call(
      sb.agent,
      sb.manifest.directory.ssa_endpoint_template
        .replace("{org_id}", sb.orgId)
        .replace("{software_id}", other.software_id),
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(res.status).toBe(403);
  });

  describe("management (OBIE client_credentials)", () => {
    it("GET, PUT (full JWT with client_id), DELETE, then 401 for the deleted client", async () => {
      const created = await register(sb, {}, { ssa });
      const id = created.json.client_id as string;
      const url = `${sb.bank.registration_endpoint}/${id}`;
      const token = await managementToken(sb, id);
      const auth = { authorization: `Bearer ${token}` };

      const read = await call(sb.agent, url, { headers: auth });
      expect(read.status).toBe(200);
      expect(read.json).toMatchObject({ client_id: id, software_statement: ssa });

      const putJwt = await signRegistration(sb, {
        ...registrationClaims(sb, ssa),
        client_id: id,
        scope: "openid accounts",
      });
      const put = await call(sb.agent, url, {
        method: "PUT",
        headers: { ...auth, "content-type": "application/jwt" },
        body: putJwt,
      });
      expect(put.status, put.text).toBe(200);
      expect(put.json.scope).toBe("openid accounts");
      expect(put.json.client_id_issued_at).toBe(created.json.client_id_issued_at);

      const del = await call(sb.agent, url, { method: "DELETE", headers: auth });
      expect(del.status).toBe(204);
      expect(del.text).toBe("");
      const gone = await call(sb.agent, url, { headers: auth });
      expect(gone.status).toBe(401);
      expect(gone.headers["www-authenticate"]).toMatch(/invalid_token/);
      expect((await sb.admin.registrations("sandbox-bank")).some((r) => r.client_id === id)).toBe(false);
    });

    it.each([
      ["no Authorization header", () => ({}), 401, "invalid_token"],
      ["a bogus bearer token", () => ({ authorization: "Bearer bogus" }), 401, "invalid_token"],
      ["Basic instead of Bearer", () => ({ authorization: "Basic Zm9vOmJhcg==" }), 401, "invalid_token"],
    ])("GET /register/{id} refuses %s", async (_n, headers, status, error) => {
      const created = await register(sb, {}, { ssa });
      const res = await call(sb.agent, `${sb.bank.registration_endpoint}/${created.json.client_id}`, {
        headers: headers(),
      });
      expect(res.status).toBe(status);
      expect(res.json.error).toBe(error);
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer /);
    });

    it("refuses a token of another client (403) and an unknown client (401)", async () => {
      const a = await register(sb, {}, { ssa });
      const b = await register(sb, {}, { ssa });
      const tokenA = await managementToken(sb, a.json.client_id);
      const res = await call(sb.agent, `${sb.bank.registration_endpoint}/${b.json.client_id}`, {
        headers: { authorization: `Bearer ${tokenA}` },
      });
      expect(res.status).toBe(403);
      const unknown = await call(sb.agent, `${sb.bank.registration_endpoint}/${crypto.randomUUID()}`, {
        headers: { authorization: `Bearer ${tokenA}` },
      });
      expect(unknown.status).toBe(401);
    });

    it("refuses a PUT without client_id, with another client_id, and without a client certificate", async () => {
      const created = await register(sb, {}, { ssa });
      const id = created.json.client_id as string;
      const url = `${sb.bank.registration_endpoint}/${id}`;
      const token = await managementToken(sb, id);
      const put = async (claims: Record<string, unknown>, agent = sb.agent) =>
        call(agent, url, {
          method: "PUT",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/jwt" },
          body: await signRegistration(sb, { ...registrationClaims(sb, ssa), ...claims }),
        });
      const missing = await put({});
      expect(missing.status).toBe(400);
      expect(missing.json.error).toBe("invalid_client_metadata");
      expect(missing.json.error_description).toMatch(/client_id/);
      const other = await put({ client_id: crypto.randomUUID() });
      expect(other.status).toBe(400);
      const noCert = await put({ client_id: id }, mtlsAgent(sb.manifest, sb.sw, "none"));
      expect(noCert.status).toBe(401);
      expect(noCert.json.error).toBe("invalid_client");
    });

    it.each([
      ["wrong aud", { aud: "https://elsewhere.example/token" }],
      ["expired", { iat: now() - 900, exp: now() - 600 }],
      ["iss not the client_id", { iss: "someoneelse" }],
    ])("bank /token refuses a private_key_jwt assertion with %s", async (_n, claims) => {
      const created = await register(sb, {}, { ssa });
      const id = created.json.client_id as string;
      const assertion = await signJwt(
        {
          iss: id,
          sub: id,
          aud: sb.bank.token_endpoint,
          iat: now(),
          exp: now() + 300,
          jti: crypto.randomUUID(),
          ...claims,
        },
        { alg: "PS256", kid: sb.sw.signing.kid },
        privateKey(sb.sw.signing.private_key_file),
      );
      const res = await call(sb.agent, sb.bank.token_endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: id,
          client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          client_assertion: assertion,
        }).toString(),
      });
      expect(res.status).toBe(401);
      expect(res.json.error).toBe("invalid_client");
    });

    it("bank /token: tls_client_auth client authenticates by certificate; a private_key_jwt client cannot use it", async () => {
      const tls = await register(
        sb,
        {
          token_endpoint_auth_method: "tls_client_auth",
          token_endpoint_auth_signing_alg: undefined,
          tls_client_auth_subject_dn: sb.sw.transport.subject_dn,
        },
        { ssa },
      );
      const ok = await call(sb.agent, sb.bank.token_endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `grant_type=client_credentials&client_id=${tls.json.client_id}`,
      });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.json.expires_in).toBe(3600);
      const pkj = await register(sb, {}, { ssa });
      const bad = await call(sb.agent, sb.bank.token_endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `grant_type=client_credentials&client_id=${pkj.json.client_id}`,
      });
      expect(bad.status).toBe(401);
      const badScope = await bankToken(sb, pkj.json.client_id, { scope: "fundsconfirmations" });
      expect(badScope.status).toBe(400);
      expect(badScope.json.error).toBe("invalid_scope");
    });
  });

  it("answers 404 JSON for an unknown path and 405 with Allow for a wrong method", async () => {
    const nf = await call(sb.agent, `${sb.bank.issuer}/nope`);
    expect(nf.status).toBe(404);
    expect(nf.json.error).toBe("not_found");
    const na = await call(sb.agent, sb.bank.registration_endpoint, { method: "GET" });
    expect(na.status).toBe(405);
    expect(na.headers.allow).toBe("POST");
    expect(na.json.error).toBe("method_not_allowed");
  });
});
