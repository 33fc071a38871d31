/**
 * PKCS#11 signing through the BUILT CLI against the sandbox over real mTLS: a fresh SoftHSM2 token
 * (keys made by pkcs11-tool), its public keys published by the sandbox's directory under our kids.
 * PS256 and ES256 registrations pass the sandbox's strict checks (client assertion at the
 * directory, request JWT at the bank); a wrong PIN, a missing key, a key the directory does not
 * publish fail with a typed error naming the input before anything reaches the bank (counted at
 * the sandbox); the PIN is never printed.
 */
import * as jose from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { type CliResult, cli, ensureBuilt, tmpDir, writeConfig } from "../cli/helpers.js";
import { sandboxForFile } from "../support/hooks.js";
import { cliConfig } from "../support/params.js";
import { signedOrWrites } from "./counts.js";
import { makeToken, type Token } from "./softhsm.js";

beforeAll(() => ensureBuilt());
const sb = sandboxForFile({ prefix: "pkcs11-cli", banks: ["sandbox-bank"] });
const dir = tmpDir();
let token: Token;

// biome-ignore lint/suspicious/noExplicitAny: parsed CLI JSON, asserted field by field
const json = (r: CliResult) => JSON.parse(r.stdout) as Record<string, any>;
const total = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
const counts = async () => ({
  bank: total(await sb.admin.requests("sandbox-bank")),
  directory: total(await sb.admin.requests("directory")),
});

beforeAll(async () => {
  token = makeToken([
    { label: "ps", id: "01", type: "rsa:2048" },
    { label: "es", id: "02", type: "EC:prime256v1" },
    { label: "unpublished", id: "03", type: "EC:prime256v1" },
  ]);
  await sb.admin.publishSigningKey(sb.sw.software_id, {
    ...token.publicJwk("01"),
    kid: "hsm-ps",
    alg: "PS256",
  });
  await sb.admin.publishSigningKey(sb.sw.software_id, {
    ...token.publicJwk("02"),
    kid: "hsm-es",
    alg: "ES256",
  });
});

const pkcs11Config = (name: string, signing: Record<string, unknown>, over: Record<string, unknown> = {}) =>
  writeConfig(
    dir,
    `${name}.yaml`,
    cliConfig(sb, "sandbox-bank", {
      ...over,
      signing_key: {
        private_key_file: undefined,
        ...signing,
        pkcs11: { module: token.module, token_label: token.label, ...(signing.pkcs11 as object) },
      },
    }),
  );

const run = (cfg: string, pin: string | undefined, args: string[] = ["register"]) =>
  cli(
    [...args, "--config", cfg, "--json", ...(args[0] === "doctor" ? [] : ["--state", `${cfg}.state.json`])],
    {
      env: { OBDCR_PKCS11_PIN: pin },
    },
  );
/** Requests that change something at the bank (a registration POST, PUT, DELETE): none may come. */
const bankWrites = async () =>
  Object.entries(await sb.admin.requests("sandbox-bank"))
    .filter(([route]) => !route.startsWith("GET "))
    .reduce((a, [, n]) => a + n, 0);

function expectNoPin(r: CliResult) {
  expect(r.stdout + r.stderr).not.toContain(token.pin);
}

describe("CLI with a key in a PKCS#11 token", () => {
  it.each<[string, string, { key_label?: string; key_id?: string }]>([
    ["PS256", "hsm-ps", { key_label: "ps" }],
    ["ES256", "hsm-es", { key_id: "02" }],
  ])(
    "%s: registers; the assertion and request JWT verify with the token's public key",
    async (alg, kid, key) => {
      const before = (await sb.admin.registrations("sandbox-bank")).length;
      const cfg = pkcs11Config(`reg-${alg}`, { kid, alg, pkcs11: key });
      const r = await run(cfg, token.pin);
      expect(r.code, r.stderr).toBe(0);
      expectNoPin(r);
      const regs = await sb.admin.registrations("sandbox-bank");
      expect(regs.length).toBe(before + 1);
      expect(json(r).client_id).toBe(regs.at(-1)!.client_id);
      // `run` prints the client assertion and the request JWT: verify both with the public key as
      // pkcs11-tool reads it (jose: PS256 salt 32, ES256 r‖s).
      const shown = await cli(
        ["run", "--config", cfg, "--json", "--show-secrets", "--state", `${cfg}.run.json`],
        {
          env: { OBDCR_PKCS11_PIN: token.pin },
        },
      );
      expect(shown.code, shown.stderr).toBe(0);
      expectNoPin(shown);
      const j = json(shown);
      const pub = await jose.importJWK(token.publicJwk(key.key_id ?? "01"), alg);
      const assertion = await jose.jwtVerify(j.client_assertion.jwt, pub, { algorithms: [alg] });
      expect(assertion.protectedHeader).toMatchObject({ alg, kid });
      const request = j.registration_request?.jwt ?? j.request?.jwt;
      expect(typeof request).toBe("string");
      const req = await jose.jwtVerify(request, pub, { algorithms: [alg] });
      expect(req.protectedHeader).toMatchObject({ alg, kid });
    },
  );

  it.each<[string, Record<string, unknown>, string | undefined, string, string]>([
    [
      "a wrong PIN",
      { kid: "hsm-ps", alg: "PS256", pkcs11: { key_label: "ps" } },
      "wrong",
      "signing_key.pkcs11.pin_env",
      "login_failed",
    ],
    [
      "no PIN",
      { kid: "hsm-ps", alg: "PS256", pkcs11: { key_label: "ps" } },
      undefined,
      "signing_key.pkcs11.pin_env",
      "login_failed",
    ],
    [
      "a missing key",
      { kid: "hsm-ps", alg: "PS256", pkcs11: { key_label: "nope" } },
      "PIN",
      "signing_key.pkcs11.key_label",
      "key_not_found",
    ],
    [
      "a missing token",
      { kid: "hsm-ps", alg: "PS256", pkcs11: { key_label: "ps", token_label: "nope" } },
      "PIN",
      "signing_key.pkcs11.token_label",
      "token_not_found",
    ],
    [
      "a key of the wrong type",
      { kid: "hsm-ps", alg: "PS256", pkcs11: { key_id: "02" } },
      "PIN",
      "signing_key.pkcs11.key_id",
      "key_unusable",
    ],
  ])("%s: exit 3, OBDCR_SIGNER naming the input, nothing sent", async (name, signing, pin, field, reason) => {
    const before = await counts();
    const cfg = pkcs11Config(`bad-${name.replace(/\W+/g, "-")}`, signing);
    const r = await run(cfg, pin === "PIN" ? token.pin : pin);
    expect(r.code, r.stderr).toBe(3);
    const err = json(r).error ?? json(r);
    expect(err).toMatchObject({ code: "OBDCR_SIGNER", field, reason });
    expect(err.message).toContain(field);
    expectNoPin(r);
    expect(await counts()).toEqual(before);
  });

  // With directory.software_jwks_endpoint the key is checked against the directory's software JWKS
  // first: the only requests are GETs of that JWKS. No directory token, no SSA, nothing at the bank.
  const jwksFirst = () => ({ directory: { software_jwks_endpoint: sb.sw.software_jwks_endpoint } });
  const notKeystore = (o: Record<string, number>) =>
    Object.entries(o).filter(([route]) => !/^GET \/keystore\/\{org_id\}\/\{name\}\.jwks$/.test(route));
  it.each<[string, string, string, RegExp]>([
    ["register", "hsm-unpublished", "unpublished", /does not publish this key nor kid hsm-unpublished/],
    [
      "register",
      "hsm-es",
      "unpublished",
      /publishes kid hsm-es with another public key .*: the configured signing key \(key file, HSM or KMS key\) is not the one/,
    ],
    ["run", "hsm-unpublished", "unpublished", /does not publish this key nor kid hsm-unpublished/],
  ])(
    "%s, kid %s with token key %s, directory.software_jwks_endpoint given: OBDCR_INVALID_INPUT signing_key before any request",
    async (verb, kid, label, message) => {
      const dirBefore = await sb.admin.requests("directory");
      const bankBefore = await sb.admin.requests("sandbox-bank");
      const cfg = pkcs11Config(
        `first-${verb}-${kid}`,
        { kid, alg: "ES256", pkcs11: { key_label: label } },
        jwksFirst(),
      );
      const r = await run(cfg, token.pin, [verb]);
      expect(r.code, r.stdout + r.stderr).toBe(3);
      const err = json(r).error ?? json(r);
      expect(err).toMatchObject({ code: "OBDCR_INVALID_INPUT", field: "signing_key" });
      expect(err.message).toMatch(message);
      expectNoPin(r);
      const dirAfter = await sb.admin.requests("directory");
      // The software JWKS was read (the check is real), nothing else reached the directory or the bank.
      expect(total(dirAfter)).toBeGreaterThan(total(dirBefore));
      expect(notKeystore(dirAfter)).toEqual(notKeystore(dirBefore));
      expect(await sb.admin.requests("sandbox-bank")).toEqual(bankBefore);
    },
  );

  // doctor did the directory token request first: a kid the directory publishes under another
  // name came out as "directory token ... invalid_client", not register's "set the kid to ...".
  it("doctor, kid hsm-other for the published key hsm-es, directory.software_jwks_endpoint given: the published line says which kid, exit 3, only the software JWKS read", async () => {
    const dirBefore = await sb.admin.requests("directory");
    const bankBefore = await sb.admin.requests("sandbox-bank");
    const cfg = pkcs11Config(
      "first-doctor-kid",
      { kid: "hsm-other", alg: "ES256", pkcs11: { key_label: "es" } },
      jwksFirst(),
    );
    const r = await run(cfg, token.pin, ["doctor"]);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    const checks = json(r).checks as { check: string; result: string; detail: string }[];
    const by = (name: string) => checks.find((c) => c.check === name);
    expect(by("signing key")?.result).toBe("ok");
    expect(by("signing key published")).toMatchObject({ result: "fail" });
    expect(by("signing key published")?.detail).toMatch(
      /under kid hsm-es, not under kid hsm-other .*set the kid to hsm-es/,
    );
    expect(by("directory token")).toMatchObject({ result: "warn" });
    expectNoPin(r);
    const dirAfter = await sb.admin.requests("directory");
    expect(total(dirAfter)).toBeGreaterThan(total(dirBefore));
    expect(notKeystore(dirAfter)).toEqual(notKeystore(dirBefore));
    expect(signedOrWrites(await sb.admin.requests("sandbox-bank"))).toBe(signedOrWrites(bankBefore));
  });

  it("the published key with directory.software_jwks_endpoint given: registers", async () => {
    const cfg = pkcs11Config(
      "first-ok",
      { kid: "hsm-es", alg: "ES256", pkcs11: { key_label: "es" } },
      jwksFirst(),
    );
    const r = await run(cfg, token.pin);
    expect(r.code, r.stderr).toBe(0);
    expect(typeof json(r).client_id).toBe("string");
  });

  // Without directory.software_jwks_endpoint, a new key's publication can only be learnt from the
  // directory, whose token endpoint is the first request; it refuses the assertion (invalid_client,
  // field signing_key). The bank sees its discovery GET (fetched in parallel) and nothing else.
  it("a key the directory does not publish under the kid: refused naming signing_key, no registration request", async () => {
    const before = await bankWrites();
    const cfg = pkcs11Config("unpublished", {
      kid: "hsm-unpublished",
      alg: "ES256",
      pkcs11: { key_label: "unpublished" },
    });
    const r = await run(cfg, token.pin);
    expect(r.code, r.stdout + r.stderr).not.toBe(0);
    const err = json(r).error ?? json(r);
    expect(err).toMatchObject({ field: "signing_key", error: "invalid_client" });
    expectNoPin(r);
    expect(await bankWrites()).toBe(before);
  });

  it("a published kid with another token key behind it: refused naming signing_key, no registration request", async () => {
    const before = await bankWrites();
    // kid hsm-es is published with key 02; key 03 signs under that kid.
    const cfg = pkcs11Config("mismatch", {
      kid: "hsm-es",
      alg: "ES256",
      pkcs11: { key_label: "unpublished" },
    });
    const r = await run(cfg, token.pin);
    expect(r.code).not.toBe(0);
    expect((json(r).error ?? json(r)).field).toBe("signing_key");
    expectNoPin(r);
    expect(await bankWrites()).toBe(before);
  });

  it("doctor: the signer is reached, signs, and its public key is the published one", async () => {
    const cfg = pkcs11Config("doctor", { kid: "hsm-es", alg: "ES256", pkcs11: { key_label: "es" } });
    const r = await run(cfg, token.pin, ["doctor"]);
    expectNoPin(r);
    const checks = json(r).checks as { check: string; result: string; detail: string }[];
    const signing = checks.find((c) => c.check === "signing key")!;
    expect(signing.result, signing.detail).toBe("ok");
    expect(signing.detail).toContain('PKCS#11 key label "es"');
    expect(signing.detail).toContain("signs and verifies");
    const published = checks.find((c) => /published/.test(c.check));
    expect(published?.result, JSON.stringify(checks)).toBe("ok");
    const bad = await run(cfg, "wrong", ["doctor"]);
    expect(bad.code).toBe(3);
    expectNoPin(bad);
    expect(json(bad).checks[0]).toMatchObject({ check: "signing key", result: "fail" });
    expect(json(bad).checks[0].detail).toContain("signing_key.pkcs11.pin_env");
  });
});
