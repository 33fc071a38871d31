// The BR emulator's options for unconfirmed points (cert_binding_error, dn_match, response types,
// ssa_mismatch_status, ssa_issuer, ssa_max_age_seconds), its HTTPS admin API, and a restart on the
// same data dir (PKI and registrations reused).
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
  registrationBody,
  ssaCrafter,
  ssaGet,
  startBr,
} from "./ofb_br_support.js";

const ISSUER = "Open Finance Open Finance Brasil sandbox SSA issuer";

describe("OFB BR emulator options", () => {
  let h: BrHarness;
  let sw1: OfbBrManifestSoftware;
  let sw2: OfbBrManifestSoftware;
  let reg: string;
  beforeAll(async () => {
    h = await startBr({
      ssa_issuer: ISSUER,
      ssa_mismatch_status: 404,
      ports: { admin: 0 },
      servers: [
        {
          name: "as-x",
          cert_binding_error: "invalid_software_statement",
          dn_match: "set",
          response_types_supported: ["code"],
          ssa_max_age_seconds: 30,
        },
      ],
    });
    [sw1, sw2] = h.m.orgs[0]!.softwares as [OfbBrManifestSoftware, OfbBrManifestSoftware];
    reg = h.m.servers[0]!.registration_endpoint;
  });
  afterAll(async () => h?.close());

  it("writes the configured ssa_issuer and the AS accepts it", async () => {
    expect(h.m.directory.ssa_issuer).toBe(ISSUER);
    const ssa = await fetchSsa(h, sw2);
    const res = await postJson(h.agent(sw2), reg, registrationBody(sw2, ssa, { response_types: ["code"] }));
    expect(res.status, res.text).toBe(201);
    h.sb.admin.deleteClient("as-x", res.json.client_id);
  });

  it("ssa_mismatch_status 404: a path naming another software of the token's org is 404", async () => {
    const token = await directoryToken(h, sw1);
    const res = await ssaGet(h, h.agent(sw1), orgOf(h, sw2).org_id, sw2.software_id, token);
    expect(res.status).toBe(404);
  });

  it("cert_binding_error: the configured code for a certificate of another software", async () => {
    const res = await postJson(h.agent(sw2), reg, registrationBody(sw1, await fetchSsa(h, sw1)));
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("invalid_software_statement");
    expect(res.json.error_description).toMatch(/UID/);
  });

  it("response_types_supported: code id_token refused when only code is supported", async () => {
    const res = await postJson(h.agent(sw1), reg, registrationBody(sw1, await fetchSsa(h, sw1)));
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("invalid_client_metadata");
  });

  it("ssa_max_age_seconds: 30 s refuses a 31 s old SSA and accepts a 20 s old one", async () => {
    const craft = await ssaCrafter(h, sw1);
    const now = Math.floor(Date.now() / 1000);
    const body = (ssa: string) => registrationBody(sw1, ssa, { response_types: ["code"] });
    const old = await postJson(h.agent(sw1), reg, body(await craft({ iat: now - 31 })));
    expect(old.status).toBe(400);
    expect(old.json.error).toBe("invalid_software_statement");
    const ok = await postJson(h.agent(sw1), reg, body(await craft({ iat: now - 20 })));
    expect(ok.status, ok.text).toBe(201);
    h.sb.admin.deleteClient("as-x", ok.json.client_id);
  });

  it("dn_match set: the right RDNs in another order are accepted", async () => {
    const parts = sw1.transport.subject_dn.split(",");
    const reordered = [...parts].reverse().join(",");
    const res = await postJson(
      h.agent(sw1),
      reg,
      registrationBody(sw1, await fetchSsa(h, sw1), {
        response_types: ["code"],
        token_endpoint_auth_method: "tls_client_auth",
        token_endpoint_auth_signing_alg: undefined,
        tls_client_auth_subject_dn: reordered,
      }),
    );
    expect(res.status, res.text).toBe(201);
    h.sb.admin.deleteClient("as-x", res.json.client_id);
  });

  it("serves the admin API over HTTPS when ports.admin is given", async () => {
    const agent = h.agent("none");
    const stats = await call(agent, `${h.m.admin_url}/admin/stats`);
    expect(stats.status).toBe(200);
    expect(stats.json.servers["as-x"].registrations).toBeGreaterThan(0);
    const bad = await call(agent, `${h.m.admin_url}/admin/orgs/${orgOf(h, sw1).org_id}/status`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: '{"status":"Gone"}',
    });
    expect(bad.status).toBe(400);
    const unknown = await call(agent, `${h.m.admin_url}/admin/servers/nope/clients`);
    expect(unknown.status).toBe(404);
  });
});

describe("OFB BR emulator restart on the same data dir", () => {
  it("reuses the PKI and keeps registrations and their RAT", async () => {
    const first = await startBr({ servers: [{ name: "as-p" }] });
    const sw = first.m.orgs[0]!.softwares[0]!;
    const res = await postJson(
      first.agent(sw),
      first.m.servers[0]!.registration_endpoint,
      registrationBody(sw, await fetchSsa(first, sw)),
    );
    expect(res.status, res.text).toBe(201);
    const { client_id: clientId, registration_access_token: rat } = res.json;
    await first.sb.close();
    const { startOfbBrSandbox } = await import("../../sandbox/ofb_br/index.js");
    const again = await startOfbBrSandbox({ dataDir: first.dataDir, servers: [{ name: "as-p" }] });
    try {
      expect(again.manifest.orgs[0]!.softwares[0]!.transport.subject_dn).toBe(sw.transport.subject_dn);
      expect(again.admin.clients("as-p").map((c) => c.client_id)).toEqual([clientId]);
      const rcu = `${again.manifest.servers[0]!.registration_endpoint}/${clientId}`;
      const got = await dcm(first.agent(sw), "GET", rcu, rat);
      expect(got.status, got.text).toBe(200);
      expect(got.json.client_id).toBe(clientId);
    } finally {
      await again.close();
      await first.close();
    }
  });
});

describe("OFB BR emulator: a legacy certificate with OU = org_id (coexistence)", () => {
  const ORG = "67c57882-043b-11ec-9a03-0242ac130003";
  const LEGACY = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
  let h: BrHarness;
  beforeAll(async () => {
    h = await startBr({
      servers: [{ name: "as-l" }],
      orgs: [
        {
          org_id: ORG,
          org_number: "13353236000189",
          softwares: [
            { software_id: LEGACY, software_client_id: "ofbLegacyClient01", org_attribute: "OU" },
            {
              software_id: "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d",
              software_client_id: "ofbSandboxClient01",
              cn: "other.example.com.br",
            },
          ],
        },
      ],
    });
  });
  afterAll(async () => h?.close());

  it("writes OU as a string, gets an SSA and registers with tls_client_auth", async () => {
    const sw = h.m.orgs[0]!.softwares[0]!;
    expect(sw.transport.subject_dn).toMatch(new RegExp(`^UID=${LEGACY},OU=${ORG},CN=`));
    expect(sw.transport.subject_dn).not.toContain("2.5.4.97");
    const res = await postJson(
      h.agent(sw),
      h.m.servers[0]!.registration_endpoint,
      registrationBody(sw, await fetchSsa(h, sw), {
        token_endpoint_auth_method: "tls_client_auth",
        token_endpoint_auth_signing_alg: undefined,
        tls_client_auth_subject_dn: sw.transport.subject_dn,
      }),
    );
    expect(res.status, res.text).toBe(201);
  });

  it("still refuses the legacy certificate with another software's SSA (UID)", async () => {
    const [legacy, other] = h.m.orgs[0]!.softwares as [OfbBrManifestSoftware, OfbBrManifestSoftware];
    const res = await postJson(
      h.agent(legacy),
      h.m.servers[0]!.registration_endpoint,
      registrationBody(other, await fetchSsa(h, other)),
    );
    expect(res.status).toBe(400);
    expect(res.json.error_description).toMatch(/UID/);
  });
});
