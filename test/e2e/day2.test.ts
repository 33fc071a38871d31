// Day-2 operations through the real engine against the sandbox over mTLS: certificate renewal and
// key rotation as updates on the same client_id (a PUT only where the bank holds what changed),
// a refresh that never drops a live registration on an ambiguous answer, secrets that rotate,
// and RFC 7591 private_key_jwt at a bank that requires client keys. Key and certificate files are
// overwritten at the same path, as a routine rotation does.
import { generateKeyPairSync } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../sandbox/index.js";
import {
  type Args,
  argsFor,
  type EngineHarness,
  engineHarness,
  expectNoChanges,
  stateRegistrations,
} from "../reliability/engine_support.js";
import { expectNoSecrets, secretNeedles, softwareSecrets } from "../reliability/helpers.js";
import { startTestSandbox } from "../support/sandbox.js";

const dir = mkdtempSync(join(tmpdir(), "obdcr-day2-"));
const certDir = join(dir, "cert");
const files = {
  signing: join(dir, "signing.key.pem"),
  /** The open bank's registration holds this key inline (jwks). */
  openSigning: join(dir, "open-signing.key.pem"),
  cert: join(certDir, "transport.cert.pem"),
  key: join(certDir, "transport.key.pem"),
};

describe("day 2: rotation through the engine", () => {
  let sb: Sandbox;
  let h: EngineHarness;
  const sw = () => sb.manifest.orgs[0]!.softwares[0]!;

  /** Requests a bank received since `before`, by method (GET, POST, PUT, DELETE). */
  const counts = async (bank: string) => {
    const byRoute = await sb.admin.requests(bank);
    const out: Record<string, number> = {};
    for (const [route, n] of Object.entries(byRoute)) {
      const m = route.split(" ")[0]!;
      out[m] = (out[m] ?? 0) + n;
    }
    return out;
  };
  const delta = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(["GET", "POST", "PUT", "DELETE"].map((m) => [m, (b[m] ?? 0) - (a[m] ?? 0)]));
  const outputsOf = async (name: string) =>
    (await stateRegistrations(h)).find((r) => r.urn.endsWith(`::${name}`))?.outputs ?? {};
  const held = async (bank: string) => (await sb.admin.registrations(bank)).map((r) => r.client_id);
  const run = async (op: "up" | "preview" | "refresh") => {
    let text = "";
    const onOutput = (s: string) => {
      text += s;
      h.onOutput(s);
    };
    const r = await (op === "up"
      ? h.stack.up({ onOutput })
      : op === "preview"
        ? h.stack.preview({ onOutput })
        : h.stack.refresh({ onOutput })
    ).then(
      (x) => ({ ok: true as const, x }),
      (e: Error) => ({ ok: false as const, error: e.message }),
    );
    return { ...r, text: r.ok ? text : `${text}\n${r.error}` };
  };

  beforeAll(async () => {
    sb = await startTestSandbox({
      prefix: "rel-day2",
      banks: [
        { name: "uk-bank" },
        {
          name: "rat-bank",
          management: "registration_access_token",
          quirks: { rotate_client_secret_on_put: true },
        },
        {
          name: "open-bank",
          management: "registration_access_token",
          request_format: "json",
          quirks: { require_client_keys: true, ssa_required: false },
        },
      ],
    });
    h = await engineHarness("ob-dcr-day2", "day2");
    copyFileSync(sw().signing.private_key_file, files.signing);
    copyFileSync(sw().signing.private_key_file, files.openSigning);
    mkdirSync(certDir);
    copyFileSync(sw().transport.cert_file, files.cert);
    copyFileSync(sw().transport.key_file, files.key);
    const uk = argsFor(sb, "uk-bank", false);
    h.declared.set("keys", { ...uk, signingKey: { ...uk.signingKey, privateKeyFile: files.signing } });
    const rat = argsFor(sb, "rat-bank", false);
    h.declared.set("certs", {
      ...rat,
      transport: { ...rat.transport, certFile: files.cert, keyFile: files.key },
      client: { ...rat.client, tokenEndpointAuthMethod: "tls_client_auth" },
    });
    h.declared.set("secrets", {
      ...rat,
      client: { ...rat.client, tokenEndpointAuthMethod: "client_secret_basic" },
    });
    // RFC 7591 without an SSA: the bank can verify our assertions only with keys sent in the request.
    const open = argsFor(sb, "open-bank", false);
    h.declared.set("open", {
      profile: "rfc7591",
      bank: open.bank,
      signingKey: { ...open.signingKey, privateKeyFile: files.openSigning },
      transport: open.transport,
      client: {
        ...open.client,
        tokenEndpointAuthMethod: "private_key_jwt",
        extra: { software_id: sw().software_id },
      },
    } as Args);
    // RFC 7591 with an SSA: the SSA's software_jwks_endpoint is sent as jwks_uri.
    h.declared.set("open-ssa", { ...open, profile: "rfc7591" } as Args);
    const up = await run("up");
    expect(up.ok, up.text).toBe(true);
  });

  afterAll(async () => {
    await h?.stack.workspace.removeStack("day2", { force: true }).catch(() => undefined);
    await sb?.close();
  });

  it("records the material's identity as non-secret outputs, never the material", async () => {
    const o = await outputsOf("certs");
    expect(o.signingKeyIdentity).toMatchObject({ kid: sw().signing.kid, alg: "PS256" });
    expect(o.transportCertificate).toMatchObject({ subjectDn: sw().transport.subject_dn });
    expect((o.caFingerprints as string[]).length).toBe(1);
    const state = h.stateText();
    expect(state).toContain((o.signingKeyIdentity as { thumbprint: string }).thumbprint);
    expectNoSecrets(state, softwareSecrets(sb), "the state file");
  });

  it("RFC 7591 + private_key_jwt registers at a bank that requires client keys (jwks, or the SSA's jwks_uri)", async () => {
    const regs = await sb.admin.registrations("open-bank");
    const byId = new Map(regs.map((r) => [r.client_id, r]));
    const open = byId.get((await outputsOf("open")).clientId as string)!;
    expect((open.metadata.jwks as { keys: { kid: string }[] }).keys.map((k) => k.kid)).toEqual([
      sw().signing.kid,
    ]);
    expect(open.metadata.jwks_uri).toBeUndefined();
    const withSsa = byId.get((await outputsOf("open-ssa")).clientId as string)!;
    expect(withSsa.metadata.jwks_uri).toBe(sw().software_jwks_endpoint);
    // The bank verifies our management calls with those keys: a refresh reads both.
    const r = await run("refresh");
    expect(r.ok, r.text).toBe(true);
    await expectNoChanges(h);
  });

  it("a renewed certificate with the same DN: an update that records it and sends nothing to the bank", async () => {
    const id = (await outputsOf("certs")).clientId;
    const renewed = await sb.admin.reissueTransport(sw().software_id, {
      subjectDnChange: false,
      outDir: certDir,
    });
    const before = await counts("rat-bank");
    const p = await run("preview");
    expect(p.text).toMatch(/transport certificate renewed, same subject DN/);
    expect(p.text).toMatch(/update records the new fingerprints; nothing is sent to the bank/);
    const up = await run("up");
    expect(up.ok, up.text).toBe(true);
    expect(delta(before, await counts("rat-bank"))).toEqual({ GET: 0, POST: 0, PUT: 0, DELETE: 0 });
    const o = await outputsOf("certs");
    expect(o.clientId).toBe(id);
    expect((o.transportCertificate as { sha256: string }).sha256).toBe(renewed.sha256);
    await expectNoChanges(h);
  });

  it("a renewed certificate with a new DN: exactly one PUT with the new tls_client_auth_subject_dn, same client_id", async () => {
    const id = (await outputsOf("certs")).clientId as string;
    const renewed = await sb.admin.reissueTransport(sw().software_id, {
      subjectDnChange: true,
      outDir: certDir,
    });
    expect(renewed.subject_dn).not.toBe(sw().transport.subject_dn);
    const p = await run("preview");
    expect(p.text).toMatch(/renewed with a new subject DN/);
    expect(p.text).toMatch(
      /update = PUT of the registration \(new tls_client_auth_subject_dn\), same client_id/,
    );
    const before = await counts("rat-bank");
    const up = await run("up");
    expect(up.ok, up.text).toBe(true);
    expect(delta(before, await counts("rat-bank"))).toMatchObject({ POST: 0, PUT: 1, DELETE: 0 });
    const reg = (await sb.admin.registrations("rat-bank")).find((r) => r.client_id === id)!;
    expect(reg.metadata.tls_client_auth_subject_dn).toBe(renewed.subject_dn_encodings.hex);
    expect((await outputsOf("certs")).clientId).toBe(id);
    // The bank authenticates the renewed certificate (the management call of a refresh uses it).
    const r = await run("refresh");
    expect(r.ok, r.text).toBe(true);
    await expectNoChanges(h);
  });

  it("a signing key rotated to a published kid: refresh keeps the registration, up records it, nothing orphaned", async () => {
    const id = (await outputsOf("keys")).clientId as string;
    const next = sw().signing_next;
    // The routine rotation: the key file is overwritten; the program names the new kid.
    copyFileSync(next.private_key_file, files.signing);
    copyFileSync(next.private_key_file, files.openSigning);
    for (const name of ["keys", "open"]) {
      const a = h.declared.get(name)!;
      h.declared.set(name, { ...a, signingKey: { ...a.signingKey, kid: next.kid } });
    }
    // A refresh before the up: state still names the old kid; the key is published under the new one.
    const r = await run("refresh");
    expect(r.ok, r.text).toBe(true);
    expect(r.text).toContain(`publishes it under kid ${next.kid}`);
    expect((await stateRegistrations(h)).map((x) => x.id)).toContain(id);
    const p = await run("preview");
    expect(p.text).toMatch(new RegExp(`signing key rotated: kid ${sw().signing.kid} → ${next.kid}`));
    // The UK bank takes our keys from the directory: nothing to tell it. The open bank holds the
    // key itself (inline jwks): one PUT.
    expect(p.text).toMatch(/nothing is sent to the bank/);
    expect(p.text).toMatch(/update = PUT of the registration \(new jwks\)/);
    const uk = await counts("uk-bank");
    const open = await counts("open-bank");
    const up = await run("up");
    expect(up.ok, up.text).toBe(true);
    expect(delta(uk, await counts("uk-bank"))).toMatchObject({ POST: 0, PUT: 0, DELETE: 0 });
    expect(delta(open, await counts("open-bank"))).toMatchObject({ POST: 0, PUT: 1, DELETE: 0 });
    const openId = (await outputsOf("open")).clientId as string;
    const reg = (await sb.admin.registrations("open-bank")).find((x) => x.client_id === openId)!;
    expect((reg.metadata.jwks as { keys: { kid: string }[] }).keys.map((k) => k.kid)).toEqual([next.kid]);
    expect((await outputsOf("keys")).signingKeyIdentity).toMatchObject({ kid: next.kid });
    const again = await run("refresh");
    expect(again.ok, again.text).toBe(true);
    expect(await held("uk-bank")).toEqual([id]);
    await expectNoChanges(h);
  });

  it("a key file replaced by a wrong key: refresh fails naming signingKey, the registration stays in state and at the bank", async () => {
    const id = (await outputsOf("keys")).clientId as string;
    const good = readFileSync(files.signing, "utf8");
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(files.signing, privateKey.export({ format: "pem", type: "pkcs8" }).toString());
    const before = await counts("uk-bank");
    const r = await run("refresh");
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/signingKey: registration \S+ is kept in state and nothing was sent to the bank/);
    expect(r.text).toMatch(/publishes kid \S+ with another public key/);
    expect((await stateRegistrations(h)).map((x) => x.id)).toContain(id);
    expect(await held("uk-bank")).toEqual([id]);
    expect(delta(before, await counts("uk-bank"))).toEqual({ GET: 0, POST: 0, PUT: 0, DELETE: 0 });
    // `up` refuses it too, before anything is sent.
    const up = await run("up");
    expect(up.ok).toBe(false);
    expect(up.text).toMatch(/signingKey: the directory publishes kid \S+ with another public key/);
    expect(await held("uk-bank")).toEqual([id]);
    writeFileSync(files.signing, good);
    const back = await run("refresh");
    expect(back.ok, back.text).toBe(true);
    await expectNoChanges(h);
  });

  it("a rotation trigger forces a PUT; the client_secret and registration access token the bank rotates are kept", async () => {
    const secretOf = async () => {
      const o = await h.stack.outputs();
      return { secret: o.secretsSecret?.value as string, rat: o.secretsRat?.value as string };
    };
    const first = await secretOf();
    expect(first.secret).toBeTruthy();
    const a = h.declared.get("secrets")!;
    h.declared.set("secrets", { ...a, rotationTrigger: "2026-12" });
    const before = await counts("rat-bank");
    const up = await run("up");
    expect(up.ok, up.text).toBe(true);
    expect(delta(before, await counts("rat-bank"))).toMatchObject({ PUT: 1, POST: 0 });
    const second = await secretOf();
    expect(second.secret).not.toBe(first.secret);
    expect(second.rat).not.toBe(first.rat);
    // Only the new ones work at the bank now: a refresh authenticates with the stored RAT.
    const r = await run("refresh");
    expect(r.ok, r.text).toBe(true);
    await expectNoChanges(h);
    const needles = secretNeedles([...Object.values(first), ...Object.values(second), good()]);
    expectNoSecrets(h.output(), [...needles, ...softwareSecrets(sb)], "the engine output");
    expectNoSecrets(h.stateText(), [...needles, ...softwareSecrets(sb)], "the state file");
  });

  it("a certificate that expires soon: the preview warns", async () => {
    await sb.admin.reissueTransport(sw().software_id, {
      subjectDnChange: true,
      outDir: certDir,
      validDays: 10,
    });
    const p = await run("preview");
    expect(p.text).toMatch(/warning: .*the transport certificate \(.*\) expires in (9|10) days/);
  });
});

const good = () => readFileSync(files.signing, "utf8");
