// The CLI (built, run as a subprocess) on the paths the suite covers: success with issued secrets,
// a bank refusal, a lost answer, a transport failure, bad key material; with --verbose and --json.
// No secret value seen on the wire (tokens, client_secret, registration_access_token) nor any
// private key appears in stdout, stderr or the CLI's state file.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../sandbox/index.js";
import { type CliResult, cli, ensureBuilt, tmpDir, wireSecrets, writeConfig } from "../cli/helpers.js";
import { cliConfig } from "../support/params.js";
import { startTestSandbox } from "../support/sandbox.js";
import { expectNoSecrets, secretNeedles, softwareSecrets } from "./helpers.js";

describe("CLI output never carries a secret", () => {
  let sb: Sandbox;
  let dir: string;
  let keys: string[];
  const seen: CliResult[] = [];

  beforeAll(async () => {
    ensureBuilt();
    sb = await startTestSandbox({
      prefix: "rel-cli",
      banks: ["sandbox-bank", "rat-bank"],
    });
    dir = tmpDir();
    keys = softwareSecrets(sb);
  });
  afterAll(async () => {
    await sb?.close();
  });

  const run = async (args: string[]) => {
    const r = await cli(args);
    seen.push(r);
    return r;
  };

  it("register + get + delete on an RFC 7592 bank with client_secret_basic, verbose", async () => {
    const cfg = writeConfig(
      dir,
      "rat.yaml",
      cliConfig(sb, "rat-bank", {
        // No management style given: the registration access token in the state decides (RFC 7592 §3).
        client: { token_endpoint_auth_method: "client_secret_basic" },
      }),
    );
    const state = path.join(dir, "rat-state.json");
    const reg = await run(["register", "-c", cfg, "--state", state, "--verbose"]);
    expect(reg.code, reg.stderr).toBe(0);
    expect(wireSecrets(reg).length).toBeGreaterThanOrEqual(2); // client_secret and RAT were issued
    const got = await run(["get", "-c", cfg, "--state", state, "--verbose", "--json"]);
    expect(got.code, got.stderr).toBe(0);
    expect((await run(["delete", "-c", cfg, "--state", state, "--verbose"])).code).toBe(0);
    if (existsSync(state)) {
      const text = readFileSync(state, "utf8");
      expectNoSecrets(text, keys, "the CLI state file (keys)");
    }
  });

  it("a lost answer, a 500, a refusal and a bad key: errors without secrets", async () => {
    const cfg = writeConfig(dir, "uk.yaml", cliConfig(sb, "sandbox-bank"));
    await sb.admin.setFaults("sandbox-bank", [
      { kind: "reset_after_commit", path: "/register", method: "POST", count: 1 },
    ]);
    const lost = await run(["register", "-c", cfg, "--verbose"]);
    expect(lost.code).toBe(5);
    expect(lost.stderr).toMatch(/OBDCR_OUTCOME_UNKNOWN/);
    await sb.admin.setFaults("sandbox-bank", [
      { kind: "server_error", status: 500, path: "/register", count: 1 },
    ]);
    const e500 = await run(["register", "-c", cfg, "--verbose", "--json"]);
    expect(e500.code).toBe(5);
    await sb.admin.setFaults("sandbox-bank", []);
    const refused = await run([
      "register",
      "-c",
      writeConfig(
        dir,
        "bad-scope.yaml",
        cliConfig(sb, "sandbox-bank", { client: { scope: "openid fundsconfirmations" } }),
      ),
      "--verbose",
    ]);
    expect(refused.code).toBe(4);
    const badKey = await run([
      "register",
      "-c",
      writeConfig(
        dir,
        "bad-key.yaml",
        cliConfig(sb, "sandbox-bank", {
          transport: { key_file: sb.manifest.orgs[0]!.softwares[0]!.signing.private_key_file },
        }),
      ),
      "--verbose",
    ]);
    expect(badKey.code).toBe(3);
    expect(badKey.stderr).toMatch(/transport\.key/);
  });

  it("nothing printed contains a wire secret or a private key", () => {
    const wire = seen.flatMap(wireSecrets);
    expect(wire.length).toBeGreaterThan(2);
    const needles = [...keys, ...secretNeedles(wire)];
    for (const r of seen) expectNoSecrets(`${r.stdout}\n${r.stderr}`, needles, "CLI output");
  });
});
