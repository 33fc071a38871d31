// What goes on the wire in each regime, observed on the real requests (undici's diagnostics
// channel; the emulators answer over real mTLS): every form, header and claim the specs fix for the
// directory token, the SSA download, the registration and its management (regimes-au-br.md §1-2).
import diagnostics from "node:diagnostics_channel";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext } from "../../provider/http/context.js";
import {
  createRegistration,
  deleteRegistration,
  readRegistration,
  updateRegistration,
} from "../../provider/lifecycle/registration.js";
import type { CdrAuSandbox } from "../../sandbox/cdr_au/index.js";
import type { OfbBrSandbox } from "../../sandbox/ofb_br/index.js";
import {
  cdrHolder,
  cdrParams,
  cdrProduct,
  ofbParams,
  ofbServer,
  ofbSoftware,
  regimeCoreParams,
  startCdrAu,
  startOfbBr,
} from "../support/regimes.js";

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Records every request undici sends while `fn` runs. */
async function capture(fn: () => Promise<void>): Promise<Sent[]> {
  const sent: Sent[] = [];
  const onCreate = (m: unknown) => {
    const r = (m as { request: Record<string, unknown> }).request;
    const raw = r.headers as unknown;
    const headers: Record<string, string> = {};
    const flat = Array.isArray(raw) ? raw.map(String) : [];
    for (let i = 0; i + 1 < flat.length; i += 2) headers[flat[i]!.toLowerCase()] = flat[i + 1]!;
    const b = r.body;
    const body = typeof b === "string" ? b : Buffer.isBuffer(b) ? b.toString("utf8") : "";
    sent.push({ method: String(r.method), url: `${String(r.origin)}${String(r.path)}`, headers, body });
  };
  diagnostics.subscribe("undici:request:create", onCreate);
  try {
    await fn();
  } finally {
    diagnostics.unsubscribe("undici:request:create", onCreate);
  }
  return sent;
}

const one = (sent: Sent[], method: string, match: (u: URL) => boolean): Sent[] =>
  sent.filter((s) => s.method === method && match(new URL(s.url)));
const form = (s: Sent) => Object.fromEntries(new URLSearchParams(s.body));
const NO_ENCRYPTION = ["id_token_encrypted_response_alg", "id_token_encrypted_response_enc"];

describe("on the wire", () => {
  let au: CdrAuSandbox;
  let br: OfbBrSandbox;
  beforeAll(async () => {
    [au, br] = await Promise.all([startCdrAu(), startOfbBr()]);
  });
  afterAll(async () => {
    await au?.close();
    await br?.close();
  });

  it("cdr-au: Register token, GetSSA, POST /register, the cdr:registration token, GET/PUT/DELETE", async () => {
    const { brand, product } = cdrProduct(au.manifest);
    const holder = cdrHolder(au.manifest);
    const p = regimeCoreParams(cdrParams(au.manifest));
    const ctx = createContext();
    let clientId = "";
    const sent = await capture(async () => {
      const c = await createRegistration(p, ctx);
      clientId = c.client_id;
      await readRegistration(p, { client_id: clientId }, ctx);
      await updateRegistration(p, { client_id: clientId }, ctx);
      expect(await deleteRegistration(p, { client_id: clientId }, ctx)).toBe("deleted");
    });
    const registerToken = au.manifest.register.token_endpoint;
    // Register token: private_key_jwt, client_id = the software product id, scope cdr-register:read.
    const [tok] = one(sent, "POST", (u) => u.href === registerToken);
    const f = form(tok!);
    expect(f).toMatchObject({
      grant_type: "client_credentials",
      client_id: product.software_product_id,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      scope: "cdr-register:read",
    });
    expect(jose.decodeProtectedHeader(f.client_assertion!)).toMatchObject({
      alg: "PS256",
      kid: product.signing.kid,
    });
    const a = jose.decodeJwt(f.client_assertion!);
    expect(a).toMatchObject({
      iss: product.software_product_id,
      sub: product.software_product_id,
      aud: registerToken,
    });
    expect(typeof a.jti).toBe("string");
    expect(a.exp).toBeGreaterThan(Math.floor(Date.now() / 1000));
    // GetSSA v4: industry `all`, brand and product in the path, x-v, the Register token as Bearer.
    const ssaPath = `/cdr-register/v1/all/data-recipients/brands/${brand.brand_id}/software-products/${product.software_product_id}/ssa`;
    const gets = one(sent, "GET", (u) => u.pathname === ssaPath);
    expect(gets).toHaveLength(1);
    expect(gets[0]!.headers["x-v"]).toBe("4");
    expect(gets[0]!.headers.authorization).toMatch(/^Bearer \S+$/);
    // POST: a signed request JWT, no bearer, JSON answers asked for.
    const [post] = one(sent, "POST", (u) => u.href === holder.registration_endpoint);
    expect(post!.headers).toMatchObject({ "content-type": "application/jwt", accept: "application/json" });
    expect(post!.headers.authorization).toBeUndefined();
    expect(jose.decodeProtectedHeader(post!.body)).toMatchObject({ alg: "PS256", kid: product.signing.kid });
    const claims = jose.decodeJwt(post!.body);
    const ssa = jose.decodeJwt(String(claims.software_statement));
    expect(claims).toMatchObject({
      iss: ssa.software_id,
      aud: holder.issuer,
      token_endpoint_auth_method: "private_key_jwt",
      token_endpoint_auth_signing_alg: "PS256",
      id_token_signed_response_alg: "PS256",
      request_object_signing_alg: "PS256",
      response_types: ["code"],
      authorization_signed_response_alg: "PS256",
      application_type: "web",
    });
    for (const k of ["iat", "exp", "jti"]) expect(claims[k]).toBeDefined();
    for (const k of NO_ENCRYPTION) expect(claims[k]).toBeUndefined();
    expect(ssa.redirect_uris).toEqual(expect.arrayContaining(claims.redirect_uris as string[]));
    // Management token at the holder: cdr:registration, iss = sub = the issued client_id.
    const [mt] = one(sent, "POST", (u) => u.href === holder.token_endpoint);
    const m = form(mt!);
    expect(m).toMatchObject({
      grant_type: "client_credentials",
      scope: "cdr:registration",
      client_id: clientId,
    });
    expect(jose.decodeJwt(m.client_assertion!)).toMatchObject({
      iss: clientId,
      sub: clientId,
      aud: holder.token_endpoint,
    });
    // GET / PUT / DELETE /register/{client_id} with the Bearer; the PUT a full new JWT.
    const at = (u: URL) => u.href === `${holder.registration_endpoint}/${clientId}`;
    for (const verb of ["GET", "PUT", "DELETE"]) {
      const [s] = one(sent, verb, at);
      expect(s, verb).toBeDefined();
      expect(s!.headers.authorization).toMatch(/^Bearer \S+$/);
      expect(s!.headers.accept).toBe("application/json");
    }
    const put = jose.decodeJwt(one(sent, "PUT", at)[0]!.body);
    expect(put).toMatchObject({ iss: ssa.software_id, aud: holder.issuer, client_id: clientId });
    expect(put.jti).not.toBe(claims.jti);
    expect(typeof put.software_statement).toBe("string");
  });

  it("cdr-au: a Register serving GetSSA v3 only (the ConsumerDataRight mock) is asked x-v 4 with x-min-v 3 and answers v3", async () => {
    const v3only = await startCdrAu({ ssa_versions: [3] });
    try {
      const p = regimeCoreParams(cdrParams(v3only.manifest));
      const ctx = createContext();
      let clientId = "";
      const sent = await capture(async () => {
        clientId = (await createRegistration(p, ctx)).client_id;
      });
      const [get] = one(sent, "GET", (u) => u.pathname.endsWith("/ssa"));
      expect(get!.headers).toMatchObject({ "x-v": "4", "x-min-v": "3" });
      expect(v3only.admin.clients("cdr-holder-a").map((c) => c.client_id)).toEqual([clientId]);
      expect(await deleteRegistration(p, { client_id: clientId }, ctx)).toBe("deleted");
    } finally {
      await v3only.close();
    }
  });

  it("ofb-br: tls_client_auth directory token, SSA, JSON POST to the mTLS alias, DCM on the RCU", async () => {
    const { org, sw } = ofbSoftware(br.manifest);
    const server = ofbServer(br.manifest);
    const p = regimeCoreParams(ofbParams(br.manifest), {
      client: { token_endpoint_auth_method: "tls_client_auth" },
    });
    const ctx = createContext();
    let rcu = "";
    const sent = await capture(async () => {
      const c = await createRegistration(p, ctx);
      rcu = c.registration_client_uri!;
      let state = { client_id: c.client_id, registration_client_uri: rcu, secrets: c.secrets };
      state = { ...state, secrets: (await readRegistration(p, state, ctx)).secrets };
      state = { ...state, secrets: (await updateRegistration(p, state, ctx)).secrets };
      expect(await deleteRegistration(p, state, ctx)).toBe("deleted");
    });
    // Directory token: tls_client_auth (the certificate authenticates), no assertion.
    const [tok] = one(sent, "POST", (u) => u.href === br.manifest.directory.token_endpoint);
    expect(form(tok!)).toEqual({
      grant_type: "client_credentials",
      client_id: sw.software_client_id,
      scope: "directory:software",
    });
    const [ssaGet] = one(sent, "GET", (u) => u.pathname.endsWith("/assertion"));
    expect(ssaGet!.url).toContain(
      `/organisations/${org.org_id}/softwarestatements/${sw.software_id}/assertion`,
    );
    expect(ssaGet!.headers).toMatchObject({ accept: "application/jwt" });
    expect(ssaGet!.headers.authorization).toMatch(/^Bearer \S+$/);
    // POST: JSON to the discovery's mtls_endpoint_aliases.registration_endpoint, no bearer.
    const [post] = one(sent, "POST", (u) => u.href === server.registration_endpoint);
    expect(post!.headers).toMatchObject({ "content-type": "application/json", accept: "application/json" });
    expect(post!.headers.authorization).toBeUndefined();
    const body = JSON.parse(post!.body) as Record<string, unknown>;
    const ssa = jose.decodeJwt(String(body.software_statement));
    expect(body).toMatchObject({
      token_endpoint_auth_method: "tls_client_auth",
      jwks_uri: ssa.software_jwks_uri,
      redirect_uris: [sw.software_redirect_uris[0]],
    });
    expect(String(body.tls_client_auth_subject_dn)).toMatch(/^UID=.*,2\.5\.4\.97=#/);
    expect(Object.keys(body).filter((k) => k === "jwks" || k.startsWith("tls_client_auth_san_"))).toEqual([]);
    for (const k of ["iss", "aud", "software_id"]) expect(body[k]).toBeUndefined();
    // DCM on the RCU, verbatim, with the RAT; the PUT is the full JSON with client_id, no server fields.
    for (const verb of ["GET", "PUT", "DELETE"]) {
      const [s] = one(sent, verb, (u) => u.href === rcu);
      expect(s, verb).toBeDefined();
      expect(s!.headers.authorization).toMatch(/^Bearer \S+$/);
    }
    const put = JSON.parse(one(sent, "PUT", (u) => u.href === rcu)[0]!.body) as Record<string, unknown>;
    expect(put.client_id).toBe(new URL(rcu).pathname.split("/").pop());
    expect(typeof put.software_statement).toBe("string");
    for (const k of [
      "registration_access_token",
      "registration_client_uri",
      "client_id_issued_at",
      "client_secret_expires_at",
    ])
      expect(put[k]).toBeUndefined();
  });
});
