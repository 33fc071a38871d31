// The adapter's two pure pieces: secret markers off and on again (so state keeps what was
// secret), and the provider config (each problem named by its obdcr: key; files read once).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkConfig, configFrom, resolveConfig } from "../../provider/native/config.js";
import { secret, unwrap, wrap } from "../../provider/native/secrets.js";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";

describe("secret markers", () => {
  it("unwraps nested secrets and output values, remembering their paths", () => {
    const wire = {
      signingKey: { kid: "k1", privateKey: secret("PEM") },
      adopt: secret({ clientId: "c" }),
      scope: ["a", secret("b")],
      later: { [SIG]: "d0e6a833031e9bbcd3f4e8bde6ca49a4", secret: true }, // unknown, secret
    };
    const { value, paths } = unwrap(wire);
    expect(value).toEqual({
      signingKey: { kid: "k1", privateKey: "PEM" },
      adopt: { clientId: "c" },
      scope: ["a", "b"],
      later: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    });
    expect(paths).toEqual([["signingKey", "privateKey"], ["adopt"], ["scope"], ["later"]]);
  });

  it("wraps each path once (outermost wins), skips absent ones, leaves the input untouched", () => {
    const plain = { a: { b: "x", c: "y" }, d: 1 };
    const out = wrap(plain, [["a", "b"], ["a"], ["missing"]]);
    expect(out).toEqual({ a: { [SIG]: SECRET, value: { b: "x", c: "y" } }, d: 1 });
    expect(plain).toEqual({ a: { b: "x", c: "y" }, d: 1 });
    expect(unwrap(out).value).toEqual(plain);
  });
});

describe("provider config", () => {
  it("reads variables by key (obdcr:config:<key>) when the engine sends no args", () => {
    const vars = new Map([
      ["obdcr:config:maxRetries", "2"],
      ["other:config:x", "y"],
    ]);
    expect(configFrom(undefined, vars)).toEqual({ maxRetries: "2" });
    expect(configFrom({ maxRetries: 3 }, vars)).toEqual({ maxRetries: 3 });
  });

  it("maps transport limits, reads key files, parses importInputs given as JSON text", () => {
    const dir = mkdtempSync(join(tmpdir(), "obdcr-cfg-"));
    writeFileSync(join(dir, "k.pem"), "KEY");
    const c = resolveConfig({
      maxRetries: "4",
      connectTimeoutMs: 1500,
      signingPrivateKeyFile: join(dir, "k.pem"),
      importInputs: '{"profile":"obie-3.2"}',
      importRegistrationAccessToken: "rat",
    });
    expect(c.transport).toEqual({ max_retries: 4, connect_timeout_ms: 1500 });
    expect(c.secrets).toEqual({ signingPrivateKey: "KEY" });
    expect(c.import).toMatchObject({ inputs: { profile: "obie-3.2" }, registrationAccessToken: "rat" });
  });

  it("accepts the version that a generated SDK adds to a default provider's config", () => {
    // The engine adds `version` when a Python or Node SDK names its package version.
    expect(resolveConfig({ version: "0.1.0", maxRetries: "2" }).transport).toEqual({ max_retries: 2 });
  });

  it("names the key of a bad value, an unknown key and an unreadable file", () => {
    expect(() => resolveConfig({ maxRetries: "many" })).toThrow(/obdcr:maxRetries/);
    expect(() => resolveConfig({ signingKey: "x" })).toThrow(/obdcr:/);
    expect(() => resolveConfig({ transportKeyFile: "/nonexistent/k.pem" })).toThrow(
      /obdcr:transportKeyFile: cannot read \/nonexistent\/k.pem/,
    );
  });

  it("CheckConfig: failures by key; credentials present are to be marked secret", () => {
    const r = checkConfig({ maxPerOrigin: "-1", transportKey: "PEM", version: "0.1.0" });
    expect(r.failures.map((f) => f.property)).toEqual(["maxPerOrigin"]);
    expect(r.failures[0]!.reason).toMatch(/^obdcr:maxPerOrigin: /);
    expect(r.secretKeys).toEqual(["transportKey"]);
    expect(checkConfig({}).failures).toEqual([]);
  });

  it("CheckConfig: importInputs that is not JSON is a failure naming the key, quoting none of the value", () => {
    // JSON.parse's own error quotes the text ("profile: o"... is not valid JSON) and was thrown
    // out of CheckConfig: a SyntaxError in the engine's output, a piece of the value with it.
    const text = "profile: obie-3.2\nadopt:\n  registrationAccessToken: tok-0123456789";
    const r = checkConfig({ importInputs: text });
    expect(r.failures.map((f) => f.property)).toEqual(["importInputs"]);
    expect(r.failures[0]!.reason).toMatch(/^obdcr:importInputs: .*JSON/);
    expect(r.failures[0]!.reason).not.toContain("profile");
    expect(() => resolveConfig({ importInputs: text })).toThrow(/obdcr:importInputs/);
  });
});
