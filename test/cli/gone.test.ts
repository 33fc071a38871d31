/**
 * `get` / `delete` never call a registration gone on an ambiguous answer: another key under the
 * same kid makes the bank's token endpoint answer invalid_client, exactly as a deleted client does.
 * The built CLI as a subprocess against the sandbox over real mTLS.
 */
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { sandboxForFile } from "../support/hooks.js";
import { cliConfig } from "../support/params.js";
import { CLI_BANKS, cli, ensureBuilt, tmpDir, writeConfig } from "./helpers.js";

beforeAll(() => ensureBuilt());
const sb = sandboxForFile({ prefix: "cli", banks: CLI_BANKS });
const dir = tmpDir();

describe("an ambiguous invalid_client at the bank's token endpoint", () => {
  it("another key under the same kid: get fails naming signing_key, nothing dropped, the bank keeps the client", async () => {
    const cfg = writeConfig(dir, "good.yaml", cliConfig(sb));
    const state = path.join(dir, "state.json");
    const reg = await cli(["register", "-c", cfg, "--state", state, "--json"]);
    expect(reg.code, reg.stderr).toBe(0);
    const clientId = JSON.parse(reg.stdout).registration.client_id as string;

    const wrong = path.join(dir, "wrong.pem");
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(wrong, privateKey.export({ format: "pem", type: "pkcs8" }).toString());
    const sw = sb.manifest.orgs[0]!.softwares[0]!;
    const bad = writeConfig(
      dir,
      "bad.yaml",
      cliConfig(sb, "sandbox-bank", {
        signing_key: { kid: sw.signing.kid, alg: "PS256", private_key_file: wrong },
      }),
    );
    // The state records the key last sent: another key is checked against the directory first and
    // refused before anything reaches the bank (as the resource does).
    const before = (await sb.admin.registrations("sandbox-bank")).length;
    const refused = await cli(["get", "-c", bad, "--state", state, "--json"]);
    expect(refused.code, refused.stderr).toBe(3);
    expect(JSON.parse(refused.stdout).error).toMatchObject({
      code: "OBDCR_INVALID_INPUT",
      field: "signing_key",
    });
    expect((await sb.admin.registrations("sandbox-bank")).length).toBe(before);
    // A state file of an earlier version records no key: the bank is asked, and its refusal explained.
    const old = JSON.parse(readFileSync(state, "utf8")) as Record<string, unknown>;
    delete old.signing_key_identity;
    writeFileSync(state, JSON.stringify(old));
    const get = await cli(["get", "-c", bad, "--state", state]);
    expect(get.code).toBe(4);
    expect(get.stderr).toMatch(/error OBDCR_GONE_UNCONFIRMED: .*invalid_client/);
    expect(get.stderr).toMatch(
      /Our side is wrong: signing_key: the directory publishes kid .* with another public key/,
    );
    expect(get.stderr).toMatch(/Fix signing_key in the config/);
    expect(get.stderr).not.toMatch(/OBDCR_REGISTRATION_GONE/);
    // delete with the wrong key neither deletes nor reports "already gone"
    const del = await cli(["delete", "-c", bad, "--state", state, "--json"]);
    expect(del.code).toBe(4);
    expect((await sb.admin.registrations("sandbox-bank")).map((r) => r.client_id)).toContain(clientId);
    // with the right key, all is well
    expect((await cli(["get", "-c", cfg, "--state", state])).code).toBe(0);
  });

  it("deleted out of band: get says our side checks out; --confirm-gone reports it gone", async () => {
    const cfg = writeConfig(dir, "oob.yaml", cliConfig(sb));
    const state = path.join(dir, "oob-state.json");
    expect((await cli(["register", "-c", cfg, "--state", state])).code).toBe(0);
    // Out of band: the bank deletes the client, the state file still holds its credentials (a
    // `delete` through ob-dcr would mark the file deleted).
    const live = readFileSync(state, "utf8");
    expect((await cli(["delete", "-c", cfg, "--state", state])).code).toBe(0);
    writeFileSync(state, live);
    const get = await cli(["get", "-c", cfg, "--state", state]);
    expect(get.code).toBe(4);
    // Our side checking out is not proof of a deletion: the stale-key case is named, and how to tell.
    expect(get.stderr).toMatch(
      /Our side checks out .*which does not mean the client is gone: a bank that still holds an old copy of our keys/,
    );
    expect(get.stderr).toMatch(/look the client up in the bank's developer portal/);
    expect(get.stderr).toMatch(/run again with --confirm-gone/);
    const confirmed = await cli(["get", "-c", cfg, "--state", state, "--confirm-gone"]);
    expect(confirmed.code).toBe(4);
    expect(confirmed.stderr).toMatch(/error OBDCR_REGISTRATION_GONE: /);
    const del = await cli(["delete", "-c", cfg, "--state", state, "--confirm-gone", "--json"]);
    expect(del.code, del.stderr).toBe(0);
    expect(JSON.parse(del.stdout).result).toBe("gone");
  });
});

describe("a 401 for a registration access token that the bank superseded (rat-bank rotates it on PUT)", () => {
  it("a state file left behind by an update (a SIGKILL mid-PUT): get and delete keep the client and say how to recover; once deleted, the stale file's get is gone", async () => {
    const rat = { bank_profile: { management: { style: "rfc7592" } } };
    const cfg = writeConfig(dir, "rat.yaml", cliConfig(sb, "rat-bank", rat));
    const state = path.join(dir, "rat-state.json");
    const reg = await cli(["register", "-c", cfg, "--state", state, "--json"]);
    expect(reg.code, reg.stderr).toBe(0);
    const clientId = JSON.parse(reg.stdout).registration.client_id as string;
    // What a process killed before the PUT's answer leaves: the file as it was before the update.
    const stale = path.join(dir, "rat-stale.json");
    writeFileSync(stale, readFileSync(state, "utf8"));
    const changed = writeConfig(
      dir,
      "rat2.yaml",
      cliConfig(sb, "rat-bank", { ...rat, client: { scope: "openid" } }),
    );
    expect((await cli(["update", "-c", changed, "--state", state])).code).toBe(0);
    const staleText = readFileSync(stale, "utf8");
    for (const cmd of ["get", "delete"]) {
      const r = await cli([cmd, "-c", changed, "--state", stale]);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toMatch(
        /error OBDCR_GONE_UNCONFIRMED: .*refused the stored registration access token \(HTTP 401\), but its token endpoint still authenticates client/,
      );
      expect(r.stderr).toMatch(/Nothing was dropped/);
      expect(r.stderr).toMatch(
        /current registration access token, put it in the state file's secrets.registration_access_token/,
      );
      expect(r.stderr).not.toMatch(/--confirm-gone/);
    }
    // --confirm-gone is not applied to a client the bank still authenticates: said, never silent.
    for (const cmd of ["get", "delete"]) {
      const r = await cli([cmd, "-c", changed, "--state", stale, "--confirm-gone", "--json"]);
      expect(r.code, r.stderr).toBe(4);
      const { error } = JSON.parse(r.stdout);
      expect(error).toMatchObject({ code: "OBDCR_GONE_UNCONFIRMED", client_id: clientId });
      expect(error.message).toContain(
        `--confirm-gone was not applied: the bank still authenticates client ${clientId}, and dropping it would leave a live client at the bank`,
      );
      expect(error.message).toMatch(
        /To drop it anyway, revoke it in the bank's developer portal first, then delete the state file$/,
      );
    }
    expect(readFileSync(stale, "utf8")).toBe(staleText);
    expect((await sb.admin.registrations("rat-bank")).map((r) => r.client_id)).toContain(clientId);
    // Deleted at the bank (with the current token): the stale file's 401 is gone, as before.
    expect((await cli(["delete", "-c", changed, "--state", state])).code).toBe(0);
    const gone = await cli(["get", "-c", changed, "--state", stale, "--json"]);
    expect(gone.code).toBe(4);
    expect(JSON.parse(gone.stdout).error).toMatchObject({ code: "OBDCR_REGISTRATION_GONE" });
    expect(JSON.parse(gone.stdout).error.message).toMatch(/refuses client \S+ too \(invalid_client\)/);
    // delete says why it counted as gone (the stale file is not marked: it is a copy the test kept).
    const del = await cli(["delete", "-c", changed, "--state", stale]);
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout).toMatch(/result: gone/);
    expect(del.stderr).toMatch(/gone: .*HTTP 401.*refuses client \S+ too \(invalid_client\)/);
  });
});
