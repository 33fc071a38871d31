import fs from "node:fs";
import path from "node:path";
import { Agent } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { SandboxManifest } from "../../sandbox/index.js";
import { call, fetchSsa, managementToken, register } from "../support/reference_client.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

describe("persistence", () => {
  const open: TestSandbox[] = [];
  afterAll(async () => {
    for (const s of open) await s.close();
  });

  it("registrations survive a restart (same data dir), in an atomically written JSON file", async () => {
    const first = await startTestSandbox();
    open.push(first);
    const res = await register(first, {
      token_endpoint_auth_method: "client_secret_basic",
      token_endpoint_auth_signing_alg: undefined,
    });
    const secretRes = res.json;
    const pk = await register(first);
    await first.close();
    const file = path.join(first.dataDir, "banks", "sandbox-bank.json");
    const text = fs.readFileSync(file, "utf8");
    expect(text).toContain(secretRes.client_id);
    expect(text).not.toContain(secretRes.client_secret);
    expect(fs.readdirSync(path.dirname(file)).filter((f) => f.endsWith(".tmp"))).toEqual([]);

    const second = await startTestSandbox({ dataDir: first.dataDir });
    open.push(second);
    const held = await second.admin.registrations("sandbox-bank");
    expect(held.map((r) => r.client_id).sort()).toEqual([secretRes.client_id, pk.json.client_id].sort());
    // The old secret still authenticates, and a private_key_jwt client still gets a management token.
    const basic = Buffer.from(`${secretRes.client_id}:${secretRes.client_secret}`).toString("base64");
    const tok = await call(second.agent, second.bank.token_endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${basic}` },
      body: "grant_type=client_credentials",
    });
    expect(tok.status, tok.text).toBe(200);
    const token = await managementToken(second, pk.json.client_id);
    const read = await call(second.agent, `${second.bank.registration_endpoint}/${pk.json.client_id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(read.status).toBe(200);
    expect(read.json.client_id).toBe(pk.json.client_id);
    // Same PKI reused: same keys and CA.
    expect(second.sw.signing.kid).toBe(first.sw.signing.kid);
  });

  it("writes a manifest that parses with the schema and whose files exist", async () => {
    const sb = await startTestSandbox();
    open.push(sb);
    const m = SandboxManifest.parse(JSON.parse(fs.readFileSync(sb.manifestPath, "utf8")));
    const files = [
      m.ca_cert_file,
      m.untrusted.ca_cert_file,
      m.untrusted.client_cert_file,
      m.untrusted.client_key_file,
    ];
    for (const sw of m.orgs.flatMap((o) => o.softwares))
      files.push(
        sw.signing.private_key_file,
        sw.transport.cert_file,
        sw.transport.key_file,
        sw.revoked_signing!.private_key_file,
      );
    for (const f of files) {
      expect(path.isAbsolute(f)).toBe(true);
      expect(fs.existsSync(f), f).toBe(true);
    }
    expect(m.directory.ssa_endpoint_template).toMatch(
      /^https:\/\/localhost:\d+\/api\/v2\/tpp\/\{org_id\}\/ssa\/\{software_id\}$/,
    );
    expect((fs.statSync(m.orgs[0]!.softwares[0]!.signing.private_key_file).mode & 0o077) === 0).toBe(true);
  });
});

describe("admin HTTP API (no mTLS)", () => {
  let sb: TestSandbox;
  let admin: Agent;
  afterAll(async () => {
    await admin?.close();
    await sb?.close();
  });

  it("lists registrations without secrets, patches quirks, sets faults, resets", async () => {
    sb = await startTestSandbox();
    admin = new Agent({ connect: { ca: fs.readFileSync(sb.manifest.ca_cert_file, "utf8") } });
    const base = `${sb.manifest.admin_url}/admin`;
    const ssa = await fetchSsa(sb);
    const reg = await register(
      sb,
      { token_endpoint_auth_method: "client_secret_basic", token_endpoint_auth_signing_alg: undefined },
      { ssa },
    );

    const list = await call(admin, `${base}/banks/sandbox-bank/registrations`);
    expect(list.status).toBe(200);
    expect(list.json).toHaveLength(1);
    expect(list.json[0]).toMatchObject({ client_id: reg.json.client_id, software_id: sb.sw.software_id });
    expect(list.text).not.toContain(reg.json.client_secret);
    expect(list.text).not.toContain("sha256");

    const patched = await call(admin, `${base}/banks/sandbox-bank/quirks`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ created_status: 200 }),
    });
    expect(patched.status).toBe(200);
    expect(patched.json.created_status).toBe(200);
    expect((await register(sb, {}, { ssa })).status).toBe(200);
    const badPatch = await call(admin, `${base}/banks/sandbox-bank/quirks`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ created_status: 299 }),
    });
    expect(badPatch.status).toBe(400);

    const faults = await call(admin, `${base}/banks/sandbox-bank/faults`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ kind: "rate_limit", retry_after: 3, count: 1 }]),
    });
    expect(faults.status).toBe(200);
    expect((await register(sb, {}, { ssa })).status).toBe(429);
    const dirFaults = await call(admin, `${base}/directory/faults`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ kind: "latency", ms: 1 }]),
    });
    expect(dirFaults.json).toEqual([{ kind: "latency", ms: 1 }]);

    expect((await call(admin, `${base}/manifest`)).json.banks[0].quirks.created_status).toBe(200);
    expect((await call(admin, `${base}/banks/nope/registrations`)).status).toBe(404);

    expect((await call(admin, `${base}/reset`, { method: "POST" })).status).toBe(204);
    expect((await call(admin, `${base}/banks/sandbox-bank/registrations`)).json).toEqual([]);
    expect((await call(admin, `${base}/banks/sandbox-bank/quirks`)).json.created_status).toBe(201);
    expect((await call(admin, `${base}/directory/faults`)).json).toEqual([]);
  });
});
