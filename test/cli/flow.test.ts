/**
 * Every subcommand on valid input: the BUILT CLI as a subprocess against an in-process sandbox over
 * real mTLS. --json output is parsed and asserted; secrets seen on the wire must not reach
 * stdout/stderr unless --show-secrets.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { docBlock } from "../docs/blocks.js";
import { sandboxForFile } from "../support/hooks.js";
import { cliConfig } from "../support/params.js";
import {
  CLI_BANKS,
  type CliResult,
  cli,
  ensureBuilt,
  pemBody,
  tmpDir,
  wireSecrets,
  writeConfig,
} from "./helpers.js";

beforeAll(() => ensureBuilt());
const sb = sandboxForFile({ prefix: "cli", banks: CLI_BANKS });
const dir = tmpDir();
let cfg: string;
beforeAll(() => {
  cfg = writeConfig(dir, "sandbox.yaml", cliConfig(sb));
});

// biome-ignore lint/suspicious/noExplicitAny: parsed CLI JSON, asserted field by field
const json = (r: CliResult) => JSON.parse(r.stdout) as Record<string, any>;
const signingKeyFile = () => sb.manifest.orgs[0]!.softwares[0]!.signing.private_key_file;

function expectNoSecrets(r: CliResult, secrets: string[]): void {
  const all = r.stdout + r.stderr;
  for (const s of secrets) expect(all.includes(s), `secret ${s.slice(0, 6)}… printed`).toBe(false);
  expect(all.includes(pemBody(signingKeyFile()).slice(0, 64))).toBe(false);
}

describe("run", () => {
  it("prints every step in order, redacted, and writes a 0600 state file", async () => {
    const state = path.join(dir, "run-state.json");
    const r = await cli(["run", "--config", cfg, "--state", state]);
    expect(r.code, r.stderr).toBe(0);
    const order = [
      "== 1. Client assertion",
      "== 2. Directory token",
      "== 3. Software statement (SSA)",
      "== 4. Registration request",
      "== 5. Registration",
      "== Result ==",
    ].map((h) => r.stdout.indexOf(h));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(r.stdout).toContain("status: 200");
    expect(r.stdout).toContain("status: 201");
    expect(r.stdout).toContain(`endpoint: GET ${sb.manifest.directory.base_url}/api/v2/tpp/`);
    expect(r.stdout).toContain('"access_token": "[redacted]"');
    expect(r.stdout).toContain("jwt: [redacted] (--show-secrets prints it)");
    // Progress lines on stderr (not a TTY: plain lines).
    expect(r.stderr).toMatch(/directory token … done \(\d+ ms\)/);
    expect(r.stderr).toMatch(/registration … done \(\d+ ms\)/);
    expect(statSync(state).mode & 0o777).toBe(0o600);
    const st = JSON.parse(readFileSync(state, "utf8"));
    expect(st.client_id).toMatch(/.+/);
    const secrets = wireSecrets(r);
    expect(secrets.length).toBeGreaterThan(0); // the directory access token at least
    expectNoSecrets(r, secrets);
  });

  it("--json: one document with every step", async () => {
    const r = await cli(["run", "--config", cfg, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const j = json(r);
    const sw = sb.manifest.orgs[0]!.softwares[0]!;
    expect(j.command).toBe("run");
    expect(j.client_assertion.header).toMatchObject({ alg: "PS256", kid: sw.signing.kid });
    expect(j.client_assertion.claims).toMatchObject({ iss: sw.software_id, sub: sw.software_id });
    expect(j.client_assertion.jwt).toBe("[redacted]");
    expect(j.directory_token).toMatchObject({
      status: 200,
      body: { token_type: "Bearer", access_token: "[redacted]" },
    });
    expect(j.ssa.status).toBe(200);
    expect(j.ssa.url).toContain(`/ssa/${sw.software_id}`);
    expect(j.ssa.claims).toMatchObject({ iss: "OpenBanking Ltd", software_id: sw.software_id });
    expect(j.registration_request.claims).toMatchObject({ iss: sw.software_id, aud: "0015800000jfQ9aAAE" });
    expect(j.registration_request.claims.software_statement).toMatch(/^\[software statement, \d+ chars/);
    expect(j.registration_response.status).toBe(201);
    expect(j.result.client_id).toBe(j.registration_response.body.client_id);
    // On top as docs/cli.md says, though sandbox-bank issues no secrets (no state file kept).
    expect(j.client_id).toBe(j.result.client_id);
    expect(j.state_file).toBeUndefined();
    const regs = await sb.admin.registrations("sandbox-bank");
    expect(regs.map((x) => x.client_id)).toContain(j.result.client_id);
    // Progress stays on stderr; stdout is pure JSON (parsed above).
    expect(r.stderr).toContain("registration … done");
    expectNoSecrets(r, wireSecrets(r));
  });

  it("register --json: client_id on top too, with no state kept (sandbox-bank issues no secrets)", async () => {
    const r = await cli(["register", "--config", cfg, "--json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const j = json(r);
    expect(j.command).toBe("register");
    expect(j.client_id).toBe(j.registration.client_id);
    expect(j.state_file).toBeUndefined();
    expect((await sb.admin.registrations("sandbox-bank")).map((x) => x.client_id)).toContain(j.client_id);
  });

  it("--show-secrets prints the compact JWTs and the access token", async () => {
    const r = await cli(["run", "--config", cfg, "--json", "--show-secrets"]);
    expect(r.code, r.stderr).toBe(0);
    const j = json(r);
    expect(j.client_assertion.jwt).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(j.registration_request.jwt).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    const secrets = wireSecrets(r);
    expect(secrets).toContain(j.directory_token.body.access_token);
  });
});

describe("token and ssa", () => {
  it("token: status and token redacted; --show-secrets shows it", async () => {
    const r = await cli(["token", "-c", cfg, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const j = json(r);
    expect(j.directory_token.status).toBe(200);
    expect(j.token).toMatchObject({ token_type: "Bearer", expires_in: 3600, access_token: "[redacted]" });
    expectNoSecrets(r, wireSecrets(r));
    const shown = await cli(["token", "-c", cfg, "--json", "--show-secrets"]);
    expect(shown.code).toBe(0);
    expect(wireSecrets(shown)).toContain(json(shown).token.access_token);
  });

  it("ssa: downloads, verifies and prints the claims; --out writes the SSA", async () => {
    const out = path.join(dir, "ssa.jwt");
    const r = await cli(["ssa", "-c", cfg, "--json", "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    const j = json(r);
    expect(j.ssa).toMatchObject({ status: 200, verified: "signature (directory JWKS) and claims" });
    expect(j.ssa.claims.software_roles).toEqual(["AISP", "PISP"]);
    expect(j.ssa.jwt).toBe("[redacted]");
    const ssa = readFileSync(out, "utf8").trim();
    expect(ssa.split(".")).toHaveLength(3);
    expect(r.stdout.includes(ssa)).toBe(false);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    // Over a file that exists with another mode: the SSA is never left readable by others.
    const shared = path.join(dir, "ssa-shared.jwt");
    writeFileSync(shared, "", { mode: 0o644 });
    chmodSync(shared, 0o644);
    const r3 = await cli(["ssa", "-c", cfg, "--out", shared]);
    expect(r3.code, r3.stderr).toBe(0);
    expect(readFileSync(shared, "utf8").trim().split(".")).toHaveLength(3);
    expect(statSync(shared).mode & 0o777).toBe(0o600);
    // An inline SSA (from a file) is verified without a download.
    const inline = writeConfig(
      dir,
      "inline.json",
      cliConfig(sb, "sandbox-bank", { directory: { software_statement_file: out } }),
    );
    const r2 = await cli(["ssa", "-c", inline]);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stdout).toContain("source: directory.software_statement (inline; not downloaded)");
    expect(r2.stdout).not.toContain("== 1. Client assertion");
  });
});

describe("register, get, update, delete", () => {
  it("RFC 7592 bank: the lifecycle through a state file; secrets stay redacted", async () => {
    const c = writeConfig(
      dir,
      "rat.yaml",
      cliConfig(sb, "rat-bank", { bank_profile: { management: { style: "rfc7592" } } }),
    );
    const state = path.join(dir, "rat-state.json");
    const reg = await cli(["register", "-c", c, "--state", state, "--json"]);
    expect(reg.code, reg.stderr).toBe(0);
    const rj = json(reg);
    expect(rj.registration.secrets.registration_access_token).toBe("[redacted]");
    const st = JSON.parse(readFileSync(state, "utf8"));
    expect(st.secrets.registration_access_token).toMatch(/.{8,}/);
    expect(statSync(state).mode & 0o777).toBe(0o600);
    const secrets = [...wireSecrets(reg), st.secrets.registration_access_token];
    expectNoSecrets(reg, secrets);

    const get = await cli(["get", "-c", c, "--state", state, "--json"]);
    expect(get.code, get.stderr).toBe(0);
    expect(json(get).registration.client_id).toBe(st.client_id);
    expectNoSecrets(get, secrets);

    const upd = await cli(["update", "-c", c, "--state", state, "--json"]);
    expect(upd.code, upd.stderr).toBe(0);
    expect(json(upd).registration.client_id).toBe(st.client_id);
    const st2 = JSON.parse(readFileSync(state, "utf8"));
    expectNoSecrets(upd, [...secrets, st2.secrets.registration_access_token]);

    const del = await cli(["delete", "-c", c, "--state", state, "--json"]);
    expect(del.code, del.stderr).toBe(0);
    expect(json(del)).toMatchObject({ command: "delete", client_id: st.client_id, result: "deleted" });
    expect((await sb.admin.registrations("rat-bank")).map((x) => x.client_id)).not.toContain(st.client_id);

    // Gone now: get says so with exit 4, delete is idempotent (the state file records the result
    // of the first delete; the second repeats it and sends nothing, as no credential is left).
    const gone = await cli(["get", "-c", c, "--state", state]);
    expect(gone.code).toBe(4);
    expect(gone.stderr).toMatch(/error OBDCR_REGISTRATION_GONE: /);
    const again = await cli(["delete", "-c", c, "--state", state, "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(json(again)).toMatchObject({ result: "deleted", state_file: state });
  });

  it("OBIE bank with client_secret_basic: --client-id + OBDCR_CLIENT_SECRET; human output redacts", async () => {
    const c = writeConfig(
      dir,
      "secret.yaml",
      cliConfig(sb, "secret-bank", { client: { token_endpoint_auth_method: "client_secret_basic" } }),
    );
    const state = path.join(dir, "secret-state.json");
    const reg = await cli(["register", "-c", c, "--state", state]);
    expect(reg.code, reg.stderr).toBe(0);
    const st = JSON.parse(readFileSync(state, "utf8"));
    expect(st.secrets.client_secret).toMatch(/.{8,}/);
    expect(reg.stdout).toContain(`client_id: ${st.client_id}`);
    expect(reg.stdout).toContain('"client_secret": "[redacted]"');
    expectNoSecrets(reg, [st.secrets.client_secret, ...wireSecrets(reg)]);
    expect(reg.stdout.includes(st.secrets.client_secret)).toBe(false);

    // The state's secrets can come from the environment instead of a file.
    const env = { OBDCR_CLIENT_ID: st.client_id, OBDCR_CLIENT_SECRET: st.secrets.client_secret };
    const get = await cli(["get", "-c", c, "--json"], { env });
    expect(get.code, get.stderr).toBe(0);
    expect(json(get).registration.client_id).toBe(st.client_id);
    expectNoSecrets(get, [st.secrets.client_secret, ...wireSecrets(get)]);

    const shown = await cli(["get", "-c", c, "--client-id", st.client_id, "--json", "--show-secrets"], {
      env,
    });
    expect(shown.code, shown.stderr).toBe(0);
    // The management token from the bank is printed only with --show-secrets (none in a GET body here).
    expect(json(shown).registration.client_id).toBe(st.client_id);

    const del = await cli(["delete", "-c", c, "--client-id", st.client_id], { env });
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout).toContain(`client_id: ${st.client_id}\nresult: deleted`);
    expect(del.stdout).not.toContain("\\u000a");
  });

  it("--show-secrets on register prints the registration access token", async () => {
    const c = writeConfig(
      dir,
      "rat2.json",
      cliConfig(sb, "rat-bank", { bank_profile: { management: { style: "rfc7592" } } }),
    );
    const r = await cli(["register", "-c", c, "--json", "--show-secrets"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const rat = json(r).registration.secrets.registration_access_token;
    expect(rat).toMatch(/.{8,}/);
    expect(wireSecrets(r)).toContain(rat);
    // Without --state the secrets are kept in the default state file (mode 0600), never dropped.
    const file = json(r).state_file as string;
    expect(r.stderr).toContain(`kept in ${file}`);
    expect(file.startsWith(path.join(dir, "ob-dcr-state"))).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, "utf8")).secrets.registration_access_token).toBe(rat);
  });
});

describe("discover", () => {
  it("checks the bank's discovery document against the profile (flags only, no config)", async () => {
    const bank = sb.manifest.banks[0]!;
    const r = await cli([
      "discover",
      "--profile",
      "obie-3.2",
      "--bank-discovery-url",
      bank.discovery_url,
      "--ca-file",
      sb.manifest.ca_cert_file,
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const j = json(r);
    expect(j.ok).toBe(true);
    expect(j.issuer).toBe(bank.issuer);
    const names = j.checks.map((x: { check: string }) => x.check);
    for (const n of [
      "registration_endpoint",
      "token_endpoint_auth_methods_supported",
      "token_endpoint_auth_signing_alg_values_supported",
      "id_token_signing_alg_values_supported",
      "response_types_supported",
      "grant_types_supported",
    ])
      expect(names).toContain(n);
    expect(j.checks.every((x: { result: string }) => x.result !== "fail")).toBe(true);
  });

  it("with a config, also checks the configured client; env vars work", async () => {
    const r = await cli(["discover"], { env: { OBDCR_CONFIG: cfg } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ok\s+configured client\s+fits the bank/);
    // A client the bank does not support fails the check with exit 3, naming the field.
    const bad = writeConfig(
      dir,
      "bad-auth.yaml",
      cliConfig(sb, "sandbox-bank", { client: { token_endpoint_auth_method: "client_secret_post" } }),
    );
    const r2 = await cli(["discover", "-c", bad, "--json"]);
    expect(r2.code).toBe(3);
    const j = json(r2);
    expect(j.ok).toBe(false);
    expect(j.error.code).toBe("OBDCR_INVALID_INPUT");
    const failed = j.checks.find((x: { check: string }) => x.check === "configured client");
    expect(failed.result).toBe("fail");
    expect(failed.detail).toContain("client.token_endpoint_auth_method");
  });

  it("a config with an old spelling: the bank is checked, the line says every other command refuses the config", async () => {
    const base = cliConfig(sb, "sandbox-bank") as { bank: Record<string, unknown> };
    const old = writeConfig(dir, "old-spelling.yaml", {
      ...base,
      bank: { ...base.bank, management: { style: "obie" } },
    });
    const r = await cli(["discover", "-c", old]);
    expect(r.code, r.stderr).toBe(0); // discover checks the bank's document: a warning only
    expect(r.stdout).toMatch(
      /warn\s+configured client\s+not checked: the config uses an old spelling, which run, register, update, get, delete and doctor refuse \(OBDCR_INVALID_INPUT, exit 3\): bank\.management: moved: set bank_profile\.management/,
    );
    const g = await cli(["get", "-c", old, "--client-id", "x"]);
    expect(g.code).toBe(3);
    expect(g.stderr).toContain("OBDCR_INVALID_INPUT: bank.management: moved: set bank_profile.management");
  });
});

describe("--verbose", () => {
  it("shows the HTTP exchanges (method, URL, status, time) without secrets", async () => {
    const r = await cli(["run", "-c", cfg, "--verbose"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/http: POST https:\/\/localhost:\d+\/as\/token\.oauth2 -> 200 \(\d+ ms\)/);
    expect(r.stderr).toMatch(/http: GET https:\/\/localhost:\d+\/api\/v2\/tpp\/\S+ -> 200/);
    expect(r.stderr).toMatch(/http: POST https:\/\/localhost:\d+\/register -> 201/);
    expectNoSecrets(r, wireSecrets(r));
  });
});

describe("docs/cli.md's config for the sandbox", () => {
  it("saved beside .sandbox/ with the manifest's three values (and this sandbox's ports), doctor passes every check", async () => {
    const block = docBlock("docs/cli.md", "cli-config");
    expect(block.lang).toBe("yaml");
    const m = sb.manifest;
    const sw = m.orgs[0]!.softwares[0]!;
    const bank = m.banks.find((b) => b.name === "sandbox-bank")!;
    const text = block.text
      .replace("<the kid the directory assigned>", sw.signing.kid)
      .replace("<manifest: orgs[0].softwares[0].transport.cert_file>", sw.transport.cert_file)
      .replace("<manifest: orgs[0].softwares[0].transport.key_file>", sw.transport.key_file)
      // The doc's default ports, as this sandbox's ephemeral ones.
      .replaceAll("https://localhost:9443", m.directory.base_url)
      .replaceAll("https://localhost:9445", new URL(bank.discovery_url).origin);
    expect(text).not.toMatch(/<[^>]+>/);
    // The clone's root: .sandbox/pki is this sandbox's PKI.
    const root = path.join(dir, "clone-root");
    mkdirSync(path.join(root, ".sandbox"), { recursive: true });
    symlinkSync(path.dirname(m.ca_cert_file), path.join(root, ".sandbox", "pki"));
    writeFileSync(path.join(root, "sandbox.yaml"), text);
    const r = await cli(["doctor", "-c", "sandbox.yaml", "--json"], { cwd: root });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(json(r).checks.map((c: { check: string; result: string }) => `${c.check}: ${c.result}`)).toEqual([
      "signing key: ok",
      "transport certificate: ok",
      "trusted CA: ok",
      "directory token: ok",
      "software statement: ok",
      "signing key published: ok",
      "bank discovery: ok",
      "bank reachable over mTLS: ok",
    ]);
  });
});
