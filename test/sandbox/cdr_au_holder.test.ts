// The AU CDR emulator's data holders over real TLS/mTLS: every refusal of §4 AU 7–18 provoked once,
// asserting status and error code.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as jose from "jose";
import { Agent } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_BRAND_ID,
  DEFAULT_LEGAL_ENTITY_ID,
  DEFAULT_PRODUCT_ID,
  DEFAULT_PRODUCT_ID_2,
  startCdrAuSandbox,
} from "../../sandbox/cdr_au/index.js";
import type { CdrAuManifestProduct } from "../../sandbox/cdr_au/manifest.js";
import {
  type Au,
  call,
  clientUrl,
  fetchSsa,
  holderToken,
  holderTokenRes,
  keyOf,
  now,
  postRegistration,
  type Res,
  registerAt,
  registrationJwt,
  sign,
  startAu,
} from "./cdr_au_support.js";

const P3 = "0b7e4c1a-9d2f-4e6b-a8c3-5f1d2e3c4b5a";
const BRANDS = [
  {
    brand_id: DEFAULT_BRAND_ID,
    legal_entity_id: DEFAULT_LEGAL_ENTITY_ID,
    software_products: [
      { software_product_id: DEFAULT_PRODUCT_ID },
      { software_product_id: DEFAULT_PRODUCT_ID_2, redirect_uris: ["https://adr2.example.com/callback"] },
      // Port 9 on loopback: nothing listens, the holder cannot fetch it.
      { software_product_id: P3, sector_identifier_uri: "https://127.0.0.1:9/sector.json" },
    ],
  },
];
let au: Au;
let p3: CdrAuManifestProduct;
let a3: Agent;
beforeAll(async () => {
  au = await startAu({
    holders: [
      { name: "cdr-holder-a" },
      {
        name: "cdr-holder-b",
        delete_supported: false,
        duplicate_error: "invalid_software_statement",
        require_authorization_code_grant: true,
        content_type_strict: false,
      },
    ],
    brands: BRANDS,
  });
  p3 = au.m.brands[0]!.software_products[2]!;
  a3 = new Agent({
    connect: {
      ca: fs.readFileSync(au.m.ca_cert_file),
      cert: fs.readFileSync(p3.transport.cert_file),
      key: fs.readFileSync(p3.transport.key_file),
    },
  });
});
// Each test starts with no registrations (a failed test must not turn the next one into a duplicate).
afterEach(() => {
  for (const h of au.m.holders)
    for (const c of au.sb.admin.clients(h.name)) au.sb.admin.deleteClient(h.name, c.client_id);
});
afterAll(async () => {
  await a3?.close();
  await au?.close();
});

const A = () => au.holder("cdr-holder-a");
const B = () => au.holder("cdr-holder-b");

function expect400(res: Res, error: string): void {
  expect(res.status, res.text).toBe(400);
  expect(res.json.error).toBe(error);
  expect(typeof res.json.error_description).toBe("string");
}

/** POST a registration for product 1 at holder A with claims/header/key bent. */
async function post(over: Parameters<typeof registrationJwt>[3] = {}, ssa?: string, h = A()): Promise<Res> {
  return postRegistration(au.a1, h, await registrationJwt(h, au.p1, ssa ?? (await fetchSsa(au)), over));
}

/** An SSA signed with the Register's own key (from the PKI folder), any claims. */
async function forgedSsa(claims: Record<string, unknown>): Promise<string> {
  const jwks = (await call(au.anon, au.m.register.jwks_uri)).json;
  const key = keyOf(path.join(au.dataDir, "pki", "register-ssa-signing.key.pem"));
  const real = jose.decodeJwt(await fetchSsa(au));
  return sign({ ...real, ...claims }, key, { alg: "PS256", kid: jwks.keys[0].kid, typ: "JWT" });
}

describe("POST /register refusals (AU 7–16)", () => {
  it("AU 7: no client certificate ⇒ 403; not application/jwt ⇒ 415 (unless content_type_strict is off)", async () => {
    const jwt = await registrationJwt(A(), au.p1, await fetchSsa(au));
    const noCert = await postRegistration(au.anon, A(), jwt);
    expect(noCert.status).toBe(403);
    expect(noCert.json.error).toBe("client_certificate_required");
    const json = await postRegistration(au.a1, A(), jwt, "application/json");
    expect(json.status).toBe(415);
    // Holder B accepts any media type; it still checks the JWT (an aud for holder A).
    expect400(await postRegistration(au.a1, B(), jwt, "application/json"), "invalid_client_metadata");
  });

  it("AU 8: SSA missing, signed by another key, wrong iss, expired, missing a required claim", async () => {
    expect400(await post({ claims: { software_statement: undefined } }, "x"), "invalid_software_statement");
    const real = await fetchSsa(au);
    const [h, p] = real.split(".");
    const otherSig = await sign(
      jose.decodeJwt(real),
      keyOf(au.p1.signing.private_key_file),
      jose.decodeProtectedHeader(real),
    );
    expect(otherSig.split(".").slice(0, 2)).toEqual([h, p]);
    expect400(await post({}, otherSig), "invalid_software_statement");
    expect400(await post({}, await forgedSsa({ iss: "someone-else" })), "invalid_software_statement");
    expect400(
      await post({}, await forgedSsa({ iat: now() - 700, exp: now() - 100 })),
      "invalid_software_statement",
    );
    expect400(await post({}, await forgedSsa({ revocation_uri: undefined })), "invalid_software_statement");
    // The forging helper itself is sound: an unchanged forged SSA registers.
    const ok = await post({}, await forgedSsa({}), B());
    expect(ok.status).toBe(201);
    au.sb.admin.deleteClient("cdr-holder-b", ok.json.client_id);
  });

  it("AU 9: product INACTIVE or REMOVED at the Register ⇒ unapproved_software_statement", async () => {
    const ssa = await fetchSsa(au, au.p2, au.a2);
    au.sb.admin.setProductStatus(au.p2.software_product_id, "INACTIVE");
    try {
      const res = await postRegistration(au.a2, A(), await registrationJwt(A(), au.p2, ssa));
      expect400(res, "unapproved_software_statement");
    } finally {
      au.sb.admin.setProductStatus(au.p2.software_product_id, "ACTIVE");
    }
    // REMOVED: the registration is cleaned up, a later POST is refused.
    const reg = await registerAt(au, A(), au.p2, au.a2);
    const ssa2 = await fetchSsa(au, au.p2, au.a2);
    au.sb.admin.setProductStatus(au.p2.software_product_id, "REMOVED");
    try {
      expect(au.sb.admin.clients("cdr-holder-a").some((c) => c.client_id === reg.client_id)).toBe(false);
      const res = await postRegistration(au.a2, A(), await registrationJwt(A(), au.p2, ssa2));
      expect400(res, "unapproved_software_statement");
    } finally {
      au.sb.admin.setProductStatus(au.p2.software_product_id, "ACTIVE");
    }
  });

  it("AU 10: request key, aud, iss, exp, iat, jti, replay ⇒ invalid_client_metadata", async () => {
    const ssa = await fetchSsa(au);
    const stranger = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    expect400(await post({ key: stranger }, ssa), "invalid_client_metadata");
    expect400(await post({ header: { kid: "unknown-kid" } }, ssa), "invalid_client_metadata");
    // RS256 with the product's RSA key: alg refused.
    expect400(await post({ header: { alg: "RS256" } }, ssa), "invalid_client_metadata");
    // ES256 with the product's ES256 key is a valid request signature.
    const es = await post(
      {
        header: { alg: "ES256", kid: au.p1.signing_es256.kid },
        key: keyOf(au.p1.signing_es256.private_key_file),
      },
      ssa,
    );
    expect(es.status, es.text).toBe(201);
    au.sb.admin.deleteClient("cdr-holder-a", es.json.client_id);
    expect400(await post({ claims: { aud: B().issuer } }, ssa), "invalid_client_metadata");
    expect400(await post({ claims: { iss: au.p2.software_product_id } }, ssa), "invalid_client_metadata");
    expect400(await post({ claims: { exp: now() - 10 } }, ssa), "invalid_client_metadata");
    expect400(await post({ claims: { exp: undefined } }, ssa), "invalid_client_metadata");
    expect400(await post({ claims: { iat: undefined } }, ssa), "invalid_client_metadata");
    expect400(await post({ claims: { jti: undefined } }, ssa), "invalid_client_metadata");
    // A request refused for its redirect URI, then replayed: now refused for its jti.
    const jwt = await registrationJwt(A(), au.p1, ssa, {
      claims: { redirect_uris: ["https://evil.example/cb"] },
    });
    expect400(await postRegistration(au.a1, A(), jwt), "invalid_redirect_uri");
    const replay = await postRegistration(au.a1, A(), jwt);
    expect400(replay, "invalid_client_metadata");
    expect(replay.json.error_description).toMatch(/jti/);
  });

  it("AU 11: a redirect URI outside the SSA list or not absolute https ⇒ invalid_redirect_uri", async () => {
    const ssa = await fetchSsa(au);
    expect400(
      await post({ claims: { redirect_uris: ["https://adr.example.com/other"] } }, ssa),
      "invalid_redirect_uri",
    );
    expect400(
      await post({ claims: { redirect_uris: ["http://adr.example.com/callback"] } }, ssa),
      "invalid_redirect_uri",
    );
    expect400(await post({ claims: { redirect_uris: ["/callback"] } }, ssa), "invalid_redirect_uri");
  });

  it("AU 12: auth method, signing alg, grant types ⇒ invalid_client_metadata", async () => {
    const ssa = await fetchSsa(au);
    for (const claims of [
      { token_endpoint_auth_method: "tls_client_auth" },
      { token_endpoint_auth_method: undefined },
      { token_endpoint_auth_signing_alg: "RS256" },
      { token_endpoint_auth_signing_alg: undefined },
      { id_token_signed_response_alg: undefined },
      { grant_types: ["client_credentials", "implicit"] },
      { grant_types: undefined },
    ])
      expect400(await post({ claims }, ssa), "invalid_client_metadata");
    // Holder A allows client_credentials alone; holder B (the mock's rule) wants authorization_code.
    const ccOnly = { grant_types: ["client_credentials"] };
    expect400(await post({ claims: ccOnly }, ssa, B()), "invalid_client_metadata");
    const ok = await post({ claims: ccOnly }, ssa);
    expect(ok.status).toBe(201);
    au.sb.admin.deleteClient("cdr-holder-a", ok.json.client_id);
  });

  it("AU 13: response types and the JARM / id_token encryption rules ⇒ invalid_client_metadata", async () => {
    const ssa = await fetchSsa(au);
    for (const claims of [
      { response_types: ["token"] },
      { response_types: undefined },
      { authorization_signed_response_alg: undefined },
      { authorization_signed_response_alg: "none" },
      { response_types: ["code id_token"], authorization_signed_response_alg: undefined },
      {
        response_types: ["code"],
        id_token_encrypted_response_alg: "RSA-OAEP",
        id_token_encrypted_response_enc: "A256GCM",
      },
    ])
      expect400(await post({ claims }, ssa), "invalid_client_metadata");
    const hybrid = await post(
      {
        claims: {
          response_types: ["code id_token"],
          authorization_signed_response_alg: undefined,
          id_token_encrypted_response_alg: "RSA-OAEP-256",
          id_token_encrypted_response_enc: "A256GCM",
        },
      },
      ssa,
    );
    expect(hybrid.status, hybrid.text).toBe(201);
    expect(hybrid.json.id_token_encrypted_response_alg).toBe("RSA-OAEP-256");
    au.sb.admin.deleteClient("cdr-holder-a", hybrid.json.client_id);
  });

  it("AU 14: JARM encryption without alg, unsupported JWE alg/enc, application_type ⇒ invalid_client_metadata", async () => {
    const ssa = await fetchSsa(au);
    for (const claims of [
      { authorization_encrypted_response_enc: "A256GCM" },
      { authorization_encrypted_response_alg: "RSA1_5" },
      { authorization_encrypted_response_alg: "RSA-OAEP", authorization_encrypted_response_enc: "A128GCM" },
      { application_type: "native" },
      { request_object_signing_alg: "none" },
    ])
      expect400(await post({ claims }, ssa), "invalid_client_metadata");
  });

  it("AU 15: an unreachable sector_identifier_uri ⇒ invalid_client_metadata", async () => {
    const ssa = await fetchSsa(au, p3, a3);
    expect(jose.decodeJwt(ssa).sector_identifier_uri).toBe("https://127.0.0.1:9/sector.json");
    const res = await postRegistration(a3, A(), await registrationJwt(A(), p3, ssa));
    expect400(res, "invalid_client_metadata");
    expect(res.json.error_description).toMatch(/sector_identifier_uri/);
  });

  it("AU 16: a second active registration of one software_id ⇒ 400 (code per holder)", async () => {
    const a = await registerAt(au, A());
    expect400(await post(), "invalid_client_metadata");
    const b = await registerAt(au, B());
    expect400(await post({}, undefined, B()), "invalid_software_statement");
    au.sb.admin.deleteClient("cdr-holder-a", a.client_id);
    au.sb.admin.deleteClient("cdr-holder-b", b.client_id);
  });
});

describe("management refusals (AU 17–18)", () => {
  it("AU 17: token problems ⇒ 401 invalid_token, scope ⇒ 403, other or deleted client ⇒ 401 (never 404)", async () => {
    const h = A();
    const reg = await registerAt(au, h);
    const other = await registerAt(au, h, au.p2, au.a2);
    const token = await holderToken(au, h, reg.client_id);
    const get = (agent: Agent, id: string, t?: string) =>
      call(agent, clientUrl(h, id), { headers: t ? { authorization: `Bearer ${t}` } : {} });
    const expect401 = (res: Res, error: string) => {
      expect(res.status).toBe(401);
      expect(res.json.error).toBe(error);
      expect(res.headers["www-authenticate"]).toMatch(new RegExp(`^Bearer .*error="${error}"`));
    };
    expect401(await get(au.a1, reg.client_id), "invalid_token");
    expect401(await get(au.a1, reg.client_id, "forged"), "invalid_token");
    // Certificate-bound: product 2's certificate with product 1's token.
    expect401(await get(au.a2, reg.client_id, token), "invalid_token");
    const noCert = await get(au.anon, reg.client_id, token);
    expect(noCert.status).toBe(403);
    // A token without cdr:registration.
    const openid = await holderToken(au, h, reg.client_id, { scope: "openid" });
    const scope = await get(au.a1, reg.client_id, openid);
    expect(scope.status).toBe(403);
    expect(scope.json.error).toBe("insufficient_scope");
    // The path names another client (which exists) ⇒ 401, not 404 or 403.
    const path = await get(au.a1, other.client_id, token);
    expect(path.status).toBe(401);
    expect(path.headers["www-authenticate"]).toMatch(/The client is unknown/);
    const unknown = await get(au.a1, crypto.randomUUID(), token);
    expect(unknown.status).toBe(401);
    // Deleted out of band: the client and its tokens are gone.
    expect((await get(au.a1, reg.client_id, token)).status).toBe(200);
    au.sb.admin.deleteClient("cdr-holder-a", reg.client_id);
    expect((await get(au.a1, reg.client_id, token)).status).toBe(401);
    expect400(await holderTokenRes(au, h, reg.client_id), "invalid_client");
    au.sb.admin.deleteClient("cdr-holder-a", other.client_id);
  });

  it("AU 17: the management token's own refusals", async () => {
    const h = A();
    const reg = await registerAt(au, h);
    const t = (o: Parameters<typeof holderTokenRes>[3]) => holderTokenRes(au, h, reg.client_id, o);
    expect400(await t({ form: { grant_type: "password" } }), "unsupported_grant_type");
    expect400(await t({ jwt: { claims: { aud: "https://elsewhere.example" } } }), "invalid_client");
    expect400(await t({ jwt: { claims: { sub: "someone" } } }), "invalid_client");
    expect400(await t({ jwt: { claims: { exp: undefined } } }), "invalid_client");
    expect400(await t({ form: { client_id: crypto.randomUUID() } }), "invalid_client");
    // The registered token_endpoint_auth_signing_alg is PS256: an ES256 assertion is refused.
    const es = await t({
      jwt: {
        header: { alg: "ES256", kid: au.p1.signing_es256.kid },
        key: keyOf(au.p1.signing_es256.private_key_file),
      },
    });
    expect400(es, "invalid_client");
    expect400(await t({ scope: "bank:payees:read" }), "invalid_scope");
    expect400(await t({ agent: au.anon }), "invalid_client");
    au.sb.admin.deleteClient("cdr-holder-a", reg.client_id);
  });

  it("AU 18: PUT re-validates with a fresh SSA, DELETE 405 where unsupported", async () => {
    const h = A();
    const reg = await registerAt(au, h);
    const token = await holderToken(au, h, reg.client_id);
    const put = async (jwt: string) =>
      postRegistration(au.a1, h, jwt, "application/jwt", clientUrl(h, reg.client_id), "PUT", token);
    // An SSA of another product ⇒ refused; an expired SSA ⇒ refused; bad metadata ⇒ same codes as POST.
    expect400(
      await put(
        await registrationJwt(h, au.p2, await fetchSsa(au, au.p2, au.a2), {
          key: keyOf(au.p2.signing.private_key_file),
          header: { kid: au.p2.signing.kid },
        }),
      ),
      "invalid_software_statement",
    );
    expect400(
      await put(await registrationJwt(h, au.p1, await forgedSsa({ exp: now() - 1 }))),
      "invalid_software_statement",
    );
    expect400(
      await put(
        await registrationJwt(h, au.p1, await fetchSsa(au), { claims: { grant_types: ["implicit"] } }),
      ),
      "invalid_client_metadata",
    );
    // PUT skips the duplicate check (the client's own registration exists).
    const ok = await put(
      await registrationJwt(h, au.p1, await fetchSsa(au), {
        claims: { response_types: ["code"], redirect_uris: [au.p1.redirect_uris[1]] },
      }),
    );
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json.redirect_uris).toEqual([au.p1.redirect_uris[1]]);
    expect(ok.json.client_id_issued_at).toBe(reg.client_id_issued_at);
    au.sb.admin.deleteClient("cdr-holder-a", reg.client_id);

    const hb = B();
    expect(hb.delete_supported).toBe(false);
    const rb = await registerAt(au, hb);
    const tb = await holderToken(au, hb, rb.client_id);
    const del = await call(au.a1, clientUrl(hb, rb.client_id), {
      method: "DELETE",
      headers: { authorization: `Bearer ${tb}` },
    });
    expect(del.status).toBe(405);
    expect(au.sb.admin.clients("cdr-holder-b").map((c) => c.client_id)).toContain(rb.client_id);
    expect(au.sb.admin.stats().holders["cdr-holder-b"]!.deletes).toBe(1);
    au.sb.admin.deleteClient("cdr-holder-b", rb.client_id);
  });

  it("registrations persist across a restart on the same data dir (PKI reused, product URLs re-pointed)", async () => {
    const reg = await registerAt(au, A());
    const caBefore = fs.readFileSync(au.m.ca_cert_file, "utf8");
    await au.sb.close();
    const sb = await startCdrAuSandbox({
      dataDir: au.dataDir,
      holders: [{ name: "cdr-holder-a" }],
      brands: BRANDS,
    });
    const before = au;
    au = {
      ...before,
      sb,
      m: sb.manifest,
      holder: (n) => sb.manifest.holders.find((h) => h.name === n)!,
      close: async () => {
        await sb.close();
        await before.close();
      },
    };
    expect(fs.readFileSync(au.m.ca_cert_file, "utf8")).toBe(caBefore);
    expect(sb.admin.clients("cdr-holder-a").map((c) => c.client_id)).toEqual([reg.client_id]);
    // The stored jwks_uri names the old Register port: the holder re-points it, so the client still authenticates.
    const token = await holderToken(au, A(), reg.client_id);
    const got = await call(au.a1, clientUrl(A(), reg.client_id), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(got.status).toBe(200);
    expect(got.json.software_statement).toBe(reg.software_statement);
  });
});
