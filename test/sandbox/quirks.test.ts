import crypto from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_ORG_ID, DEFAULT_SOFTWARE_ID } from "../../sandbox/index.js";
import {
  bankToken,
  call,
  fetchSsa,
  managementToken,
  mtlsAgent,
  postRegister,
  register,
  registrationClaims,
  signRegistration,
} from "../support/reference_client.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

const OTHER_SOFTWARE = "9aBcDeFgHiJkLmNoPqRsTu";

describe("bank quirks", () => {
  let sb: TestSandbox;
  let ssa: string;
  const bank = () => sb.bank;
  beforeAll(async () => {
    sb = await startTestSandbox({
      orgs: [
        {
          org_id: DEFAULT_ORG_ID,
          softwares: [{ software_id: DEFAULT_SOFTWARE_ID }, { software_id: OTHER_SOFTWARE }],
        },
      ],
    });
    ssa = await fetchSsa(sb);
  });
  afterEach(async () => sb.admin.reset());
  afterAll(async () => sb?.close());

  const withType = (contentType: string) => ({
    ...bank(),
    quirks: { ...bank().quirks, content_type: contentType as "application/jwt" },
  });

  it.each([
    ["issuer", () => sb.bank.issuer],
    ["literal", () => "revolut"],
  ])("aud quirk %s: the org id is refused, the configured audience accepted", async (kind, aud) => {
    await sb.admin.setQuirks("sandbox-bank", { aud: kind === "issuer" ? "issuer" : { literal: "revolut" } });
    const refused = await register(sb, {}, { ssa });
    expect(refused.status).toBe(400);
    expect(refused.json.error_description).toMatch(/aud/);
    expect((await register(sb, { aud: aud() }, { ssa })).status).toBe(201);
  });

  it("content_type application/jose: application/jwt refused with 415, jose accepted", async () => {
    await sb.admin.setQuirks("sandbox-bank", { content_type: "application/jose" });
    const jwt = () => signRegistration(sb, registrationClaims(sb, ssa));
    expect((await postRegister(sb, await jwt(), { bank: withType("application/jwt") })).status).toBe(415);
    expect((await postRegister(sb, await jwt(), { bank: withType("application/jose") })).status).toBe(201);
  });

  it("created_status 200", async () => {
    await sb.admin.setQuirks("sandbox-bank", { created_status: 200 });
    const res = await register(sb, {}, { ssa });
    expect(res.status).toBe(200);
    expect(res.json.client_id).toBeDefined();
  });

  it("client_id_issued_at in milliseconds", async () => {
    await sb.admin.setQuirks("sandbox-bank", { client_id_issued_at_unit: "ms" });
    const res = await register(sb, {}, { ssa });
    expect(res.json.client_id_issued_at).toBeGreaterThan(10 ** 12);
    expect(Math.abs(res.json.client_id_issued_at - Date.now())).toBeLessThan(60_000);
  });

  it("scope returned as an array", async () => {
    await sb.admin.setQuirks("sandbox-bank", { scope_format: "array" });
    const res = await register(sb, {}, { ssa });
    expect(res.json.scope).toEqual(["openid", "accounts", "payments"]);
  });

  it("substitute: the bank rewrites metadata and echoes (and stores) the substituted value", async () => {
    await sb.admin.setQuirks("sandbox-bank", {
      substitute: { token_endpoint_auth_signing_alg: "ES256", scope: "openid accounts" },
    });
    const res = await register(sb, {}, { ssa });
    expect(res.json.token_endpoint_auth_signing_alg).toBe("ES256");
    expect(res.json.scope).toBe("openid accounts");
    const held = (await sb.admin.registrations("sandbox-bank")).find(
      (r) => r.client_id === res.json.client_id,
    );
    expect(held?.metadata.token_endpoint_auth_signing_alg).toBe("ES256");
  });

  it("extra_members: unknown members added", async () => {
    await sb.admin.setQuirks("sandbox-bank", { extra_members: { jwt_replay_prevention: true } });
    const res = await register(sb, {}, { ssa });
    expect(res.json.jwt_replay_prevention).toBe(true);
  });

  it("management_scope_required: a token without the scope gets 403 insufficient_scope", async () => {
    await sb.admin.setQuirks("sandbox-bank", { management_scope_required: "accounts" });
    const id = (await register(sb, {}, { ssa })).json.client_id;
    const url = `${bank().registration_endpoint}/${id}`;
    const bare = await call(sb.agent, url, {
      headers: { authorization: `Bearer ${await managementToken(sb, id)}` },
    });
    expect(bare.status).toBe(403);
    expect(bare.json.error).toBe("insufficient_scope");
    const scoped = await managementToken(sb, id, bank(), "accounts");
    expect((await call(sb.agent, url, { headers: { authorization: `Bearer ${scoped}` } })).status).toBe(200);
  });

  it("management_scope_forbidden: /token refuses the scope", async () => {
    await sb.admin.setQuirks("sandbox-bank", { management_scope_forbidden: ["openid"] });
    const id = (await register(sb, {}, { ssa })).json.client_id;
    const res = await bankToken(sb, id, { scope: "openid" });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("invalid_scope");
    expect((await bankToken(sb, id)).status).toBe(200);
  });

  it.each([
    ["allow_get", "GET"],
    ["allow_delete", "DELETE"],
    ["allow_put", "PUT"],
  ])("%s false: %s answers 405 with Allow", async (quirk, method) => {
    await sb.admin.setQuirks("sandbox-bank", { [quirk]: false });
    const id = (await register(sb, {}, { ssa })).json.client_id;
    const token = await managementToken(sb, id);
    const res = await call(sb.agent, `${bank().registration_endpoint}/${id}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(405);
    expect(res.headers.allow).not.toContain(method);
    expect(res.json.error).toBe("method_not_allowed");
  });

  it("unknown_client_status 404 vs the UK default 401", async () => {
    const id = (await register(sb, {}, { ssa })).json.client_id;
    const token = await managementToken(sb, id);
    const unknown = `${bank().registration_endpoint}/${crypto.randomUUID()}`;
    const uk = await call(sb.agent, unknown, { headers: { authorization: `Bearer ${token}` } });
    expect(uk.status).toBe(401);
    await sb.admin.setQuirks("sandbox-bank", { unknown_client_status: 404 });
    const token2 = await managementToken(sb, id);
    const nf = await call(sb.agent, unknown, { headers: { authorization: `Bearer ${token2}` } });
    expect(nf.status).toBe(404);
    expect(nf.json.error).toBe("not_found");
  });

  it("reject_duplicate_software: a second registration of the same software is refused", async () => {
    await sb.admin.setQuirks("sandbox-bank", { reject_duplicate_software: true });
    expect((await register(sb, {}, { ssa })).status).toBe(201);
    const dup = await register(sb, {}, { ssa });
    expect(dup.status).toBe(400);
    expect(dup.json.error).toBe("invalid_client_metadata");
  });

  it.each([
    ["name", "organizationIdentifier="],
    ["oid", "2.5.4.97=PSDGB"],
    ["hex", "2.5.4.97=#"],
  ] as const)(
    "subject_dn_encoding %s: only that encoding of 2.5.4.97 is accepted",
    async (encoding, marker) => {
      await sb.admin.setQuirks("sandbox-bank", { subject_dn_encoding: encoding });
      const dns = sb.sw.transport.subject_dn_encodings;
      expect(dns[encoding]).toContain(marker);
      for (const [enc, dn] of Object.entries(dns)) {
        const res = await register(
          sb,
          {
            token_endpoint_auth_method: "tls_client_auth",
            token_endpoint_auth_signing_alg: undefined,
            tls_client_auth_subject_dn: dn,
          },
          { ssa },
        );
        expect(res.status, `${enc}: ${res.text}`).toBe(enc === encoding ? 201 : 400);
      }
    },
  );

  it("lowercase_jti: an upper-case jti is refused", async () => {
    await sb.admin.setQuirks("sandbox-bank", { lowercase_jti: true });
    const upper = await register(sb, { jti: crypto.randomUUID().toUpperCase() }, { ssa });
    expect(upper.status).toBe(400);
    expect(upper.json.error_description).toMatch(/lower-case/);
    expect((await register(sb, { jti: crypto.randomUUID() }, { ssa })).status).toBe(201);
  });

  it("transport_cert_binding false: another software's certificate of the same CA is accepted", async () => {
    const other = mtlsAgent(sb.manifest, sb.manifest.orgs[0]!.softwares[1]!);
    const jwt = () => signRegistration(sb, registrationClaims(sb, ssa));
    expect((await postRegister(sb, await jwt(), { agent: other })).status).toBe(401);
    await sb.admin.setQuirks("sandbox-bank", { transport_cert_binding: false });
    expect((await postRegister(sb, await jwt(), { agent: other })).status).toBe(201);
  });

  it("max_body_bytes: a smaller cap gives 413", async () => {
    await sb.admin.setQuirks("sandbox-bank", { max_body_bytes: 1024 });
    const res = await register(sb, {}, { ssa });
    expect(res.status).toBe(413);
  });

  it("refuses an invalid quirk patch", async () => {
    await expect(sb.admin.setQuirks("sandbox-bank", { created_status: 202 as 200 })).rejects.toThrow();
    await expect(sb.admin.setQuirks("no-such-bank", {})).rejects.toThrow(/no bank/);
  });
});

describe("bank modes, several banks at once", () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await startTestSandbox({
      banks: [
        { name: "uk-bank" },
        { name: "rat-bank", management: "registration_access_token", quirks: { aud: "issuer" } },
        { name: "json-bank", request_format: "json", management: "registration_access_token" },
      ],
    });
  });
  afterAll(async () => sb?.close());
  const bankNamed = (n: string) => sb.manifest.banks.find((b) => b.name === n)!;

  it("runs each bank on its own origin", () => {
    const origins = new Set(sb.manifest.banks.map((b) => new URL(b.issuer).port));
    expect(origins.size).toBe(3);
  });

  it("RFC 7592 mode: RAT + RCU returned, RAT authenticates, rotates on PUT, DELETE then 401", async () => {
    const rat = bankNamed("rat-bank");
    const ssa = await fetchSsa(sb);
    const res = await register(sb, { aud: rat.issuer }, { bank: rat, ssa });
    expect(res.status, res.text).toBe(201);
    const { client_id: id, registration_access_token: token1, registration_client_uri: rcu } = res.json;
    expect(token1).toEqual(expect.any(String));
    expect(rcu).toBe(`${rat.registration_endpoint}/${id}`);
    const read = await call(sb.agent, rcu, { headers: { authorization: `Bearer ${token1}` } });
    expect(read.status).toBe(200);
    expect(read.json.registration_client_uri).toBe(rcu);
    const put = await call(sb.agent, rcu, {
      method: "PUT",
      headers: { authorization: `Bearer ${token1}`, "content-type": "application/jwt" },
      body: await signRegistration(sb, {
        ...registrationClaims(sb, ssa, rat),
        aud: rat.issuer,
        client_id: id,
      }),
    });
    expect(put.status, put.text).toBe(200);
    const token2 = put.json.registration_access_token;
    expect(token2).toEqual(expect.any(String));
    expect(token2).not.toBe(token1);
    expect((await call(sb.agent, rcu, { headers: { authorization: `Bearer ${token1}` } })).status).toBe(401);
    expect(
      (await call(sb.agent, rcu, { method: "DELETE", headers: { authorization: `Bearer ${token2}` } }))
        .status,
    ).toBe(204);
    expect((await call(sb.agent, rcu, { headers: { authorization: `Bearer ${token2}` } })).status).toBe(401);
  });

  it("RFC 7591 JSON mode: application/json with software_statement; JWT refused", async () => {
    const json = bankNamed("json-bank");
    const ssa = await fetchSsa(sb);
    const metadata = {
      software_statement: ssa,
      redirect_uris: sb.sw.software_redirect_uris,
      token_endpoint_auth_method: "tls_client_auth",
      tls_client_auth_subject_dn: sb.sw.transport.subject_dn,
      grant_types: ["client_credentials"],
    };
    const res = await call(sb.agent, json.registration_endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(metadata),
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json.registration_access_token).toBeDefined();
    const jwt = await postRegister(sb, await signRegistration(sb, registrationClaims(sb, ssa, json)), {
      bank: json,
      contentType: "application/jwt",
    });
    expect(jwt.status).toBe(415);
    const noSsa = await call(sb.agent, json.registration_endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...metadata, software_statement: undefined }),
    });
    expect(noSsa.status).toBe(400);
    expect(noSsa.json.error).toBe("invalid_software_statement");
  });

  it("keeps registrations per bank", async () => {
    const uk = bankNamed("uk-bank");
    const before = (await sb.admin.registrations("uk-bank")).length;
    expect((await register(sb, {}, { bank: uk })).status).toBe(201);
    expect(await sb.admin.registrations("uk-bank")).toHaveLength(before + 1);
    expect((await sb.admin.registrations("rat-bank")).every((r) => r.client_id)).toBe(true);
  });
});
