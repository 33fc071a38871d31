// Every refusal of the BR emulator's checklist (regimes-au-br.md §4 BR 1–17), provoked once over raw
// mTLS, asserting the status and the error code.
import crypto from "node:crypto";
import fs from "node:fs";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfbBrManifestSoftware } from "../../sandbox/ofb_br/index.js";
import {
  type BrHarness,
  call,
  dcm,
  directoryToken,
  fetchSsa,
  orgOf,
  postJson,
  type Res,
  registrationBody,
  ssaCrafter,
  ssaGet,
  startBr,
  tokenRequest,
} from "./ofb_br_support.js";

const now = () => Math.floor(Date.now() / 1000);

/** Status and code; `about` pins which check refused (several share invalid_client_metadata). */
function expectError(res: Res, status: number, error: string, about?: RegExp): void {
  expect(res.status, res.text).toBe(status);
  expect(res.json?.error, res.text).toBe(error);
  if (about) expect(res.json?.error_description).toMatch(about);
}

describe("OFB BR emulator refusals", () => {
  let h: BrHarness;
  let sw1: OfbBrManifestSoftware; // org A, DADOS + PAGTO
  let sw2: OfbBrManifestSoftware; // org A, DADOS only
  let sw3: OfbBrManifestSoftware; // org B
  let regA: string; // ofb-as-a (duplicate: invalid_client_metadata)
  let regDup: string; // as-dup (duplicate: invalid_request)
  let ssa1: string;
  /** An SSA signed with the directory key, from sw1's real claims with changes (to provoke one check at a time). */
  let craft: (change: Record<string, unknown>, alg?: string) => Promise<string>;

  beforeAll(async () => {
    h = await startBr({
      servers: [
        { name: "ofb-as-a" },
        { name: "as-dup", duplicate_error: "invalid_request", rcu_style: "query" },
      ],
    });
    [sw1, sw2] = h.m.orgs[0]!.softwares as [OfbBrManifestSoftware, OfbBrManifestSoftware];
    sw3 = h.m.orgs[1]!.softwares[0]!;
    regA = h.m.servers[0]!.registration_endpoint;
    regDup = h.m.servers[1]!.registration_endpoint;
    ssa1 = await fetchSsa(h, sw1);
    craft = await ssaCrafter(h, sw1);
  });
  afterAll(async () => h?.close());

  describe("directory (BR 1–2)", () => {
    const good = (sw: OfbBrManifestSoftware) => ({
      grant_type: "client_credentials",
      client_id: sw.software_client_id,
      scope: "directory:software",
    });

    it("token without a client certificate ⇒ 401 invalid_client", async () => {
      expectError(await tokenRequest(h, h.agent("none"), good(sw1)), 401, "invalid_client");
    });
    it("token with a certificate from an untrusted CA ⇒ 401 invalid_client", async () => {
      expectError(await tokenRequest(h, h.agent("untrusted"), good(sw1)), 401, "invalid_client");
    });
    it("token with another software's certificate ⇒ 401 invalid_client", async () => {
      expectError(await tokenRequest(h, h.agent(sw2), good(sw1)), 401, "invalid_client");
    });
    it("token for an unknown client_id ⇒ 401 invalid_client", async () => {
      expectError(
        await tokenRequest(h, h.agent(sw1), { ...good(sw1), client_id: "nobody12345" }),
        401,
        "invalid_client",
      );
    });
    it("token with a client assertion instead of tls_client_auth ⇒ 401 invalid_client", async () => {
      expectError(
        await tokenRequest(h, h.agent(sw1), { ...good(sw1), client_assertion: "x.y.z" }),
        401,
        "invalid_client",
      );
    });
    it("token with scope ≠ directory:software ⇒ 400 invalid_scope", async () => {
      expectError(
        await tokenRequest(h, h.agent(sw1), { ...good(sw1), scope: "openid" }),
        400,
        "invalid_scope",
      );
      const { scope: _s, ...noScope } = good(sw1);
      expectError(await tokenRequest(h, h.agent(sw1), noScope), 400, "invalid_scope");
    });
    it("token with another grant type ⇒ 400 unsupported_grant_type", async () => {
      expectError(
        await tokenRequest(h, h.agent(sw1), { ...good(sw1), grant_type: "authorization_code" }),
        400,
        "unsupported_grant_type",
      );
    });
    it("token answer: Bearer, expires_in 600, scope directory:software", async () => {
      const res = await tokenRequest(h, h.agent(sw1), good(sw1));
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ token_type: "Bearer", expires_in: 600, scope: "directory:software" });
    });

    it("assertion without a Bearer token, or with a bad one ⇒ 401 invalid_token", async () => {
      const org = orgOf(h, sw1).org_id;
      const none = await ssaGet(h, h.agent(sw1), org, sw1.software_id, undefined);
      expectError(none, 401, "invalid_token");
      expect(none.headers["www-authenticate"]).toMatch(/^Bearer /);
      expectError(await ssaGet(h, h.agent(sw1), org, sw1.software_id, "not-a-token"), 401, "invalid_token");
    });
    it("assertion without MTLS ⇒ 401 invalid_client", async () => {
      const token = await directoryToken(h, sw1);
      expectError(
        await ssaGet(h, h.agent("none"), orgOf(h, sw1).org_id, sw1.software_id, token),
        401,
        "invalid_client",
      );
    });
    it("assertion with a token bound to another certificate ⇒ 401 invalid_token", async () => {
      const token = await directoryToken(h, sw1);
      expectError(
        await ssaGet(h, h.agent(sw2), orgOf(h, sw1).org_id, sw1.software_id, token),
        401,
        "invalid_token",
      );
    });
    it("assertion path naming another software of the same org ⇒ 403 (unconfirmed: option ssa_mismatch_status)", async () => {
      const token = await directoryToken(h, sw1);
      expectError(
        await ssaGet(h, h.agent(sw1), orgOf(h, sw2).org_id, sw2.software_id, token),
        403,
        "access_denied",
      );
    });
    it("assertion path naming an unknown software, or a software under another org ⇒ 404", async () => {
      const token = await directoryToken(h, sw1);
      const org = orgOf(h, sw1).org_id;
      expectError(await ssaGet(h, h.agent(sw1), org, crypto.randomUUID(), token), 404, "not_found");
      expectError(
        await ssaGet(h, h.agent(sw1), orgOf(h, sw3).org_id, sw1.software_id, token),
        404,
        "not_found",
      );
    });
    it("assertion without Accept: application/jwt ⇒ 406", async () => {
      const token = await directoryToken(h, sw1);
      const res = await ssaGet(
        h,
        h.agent(sw1),
        orgOf(h, sw1).org_id,
        sw1.software_id,
        token,
        "application/json",
      );
      expectError(res, 406, "not_acceptable");
    });
    it("assertion answer is the raw JWS as application/jwt", async () => {
      const token = await directoryToken(h, sw1);
      const res = await ssaGet(h, h.agent(sw1), orgOf(h, sw1).org_id, sw1.software_id, token);
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toBe("application/jwt");
      expect(res.text).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    });
  });

  describe("POST /register (BR 3–14)", () => {
    const post = (body: unknown, sw: OfbBrManifestSoftware | "none" | "untrusted" = sw1, url = regA) =>
      postJson(h.agent(sw), url, body);
    const body = (over: Record<string, unknown> = {}, ssa = ssa1, sw = sw1) =>
      registrationBody(sw, ssa, over);

    it("BR 3: no client certificate, or an untrusted chain ⇒ 401 invalid_client", async () => {
      expectError(await post(body(), "none"), 401, "invalid_client");
      expectError(await post(body(), "untrusted"), 401, "invalid_client");
    });
    it("BR 3: the non-mTLS registration_endpoint refuses (use the MTLS alias) ⇒ 401 invalid_client", async () => {
      const disc = await call(h.agent(sw1), h.m.servers[0]!.discovery_url);
      expect(disc.json.registration_endpoint).not.toBe(regA);
      expectError(
        await postJson(h.agent(sw1), disc.json.registration_endpoint, body()),
        401,
        "invalid_client",
      );
    });
    it("BR 3: a body that is not JSON, or not application/json ⇒ 400 invalid_client_metadata", async () => {
      expectError(await post("{not json"), 400, "invalid_client_metadata", /not JSON/);
      expectError(await post("[1,2]"), 400, "invalid_client_metadata", /JSON object/);
      const jwt = await call(h.agent(sw1), regA, {
        method: "POST",
        headers: { "content-type": "application/jwt" },
        body: ssa1,
      });
      expectError(jwt, 400, "invalid_client_metadata", /application\/json/);
    });
    it("BR 4: SSA missing ⇒ invalid_software_statement", async () => {
      expectError(await post(body({ software_statement: undefined })), 400, "invalid_software_statement");
    });
    it("BR 4: SSA alg RS256 ⇒ invalid_software_statement", async () => {
      expectError(await post(body({}, await craft({}, "RS256"))), 400, "invalid_software_statement");
    });
    it("BR 4: SSA with a bad signature ⇒ invalid_software_statement", async () => {
      const [hd, pl, sig] = ssa1.split(".");
      const flipped = `${hd}.${pl}.${sig!.startsWith("A") ? "B" : "A"}${sig!.slice(1)}`;
      expectError(await post(body({}, flipped)), 400, "invalid_software_statement");
      // Signed by the software's own key under the directory kid.
      const own = crypto.createPrivateKey(fs.readFileSync(sw1.signing.private_key_file));
      const forged = await new jose.CompactSign(
        new TextEncoder().encode(JSON.stringify(jose.decodeJwt(ssa1))),
      )
        .setProtectedHeader({ alg: "PS256", kid: jose.decodeProtectedHeader(ssa1).kid!, typ: "JWT" })
        .sign(own);
      expectError(await post(body({}, forged)), 400, "invalid_software_statement");
    });
    it("BR 4: SSA with an unexpected iss ⇒ invalid_software_statement", async () => {
      expectError(
        await post(body({}, await craft({ iss: "Open Finance Open Finance Brasil production SSA issuer" }))),
        400,
        "invalid_software_statement",
      );
    });
    it("BR 5: SSA iat older than 300 s, or too far in the future ⇒ invalid_software_statement", async () => {
      expectError(await post(body({}, await craft({ iat: now() - 301 }))), 400, "invalid_software_statement");
      expectError(await post(body({}, await craft({ iat: now() + 600 }))), 400, "invalid_software_statement");
      expectError(await post(body({}, await craft({ iat: undefined }))), 400, "invalid_software_statement");
    });
    it("BR 6: org not Active at the directory ⇒ unapproved_software_statement", async () => {
      const org = orgOf(h, sw1).org_id;
      h.sb.admin.setOrgStatus(org, "Inactive");
      try {
        const inactive = await fetchSsa(h, sw1);
        expect(jose.decodeJwt(inactive).org_status).toBe("Inactive");
        expectError(await post(body({}, inactive)), 400, "unapproved_software_statement");
      } finally {
        h.sb.admin.setOrgStatus(org, "Active");
      }
    });
    it("BR 6: no Active software_statement_roles ⇒ unapproved_software_statement", async () => {
      const roles = [{ role: "DADOS", authorisation_domain: "Open Banking", status: "Inactive" }];
      expectError(
        await post(body({}, await craft({ software_statement_roles: roles }))),
        400,
        "unapproved_software_statement",
      );
    });
    it("BR 7: certificate organizationIdentifier of another org ⇒ invalid_client_metadata (unconfirmed code: option)", async () => {
      expectError(await post(body(), sw3), 400, "invalid_client_metadata", /organizationIdentifier/);
    });
    it("BR 7: certificate UID of another software ⇒ invalid_client_metadata", async () => {
      expectError(await post(body(), sw2), 400, "invalid_client_metadata", /UID/);
    });
    it("BR 8: jwks present, or jwks_uri ≠ software_jwks_uri ⇒ invalid_client_metadata", async () => {
      expectError(
        await post(body({ jwks: { keys: [sw1.signing.public_jwk] } })),
        400,
        "invalid_client_metadata",
        /jwks is not allowed/,
      );
      expectError(
        await post(body({ jwks_uri: sw2.software_jwks_uri })),
        400,
        "invalid_client_metadata",
        /jwks_uri/,
      );
    });
    it("BR 9: redirect_uris missing, or not in the SSA ⇒ invalid_redirect_uri", async () => {
      expectError(await post(body({ redirect_uris: undefined })), 400, "invalid_redirect_uri");
      expectError(await post(body({ redirect_uris: [] })), 400, "invalid_redirect_uri");
      expectError(
        await post(body({ redirect_uris: ["https://evil.example.com/cb"] })),
        400,
        "invalid_redirect_uri",
      );
    });
    it("BR 10: webhook_uris failing the pattern, or ≠ software_api_webhook_uris ⇒ invalid_webhook_uris", async () => {
      const hook = sw1.software_api_webhook_uris[0]!;
      expectError(await post(body({ webhook_uris: [`${hook}?x=1`] })), 400, "invalid_webhook_uris");
      expectError(
        await post(body({ webhook_uris: [hook.replace("https:", "http:")] })),
        400,
        "invalid_webhook_uris",
      );
      expectError(await post(body({ webhook_uris: [`${hook}/other`] })), 400, "invalid_webhook_uris");
      expectError(await post(body({ webhook_uris: [hook, hook] })), 400, "invalid_webhook_uris");
      expectError(await post(body({ webhook_uris: [] })), 400, "invalid_webhook_uris");
    });
    it("BR 11: token_endpoint_auth_method missing or not pkj/tls ⇒ invalid_client_metadata", async () => {
      expectError(
        await post(body({ token_endpoint_auth_method: undefined })),
        400,
        "invalid_client_metadata",
        /token_endpoint_auth_method/,
      );
      expectError(
        await post(body({ token_endpoint_auth_method: "client_secret_basic" })),
        400,
        "invalid_client_metadata",
        /token_endpoint_auth_method/,
      );
    });
    it("BR 12: tls_client_auth DN rules ⇒ invalid_client_metadata", async () => {
      const tls = {
        token_endpoint_auth_method: "tls_client_auth",
        token_endpoint_auth_signing_alg: undefined,
      };
      const dn = sw1.transport.subject_dn;
      // without a DN
      expectError(await post(body(tls)), 400, "invalid_client_metadata", /needs tls_client_auth_subject_dn/);
      // a SAN form
      expectError(
        await post(
          body({ ...tls, tls_client_auth_subject_dn: dn, tls_client_auth_san_dns: "tpp.example.com.br" }),
        ),
        400,
        "invalid_client_metadata",
        /tls_client_auth_san_dns/,
      );
      // not in the §2.5 format (organizationIdentifier as a string)
      const orgId = orgOf(h, sw1).org_id;
      const stringForm = dn.replace(/2\.5\.4\.97=#[0-9a-f]+/, `2.5.4.97=OFBBR-${orgId}`);
      expect(stringForm).not.toBe(dn);
      expectError(
        await post(body({ ...tls, tls_client_auth_subject_dn: stringForm })),
        400,
        "invalid_client_metadata",
        /format/,
      );
      // another certificate's DN
      expectError(
        await post(body({ ...tls, tls_client_auth_subject_dn: sw2.transport.subject_dn })),
        400,
        "invalid_client_metadata",
        /does not match/,
      );
      // the right RDNs in another order (distinguishedNameMatch is positional)
      const parts = dn.split(",");
      const reordered = [parts[1], parts[0], ...parts.slice(2)].join(",");
      expectError(
        await post(body({ ...tls, tls_client_auth_subject_dn: reordered })),
        400,
        "invalid_client_metadata",
        /does not match/,
      );
      // a DN with private_key_jwt
      expectError(
        await post(body({ tls_client_auth_subject_dn: dn })),
        400,
        "invalid_client_metadata",
        /only for tls_client_auth/,
      );
    });
    it("BR 12 positive: the DN in another case still matches (caseIgnoreMatch)", async () => {
      const dn = sw1.transport.subject_dn.replace("CN=tpp.example.com.br", "CN=TPP.EXAMPLE.COM.BR");
      const res = await post(
        body({
          token_endpoint_auth_method: "tls_client_auth",
          token_endpoint_auth_signing_alg: undefined,
          tls_client_auth_subject_dn: dn,
        }),
        sw1,
        regDup,
      );
      expect(res.status, res.text).toBe(201);
      h.sb.admin.deleteClient("as-dup", res.json.client_id);
    });
    it("BR 13: scope outside the active roles ⇒ invalid_client_metadata", async () => {
      const ssa2 = await fetchSsa(h, sw2); // DADOS only
      expectError(
        await post(body({ scope: "openid payments" }, ssa2, sw2), sw2),
        400,
        "invalid_client_metadata",
        /scope outside/,
      );
    });
    it("BR 13: RS256 or none algorithms ⇒ invalid_client_metadata", async () => {
      expectError(
        await post(body({ id_token_signed_response_alg: "RS256" })),
        400,
        "invalid_client_metadata",
        /id_token_signed_response_alg/,
      );
      expectError(
        await post(body({ request_object_signing_alg: "none" })),
        400,
        "invalid_client_metadata",
        /request_object_signing_alg/,
      );
      expectError(
        await post(body({ token_endpoint_auth_signing_alg: "RS256" })),
        400,
        "invalid_client_metadata",
        /token_endpoint_auth_signing_alg/,
      );
    });
    it("BR 13: unsupported response_types or grant_types ⇒ invalid_client_metadata", async () => {
      expectError(
        await post(body({ response_types: ["token"] })),
        400,
        "invalid_client_metadata",
        /response_type/,
      );
      expectError(
        await post(body({ grant_types: ["password"] })),
        400,
        "invalid_client_metadata",
        /grant_type/,
      );
    });
    it("BR 14: a second POST for the same software ⇒ the configured code; SSA values override the request", async () => {
      const first = await post(body({ client_name: "Mine", client_uri: "https://elsewhere.example.com" }));
      expect(first.status, first.text).toBe(201);
      expect(first.json).toMatchObject({
        client_name: "Sandbox TPP App",
        client_uri: "https://tpp.example.com.br",
      });
      // Scope omitted ⇒ every scope of the active roles.
      expect(first.json.scope.split(" ")).toEqual(expect.arrayContaining(["openid", "accounts", "payments"]));
      expectError(await post(body()), 400, "invalid_client_metadata", /already has a registration/);
      const dup1 = await post(body(), sw1, regDup);
      expect(dup1.status, dup1.text).toBe(201);
      expectError(await post(body(), sw1, regDup), 400, "invalid_request");
      h.sb.admin.deleteClient("ofb-as-a", first.json.client_id);
      h.sb.admin.deleteClient("as-dup", dup1.json.client_id);
    });
  });

  describe("DCM (BR 15–17)", () => {
    let clientId: string;
    let rcu: string;
    let rat: string;
    beforeAll(async () => {
      const res = await postJson(h.agent(sw2), regA, registrationBody(sw2, await fetchSsa(h, sw2)));
      expect(res.status, res.text).toBe(201);
      ({ client_id: clientId, registration_client_uri: rcu, registration_access_token: rat } = res.json);
    });

    it("BR 15: no RAT, a wrong RAT, or an unknown client ⇒ 401 invalid_token", async () => {
      expectError(await dcm(h.agent(sw2), "GET", rcu, undefined), 401, "invalid_token");
      expectError(await dcm(h.agent(sw2), "GET", rcu, "wrong-token"), 401, "invalid_token");
      expectError(
        await dcm(h.agent(sw2), "GET", rcu.replace(clientId, crypto.randomUUID()), rat),
        401,
        "invalid_token",
      );
      expectError(await dcm(h.agent(sw2), "DELETE", rcu, "wrong-token"), 401, "invalid_token");
    });
    it("BR 15: DCM without MTLS ⇒ 401 invalid_client", async () => {
      expectError(await dcm(h.agent("none"), "GET", rcu, rat), 401, "invalid_client");
    });
    it("BR 16: PUT with client_id ≠ target, or server fields ⇒ 400 invalid_client_metadata", async () => {
      const ssa = await fetchSsa(h, sw2);
      expectError(
        await dcm(
          h.agent(sw2),
          "PUT",
          rcu,
          rat,
          registrationBody(sw2, ssa, { client_id: crypto.randomUUID() }),
        ),
        400,
        "invalid_client_metadata",
        /client_id in the body/,
      );
      expectError(
        await dcm(
          h.agent(sw2),
          "PUT",
          rcu,
          rat,
          registrationBody(sw2, ssa, { client_id: clientId, registration_access_token: rat }),
        ),
        400,
        "invalid_client_metadata",
        /must not be sent/,
      );
    });
    it("BR 16: PUT failing the POST checks ⇒ the same codes (redirect, stale SSA, cert binding)", async () => {
      const ssa = await fetchSsa(h, sw2);
      expectError(
        await dcm(
          h.agent(sw2),
          "PUT",
          rcu,
          rat,
          registrationBody(sw2, ssa, { client_id: clientId, redirect_uris: ["https://x.example.com/cb"] }),
        ),
        400,
        "invalid_redirect_uri",
      );
      expectError(
        await dcm(h.agent(sw2), "PUT", rcu, rat, registrationBody(sw2, "", { client_id: clientId })),
        400,
        "invalid_software_statement",
      );
      // sw1's SSA over sw2's certificate: the certificate ↔ SSA binding is re-checked.
      expectError(
        await dcm(h.agent(sw2), "PUT", rcu, rat, registrationBody(sw1, ssa1, { client_id: clientId })),
        400,
        "invalid_client_metadata",
        /UID/,
      );
    });
    it("BR 17 + admin: an out-of-band deletion makes the RAT 401 invalid_token", async () => {
      expect((await dcm(h.agent(sw2), "GET", rcu, rat)).status).toBe(200);
      h.sb.admin.deleteClient("ofb-as-a", clientId);
      expectError(await dcm(h.agent(sw2), "GET", rcu, rat), 401, "invalid_token");
      expectError(await dcm(h.agent(sw2), "DELETE", rcu, rat), 401, "invalid_token");
    });
  });
});
