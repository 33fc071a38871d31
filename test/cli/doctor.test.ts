/**
 * `ob-dcr doctor` (and `discover`'s client-keys line): the BUILT CLI as a subprocess against an
 * in-process sandbox over real mTLS. Each case checks the lines, the exit code a pipeline alerts on,
 * that no secret is printed, and at the end that the banks saw GETs only (nothing registered).
 */
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { sandboxForFile } from "../support/hooks.js";
import {
  type CliResult,
  cli,
  closedPort,
  ensureBuilt,
  pemBody,
  tmpDir,
  wireSecrets,
  writeConfig,
} from "./helpers.js";

type Json = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: parsed CLI JSON, asserted field by field
const json = (r: CliResult) => JSON.parse(r.stdout) as Record<string, any>;

const CHECKS = [
  "signing key",
  "transport certificate",
  "trusted CA",
  "directory token",
  "software statement",
  "signing key published",
  "bank discovery",
  "bank reachable over mTLS",
];

beforeAll(() => ensureBuilt());
const dir = tmpDir();
const sb = sandboxForFile({
  dataDir: path.join(dir, "sb"),
  banks: [
    "sandbox-bank",
    {
      name: "json-bank",
      request_format: "json",
      management: "registration_access_token",
      quirks: { require_client_keys: true },
    },
  ],
});
/** The ready configs the sandbox writes per bank (`<dataDir>/cli/<bank>.json`). */
const ready = (bank: string) => path.join(path.dirname(sb.manifestPath), "cli", `${bank}.json`);
const readyConfig = (bank: string) => JSON.parse(readFileSync(ready(bank), "utf8")) as Json;
const sw = () => sb.manifest.orgs[0]!.softwares[0]!;

/** Another RSA key as a PKCS#8 file, and its public JWK. */
function otherRsaKey(name: string): { file: string; jwk: Json } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const file = path.join(dir, name);
  writeFileSync(file, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  return { file, jwk: { ...publicKey.export({ format: "jwk" }), kid: "someone-else", use: "sig" } };
}

/** No token, SSA or private key material on stdout or stderr. */
function expectNoSecrets(r: CliResult, keyFiles: string[] = []): void {
  const all = r.stdout + r.stderr;
  const ssas = r.wire.filter((x) => x.url.includes("/ssa/")).map((x) => x.body.trim());
  for (const s of [...wireSecrets(r), ...ssas.filter((x) => x.length > 20)])
    expect(all.includes(s), `secret ${s.slice(0, 6)}… printed`).toBe(false);
  for (const f of [sw().signing.private_key_file, sw().transport.key_file, ...keyFiles])
    expect(all.includes(pemBody(f).slice(0, 64)), `key of ${f} printed`).toBe(false);
  expect(all).not.toContain("PRIVATE KEY");
}

const lineOf = (r: CliResult, check: string) =>
  r.stdout.split("\n").find((l) => new RegExp(`^(ok|warn|fail)\\s+${check}\\s{2}`).test(l));

describe("doctor", () => {
  it("all ok: exit 0 and one line per check, in order, no secrets", async () => {
    const r = await cli(["doctor", "-c", ready("sandbox-bank")]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => /^(ok|warn|fail)\s/.test(l));
    expect(lines.map((l) => l.slice(6).split(/\s{2,}/)[0])).toEqual(CHECKS);
    expect(lines.every((l) => l.startsWith("ok  "))).toBe(true);
    expect(lineOf(r, "signing key")).toContain(`kid ${sw().signing.kid}, alg PS256, thumbprint `);
    expect(lineOf(r, "transport certificate")).toMatch(
      /subject CN=.+, issuer .+, notAfter .+ \(\d+ days left\)/,
    );
    expect(lineOf(r, "trusted CA")).toMatch(/1 certificate\(s\), SHA-256 [0-9a-f]{64}/);
    expect(lineOf(r, "software statement")).toContain(
      `software_id ${sw().software_id}, software_jwks_endpoint https://`,
    );
    expect(lineOf(r, "bank reachable over mTLS")).toMatch(
      /GET https:\/\/localhost:\d+\/register: HTTP \d{3}/,
    );
    expect(r.wire.some((x) => x.url.includes("/ssa/"))).toBe(true); // the SSA really was downloaded
    expectNoSecrets(r);
  });

  it("--json: { checks: [{check, result, detail}], ok }; an RFC 7591 client gets a client keys line", async () => {
    const r = await cli(["doctor", "-c", ready("json-bank"), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const j = json(r);
    expect(j.command).toBe("doctor");
    expect(j.profile).toBe("rfc7591");
    expect(j.ok).toBe(true);
    expect(j.checks.map((x: Json) => x.check)).toEqual([...CHECKS, "client keys"]);
    for (const x of j.checks) {
      expect(Object.keys(x).sort()).toEqual(["check", "detail", "result"]);
      expect(x.result).toBe("ok");
    }
    // private_key_jwt with a directory: the request carries the SSA's software_jwks_endpoint.
    const keys = j.checks.at(-1).detail as string;
    expect(keys).toMatch(/^jwks_uri https:\/\/.+\.jwks: holds kid /);
    expect(keys).toContain(sw().signing.kid);
    expectNoSecrets(r);
  });

  it("a signing key file replaced by another key under the same kid: signing key published fails, exit 3", async () => {
    const other = otherRsaKey("other.key.pem");
    // With the SSA at hand (inline), the directory's software JWKS shows what is wrong.
    const ssaFile = path.join(dir, "ssa.jwt");
    const got = await cli(["ssa", "-c", ready("sandbox-bank"), "--out", ssaFile]);
    expect(got.code, got.stderr).toBe(0);
    const cfg = readyConfig("sandbox-bank");
    const signing = { ...(cfg.signing_key as Json), private_key_file: other.file };
    const directory = { ...(cfg.directory as Json), software_statement_file: ssaFile };
    const inline = writeConfig(dir, "replaced-inline.json", { ...cfg, signing_key: signing, directory });
    const r = await cli(["doctor", "-c", inline, "--json"]);
    expect(r.code, r.stderr).toBe(3);
    const j = json(r);
    expect(j.ok).toBe(false);
    const byName = Object.fromEntries(j.checks.map((x: Json) => [x.check, x]));
    expect(byName["signing key"].result).toBe("ok");
    expect(byName["directory token"]).toMatchObject({
      result: "ok",
      detail: "not needed: inline software statement",
    });
    expect(byName["signing key published"].result).toBe("fail");
    expect(byName["signing key published"].detail).toContain(
      `the directory publishes kid ${sw().signing.kid} with another public key than this private key`,
    );
    expect(j.error).toMatchObject({ code: "OBDCR_DOCTOR_FAILED", exit_code: 3 });
    expect(r.stderr).toContain("exit code 3 (invalid input or configuration)");
    expectNoSecrets(r, [other.file]);

    // Downloading the SSA needs a directory token, and the directory refuses our assertion signed
    // with the other key: our side is wrong (exit 3); the checks that need the SSA are not checked.
    const downloaded = writeConfig(dir, "replaced.json", { ...cfg, signing_key: signing });
    const d = await cli(["doctor", "-c", downloaded]);
    expect(d.code, d.stderr).toBe(3);
    expect(lineOf(d, "directory token")).toMatch(
      /^fail .*invalid_client.*the signing key or its kid is wrong/,
    );
    expect(lineOf(d, "software statement")).toMatch(/^warn .*not checked: no directory token/);
    expect(lineOf(d, "signing key published")).toMatch(/^warn .*not checked/);
    expect(lineOf(d, "bank discovery")).toMatch(/^ok /); // the bank side is still checked
    expectNoSecrets(d, [other.file]);
  });

  it("a transport certificate expiring in 10 days: warn, exit 6; --expiry-warning-days moves the line", async () => {
    const outDir = tmpDir();
    const renewed = await sb.admin.reissueTransport(sw().software_id, {
      subjectDnChange: false,
      outDir,
      validDays: 10,
    });
    const cfg = readyConfig("sandbox-bank");
    const transport = {
      ...(cfg.transport as Json),
      cert_file: renewed.cert_file,
      key_file: renewed.key_file,
    };
    const file = writeConfig(dir, "expiring.yaml", { ...cfg, transport });
    const r = await cli(["doctor", "-c", file]);
    expect(r.code, r.stderr).toBe(6);
    expect(lineOf(r, "transport certificate")).toMatch(
      /^warn .*notAfter .+ \((9|10) days left\): fewer than 30 days; renew it in the directory/,
    );
    const others = r.stdout
      .split("\n")
      .filter((l) => /^(ok|warn|fail)\s/.test(l) && !l.includes("transport certificate"));
    expect(others).toHaveLength(CHECKS.length - 1);
    expect(others.every((l) => l.startsWith("ok  "))).toBe(true);
    expect(r.stderr).toContain("error OBDCR_DOCTOR_WARNINGS: passed with warnings: transport certificate");
    expect(r.stderr).toContain("exit code 6 (checks passed with warnings, e.g. a certificate expiring soon)");
    expectNoSecrets(r, [renewed.key_file]);
    const j = json(await cli(["doctor", "-c", file, "--json"]));
    expect(j.ok).toBe(false);
    expect(j.error).toMatchObject({ code: "OBDCR_DOCTOR_WARNINGS", exit_code: 6 });

    const lenient = await cli(["doctor", "-c", file, "--expiry-warning-days", "5"]);
    expect(lenient.code, lenient.stderr).toBe(0);
    const bad = await cli(["doctor", "-c", file, "--expiry-warning-days", "soon"]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("--expiry-warning-days: must be a whole number of days");
  });

  it("a bank that is down: bank discovery fails, exit 5", async () => {
    const port = await closedPort();
    const url = `https://127.0.0.1:${port}/.well-known/openid-configuration`;
    const r = await cli([
      "doctor",
      "-c",
      ready("sandbox-bank"),
      "--bank-discovery-url",
      url,
      "--timeout",
      "5",
    ]);
    expect(r.code, r.stderr).toBe(5);
    expect(lineOf(r, "bank discovery")).toMatch(/^fail .*cannot connect \(ECONNREFUSED\)/);
    expect(lineOf(r, "bank reachable over mTLS")).toMatch(/^warn .*not checked: no registration endpoint/);
    expect(lineOf(r, "signing key published")).toMatch(/^ok /); // the directory side is still checked
    expect(r.stderr).toContain("exit code 5 (transport failure");
    expectNoSecrets(r);
  });

  it("an RFC 7591 private_key_jwt client whose client.jwks lacks our key: client keys fails in doctor and discover", async () => {
    const cfg = readyConfig("json-bank");
    const client = { ...(cfg.client as Json), jwks: { keys: [otherRsaKey("foreign.key.pem").jwk] } };
    const file = writeConfig(dir, "foreign-jwks.json", { ...cfg, client });
    const r = await cli(["doctor", "-c", file, "--json"]);
    expect(r.code, r.stderr).toBe(3);
    const keys = json(r).checks.find((x: Json) => x.check === "client keys");
    expect(keys.result).toBe("fail");
    expect(keys.detail).toContain(`client.jwks: does not hold the signing key (kid ${sw().signing.kid})`);
    expectNoSecrets(r);

    const d = await cli(["discover", "-c", file, "--json"]);
    expect(d.code, d.stderr).toBe(3);
    const dj = json(d);
    expect(dj.ok).toBe(false);
    expect(dj.checks.find((x: Json) => x.check === "configured client").result).toBe("ok");
    expect(dj.checks.find((x: Json) => x.check === "client keys")).toMatchObject({ result: "fail" });
    // Without client.jwks the request carries the SSA's endpoint: discover names it, doctor checks it.
    const ok = await cli(["discover", "-c", ready("json-bank")]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(
      /ok\s+client keys\s+jwks_uri: the SSA's software_jwks_endpoint \(checked by doctor\)/,
    );
    // An OBIE client has no such line.
    const uk = await cli(["discover", "-c", ready("sandbox-bank"), "--json"]);
    expect(json(uk).checks.some((x: Json) => x.check === "client keys")).toBe(false);
  });

  it("registers nothing: the banks saw GETs only", async () => {
    for (const bank of ["sandbox-bank", "json-bank"]) {
      const seen = await sb.admin.requests(bank);
      expect(Object.keys(seen).length, bank).toBeGreaterThan(0);
      expect(
        Object.keys(seen).filter((route) => !route.startsWith("GET ")),
        bank,
      ).toEqual([]);
      expect(await sb.admin.registrations(bank)).toEqual([]);
    }
  });
});
