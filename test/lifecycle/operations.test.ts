/**
 * Each lifecycle operation on its own (provider/lifecycle/operations.ts), as both Pulumi adapters
 * call it, against the sandbox over real mTLS: check, create, read, update, remove, and the
 * decisions each makes (partial create, gone only when confirmed, rotation checked first).
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createContext } from "../../provider/http/context.js";
import { closeAgents } from "../../provider/http/transport.js";
import { capabilitiesOf } from "../../provider/lifecycle/diff.js";
import { importRegistration } from "../../provider/lifecycle/import.js";
import * as lifecycle from "../../provider/lifecycle/operations.js";
import type { Props } from "../../provider/lifecycle/props.js";
import { sandboxForFile } from "../support/hooks.js";
import { pulumiArgs } from "../support/params.js";

const sb = sandboxForFile({ prefix: "lifecycle-ops", banks: ["sandbox-bank", "rat-bank"] });
afterAll(() => closeAgents());

const confirmed = new Set<string>();
const lc = (): lifecycle.Lifecycle => ({
  ctx: createContext(),
  secrets: {},
  confirmedGone: (id) => confirmed.has(id),
  configKey: (key) => `obdcr:${key}`,
  now: () => Math.floor(Date.now() / 1000),
});
const props = (bank: string, over: Record<string, unknown> = {}) =>
  JSON.parse(JSON.stringify(pulumiArgs(sb, bank, over as never))) as Props;
const freshKeyFile = () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "obdcr-key-")), "new.key.pem");
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  writeFileSync(file, privateKey.export({ format: "pem", type: "pkcs8" }).toString(), { mode: 0o600 });
  return file;
};
const held = async (bank: string) => (await sb.admin.registrations(bank)).map((r) => r.client_id);

describe("lifecycle operations", () => {
  it("check: valid inputs pass through; a missing signing key is a failure naming the input", async () => {
    const ok = await lifecycle.check(lc(), props("sandbox-bank"));
    expect(ok.failures).toEqual([]);
    expect(ok.inputs).toMatchObject({ profile: expect.any(String), bank: expect.any(Object) });
    const bad = props("sandbox-bank");
    delete (bad.signingKey as Record<string, unknown>).privateKeyFile;
    const r = await lifecycle.check(lc(), bad);
    expect(r.failures.map((f) => f.property)).toContain("signingKey.privateKey");
  });

  it("create registers at the bank and records the material identities; read finds the same client", async () => {
    const c = await lifecycle.create(lc(), props("sandbox-bank"));
    expect(await held("sandbox-bank")).toContain(c.id);
    expect(c.outs).toMatchObject({
      clientId: c.id,
      managementUri: expect.stringContaining(`/register/${c.id}`),
      signingKeyIdentity: { kid: sb.sw.signing.kid, alg: "PS256", thumbprint: expect.any(String) },
    });
    const r = await lifecycle.read(lc(), c.id, c.outs);
    expect(r.kind).toBe("read");
    expect(r.kind === "read" && r.props.clientId).toBe(c.id);
  });

  it("update PUTs a changed redirect URI and keeps the client; no change sends nothing", async () => {
    const olds = (await lifecycle.create(lc(), props("rat-bank"))).outs;
    const id = olds.clientId as string;
    const before = await sb.admin.requests("rat-bank");
    const same = await lifecycle.update(lc(), id, olds, props("rat-bank"), capabilitiesOf(olds));
    expect(await sb.admin.requests("rat-bank")).toEqual(before);
    const news = props("rat-bank", { client: { scope: "openid accounts payments" } });
    const u = await lifecycle.update(lc(), id, same.outs, news, capabilitiesOf(news));
    expect(u.outs.clientId).toBe(id);
    expect((u.outs.registeredMetadata as Record<string, unknown>).scope).toBe("openid accounts payments");
    expect(await held("rat-bank")).toContain(id);
  });

  it("update with nothing to send keeps a token left in doubt in doubt (only a call it authorises confirms it)", async () => {
    const c = await lifecycle.create(lc(), props("rat-bank"));
    // As a lost PUT answer left it (PartiallyUpdated, token_unconfirmed); the change then reverted.
    const olds = { ...c.outs, tokenUnconfirmed: true };
    const before = await sb.admin.requests("rat-bank");
    const u = await lifecycle.update(lc(), c.id, olds, props("rat-bank"), capabilitiesOf(olds));
    expect(await sb.admin.requests("rat-bank")).toEqual(before);
    expect(u.outs.tokenUnconfirmed).toBe(true);
    const news = props("rat-bank", { client: { scope: "openid accounts payments" } });
    const put = await lifecycle.update(lc(), c.id, u.outs, news, capabilitiesOf(news));
    expect(put.outs.tokenUnconfirmed).toBeUndefined();
  });

  it("update with a signing key the directory does not publish under its kid is refused before any request", async () => {
    const olds = (await lifecycle.create(lc(), props("rat-bank"))).outs;
    // A new PS256 key under the same kid: one the directory does not publish.
    // As the engine hands update its inputs: checked (the material identities recorded).
    const news = (
      await lifecycle.check(
        lc(),
        props("rat-bank", {
          signingKey: { kid: sb.sw.signing.kid, alg: "PS256", privateKeyFile: freshKeyFile() },
          client: { scope: "openid accounts payments" },
        }),
      )
    ).inputs;
    const before = await sb.admin.requests("rat-bank");
    await expect(
      lifecycle.update(lc(), olds.clientId as string, olds, news, capabilitiesOf(news)),
    ).rejects.toMatchObject({
      code: "OBDCR_INVALID_INPUT",
      field: "signing_key",
      remedy: { kind: "fix-input", field: "signing_key" },
    });
    expect(await sb.admin.requests("rat-bank")).toEqual(before);
  });

  it("update to a key of another alg at an OBIE-style bank: refused naming the alg it holds and the two steps, which work", async () => {
    const olds = (await lifecycle.create(lc(), props("sandbox-bank"))).outs;
    const id = olds.clientId as string;
    const es256 = {
      kid: sb.sw.signing_es256.kid,
      alg: "ES256",
      privateKeyFile: sb.sw.signing_es256.private_key_file,
    };
    const oneStep = (await lifecycle.check(lc(), props("sandbox-bank", { signingKey: es256 }))).inputs;
    const e = await lifecycle
      .update(lc(), id, olds, oneStep, capabilitiesOf(oneStep))
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "OBDCR_GONE_UNCONFIRMED", field: "signing_key" });
    expect((e as { checks: { detail: string }[] }).checks[0]!.detail).toMatch(
      /holds token_endpoint_auth_signing_alg PS256 .* signed in ES256.*two steps/,
    );
    expect(await held("sandbox-bank")).toContain(id);
    // Step 1: the new alg registered with the old key; step 2: the new key, nothing to send.
    const step1 = (
      await lifecycle.check(lc(), props("sandbox-bank", { client: { tokenEndpointAuthSigningAlg: "ES256" } }))
    ).inputs;
    const a = await lifecycle.update(lc(), id, olds, step1, capabilitiesOf(step1));
    expect((a.outs.registeredMetadata as Props).token_endpoint_auth_signing_alg).toBe("ES256");
    const step2 = (
      await lifecycle.check(
        lc(),
        props("sandbox-bank", { signingKey: es256, client: { tokenEndpointAuthSigningAlg: "ES256" } }),
      )
    ).inputs;
    const b = await lifecycle.update(lc(), id, a.outs, step2, capabilitiesOf(step2));
    expect((b.outs.signingKeyIdentity as Props).alg).toBe("ES256");
    // Management now authenticates with the ES256 key.
    const r = await lifecycle.read(lc(), id, b.outs);
    expect(r.kind).toBe("read");
  });

  it("read of a client deleted out of band: ambiguous (kept) until confirmed, then gone", async () => {
    const c = await lifecycle.create(lc(), props("sandbox-bank"));
    await lifecycle.remove(lc(), c.id, c.outs);
    await expect(lifecycle.read(lc(), c.id, c.outs)).rejects.toMatchObject({
      code: "OBDCR_GONE_UNCONFIRMED",
      client_id: c.id,
    });
    confirmed.add(c.id);
    const r = await lifecycle.read(lc(), c.id, c.outs);
    expect(r.kind).toBe("gone");
  });

  it("remove deletes at the bank; a bank without DELETE is refused with the portal remedy and the client kept", async () => {
    const c = await lifecycle.create(lc(), props("rat-bank"));
    await sb.admin.setQuirks("rat-bank", { allow_delete: false });
    try {
      await expect(lifecycle.remove(lc(), c.id, c.outs)).rejects.toMatchObject({
        code: "OBDCR_NOT_SUPPORTED",
        remedy: { kind: "revoke-in-portal", client_id: c.id },
      });
      expect(await held("rat-bank")).toContain(c.id);
    } finally {
      await sb.admin.setQuirks("rat-bank", { allow_delete: true });
    }
    const r = await lifecycle.remove(lc(), c.id, c.outs);
    expect(r.notes).toEqual([]);
    expect(await held("rat-bank")).not.toContain(c.id);
  });

  it("create whose answer is unusable but names the client: PartiallyCreated keeps it with its credentials", async () => {
    await sb.admin.setQuirks("rat-bank", { extra_members: { client_secret: "from-a-broken-bank-0001" } });
    try {
      const e = await lifecycle.create(lc(), props("rat-bank")).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(lifecycle.PartiallyCreated);
      const p = e as lifecycle.PartiallyCreated;
      expect(await held("rat-bank")).toContain(p.client_id);
      expect(p.outputs).toMatchObject({
        clientId: p.client_id,
        registrationAccessToken: expect.any(String),
        clientSecret: "from-a-broken-bank-0001",
      });
      expect(p.error).toMatchObject({ code: "OBDCR_OUTCOME_UNKNOWN" });
      expect(JSON.stringify(p.error)).not.toContain("from-a-broken-bank-0001");
    } finally {
      await sb.admin.setQuirks("rat-bank", { extra_members: {} });
    }
  });
});

describe("a refused registration access token, worded by where it came from", () => {
  /** A client at rat-bank whose first token a PUT (rotating it) has superseded: the stale token. */
  const superseded = async () => {
    const c = await lifecycle.create(lc(), props("rat-bank"));
    const news = props("rat-bank", { client: { scope: "openid accounts payments" } });
    const u = await lifecycle.update(lc(), c.id, c.outs, news, capabilitiesOf(news));
    const stale = c.outs.registrationAccessToken as string;
    expect(u.outs.registrationAccessToken).not.toBe(stale);
    return { id: c.id, outs: c.outs, stale };
  };

  it("refresh: the stored token; import: the given token (nothing is stored yet); adopt: the given token", async () => {
    const { id, outs, stale } = await superseded();
    const refresh = (await lifecycle.read(lc(), id, outs).catch((e: unknown) => e)) as Error;
    expect(refresh).toMatchObject({ code: "OBDCR_GONE_UNCONFIRMED", ambiguity: "superseded_token" });
    expect(refresh.message).toMatch(/refused the stored registration access token \(HTTP 401\)/);

    const { registrationAccessToken: _t, clientId: _c, ...inputs } = props("rat-bank");
    const imported = (await importRegistration(lc(), id, { inputs, registrationAccessToken: stale }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(imported).toMatchObject({ code: "OBDCR_GONE_UNCONFIRMED" });
    expect(imported.message).toMatch(
      new RegExp(
        `^cannot import registration ${id}: the bank refused the given registration access token \\(HTTP 401\\)`,
      ),
    );
    expect(imported.message).not.toMatch(/stored/);

    const adopted = (await lifecycle
      .create(lc(), props("rat-bank", { adopt: { clientId: id, registrationAccessToken: stale } }))
      .catch((e: unknown) => e)) as Error;
    expect(adopted).toMatchObject({ code: "OBDCR_GONE_UNCONFIRMED" });
    expect(adopted.message).toMatch(/the bank refused the given registration access token \(HTTP 401\)/);
    for (const m of [refresh.message, imported.message, adopted.message]) expect(m).not.toContain(stale);
    expect(await held("rat-bank")).toContain(id);
  });
});
