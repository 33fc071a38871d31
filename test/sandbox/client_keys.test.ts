import crypto from "node:crypto";
import fs from "node:fs";
import * as jose from "jose";
import { Agent } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ManifestBank } from "../../sandbox/manifest.js";
import {
  bankToken,
  call,
  fetchSsa,
  mtlsAgent,
  postRegister,
  privateKey,
  register,
  registrationClaims,
  type Signer,
  sendJson,
  signRegistration,
} from "../support/reference_client.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

const MANDATORY = {
  error: "invalid_client_metadata",
  error_description: "jwks or jwks_uri is mandatory for this client",
};

/** A client-held key (not in any directory JWKS): its public JWK and a signer. */
async function clientKey(): Promise<{ jwk: jose.JWK; signer: Signer }> {
  const { privateKey: key, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pub = await jose.exportJWK(publicKey);
  const kid = await jose.calculateJwkThumbprint(pub);
  return { jwk: { ...pub, kid, alg: "PS256", use: "sig" }, signer: { kid, key } };
}

describe("client keys (RFC 7591 jwks / jwks_uri) and open registration", () => {
  let sb: TestSandbox;
  let ssa: string;
  let json: ManifestBank;
  let mine: Awaited<ReturnType<typeof clientKey>>;
  beforeAll(async () => {
    sb = await startTestSandbox({
      banks: [
        { name: "sandbox-bank" },
        { name: "json-bank", request_format: "json", management: "registration_access_token" },
      ],
    });
    json = sb.manifest.banks.find((b) => b.name === "json-bank")!;
    ssa = await fetchSsa(sb);
    mine = await clientKey();
  });
  afterEach(async () => sb.admin.reset());
  afterAll(async () => sb?.close());

  const other = () => sb.manifest.orgs[0]!.softwares[1]!;
  const otherSigner = (): Signer => ({
    kid: other().signing.kid,
    key: privateKey(other().signing.private_key_file),
  });
  const pkjMetadata = (over: Record<string, unknown> = {}) => ({
    software_statement: ssa,
    redirect_uris: sb.sw.software_redirect_uris,
    token_endpoint_auth_method: "private_key_jwt",
    token_endpoint_auth_signing_alg: "PS256",
    grant_types: ["client_credentials"],
    scope: "openid accounts",
    ...over,
  });
  const post = (body: Record<string, unknown>, agent = sb.agent) =>
    sendJson(agent, json.registration_endpoint, body);
  const put = (
    res: { json: { registration_client_uri: string; registration_access_token: string; client_id: string } },
    body: Record<string, unknown>,
  ) =>
    sendJson(
      sb.agent,
      res.json.registration_client_uri,
      { ...body, client_id: res.json.client_id },
      {
        method: "PUT",
        token: res.json.registration_access_token,
      },
    );
  const token = (clientId: string, signer?: Signer) => bankToken(sb, clientId, { bank: json, signer });

  describe("require_client_keys", () => {
    const on = () => sb.admin.setQuirks("json-bank", { require_client_keys: true });

    it("refuses a private_key_jwt client with neither jwks nor jwks_uri (POST and PUT): 400 jwks or jwks_uri is mandatory", async () => {
      await on();
      const res = await post(pkjMetadata());
      expect(res.status, res.text).toBe(400);
      expect(res.json).toEqual(MANDATORY);
      const created = await post(pkjMetadata({ jwks: { keys: [mine.jwk] } }));
      expect(created.status, created.text).toBe(201);
      const update = await put(created, pkjMetadata());
      expect(update.status, update.text).toBe(400);
      expect(update.json).toEqual(MANDATORY);
    });

    it("refuses jwks and jwks_uri together (RFC 7591 §2)", async () => {
      await on();
      const res = await post(
        pkjMetadata({ jwks: { keys: [mine.jwk] }, jwks_uri: sb.sw.software_jwks_endpoint }),
      );
      expect(res.status).toBe(400);
      expect(res.json.error).toBe("invalid_client_metadata");
      expect(res.json.error_description).toMatch(/jwks and jwks_uri/);
    });

    it("accepts jwks by value, stores and echoes it; /token verifies assertions with it (not the SSA's keys)", async () => {
      await on();
      const res = await post(pkjMetadata({ jwks: { keys: [mine.jwk] } }));
      expect(res.status, res.text).toBe(201);
      expect(res.json.jwks).toEqual({ keys: [mine.jwk] });
      const id = res.json.client_id as string;
      const read = await call(sb.agent, res.json.registration_client_uri, {
        headers: { authorization: `Bearer ${res.json.registration_access_token}` },
      });
      expect(read.json.jwks).toEqual({ keys: [mine.jwk] });
      const held = (await sb.admin.registrations("json-bank")).find((r) => r.client_id === id)!;
      expect(held.metadata.jwks).toEqual({ keys: [mine.jwk] });
      const ok = await token(id, mine.signer);
      expect(ok.status, ok.text).toBe(200);
      const ssaKey = await token(id);
      expect(ssaKey.status).toBe(401);
      expect(ssaKey.json.error).toBe("invalid_client");
      expect(ssaKey.json.error_description).toMatch(/not in the JWKS/);
    });

    it("accepts an https jwks_uri other than the SSA's and verifies assertions with the keys found there", async () => {
      await on();
      const res = await post(pkjMetadata({ jwks_uri: other().software_jwks_endpoint }));
      expect(res.status, res.text).toBe(201);
      expect(res.json.jwks_uri).toBe(other().software_jwks_endpoint);
      const id = res.json.client_id as string;
      expect((await token(id, otherSigner())).status).toBe(200);
      expect((await token(id)).status).toBe(401);
    });

    it.each([
      ["an http jwks_uri", () => ({ jwks_uri: "http://localhost/jwks" })],
      ["a jwks_uri that is not a URL", () => ({ jwks_uri: "keys" })],
      ["jwks without keys", () => ({ jwks: { keys: [] } })],
      ["jwks not a JWK Set", () => ({ jwks: [{ kty: "RSA" }] })],
      ["a key without kid in jwks", () => ({ jwks: { keys: [{ ...mine.jwk, kid: undefined }] } })],
      ["a private key in jwks", () => ({ jwks: { keys: [{ ...mine.jwk, d: "AQAB" }] } })],
      ["a symmetric key in jwks", () => ({ jwks: { keys: [{ kty: "oct", kid: "k", k: "c2VjcmV0" }] } })],
    ])("refuses %s", async (_n, over) => {
      await on();
      const res = await post(pkjMetadata(over()));
      expect(res.status, res.text).toBe(400);
      expect(res.json.error).toBe("invalid_client_metadata");
    });

    it("needs no keys for a tls_client_auth client", async () => {
      await on();
      const res = await post({
        software_statement: ssa,
        token_endpoint_auth_method: "tls_client_auth",
        tls_client_auth_subject_dn: sb.sw.transport.subject_dn,
        grant_types: ["client_credentials"],
      });
      expect(res.status, res.text).toBe(201);
    });

    it("works at a UK JWT bank too: jwks inside the signed registration request", async () => {
      await sb.admin.setQuirks("sandbox-bank", { require_client_keys: true });
      const missing = await register(sb, {}, { ssa });
      expect(missing.status).toBe(400);
      expect(missing.json).toEqual(MANDATORY);
      const res = await register(sb, { jwks: { keys: [mine.jwk] } }, { ssa });
      expect(res.status, res.text).toBe(201);
      expect((await bankToken(sb, res.json.client_id, { signer: mine.signer })).status).toBe(200);
    });

    it("off (default): jwks by value is refused and jwks_uri must be the SSA's", async () => {
      const byValue = await post(pkjMetadata({ jwks: { keys: [mine.jwk] } }));
      expect(byValue.status).toBe(400);
      expect(byValue.json.error_description).toMatch(/jwks by value is not accepted/);
      const otherUri = await post(pkjMetadata({ jwks_uri: other().software_jwks_endpoint }));
      expect(otherUri.status).toBe(400);
      expect(otherUri.json.error_description).toMatch(/software_jwks_endpoint/);
      const ssaUri = await post(pkjMetadata({ jwks_uri: sb.sw.software_jwks_endpoint }));
      expect(ssaUri.status, ssaUri.text).toBe(201);
      expect((await token(ssaUri.json.client_id)).status).toBe(200);
      const noKeys = await post(pkjMetadata());
      expect(noKeys.status).toBe(201);
      expect((await token(noKeys.json.client_id)).status).toBe(200);
    });
  });

  describe("ssa_required false (JSON mode): open RFC 7591 registration", () => {
    const open = () => sb.admin.setQuirks("json-bank", { ssa_required: false });
    const openMetadata = (over: Record<string, unknown> = {}): Record<string, unknown> => {
      const { software_statement: _s, ...rest } = pkjMetadata({ jwks_uri: other().software_jwks_endpoint });
      return { ...rest, ...over };
    };

    it("accepts a request without software_statement: software_id = client_id, org_id empty", async () => {
      await open();
      const res = await post(openMetadata());
      expect(res.status, res.text).toBe(201);
      const id = res.json.client_id as string;
      expect(res.json.software_statement).toBeUndefined();
      const held = (await sb.admin.registrations("json-bank")).find((r) => r.client_id === id)!;
      expect(held).toMatchObject({ software_id: id, org_id: "" });
      expect((await token(id, otherSigner())).status).toBe(200);
    });

    it("takes software_id from the request when sent", async () => {
      await open();
      const res = await post(openMetadata({ software_id: "my-rp-app" }));
      expect(res.status, res.text).toBe(201);
      expect(res.json.software_id).toBe("my-rp-app");
      const held = (await sb.admin.registrations("json-bank")).find(
        (r) => r.client_id === res.json.client_id,
      )!;
      expect(held.software_id).toBe("my-rp-app");
    });

    it("does not bind the transport certificate (any certificate of the sandbox CA); an untrusted one is still refused", async () => {
      await open();
      const otherCert = mtlsAgent(sb.manifest, other());
      expect((await post(openMetadata(), otherCert)).status).toBe(201);
      const untrusted = await post(openMetadata(), mtlsAgent(sb.manifest, sb.sw, "untrusted"));
      expect(untrusted.status).toBe(401);
      expect(untrusted.json.error).toBe("invalid_client");
    });

    it("checks a request WITH an SSA as before (CN/OU binding, SSA signature)", async () => {
      await open();
      const otherCert = mtlsAgent(sb.manifest, other());
      const bound = await post(pkjMetadata(), otherCert);
      expect(bound.status).toBe(401);
      expect(bound.json.error).toBe("invalid_client");
      const [h, , s] = ssa.split(".");
      const forged = `${h}.${Buffer.from(JSON.stringify({ iss: "OpenBanking Ltd" })).toString("base64url")}.${s}`;
      const tampered = await post(pkjMetadata({ software_statement: forged }));
      expect(tampered.status).toBe(400);
      expect(tampered.json.error).toBe("invalid_software_statement");
    });

    it("needs client keys for private_key_jwt: jwks_uri (quirk off) or jwks/jwks_uri (require_client_keys)", async () => {
      await open();
      const { jwks_uri: _u, ...noKeys } = openMetadata();
      const refused = await post(noKeys);
      expect(refused.status).toBe(400);
      expect(refused.json.error_description).toMatch(/jwks_uri is mandatory/);
      expect((await post({ ...noKeys, jwks: { keys: [mine.jwk] } })).status).toBe(400);
      await sb.admin.setQuirks("json-bank", { require_client_keys: true });
      const mandatory = await post(noKeys);
      expect(mandatory.json).toEqual(MANDATORY);
      const byValue = await post({ ...noKeys, jwks: { keys: [mine.jwk] } });
      expect(byValue.status, byValue.text).toBe(201);
      expect((await token(byValue.json.client_id, mine.signer)).status).toBe(200);
    });

    it("registers a tls_client_auth client without SSA and authenticates it by certificate DN", async () => {
      await open();
      const res = await post({
        token_endpoint_auth_method: "tls_client_auth",
        tls_client_auth_subject_dn: sb.sw.transport.subject_dn,
        grant_types: ["client_credentials"],
        scope: "openid fundsconfirmations",
      });
      expect(res.status, res.text).toBe(201);
      const tok = await call(sb.agent, json.token_endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `grant_type=client_credentials&client_id=${res.json.client_id}`,
      });
      expect(tok.status, tok.text).toBe(200);
    });

    it("PUT: an open registration updates without SSA; a client registered with an SSA must keep sending one", async () => {
      await open();
      const created = await post(openMetadata());
      const upd = await put(created, openMetadata({ scope: "openid" }));
      expect(upd.status, upd.text).toBe(200);
      expect(upd.json.scope).toBe("openid");
      const bound = await post(pkjMetadata());
      expect(bound.status).toBe(201);
      const { software_statement: _s, ...withoutSsa } = pkjMetadata();
      const refused = await put(bound, withoutSsa);
      expect(refused.status).toBe(400);
      expect(refused.json.error).toBe("invalid_software_statement");
    });

    it("does not apply to a UK JWT bank (the request JWT is verified with the SSA's keys)", async () => {
      await sb.admin.setQuirks("sandbox-bank", { ssa_required: false });
      const jwt = await signRegistration(sb, {
        ...registrationClaims(sb, ssa),
        software_statement: undefined,
      });
      const res = await postRegister(sb, jwt);
      expect(res.status).toBe(400);
      expect(res.json.error).toBe("invalid_software_statement");
    });
  });

  it("the new quirks are patchable over the admin HTTP API", async () => {
    const admin = new Agent({ connect: { ca: fs.readFileSync(sb.manifest.ca_cert_file, "utf8") } });
    try {
      const patched = await call(admin, `${sb.manifest.admin_url}/admin/banks/json-bank/quirks`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          require_client_keys: true,
          ssa_required: false,
          rotate_client_secret_on_put: true,
        }),
      });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.json).toMatchObject({
        require_client_keys: true,
        ssa_required: false,
        rotate_client_secret_on_put: true,
      });
      const bad = await call(admin, `${sb.manifest.admin_url}/admin/banks/json-bank/quirks`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ssa_required: "no" }),
      });
      expect(bad.status).toBe(400);
      expect((await sb.admin.quirks("sandbox-bank")).require_client_keys).toBe(false);
    } finally {
      await admin.close();
    }
  });
});

describe("client keys after a restart (same data dir, new directory port)", () => {
  const open: TestSandbox[] = [];
  afterAll(async () => {
    for (const s of open) await s.close();
  });

  it("a registered jwks_uri on the directory and a registered jwks still verify assertions", async () => {
    const banks = [{ name: "sandbox-bank", quirks: { require_client_keys: true } }];
    const first = await startTestSandbox({ banks });
    open.push(first);
    const other = first.manifest.orgs[0]!.softwares[1]!;
    const ssa = await fetchSsa(first);
    const mine = await clientKey();
    const byUri = await register(first, { jwks_uri: other.software_jwks_endpoint }, { ssa });
    expect(byUri.status, byUri.text).toBe(201);
    const byValue = await register(first, { jwks: { keys: [mine.jwk] } }, { ssa });
    expect(byValue.status, byValue.text).toBe(201);
    await first.close();

    const second = await startTestSandbox({ banks, dataDir: first.dataDir });
    open.push(second);
    expect(second.manifest.directory.base_url).not.toBe(first.manifest.directory.base_url);
    const otherSigner = { kid: other.signing.kid, key: privateKey(other.signing.private_key_file) };
    const a = await bankToken(second, byUri.json.client_id, { signer: otherSigner });
    expect(a.status, a.text).toBe(200);
    const b = await bankToken(second, byValue.json.client_id, { signer: mine.signer });
    expect(b.status, b.text).toBe(200);
  });
});
