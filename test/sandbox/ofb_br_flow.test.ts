import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrHarness,
  call,
  dcm,
  fetchSsa,
  postJson,
  registrationBody,
  startBr,
} from "./ofb_br_support.js";

describe("OFB BR emulator: happy path", () => {
  let h: BrHarness;
  beforeAll(async () => {
    h = await startBr();
  });
  afterAll(async () => h?.close());

  it("serves directory discovery and an SSA per §2.2 (PS256, iat now, no exp, configured iss)", async () => {
    const sw = h.m.orgs[0]!.softwares[0]!;
    const disc = await call(h.agent(sw), h.m.directory.discovery_url);
    expect(disc.status).toBe(200);
    expect(disc.json.token_endpoint).toBe(h.m.directory.token_endpoint);
    expect(disc.json.token_endpoint_auth_methods_supported).toContain("tls_client_auth");
    const ssa = await fetchSsa(h, sw);
    const header = jose.decodeProtectedHeader(ssa);
    expect(header).toMatchObject({ alg: "PS256", typ: "JWT" });
    const jwks = await call(h.agent(sw), h.m.directory.jwks_uri);
    const { payload } = await jose.compactVerify(ssa, jose.createLocalJWKSet(jwks.json));
    const claims = JSON.parse(new TextDecoder().decode(payload));
    expect(claims.iss).toBe(h.m.directory.ssa_issuer);
    expect(claims.exp).toBeUndefined();
    expect(Math.abs(claims.iat - Date.now() / 1000)).toBeLessThan(5);
    expect(claims).toMatchObject({
      software_id: sw.software_id,
      software_client_id: sw.software_client_id,
      software_jwks_uri: sw.software_jwks_uri,
      software_jwks_transport_uri: sw.software_jwks_transport_uri,
      software_redirect_uris: sw.software_redirect_uris,
      software_api_webhook_uris: sw.software_api_webhook_uris,
      software_roles: ["DADOS", "PAGTO"],
      org_id: h.m.orgs[0]!.org_id,
      org_number: h.m.orgs[0]!.org_number,
      org_status: "Active",
    });
    expect(claims.software_statement_roles).toEqual([
      expect.objectContaining({ role: "DADOS", status: "Active" }),
      expect.objectContaining({ role: "PAGTO", status: "Active" }),
    ]);
    expect(claims.organisation_competent_authority_claims[0]).toMatchObject({ authority_code: "BCB" });
    // The software JWKS is served at software_jwks_uri and holds the manifest's signing key.
    const swJwks = await call(h.agent(sw), sw.software_jwks_uri);
    expect(swJwks.json.keys.map((k: { kid: string }) => k.kid)).toEqual([sw.signing.kid]);
  });

  for (const name of ["ofb-as-a", "ofb-as-b"]) {
    it(`${name}: discovery → register → GET → PUT → DELETE`, async () => {
      const server = h.m.servers.find((s) => s.name === name)!;
      const sw = h.m.orgs[0]!.softwares[name === "ofb-as-a" ? 0 : 1]!;
      const agent = h.agent(sw);
      const disc = await call(agent, server.discovery_url);
      expect(disc.status).toBe(200);
      expect(disc.json.issuer).toBe(server.issuer);
      expect(disc.json.mtls_endpoint_aliases.registration_endpoint).toBe(server.registration_endpoint);
      expect(disc.json.token_endpoint_auth_signing_alg_values_supported).toEqual(["PS256"]);
      const ssa = await fetchSsa(h, sw);
      const reg = await postJson(
        agent,
        server.registration_endpoint,
        registrationBody(sw, ssa, {
          token_endpoint_auth_method: "tls_client_auth",
          token_endpoint_auth_signing_alg: undefined,
          tls_client_auth_subject_dn: sw.transport.subject_dn,
          client_name: "a name the SSA overrides",
        }),
      );
      expect(reg.status, reg.text).toBe(201);
      const clientId: string = reg.json.client_id;
      expect(reg.json.client_name).toBe(name === "ofb-as-a" ? "Sandbox TPP App" : "Sandbox TPP Dados");
      expect(reg.json.jwks_uri).toBe(sw.software_jwks_uri);
      expect(reg.json.registration_client_uri).toBe(
        server.rcu_style === "path"
          ? `${server.registration_endpoint}/${clientId}`
          : `${server.registration_endpoint}?client_id=${clientId}`,
      );
      expect(reg.json.registration_client_uri.startsWith("https://")).toBe(true);
      let rat: string = reg.json.registration_access_token;
      expect(rat).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      const rcu: string = reg.json.registration_client_uri;
      expect(h.sb.admin.clients(name).map((c) => c.client_id)).toEqual([clientId]);

      const got = await dcm(agent, "GET", rcu, rat);
      expect(got.status).toBe(200);
      expect(got.json).toMatchObject({
        client_id: clientId,
        tls_client_auth_subject_dn: sw.transport.subject_dn,
      });
      if (server.rat_rotation === "every-call") rat = got.json.registration_access_token;
      else expect(got.json.registration_access_token).toBeUndefined();

      const fresh = await fetchSsa(h, sw);
      const put = await dcm(
        agent,
        "PUT",
        rcu,
        rat,
        registrationBody(sw, fresh, { client_id: clientId, redirect_uris: sw.software_redirect_uris }),
      );
      expect(put.status, put.text).toBe(200);
      expect(put.json.redirect_uris).toEqual(sw.software_redirect_uris);
      expect(put.json.token_endpoint_auth_method).toBe("private_key_jwt");
      if (server.rat_rotation !== "none") {
        expect(put.json.registration_access_token).not.toBe(rat);
        rat = put.json.registration_access_token;
      }

      const del = await dcm(agent, "DELETE", rcu, rat);
      expect(del.status).toBe(204);
      const after = await dcm(agent, "GET", rcu, rat);
      expect(after.status).toBe(401);
      expect(after.json.error).toBe("invalid_token");
      expect(h.sb.admin.clients(name)).toEqual([]);
    });
  }

  it("counts requests in admin.stats and resets them", () => {
    const s = h.sb.admin.stats();
    expect(s.directory_token_requests).toBeGreaterThanOrEqual(5);
    expect(s.ssa_requests).toBe(s.directory_token_requests);
    expect(s.servers["ofb-as-a"]).toEqual({ registrations: 1, gets: 2, puts: 1, deletes: 1 });
    h.sb.admin.resetStats();
    expect(h.sb.admin.stats().servers["ofb-as-b"]).toEqual({
      registrations: 0,
      gets: 0,
      puts: 0,
      deletes: 0,
    });
  });
});
