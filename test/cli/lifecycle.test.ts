/**
 * The CLI runs the lifecycle the resource runs (provider/lifecycle/managed.ts): the same rotation
 * check before anything reaches the bank, a stable client_id hint, the client in every --json
 * error, and the stale-key case said as such. The built CLI against the sandbox over real mTLS.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { sandboxForFile } from "../support/hooks.js";
import { cliConfig } from "../support/params.js";
import { cli, ensureBuilt, tmpDir, writeConfig } from "./helpers.js";

beforeAll(() => ensureBuilt());
const sb = sandboxForFile({
  prefix: "cli-lifecycle",
  banks: ["sandbox-bank", "rat-bank", { name: "hint-bank", quirks: { honour_client_id_hint: true } }],
});
const dir = tmpDir();
// biome-ignore lint/suspicious/noExplicitAny: JSON reports, read field by field
const json = (r: { stdout: string }) => JSON.parse(r.stdout) as Record<string, any>;
const bankRequests = async (bank: string) =>
  Object.values(await sb.admin.requests(bank)).reduce((a, b) => a + b, 0);

describe("the CLI's lifecycle", () => {
  it("update with a new signing key the directory does not publish is refused before any request, as the resource refuses it", async () => {
    const cfg = writeConfig(dir, "rot.yaml", cliConfig(sb, "rat-bank"));
    const state = path.join(dir, "rot-state.json");
    const reg = await cli(["register", "-c", cfg, "--state", state]);
    expect(reg.code, reg.stderr).toBe(0);
    expect(JSON.parse(readFileSync(state, "utf8")).signing_key_identity).toMatchObject({
      kid: sb.sw.signing.kid,
      alg: "PS256",
    });
    // The ES256 key under the PS256 kid: a key the directory does not publish under that kid.
    const other = writeConfig(
      dir,
      "rot-other.yaml",
      cliConfig(sb, "rat-bank", {
        signing_key: {
          kid: sb.sw.signing.kid,
          alg: "ES256",
          private_key_file: sb.sw.signing_es256.private_key_file,
        },
      }),
    );
    const before = await bankRequests("rat-bank");
    const up = await cli(["update", "-c", other, "--state", state, "--json"]);
    expect(up.code, up.stderr).toBe(3);
    // The code and field the resource uses (lifecycle/operations.ts update: signing_key, fix-input).
    expect(json(up).error).toMatchObject({ code: "OBDCR_INVALID_INPUT", field: "signing_key" });
    expect(await bankRequests("rat-bank")).toBe(before);
    // The published next key is a rotation like any other: sent, and recorded.
    const next = writeConfig(
      dir,
      "rot-next.yaml",
      cliConfig(sb, "rat-bank", {
        signing_key: {
          kid: sb.sw.signing_next.kid,
          alg: "PS256",
          private_key_file: sb.sw.signing_next.private_key_file,
        },
      }),
    );
    const rotated = await cli(["update", "-c", next, "--state", state]);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(JSON.parse(readFileSync(state, "utf8")).signing_key_identity.kid).toBe(sb.sw.signing_next.kid);
  });

  it("a register interrupted after the bank committed is found by its stable client_id hint on the next run", async () => {
    const cfg = writeConfig(
      dir,
      "hint.yaml",
      cliConfig(sb, "hint-bank", { bank_profile: { client_id_hint: true } }),
    );
    const state = path.join(dir, "hint-state.json");
    // The POST is committed but its answer lost, and the lookup that would settle it fails too.
    await sb.admin.setFaults("hint-bank", [
      { kind: "reset_after_commit", path: "/register", method: "POST", count: 1 },
      { kind: "server_error", status: 503, path: "/token", count: 20 },
    ]);
    const first = await cli(["register", "-c", cfg, "--state", state, "--json"], {
      env: { OBDCR_MAX_RETRIES: "0", OBDCR_BACKOFF_BASE_MS: "1" },
    });
    expect(first.code, first.stderr).toBe(5);
    expect(json(first).error.code).toBe("OBDCR_OUTCOME_UNKNOWN");
    const held = (await sb.admin.registrations("hint-bank")).map((r) => r.client_id);
    expect(held).toHaveLength(1);
    // The error names the proposed client_id: the one the bank now holds.
    expect(json(first).error.client_id).toBe(held[0]);
    await sb.admin.setFaults("hint-bank", []);
    const again = await cli(["register", "-c", cfg, "--state", state, "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(json(again).registration.client_id).toBe(held[0]);
    expect(json(again).registration.reconciled).toBe("earlier_attempt");
    expect((await sb.admin.registrations("hint-bank")).map((r) => r.client_id)).toEqual(held);
  });

  it("the --json error carries the client_id whenever the bank issued one, and its state is kept", async () => {
    await sb.admin.setQuirks("sandbox-bank", { extra_members: { client_secret: "half-a-secret-123456" } });
    try {
      const cfg = writeConfig(dir, "broken.yaml", cliConfig(sb));
      const state = path.join(dir, "broken-state.json");
      const r = await cli(["register", "-c", cfg, "--state", state, "--json"]);
      expect(r.code).toBe(5);
      const err = json(r).error;
      expect(err.code).toBe("OBDCR_OUTCOME_UNKNOWN");
      const held = (await sb.admin.registrations("sandbox-bank")).map((x) => x.client_id);
      expect(held).toContain(err.client_id);
      expect(json(r).state_file).toBe(state);
      expect(JSON.parse(readFileSync(state, "utf8"))).toMatchObject({
        client_id: err.client_id,
        incomplete: true,
      });
      expect(r.stdout + r.stderr).not.toContain("half-a-secret-123456");
    } finally {
      await sb.admin.setQuirks("sandbox-bank", { extra_members: {} });
    }
  });

  it("a bank holding a stale copy of our keys: the refusal says so, and how to tell it from a deletion", async () => {
    const cfg = writeConfig(dir, "stale.yaml", cliConfig(sb));
    const state = path.join(dir, "stale-state.json");
    expect((await cli(["register", "-c", cfg, "--state", state])).code).toBe(0);
    // The bank verifies with a copy of the software JWKS from before signing_next was published.
    await sb.admin.setQuirks("sandbox-bank", { stale_client_keys: [sb.sw.signing_next.kid] });
    try {
      const next = writeConfig(
        dir,
        "stale-next.yaml",
        cliConfig(sb, "sandbox-bank", {
          signing_key: {
            kid: sb.sw.signing_next.kid,
            alg: "PS256",
            private_key_file: sb.sw.signing_next.private_key_file,
          },
        }),
      );
      const get = await cli(["get", "-c", next, "--state", state, "--json"]);
      expect(get.code, get.stderr).toBe(4);
      const err = json(get).error;
      expect(err.code).toBe("OBDCR_GONE_UNCONFIRMED");
      expect(err.message).toMatch(
        /which does not mean the client is gone: a bank that still holds an old copy of our keys/,
      );
      expect(err.message).toMatch(/look the client up in the bank's developer portal/);
      // Nothing dropped: the bank keeps the client, the state file still names it.
      const id = JSON.parse(readFileSync(state, "utf8")).client_id;
      expect((await sb.admin.registrations("sandbox-bank")).map((r) => r.client_id)).toContain(id);
    } finally {
      await sb.admin.setQuirks("sandbox-bank", { stale_client_keys: [] });
    }
  });

  it("a signing key of another alg at an OBIE-style bank: the refusal names the registered alg and the two steps, which work", async () => {
    const cfg = writeConfig(dir, "alg.yaml", cliConfig(sb));
    const state = path.join(dir, "alg-state.json");
    expect((await cli(["register", "-c", cfg, "--state", state])).code).toBe(0);
    expect(JSON.parse(readFileSync(state, "utf8")).token_endpoint_auth_signing_alg).toBe("PS256");
    const es256 = {
      kid: sb.sw.signing_es256.kid,
      alg: "ES256",
      private_key_file: sb.sw.signing_es256.private_key_file,
    };
    // In one step: the bank refuses the PUT's token, whose assertion is ES256 while it holds PS256.
    const oneStep = writeConfig(dir, "alg-one.yaml", cliConfig(sb, "sandbox-bank", { signing_key: es256 }));
    const one = await cli(["update", "-c", oneStep, "--state", state, "--json"]);
    expect(one.code, one.stderr).toBe(4);
    expect(json(one).error).toMatchObject({ code: "OBDCR_GONE_UNCONFIRMED", field: "signing_key" });
    expect(json(one).error.message).toMatch(/holds token_endpoint_auth_signing_alg PS256 .* in ES256/);
    expect(json(one).error.message).toMatch(/two steps/);
    expect(json(one).error.message).not.toMatch(/old copy of our keys/);
    const id = JSON.parse(readFileSync(state, "utf8")).client_id;
    expect((await sb.admin.registrations("sandbox-bank")).map((r) => r.client_id)).toContain(id);
    // The two steps: register the new alg with the old key, then switch the key.
    const step1 = writeConfig(
      dir,
      "alg-step1.yaml",
      cliConfig(sb, "sandbox-bank", { client: { token_endpoint_auth_signing_alg: "ES256" } }),
    );
    const a = await cli(["update", "-c", step1, "--state", state]);
    expect(a.code, a.stderr).toBe(0);
    const step2 = writeConfig(
      dir,
      "alg-step2.yaml",
      cliConfig(sb, "sandbox-bank", {
        signing_key: es256,
        client: { token_endpoint_auth_signing_alg: "ES256" },
      }),
    );
    const b = await cli(["update", "-c", step2, "--state", state]);
    expect(b.code, b.stderr).toBe(0);
    const held = (await sb.admin.registrations("sandbox-bank")).find((r) => r.client_id === id);
    expect(held?.metadata.token_endpoint_auth_signing_alg).toBe("ES256");
    expect(JSON.parse(readFileSync(state, "utf8")).signing_key_identity.alg).toBe("ES256");
  });
});
