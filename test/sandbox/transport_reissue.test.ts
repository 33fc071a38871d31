import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReissuedTransport } from "../../sandbox/index.js";
import {
  call,
  directoryToken,
  fetchSsa,
  form,
  mtlsAgentFiles,
  postRegister,
  registrationClaims,
  signRegistration,
} from "../support/reference_client.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

const DAY = 24 * 3600 * 1000;
const x509 = (file: string) => new crypto.X509Certificate(fs.readFileSync(file));
const sha256Hex = (file: string) => x509(file).fingerprint256.replace(/:/g, "").toLowerCase();

describe("transport certificate renewal (POST /admin/softwares/{software_id}/transport)", () => {
  let sb: TestSandbox;
  let ssa: string;
  const outDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "ob-dcr-renewed-"));
  const originals: Record<string, string> = {};
  beforeAll(async () => {
    sb = await startTestSandbox();
    ssa = await fetchSsa(sb);
    for (const f of [sb.sw.transport.cert_file, sb.sw.transport.key_file])
      originals[f] = fs.readFileSync(f, "utf8");
  });
  afterAll(async () => sb?.close());

  const reissue = (subjectDnChange: boolean, validDays?: number) =>
    sb.admin.reissueTransport(sb.sw.software_id, { subjectDnChange, outDir: outDir(), validDays });
  const agentOf = (r: ReissuedTransport) => mtlsAgentFiles(sb.manifest, r.cert_file, r.key_file);
  const tlsToken = (agent: Agent, clientId: string) =>
    call(agent, sb.bank.token_endpoint, {
      method: "POST",
      ...form({ grant_type: "client_credentials", client_id: clientId }),
    });
  const tlsClaims = (dn: string) => ({
    ...registrationClaims(sb, ssa),
    token_endpoint_auth_method: "tls_client_auth",
    token_endpoint_auth_signing_alg: undefined,
    tls_client_auth_subject_dn: dn,
  });
  const registerTls = async (agent: Agent, dn: string) =>
    postRegister(sb, await signRegistration(sb, tlsClaims(dn)), { agent });

  it("same subject: a new certificate and key (0600) in out_dir, new serial, fresh validity, sha256 of the DER", async () => {
    const r = await reissue(false);
    expect(path.basename(r.cert_file)).toBe("transport.cert.pem");
    expect(path.basename(r.key_file)).toBe("transport.key.pem");
    expect(fs.statSync(r.key_file).mode & 0o077).toBe(0);
    expect(fs.readdirSync(path.dirname(r.cert_file)).sort()).toEqual([
      "transport.cert.pem",
      "transport.key.pem",
    ]);
    expect(r.subject_dn).toBe(sb.sw.transport.subject_dn);
    expect(r.subject_dn_encodings).toEqual(sb.sw.transport.subject_dn_encodings);
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.sha256).toBe(sha256Hex(r.cert_file));
    const renewed = x509(r.cert_file);
    const original = x509(sb.sw.transport.cert_file);
    expect(renewed.subject).toBe(original.subject);
    expect(renewed.serialNumber).not.toBe(original.serialNumber);
    expect(renewed.checkIssued(x509(sb.manifest.ca_cert_file))).toBe(true);
    expect(renewed.publicKey.export({ format: "der", type: "spki" })).not.toEqual(
      original.publicKey.export({ format: "der", type: "spki" }),
    );
    expect(renewed.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(r.key_file)))).toBe(true);
    expect(Math.abs(new Date(renewed.validFrom).getTime() - (Date.now() - 3600_000))).toBeLessThan(120_000);
    expect(new Date(renewed.validTo).getTime()).toBeGreaterThan(Date.now() + 729 * DAY);
    expect(r.not_after).toBe(new Date(renewed.validTo).toISOString());
  });

  it("never touches the software's files in the (shared) PKI folder, and refuses an out_dir inside it", async () => {
    await reissue(true);
    for (const [f, text] of Object.entries(originals)) expect(fs.readFileSync(f, "utf8")).toBe(text);
    const inside = path.dirname(sb.sw.transport.cert_file);
    await expect(
      sb.admin.reissueTransport(sb.sw.software_id, { subjectDnChange: false, outDir: inside }),
    ).rejects.toThrow(/outside the sandbox PKI folder/);
    for (const [f, text] of Object.entries(originals)) expect(fs.readFileSync(f, "utf8")).toBe(text);
  });

  it("changed subject: another DN (L=London) with the same CN = software_id and OU = org_id", async () => {
    const r = await reissue(true);
    expect(r.subject_dn).not.toBe(sb.sw.transport.subject_dn);
    expect(r.subject_dn).toBe(sb.sw.transport.subject_dn.replace(",C=GB", ",L=London,C=GB"));
    expect(r.subject_dn_encodings.name).toContain("organizationIdentifier=PSDGB-FCA-123456");
    expect(r.subject_dn).toMatch(new RegExp(`^CN=${sb.sw.software_id},OU=${sb.orgId},`));
  });

  it("valid_days: a certificate that expires in 10 days", async () => {
    const r = await reissue(false, 10);
    const validTo = new Date(x509(r.cert_file).validTo).getTime();
    expect(Math.abs(validTo - (Date.now() + 10 * DAY))).toBeLessThan(120_000);
  });

  it("the directory and the bank accept a renewed certificate (same subject): token, SSA, registration binding, tls_client_auth", async () => {
    const agent = agentOf(await reissue(false));
    expect(await directoryToken(sb, sb.sw, agent)).toEqual(expect.any(String));
    expect(await fetchSsa(sb, sb.sw, sb.orgId, agent)).toMatch(/^ey/);
    // Registered with the original certificate; the renewed one has the same DN, so it authenticates.
    const tls = await registerTls(sb.agent, sb.sw.transport.subject_dn);
    expect(tls.status, tls.text).toBe(201);
    const tok = await tlsToken(agent, tls.json.client_id);
    expect(tok.status, tok.text).toBe(200);
    const viaRenewed = await registerTls(agent, sb.sw.transport.subject_dn);
    expect(viaRenewed.status, viaRenewed.text).toBe(201);
  });

  it("a renewed certificate with another DN passes the CN/OU binding but not tls_client_auth until a PUT registers the new DN", async () => {
    const r = await reissue(true);
    const agent = agentOf(r);
    const tls = await registerTls(sb.agent, sb.sw.transport.subject_dn);
    const id = tls.json.client_id as string;
    const refused = await tlsToken(agent, id);
    expect(refused.status).toBe(401);
    expect(refused.json.error).toBe("invalid_client");
    // The registration binding (CN/OU) accepts the new certificate; the DN claim must name it.
    expect((await registerTls(agent, sb.sw.transport.subject_dn)).status).toBe(400);
    expect((await registerTls(agent, r.subject_dn)).status).toBe(201);

    // The management token comes from the old certificate, still the registered one.
    const token = (await tlsToken(sb.agent, id)).json.access_token as string;
    const put = await call(agent, `${sb.bank.registration_endpoint}/${id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/jwt" },
      body: await signRegistration(sb, { ...tlsClaims(r.subject_dn), client_id: id }),
    });
    expect(put.status, put.text).toBe(200);
    expect(put.json.tls_client_auth_subject_dn).toBe(r.subject_dn);
    expect((await tlsToken(agent, id)).status).toBe(200);
    expect((await tlsToken(sb.agent, id)).status).toBe(401);
  });

  describe("over HTTP (admin API, no mTLS)", () => {
    let admin: Agent;
    beforeAll(() => {
      admin = new Agent({ connect: { ca: fs.readFileSync(sb.manifest.ca_cert_file, "utf8") } });
    });
    afterAll(async () => admin?.close());
    const post = (softwareId: string, body: unknown) =>
      call(admin, `${sb.manifest.admin_url}/admin/softwares/${softwareId}/transport`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });

    it("issues with { subject_dn_change, out_dir, valid_days } and answers the files, DN and sha256", async () => {
      const dir = outDir();
      const res = await post(sb.sw.software_id, { subject_dn_change: true, out_dir: dir, valid_days: 10 });
      expect(res.status, res.text).toBe(200);
      expect(res.json).toMatchObject({
        cert_file: path.join(dir, "transport.cert.pem"),
        key_file: path.join(dir, "transport.key.pem"),
        subject_dn: expect.stringContaining("L=London"),
        subject_dn_encodings: {
          hex: expect.any(String),
          name: expect.any(String),
          oid: expect.any(String),
        },
        sha256: sha256Hex(path.join(dir, "transport.cert.pem")),
      });
      const same = await post(sb.sw.software_id, { subject_dn_change: false, out_dir: outDir() });
      expect(same.status).toBe(200);
      expect(same.json.subject_dn).toBe(sb.sw.transport.subject_dn);
    });

    it.each([
      ["a relative out_dir", () => ({ subject_dn_change: false, out_dir: "renewed" })],
      [
        "a missing out_dir folder",
        () => ({ subject_dn_change: false, out_dir: path.join(outDir(), "nope") }),
      ],
      ["out_dir a file", () => ({ subject_dn_change: false, out_dir: sb.manifest.ca_cert_file })],
      ["no out_dir", () => ({ subject_dn_change: true })],
      ["valid_days 0", () => ({ subject_dn_change: false, out_dir: outDir(), valid_days: 0 })],
      ["valid_days 826", () => ({ subject_dn_change: false, out_dir: outDir(), valid_days: 826 })],
      ["valid_days 1.5", () => ({ subject_dn_change: false, out_dir: outDir(), valid_days: 1.5 })],
      ["subject_dn_change a string", () => ({ subject_dn_change: "yes", out_dir: outDir() })],
      ["an unknown member", () => ({ subject_dn_change: false, out_dir: outDir(), cn: "x" })],
      ["an array body", () => []],
    ])("refuses %s with 400 invalid_request", async (_n, body) => {
      const res = await post(sb.sw.software_id, body());
      expect(res.status, res.text).toBe(400);
      expect(res.json.error).toBe("invalid_request");
    });

    it("answers 404 for an unknown software", async () => {
      const res = await post("unknownSoftware1", { subject_dn_change: false, out_dir: outDir() });
      expect(res.status).toBe(404);
      expect(res.json.error).toBe("not_found");
    });
  });
});
