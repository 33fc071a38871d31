// The AU CDR emulator over real TLS/mTLS: the happy path (Register token -> SSA -> DH register ->
// management token -> GET -> PUT -> DELETE) and every Register refusal of §4 AU 1–6.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as jose from "jose";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { negotiateVersion } from "../../sandbox/cdr_au/register_ssa.js";
import { ensureCa, issueLeaf, newEcKeys } from "../../sandbox/pki.js";
import {
  type Au,
  assertion,
  call,
  clientUrl,
  fetchSsa,
  form,
  holderToken,
  postRegistration,
  registerToken,
  registerTokenRes,
  registrationJwt,
  ssaRes,
  startAu,
} from "./cdr_au_support.js";

let au: Au;
beforeAll(async () => {
  au = await startAu();
});
afterAll(async () => {
  await au?.close();
});

const cdsCode = (json: { errors: Array<{ code: string }> }) => json.errors[0]!.code;

describe("AU CDR happy path", () => {
  it("registers, reads, updates and deletes a client at a data holder", async () => {
    const { m, p1, a1 } = au;
    expect(JSON.parse(fs.readFileSync(au.sb.manifestPath, "utf8"))).toEqual(m);
    const disc = await call(a1, m.register.discovery_url);
    expect(disc.status).toBe(200);
    expect(disc.json.issuer).toBe(m.register.issuer);
    expect(disc.json.issuer).toMatch(/\/idp$/);
    expect(disc.json.token_endpoint).toBe(m.register.token_endpoint);
    expect(disc.json.scopes_supported).toEqual(["cdr-register:read"]);

    const tok = await registerTokenRes(au);
    expect(tok.status).toBe(200);
    expect(tok.json).toMatchObject({ token_type: "Bearer", expires_in: 300, scope: "cdr-register:read" });

    const ssaResp = await ssaRes(au, tok.json.access_token);
    expect(ssaResp.status).toBe(200);
    expect(ssaResp.headers["x-v"]).toBe("4");
    const ssa = ssaResp.text;
    const jwks = (await call(au.anon, m.register.jwks_uri)).json;
    const { payload, protectedHeader } = await jose.jwtVerify(ssa, jose.createLocalJWKSet(jwks));
    expect(protectedHeader).toMatchObject({ alg: "PS256", typ: "JWT" });
    expect(payload).toMatchObject({
      iss: "cdr-register",
      software_id: p1.software_product_id,
      org_id: au.brandId,
      redirect_uris: p1.redirect_uris,
      jwks_uri: p1.jwks_uri,
      revocation_uri: p1.revocation_uri,
      recipient_base_uri: p1.recipient_base_uri,
      scope: p1.scope,
      software_roles: "data-recipient-software-product",
    });
    expect(payload.exp! - payload.iat!).toBe(600);
    for (const c of ["jti", "org_name", "client_name", "client_description", "client_uri", "logo_uri"])
      expect(payload[c]).toBeTruthy();

    const h = au.holder("cdr-holder-a");
    const hd = await call(a1, h.discovery_url);
    expect(hd.json).toMatchObject({
      issuer: h.issuer,
      registration_endpoint: h.registration_endpoint,
      token_endpoint: h.token_endpoint,
      tls_client_certificate_bound_access_tokens: true,
    });
    expect(hd.json.token_endpoint_auth_signing_alg_values_supported).toEqual(["PS256", "ES256"]);

    const jwt = await registrationJwt(h, p1, ssa, {
      claims: { made_up_claim: "x", redirect_uris: [p1.redirect_uris[0]] },
    });
    const created = await postRegistration(a1, h, jwt);
    expect(created.status).toBe(201);
    const reg = created.json;
    expect(reg.client_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(reg.software_statement).toBe(ssa);
    expect(reg).toMatchObject({
      software_id: p1.software_product_id,
      org_id: au.brandId,
      jwks_uri: p1.jwks_uri,
      redirect_uris: [p1.redirect_uris[0]],
      token_endpoint_auth_method: "private_key_jwt",
      request_object_signing_alg: "PS256",
      application_type: "web",
    });
    expect(reg.made_up_claim).toBeUndefined();
    expect(reg.aud).toBeUndefined();
    expect(reg.jti).toBeUndefined();
    // energy:* is in the SSA but not supported by the holder: dropped silently.
    expect(reg.scope.split(" ")).toContain("cdr:registration");
    expect(reg.scope).not.toContain("energy:");
    expect(au.sb.admin.clients("cdr-holder-a").map((c) => c.client_id)).toEqual([reg.client_id]);

    // Management token: aud may be the token URL or the issuer.
    const mt = await holderToken(au, h, reg.client_id);
    const viaIssuer = await call(
      a1,
      h.token_endpoint,
      form({
        grant_type: "client_credentials",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: await assertion(p1, reg.client_id, h.issuer),
        scope: "cdr:registration",
      }),
    );
    expect(viaIssuer.status).toBe(200);

    const got = await call(a1, clientUrl(h, reg.client_id), { headers: { authorization: `Bearer ${mt}` } });
    expect(got.status).toBe(200);
    expect(got.json).toEqual(reg);

    const ssa2 = await fetchSsa(au);
    const put = await postRegistration(
      a1,
      h,
      await registrationJwt(h, p1, ssa2),
      "application/jwt",
      clientUrl(h, reg.client_id),
      "PUT",
      mt,
    );
    expect(put.status).toBe(200);
    expect(put.json.client_id).toBe(reg.client_id);
    expect(put.json.software_statement).toBe(ssa2);
    expect(put.json.redirect_uris).toEqual(p1.redirect_uris);

    const del = await call(a1, clientUrl(h, reg.client_id), {
      method: "DELETE",
      headers: { authorization: `Bearer ${mt}` },
    });
    expect(del.status).toBe(204);
    // Token revoked with the client; the client itself is gone.
    const after = await call(a1, clientUrl(h, reg.client_id), { headers: { authorization: `Bearer ${mt}` } });
    expect(after.status).toBe(401);
    expect(after.headers["www-authenticate"]).toMatch(/^Bearer /);
    const again = await call(
      a1,
      h.token_endpoint,
      form({
        grant_type: "client_credentials",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: await assertion(p1, reg.client_id, h.token_endpoint),
        scope: "cdr:registration",
      }),
    );
    expect(again.status).toBe(400);
    expect(again.json.error).toBe("invalid_client");
    expect(au.sb.admin.clients("cdr-holder-a")).toEqual([]);

    const stats = au.sb.admin.stats();
    expect(stats.register_token_requests).toBeGreaterThanOrEqual(2);
    expect(stats.ssa_requests).toBeGreaterThanOrEqual(2);
    expect(stats.holders["cdr-holder-a"]).toMatchObject({ registrations: 1, gets: 2, puts: 1, deletes: 1 });
    expect(stats.holders["cdr-holder-a"]!.token_requests).toBe(3);
    au.sb.admin.resetStats();
    expect(au.sb.admin.stats().holders["cdr-holder-a"]!.registrations).toBe(0);
  });

  it("the HTTPS admin API changes a product status and lists clients", async () => {
    const ca = fs.readFileSync(au.m.ca_cert_file, "utf8");
    const agent = new Agent({ connect: { ca } });
    try {
      const put = await call(agent, `${au.sb.adminUrl}/admin/products/${au.p2.software_product_id}/status`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ status: "INACTIVE" }),
      });
      expect(put.status).toBe(204);
      const token = await registerToken(au, au.p2, au.a2);
      const refused = await ssaRes(au, token, { p: au.p2, agent: au.a2 });
      expect(refused.status).toBe(403);
      au.sb.admin.setProductStatus(au.p2.software_product_id, "ACTIVE");
      const clients = await call(agent, `${au.sb.adminUrl}/admin/holders/cdr-holder-a/clients`);
      expect(clients.status).toBe(200);
      expect(Array.isArray(clients.json)).toBe(true);
    } finally {
      await agent.close();
    }
  });
});

describe("CDR Register token endpoint refusals (AU 1–3)", () => {
  const expectError = (res: { status: number; json: { error: string } }, error: string) => {
    expect(res.status).toBe(400);
    expect(res.json.error).toBe(error);
  };

  it("AU 1: not a form, or grant_type not client_credentials", async () => {
    const res = await call(au.a1, au.m.register.token_endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "client_credentials" }),
    });
    expectError(res, "invalid_request");
    expectError(
      await registerTokenRes(au, au.p1, au.a1, { form: { grant_type: "password" } }),
      "unsupported_grant_type",
    );
  });

  it("AU 2: assertion type, scope, iss/sub", async () => {
    const t = (over: Parameters<typeof registerTokenRes>[3]) => registerTokenRes(au, au.p1, au.a1, over);
    expectError(await t({ form: { client_assertion_type: "urn:other" } }), "invalid_client");
    expectError(await t({ form: { scope: "cdr-register:bank:read" } }), "invalid_client");
    expectError(await t({ form: { scope: undefined } }), "invalid_client");
    expectError(await t({ jwt: { claims: { iss: au.p2.software_product_id } } }), "invalid_client");
    expectError(await t({ jwt: { claims: { sub: au.p2.software_product_id } } }), "invalid_client");
  });

  it("AU 3: unknown product, bad signature, aud, exp, jti replay, alg, certificate", async () => {
    const t = (over: Parameters<typeof registerTokenRes>[3], p = au.p1, agent = au.a1) =>
      registerTokenRes(au, p, agent, over);
    const unknown = crypto.randomUUID();
    expectError(
      await t({ form: { client_id: unknown }, jwt: { claims: { iss: unknown, sub: unknown } } }),
      "invalid_client",
    );
    // Signed with product 2's key under product 1's kid.
    const otherKey = crypto.createPrivateKey(fs.readFileSync(au.p2.signing.private_key_file));
    expectError(await t({ jwt: { key: otherKey } }), "invalid_client");
    expectError(await t({ jwt: { claims: { aud: "https://elsewhere.example/token" } } }), "invalid_client");
    // aud = the issuer is accepted.
    expect((await t({ jwt: { claims: { aud: au.m.register.issuer } } })).status).toBe(200);
    expectError(await t({ jwt: { claims: { exp: undefined } } }), "invalid_client");
    expectError(await t({ jwt: { claims: { exp: Math.floor(Date.now() / 1000) - 5 } } }), "invalid_client");
    // RS256 with the product's RSA key: the alg is refused.
    expectError(await t({ jwt: { header: { alg: "RS256" } } }), "invalid_client");
    // ES256 with the ES256 key is accepted.
    const es = await t({
      jwt: {
        header: { alg: "ES256", kid: au.p1.signing_es256.kid },
        key: crypto.createPrivateKey(fs.readFileSync(au.p1.signing_es256.private_key_file)),
      },
    });
    expect(es.status).toBe(200);
    // The same assertion twice: the jti is single-use.
    const a = await assertion(au.p1, au.p1.software_product_id, au.m.register.token_endpoint);
    const body = {
      grant_type: "client_credentials",
      client_id: au.p1.software_product_id,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: a,
      scope: "cdr-register:read",
    };
    expect((await call(au.a1, au.m.register.token_endpoint, form(body))).status).toBe(200);
    expectError(await call(au.a1, au.m.register.token_endpoint, form(body)), "invalid_client");
    // Product 2's certificate for product 1's client_id; no certificate.
    expectError(await t({}, au.p1, au.a2), "invalid_client");
    expectError(await t({}, au.p1, au.anon), "invalid_client");
  });
});

describe("client certificates from another CA", () => {
  it("are refused by the Register token endpoint and by a holder, even with a matching CN", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cdr-au-untrusted-"));
    const agentCa = fs.readFileSync(au.m.ca_cert_file, "utf8");
    try {
      const ca = await ensureCa(dir, "other-ca", "CN=other CA, C=AU");
      const keys = newEcKeys();
      const cert = await issueLeaf(
        ca,
        `C=AU, OU=${au.brandId}, CN=${au.p1.software_product_id}`,
        keys.keys,
        "client",
        new Date(Date.now() + 86_400_000),
      );
      const agent = new Agent({ connect: { ca: agentCa, cert: cert.toString("pem"), key: keys.pem } });
      try {
        const tok = await registerTokenRes(au, au.p1, agent);
        expect(tok.status).toBe(400);
        expect(tok.json.error).toBe("invalid_client");
        const h = au.holder("cdr-holder-a");
        const res = await postRegistration(agent, h, await registrationJwt(h, au.p1, await fetchSsa(au)));
        expect(res.status).toBe(403);
        expect(res.json.error).toBe("client_certificate_required");
      } finally {
        await agent.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("CDR Register Get SSA refusals (AU 4–6)", () => {
  it("AU 4: no client certificate, a bad token, a token bound to another certificate ⇒ 401 + WWW-Authenticate", async () => {
    const token = await registerToken(au);
    for (const res of [
      await ssaRes(au, token, { agent: au.anon }),
      await ssaRes(au, "not-a-token"),
      await ssaRes(au, token, { agent: au.a2 }),
    ]) {
      expect(res.status).toBe(401);
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer .*invalid_token/);
    }
  });

  it("AU 5: x-v missing, not an integer, unsupported; negotiation with x-min-v", async () => {
    const token = await registerToken(au);
    const missing = await ssaRes(au, token, { headers: { "x-v": "" } });
    expect(missing.status).toBe(400);
    expect(cdsCode(missing.json)).toBe("urn:au-cds:error:cds-all:Header/Missing");
    expect(missing.json.errors[0]).toMatchObject({
      title: expect.any(String),
      detail: expect.any(String),
      meta: {},
    });
    const invalid = await ssaRes(au, token, { headers: { "x-v": "four" } });
    expect(invalid.status).toBe(400);
    expect(cdsCode(invalid.json)).toBe("urn:au-cds:error:cds-all:Header/InvalidVersion");
    const badMin = await ssaRes(au, token, { headers: { "x-v": "4", "x-min-v": "-1" } });
    expect(cdsCode(badMin.json)).toBe("urn:au-cds:error:cds-all:Header/InvalidVersion");
    const old = await ssaRes(au, token, { headers: { "x-v": "2" } });
    expect(old.status).toBe(406);
    expect(cdsCode(old.json)).toBe("urn:au-cds:error:cds-all:Header/UnsupportedVersion");
    const future = await ssaRes(au, token, { headers: { "x-v": "9", "x-min-v": "5" } });
    expect(future.status).toBe(406);
    expect(cdsCode(future.json)).toBe("urn:au-cds:error:cds-all:Header/UnsupportedVersion");
    const negotiated = await ssaRes(au, token, { headers: { "x-v": "9", "x-min-v": "3" } });
    expect(negotiated.status).toBe(200);
    expect(negotiated.headers["x-v"]).toBe("4");
    const v3 = await ssaRes(au, token, { headers: { "x-v": "3" } });
    expect(v3.status).toBe(200);
    expect(v3.headers["x-v"]).toBe("3");
  });

  it("AU 5: a Register serving v3 only (the ConsumerDataRight mock) answers x-v 4 + x-min-v 3 with v3, x-v 4 alone with 406", () => {
    expect(negotiateVersion("4", "3", [3])).toBe(3);
    expect(() => negotiateVersion("4", undefined, [3])).toThrow(expect.objectContaining({ status: 406 }));
    expect(negotiateVersion("4", "3", [3, 4])).toBe(4);
    expect(negotiateVersion("4", undefined, [4])).toBe(4);
  });

  it("AU 6: industry, product, brand, status", async () => {
    const token = await registerToken(au);
    const banking4 = await ssaRes(au, token, { industry: "banking" });
    expect(banking4.status).toBe(400);
    expect(banking4.json.errors[0].code).toMatch(/^urn:au-cds:error:/);
    expect((await ssaRes(au, token, { industry: "banking", headers: { "x-v": "3" } })).status).toBe(200);
    const other = await ssaRes(au, token, { p: au.p2 });
    expect(other.status).toBe(404);
    expect(cdsCode(other.json)).toBe("urn:au-cds:error:cds-register:Field/InvalidSoftwareProduct");
    const brand = await ssaRes(au, token, { brand: crypto.randomUUID() });
    expect(brand.status).toBe(403);
    expect(cdsCode(brand.json)).toBe("urn:au-cds:error:cds-register:Field/InvalidBrand");
    au.sb.admin.setProductStatus(au.p1.software_product_id, "INACTIVE");
    try {
      const inactive = await ssaRes(au, token);
      expect(inactive.status).toBe(403);
      expect(cdsCode(inactive.json)).toBe("urn:au-cds:error:cds-all:Authorisation/AdrStatusNotActive");
    } finally {
      au.sb.admin.setProductStatus(au.p1.software_product_id, "ACTIVE");
    }
    expect((await ssaRes(au, token)).status).toBe(200);
  });
});
