// The ob-dcr CLI on both regimes: the BUILT CLI as a subprocess against the AU and BR emulators
// over real mTLS. `run` prints each regime's steps; get/update/delete work from the state file
// (the newest registration access token kept, also after a GET); errors name the field; no
// secret seen on the wire is printed.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CdrAuSandbox } from "../../sandbox/cdr_au/index.js";
import type { OfbBrSandbox } from "../../sandbox/ofb_br/index.js";
import { cli, ensureBuilt, pemBody, tmpDir, wireSecrets, writeConfig } from "../cli/helpers.js";
import {
  cdrParams,
  cdrProduct,
  ofbParams,
  ofbSoftware,
  regimeCliConfig,
  startCdrAu,
  startOfbBr,
} from "../support/regimes.js";

beforeAll(() => ensureBuilt());
const dir = tmpDir();
const order = (out: string, headings: string[]) => {
  const at = headings.map((h) => out.indexOf(h));
  expect(
    at.every((i) => i >= 0),
    `missing one of ${headings.join(" | ")}`,
  ).toBe(true);
  expect([...at].sort((a, b) => a - b)).toEqual(at);
};
const stateOf = (f: string) =>
  JSON.parse(readFileSync(f, "utf8")) as { client_id: string; secrets: Record<string, string> };

describe("cdr-au with the CLI", () => {
  let sb: CdrAuSandbox;
  let cfg: string;
  let cfg405: string;
  beforeAll(async () => {
    sb = await startCdrAu({
      holders: [{ name: "cdr-holder-a" }, { name: "cdr-no-delete", delete_supported: false }],
    });
    cfg = writeConfig(dir, "au.yaml", regimeCliConfig(cdrParams(sb.manifest)));
    cfg405 = writeConfig(
      dir,
      "au-405.yaml",
      regimeCliConfig(cdrParams(sb.manifest, { holder: "cdr-no-delete" })),
    );
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("run prints the CDR steps: Register assertion and token, GetSSA with x-v, the request JWT, the 201", async () => {
    const state = path.join(dir, "au-state.json");
    const r = await cli(["run", "--config", cfg, "--state", state]);
    expect(r.code, r.stderr).toBe(0);
    const { product } = cdrProduct(sb.manifest);
    order(r.stdout, [
      "== 1. Client assertion",
      "== 2. Directory token",
      `directory: CDR Register, private_key_jwt, client_id ${product.software_product_id}, scope cdr-register:read`,
      "== 3. Software statement (SSA)",
      "x-v: 4",
      "== 4. Registration request",
      "body: a signed request JWT",
      "== 5. Registration",
      "status: 201",
      "== Result ==",
    ]);
    // aud = the holder's issuer (in the request claims, after the heading).
    const request = r.stdout.slice(r.stdout.indexOf("== 4. Registration request"));
    expect(request).toContain(`"aud": "${sb.manifest.holders[0]!.issuer}"`);
    expect(request).toContain(`"iss": "${product.software_product_id}"`);
    expect(request).toContain('"authorization_signed_response_alg": "PS256"');
    expect(r.stdout).toContain('"access_token": "[redacted]"');
    const all = r.stdout + r.stderr;
    for (const s of wireSecrets(r)) expect(all).not.toContain(s);
    expect(all).not.toContain(pemBody(product.signing.private_key_file).slice(0, 64));
    expect(sb.admin.clients("cdr-holder-a").map((c) => c.client_id)).toEqual([stateOf(state).client_id]);
  });

  it("get, update (redirect URIs) and delete from the state file", async () => {
    const state = path.join(dir, "au-state.json");
    expect((await cli(["get", "--config", cfg, "--state", state])).code).toBe(0);
    const { product } = cdrProduct(sb.manifest);
    const cfg2 = writeConfig(
      dir,
      "au2.yaml",
      regimeCliConfig(cdrParams(sb.manifest), { client: { redirect_uris: product.redirect_uris.slice(1) } }),
    );
    const u = await cli(["update", "--config", cfg2, "--state", state]);
    expect(u.code, u.stderr).toBe(0);
    expect(sb.admin.clients("cdr-holder-a")[0]!.metadata.redirect_uris).toEqual(
      product.redirect_uris.slice(1),
    );
    const d = await cli(["delete", "--config", cfg, "--state", state]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain("result: deleted");
    expect(sb.admin.clients("cdr-holder-a")).toEqual([]);
  });

  it("delete at a holder without DELETE (405): exit 4, OBDCR_NOT_SUPPORTED, nothing changed", async () => {
    const state = path.join(dir, "au-405-state.json");
    expect((await cli(["register", "--config", cfg405, "--state", state])).code).toBe(0);
    const d = await cli(["delete", "--config", cfg405, "--state", state]);
    expect(d.code, d.stderr).toBe(4);
    expect(d.stderr).toMatch(
      /error OBDCR_NOT_SUPPORTED: .*HTTP 405.*Revoke the client in the bank's developer portal/,
    );
    expect(sb.admin.clients("cdr-no-delete")).toHaveLength(1);
  });

  it("doctor checks the CDR material, Register token, SSA, published key and the holder without registering", async () => {
    const before = sb.admin.stats().holders["cdr-holder-a"]!.registrations;
    const r = await cli(["doctor", "--config", cfg]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ok\s+directory token .*\(private_key_jwt\)/);
    expect(r.stdout).toMatch(/ok\s+bank discovery .*fits cdr-au/);
    expect(sb.admin.stats().holders["cdr-holder-a"]!.registrations).toBe(before);
  });

  it("a Register refusal names the field (CDS error list), exit 4", async () => {
    const bad = writeConfig(
      dir,
      "au-xv.yaml",
      regimeCliConfig(cdrParams(sb.manifest), { directory: { ssa_version: 9, ssa_min_version: 9 } }),
    );
    const r = await cli(["ssa", "--config", bad]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/urn:au-cds:error:cds-all:Header\/UnsupportedVersion/);
    expect(r.stderr).toMatch(/directory\.ssa_version/);
  });
});

describe("ofb-br with the CLI", () => {
  let sb: OfbBrSandbox;
  let cfg: string;
  beforeAll(async () => {
    sb = await startOfbBr({
      servers: [{ name: "ofb-as-b", rat_rotation: "every-call", rcu_style: "query" }],
    });
    cfg = writeConfig(
      dir,
      "br.yaml",
      regimeCliConfig(ofbParams(sb.manifest), { client: { token_endpoint_auth_method: "tls_client_auth" } }),
    );
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("run prints the OFB steps: tls_client_auth token (no assertion), SSA as application/jwt, the JSON request, the 201 with a RAT", async () => {
    const state = path.join(dir, "br-state.json");
    const r = await cli(["run", "--config", cfg, "--state", state]);
    expect(r.code, r.stderr).toBe(0);
    if (process.env.DEBUG_CLI) console.log(r.stdout);
    const { sw } = ofbSoftware(sb.manifest);
    expect(r.stdout).not.toContain("Client assertion");
    order(r.stdout, [
      "== 1. Directory token",
      `directory: Open Finance Brasil Directory, tls_client_auth, client_id ${sw.software_client_id}, scope directory:software`,
      "== 2. Software statement (SSA)",
      "headers: accept: application/jwt",
      "== 3. Registration request",
      "body: JSON metadata",
      "[software statement,",
      "== 4. Registration",
      "status: 201",
      "== Result ==",
    ]);
    expect(r.stdout).toContain(`"tls_client_auth_subject_dn": "${sw.transport.subject_dn}"`);
    const st = stateOf(state);
    expect(st.secrets.registration_access_token).toMatch(/.{16,}/);
    const all = r.stdout + r.stderr;
    expect(all).not.toContain(st.secrets.registration_access_token);
    for (const s of wireSecrets(r)) expect(all).not.toContain(s);
  });

  it("get, update, get: each rotates the RAT and the state file keeps the newest; then delete", async () => {
    const state = path.join(dir, "br-state.json");
    const seen = [stateOf(state).secrets.registration_access_token];
    const g1 = await cli(["get", "--config", cfg, "--state", state]);
    expect(g1.code, g1.stderr).toBe(0);
    expect(g1.stdout).toContain("state: updated");
    seen.push(stateOf(state).secrets.registration_access_token);
    const { sw } = ofbSoftware(sb.manifest);
    const cfg2 = writeConfig(
      dir,
      "br2.yaml",
      regimeCliConfig(ofbParams(sb.manifest), {
        client: { token_endpoint_auth_method: "tls_client_auth", webhook_uris: sw.software_api_webhook_uris },
      }),
    );
    const u = await cli(["update", "--config", cfg2, "--state", state]);
    expect(u.code, u.stderr).toBe(0);
    seen.push(stateOf(state).secrets.registration_access_token);
    expect(sb.admin.clients("ofb-as-b")[0]!.metadata.webhook_uris).toEqual(sw.software_api_webhook_uris);
    const g2 = await cli(["get", "--config", cfg2, "--state", state]);
    expect(g2.code, g2.stderr).toBe(0);
    seen.push(stateOf(state).secrets.registration_access_token);
    expect(new Set(seen).size).toBe(4);
    for (const r of [g1, u, g2]) for (const s of seen) expect(r.stdout + r.stderr).not.toContain(s);
    const d = await cli(["delete", "--config", cfg2, "--state", state]);
    expect(d.code, d.stderr).toBe(0);
    expect(sb.admin.clients("ofb-as-b")).toEqual([]);
  });

  it("doctor: tls_client_auth directory token, SSA, published key, discovery fit; --verbose prints no secret", async () => {
    const r = await cli(["doctor", "--config", cfg]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ok\s+directory token .*\(tls_client_auth\)/);
    expect(r.stdout).toMatch(/ok\s+bank discovery .*fits ofb-br/);
    // cwd: the bank's token goes to <cwd>/ob-dcr-state/ (no --state), not into the repository.
    const v = await cli(["run", "--verbose", "--config", cfg], { cwd: dir });
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).toMatch(/http: POST \S+\/mtls\/register -> 201/);
    const all = v.stdout + v.stderr;
    const secrets = wireSecrets(v);
    expect(secrets.length).toBeGreaterThanOrEqual(2); // the directory token and the RAT
    for (const s of secrets) expect(all).not.toContain(s);
    // Leave no registration behind for the next case (one per software at a server).
    sb.admin.deleteClient("ofb-as-b", sb.admin.clients("ofb-as-b")[0]!.client_id);
  });

  it("refused before sending, naming the field: inline jwks (exit 3)", async () => {
    const bad = writeConfig(
      dir,
      "br-jwks.yaml",
      regimeCliConfig(ofbParams(sb.manifest), { client: { jwks: { keys: [] } } }),
    );
    const r = await cli(["register", "--config", bad]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/client\.jwks: .*refused by ofb-br/);
    expect(sb.admin.stats().servers["ofb-as-b"]!.registrations).toBe(2);
  });
});
