/**
 * Bad configuration and failing peers: a clear message naming the field, the documented exit code
 * (2 usage, 3 invalid input/config, 4 rejected by bank/directory, 5 transport/unexpected response),
 * no stack unless --verbose, no secrets.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { sandboxForFile } from "../support/hooks.js";
import { cliConfig } from "../support/params.js";
import { CLI_BANKS, cli, closedPort, ensureBuilt, pemBody, tmpDir, writeConfig } from "./helpers.js";

beforeAll(() => ensureBuilt());
const sb = sandboxForFile({ prefix: "cli", banks: CLI_BANKS });
const dir = tmpDir();

describe("invalid input and configuration: exit 3", () => {
  it("missing config file names the flag and the path", async () => {
    const missing = path.join(dir, "nope.yaml");
    const r = await cli(["register", "--config", missing]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      `error OBDCR_INVALID_INPUT: --config: cannot read "${missing}": no such file (ENOENT)`,
    );
    expect(r.stderr).toContain("exit code 3 (invalid input or configuration)");
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack
  });

  it("no config at all says how to give one", async () => {
    const r = await cli(["token"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("--config: no configuration: give --config FILE or set OBDCR_CONFIG");
  });

  it("a missing key file names signing_key.private_key_file", async () => {
    const c = writeConfig(
      dir,
      "nokey.yaml",
      cliConfig(sb, "sandbox-bank", { signing_key: { private_key_file: "keys/absent.pem" } }),
    );
    const r = await cli(["run", "-c", c]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      `signing_key.private_key_file: cannot read "${path.join(dir, "keys/absent.pem")}"`,
    );
    // Where a relative path was looked for: the config file's folder.
    expect(r.stderr).toContain(
      `no such file (ENOENT); check the path: "keys/absent.pem" is resolved against ${dir}`,
    );
  });

  it("a typo in a member's name names the closest member", async () => {
    const cfg = cliConfig(sb, "sandbox-bank") as { client: Record<string, unknown> };
    const { redirect_uris, ...client } = cfg.client;
    const c = writeConfig(dir, "typo.yaml", { ...cfg, client: { ...client, redirect_uri: redirect_uris } });
    const r = await cli(["run", "-c", c]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('client: Unrecognized key: "redirect_uri" (did you mean "redirect_uris"?)');
  });

  it("a malformed signing key names the file field", async () => {
    const bad = path.join(dir, "bad.key.pem");
    writeFileSync(bad, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
    const c = writeConfig(
      dir,
      "badkey.yaml",
      cliConfig(sb, "sandbox-bank", { signing_key: { private_key_file: bad } }),
    );
    const r = await cli(["register", "-c", c, "--json"]);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j.error).toMatchObject({ code: "OBDCR_INVALID_INPUT", exit_code: 3 });
    expect(j.error.field).toBe(`signing_key.private_key_file (${bad})`);
    expect(j.error.message).toContain("cannot be imported as a PS256 private key");
    expect(r.stdout + r.stderr).not.toContain("bm90IGEga2V5");
  });

  it("a malformed transport certificate names transport.cert_file", async () => {
    const bad = path.join(dir, "bad.cert.pem");
    writeFileSync(bad, "not a certificate\n");
    const c = writeConfig(
      dir,
      "badcert.yaml",
      cliConfig(sb, "sandbox-bank", { transport: { cert_file: bad } }),
    );
    const r = await cli(["register", "-c", c]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`transport.cert_file (${bad}): is not a PEM X.509 certificate`);
  });

  it("an unknown profile (flag or env) names profile and lists the valid ones", async () => {
    const c = writeConfig(dir, "ok.yaml", cliConfig(sb));
    const r = await cli(["register", "-c", c, "--profile", "obie-9.9"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error OBDCR_INVALID_INPUT: profile: .*obie-9\.9|profile: Invalid option/);
    expect(r.stderr).toContain('"obie-3.2"');
    const e = await cli(["discover", "-c", c], { env: { OBDCR_PROFILE: "nope" } });
    expect(e.code).toBe(3);
    expect(e.stderr).toContain('profile: "nope" is unknown: one of obie-3.1, obie-3.2');
  });

  it("old spellings are refused with the new name: OB_DCR_* variables, bank.management", async () => {
    const c = writeConfig(dir, "ok2.yaml", cliConfig(sb));
    const e = await cli(["register", "-c", c], { env: { OB_DCR_TIMEOUT: "5" } });
    expect(e.code).toBe(3);
    expect(e.stderr).toContain("OB_DCR_TIMEOUT: was renamed: set OBDCR_TIMEOUT instead");
    const old = writeConfig(
      dir,
      "old.yaml",
      cliConfig(sb, "sandbox-bank", { bank: { management: { style: "rfc7592" } } }),
    );
    const m = await cli(["register", "-c", old]);
    expect(m.code).toBe(3);
    expect(m.stderr).toContain("bank.management: moved: set bank_profile.management");
  });

  it("a missing required field is named", async () => {
    const c = writeConfig(
      dir,
      "nosw.json",
      cliConfig(sb, "sandbox-bank", { software: { software_id: undefined } }),
    );
    const r = await cli(["run", "-c", c]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("software.software_id");
    const noKid = writeConfig(
      dir,
      "nokid.yaml",
      cliConfig(sb, "sandbox-bank", { signing_key: { kid: undefined } }),
    );
    const r2 = await cli(["register", "-c", noKid, "--json"]);
    expect(r2.code).toBe(3);
    expect(JSON.parse(r2.stdout).error.field).toBe("signing_key.kid");
  });

  it("a config without bank says where the bank can come from", async () => {
    const c = writeConfig(dir, "nobank.json", cliConfig(sb, "sandbox-bank", { bank: undefined }));
    const r = await cli(["get", "-c", c, "--client-id", "c1"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      "bank: is required: bank.discovery_url in the config, or --bank-discovery-url",
    );
  });

  it("malformed YAML and unknown members are config errors", async () => {
    const y = path.join(dir, "broken.yaml");
    writeFileSync(y, "profile: obie-3.2\nbank: [unclosed\n");
    const r = await cli(["register", "-c", y]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`--config: "${y}" is not valid YAML`);
    const c = writeConfig(dir, "typo.yaml", cliConfig(sb, "sandbox-bank", { bank: { discovry_url: "x" } }));
    const r2 = await cli(["register", "-c", c]);
    expect(r2.code).toBe(3);
    expect(r2.stderr).toContain("bank");
    expect(r2.stderr).toContain("discovry_url");
  });

  it("both private_key and private_key_file is refused", async () => {
    const c = writeConfig(
      dir,
      "both.yaml",
      cliConfig(sb, "sandbox-bank", { signing_key: { private_key: "x" } }),
    );
    const r = await cli(["register", "-c", c]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      "signing_key.private_key_file: give either signing_key.private_key or signing_key.private_key_file, not both",
    );
  });

  it("get without a state file or client id says how to name the registration", async () => {
    const c = writeConfig(dir, "ok2.yaml", cliConfig(sb));
    const r = await cli(["get", "-c", c]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("--state: name the registration");
  });

  it("--client-id at an RFC 7592 bank without its token says where the token goes; nothing reaches /register", async () => {
    const c = writeConfig(
      dir,
      "rat-id.yaml",
      cliConfig(sb, "rat-bank", { bank_profile: { management: { style: "rfc7592" } } }),
    );
    const state = path.join(dir, "rat-id-state.json");
    expect((await cli(["register", "-c", c, "--state", state])).code).toBe(0);
    const { client_id, secrets } = JSON.parse(readFileSync(state, "utf8"));
    const before = await sb.admin.requests("rat-bank");
    for (const command of ["get", "update", "delete"]) {
      const r = await cli([command, "-c", c, "--client-id", client_id]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain(
        `state.secrets.registration_access_token: this bank manages clients with a registration access token (RFC 7592), and none was given for client ${client_id}; name the state file that register or run wrote for it (--state FILE, or OBDCR_STATE), or give the token in OBDCR_REGISTRATION_ACCESS_TOKEN`,
      );
    }
    const after = await sb.admin.requests("rat-bank");
    for (const route of [
      "GET /register/{client_id}",
      "PUT /register/{client_id}",
      "DELETE /register/{client_id}",
    ])
      expect(after[route] ?? 0, route).toBe(before[route] ?? 0);
    // The remedy as said: the token in the environment.
    const env = { OBDCR_REGISTRATION_ACCESS_TOKEN: secrets.registration_access_token };
    expect((await cli(["get", "-c", c, "--client-id", client_id], { env })).code).toBe(0);
    expect((await cli(["delete", "-c", c, "--state", state])).code).toBe(0);
  });
});

describe("usage errors: exit 2", () => {
  it("unknown command, unknown flag, missing flag value, stray argument", async () => {
    const a = await cli(["regster"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('error OBDCR_CLI_USAGE: unknown command "regster"');
    expect(a.stderr).toContain("see: ob-dcr --help");
    const b = await cli(["run", "--confg", "x.yaml"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('unknown flag "--confg"');
    expect(b.stderr).toContain("see: ob-dcr run --help");
    const c = await cli(["run", "--config"]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('flag "--config" needs a value');
    const d = await cli(["get", "extra"]);
    expect(d.code).toBe(2);
    const e = await cli([]);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain("USAGE ob-dcr");
  });

  it("--state with several files (a shell pattern such as ob-dcr-state/*.json that matched two) says it takes one, and which were given", async () => {
    const states = path.join(dir, "two-states");
    mkdirSync(states, { recursive: true });
    const files = ["a.json", "b.json"].map((f) => path.join(states, f));
    for (const f of files) writeFileSync(f, "{}");
    // What the shell passes for `--state two-states/*.json`.
    const given = readdirSync(states).map((f) => path.join(states, f));
    const r = await cli(["get", "--state", ...given]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `error OBDCR_CLI_USAGE: --state takes one file, but 2 were given: "${files[0]}", "${files[1]}" (a shell pattern such as ob-dcr-state/*.json gives every file it matches): name one file after --state`,
    );
    expect(r.stderr).not.toContain("unexpected argument");
    const j = await cli(["delete", `--state=${files[0]}`, files[1] as string, "--json"]);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).error).toMatchObject({
      code: "OBDCR_CLI_USAGE",
      message: expect.stringMatching(/^--state takes one file, but 2 were given/),
    });
    // Another flag's value is "one value"; a stray argument after a boolean flag stays what it was.
    const p = await cli(["register", "--profile", "obie-3.2", "rfc7591"]);
    expect(p.stderr).toContain(
      '--profile takes one value, but 2 were given: "obie-3.2", "rfc7591": name one value',
    );
    const b = await cli(["get", "--json", "extra"]);
    expect(b.code).toBe(2);
    expect(JSON.parse(b.stdout).error.message).toContain(
      'unexpected argument "extra" (this command takes only flags)',
    );
  });
});

describe("peers: exit 4 (rejected) and 5 (transport / unexpected)", () => {
  it("an unreachable bank (closed loopback port) is a transport error, exit 5", async () => {
    const port = await closedPort();
    const c = writeConfig(
      dir,
      "closed.yaml",
      cliConfig(sb, "sandbox-bank", {
        bank: { discovery_url: `https://127.0.0.1:${port}/.well-known/openid-configuration` },
      }),
    );
    const r = await cli(["register", "-c", c, "--json"]);
    expect(r.code).toBe(5);
    const j = JSON.parse(r.stdout);
    expect(j.error.code).toBe("OBDCR_TRANSPORT");
    expect(j.error.message).toContain(`127.0.0.1:${port}`);
    expect(j.error.message).toContain("ECONNREFUSED");
    expect(r.stderr).toMatch(/registration … failed \(\d+ ms\)/);
    const d = await cli([
      "discover",
      "--profile",
      "obie-3.2",
      "--bank-discovery-url",
      `https://127.0.0.1:${port}/x`,
    ]);
    expect(d.code).toBe(5);
    expect(d.stderr).toContain("error OBDCR_TRANSPORT: ");
  });

  it("the directory refusing a revoked signing key is a rejection, exit 4, with status and error", async () => {
    const sw = sb.manifest.orgs[0]!.softwares[0]!;
    const revoked = sw.revoked_signing!;
    const c = writeConfig(
      dir,
      "revoked.yaml",
      cliConfig(sb, "sandbox-bank", {
        signing_key: { kid: revoked.kid, private_key_file: revoked.private_key_file },
      }),
    );
    const r = await cli(["run", "-c", c]);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain("== 2. Directory token");
    expect(r.stdout).toMatch(/status: 40[01]/);
    expect(r.stderr).toMatch(
      /error OBDCR_REGISTRATION_REJECTED: directory token request was rejected with HTTP 40[01] invalid_client/,
    );
    expect(r.stdout + r.stderr).not.toContain(pemBody(revoked.private_key_file).slice(0, 64));
  });

  it("the bank rejecting the request (wrong aud) is exit 4; run still prints the request and response", async () => {
    const c = writeConfig(
      dir,
      "aud.yaml",
      cliConfig(sb, "sandbox-bank", { bank_profile: { aud: { literal: "not-the-bank" } } }),
    );
    const r = await cli(["run", "-c", c, "--json"]);
    expect(r.code).toBe(4);
    const j = JSON.parse(r.stdout);
    expect(j.registration_request.claims.aud).toBe("not-the-bank");
    expect(j.registration_response.status).toBeGreaterThanOrEqual(400);
    expect(j.error).toMatchObject({ code: "OBDCR_REGISTRATION_REJECTED", exit_code: 4 });
    expect(j.error.status).toBe(j.registration_response.status);
  });

  it("an unexpected bank response (HTTP 500) is exit 5; --verbose adds the stack", async () => {
    await sb.admin.setFaults("sandbox-bank", [
      { kind: "server_error", status: 500, path: "/register", count: 2 },
    ]);
    try {
      const c = writeConfig(dir, "ok3.yaml", cliConfig(sb));
      const r = await cli(["register", "-c", c]);
      expect(r.code).toBe(5);
      expect(r.stderr).toContain("error OBDCR_UNEXPECTED_RESPONSE: registration (POST): unexpected HTTP 500");
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const v = await cli(["register", "-c", c, "--verbose"]);
      expect(v.code).toBe(5);
      expect(v.stderr).toMatch(/http: POST https:\/\/localhost:\d+\/register -> 500/);
      expect(v.stderr).toMatch(/\n\s+at /);
    } finally {
      await sb.admin.setFaults("sandbox-bank", []);
    }
  });
});
