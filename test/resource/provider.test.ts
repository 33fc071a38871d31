// check and diff of the dynamic provider, called directly (they need no engine and no network).
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { calculateJwkThumbprint } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { camelKeys, snakeKeys, toCoreParams } from "../../provider/resource/args.js";
import { registrationProvider as p, UNKNOWN } from "../../provider/resource/provider.js";

const dir = mkdtempSync(join(tmpdir(), "ob-dcr-provider-"));
const keyFile = join(dir, "signing.pem");
writeFileSync(keyFile, "-----BEGIN PRIVATE KEY-----\nnot-checked-by-check\n-----END PRIVATE KEY-----\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const valid = () => ({
  profile: "obie-3.2",
  bank: {
    discoveryUrl: "https://bank.example/.well-known/openid-configuration",
    orgId: "0015800000jfQ9aAAE",
  },
  directory: {
    tokenEndpoint: "https://directory.example/as/token.oauth2",
    ssaEndpoint: "https://directory.example/api/v2/tpp/{org_id}/ssa/{software_id}",
  },
  software: { softwareId: "2cfGqDWH4LgtDRHd5JtFp8", orgId: "0015800001041RHAAY" },
  signingKey: { kid: "kid-1", alg: "PS256", privateKeyFile: keyFile },
  transport: { cert: "-----BEGIN CERTIFICATE-----", key: "-----BEGIN PRIVATE KEY-----" },
  client: { redirectUris: ["https://tpp.example/cb"], scope: "openid accounts" },
});

type Inputs = Record<string, unknown>;
const failuresOf = async (news: Inputs) => (await p.check({}, news)).failures ?? [];

describe("check", () => {
  it("accepts valid inputs and returns them unchanged, plus what diff needs (no file contents in state)", async () => {
    const news = valid();
    const r = await p.check({}, news);
    expect(r.failures).toEqual([]);
    const { bankCapabilities, ...rest } = r.inputs;
    expect(rest).toEqual(news);
    expect(bankCapabilities).toEqual({ supportsUpdate: true, refusesDuplicateRegistration: false });
  });

  it("records the identity of real material (kid, thumbprint), never its contents", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const file = join(dir, "real.pem");
    writeFileSync(file, pem);
    const news = { ...valid(), transport: {}, profile: "rfc7591", directory: undefined, software: undefined };
    news.signingKey = { kid: "kid-1", alg: "PS256", privateKeyFile: file };
    const r = await p.check({}, news);
    expect(r.failures).toEqual([]);
    expect(r.inputs.signingKeyIdentity).toEqual({
      kid: "kid-1",
      alg: "PS256",
      thumbprint: await calculateJwkThumbprint(
        createPublicKey(privateKey).export({ format: "jwk" }) as never,
      ),
    });
    expect(r.inputs.caFingerprints).toEqual([]);
    expect(JSON.stringify(r.inputs)).not.toMatch(/BEGIN|PRIVATE KEY/);
  });

  it.each([
    ["an unknown profile", (i: Inputs) => ({ ...i, profile: "obie-9.9" }), "profile"],
    ["no bank endpoint", (i: Inputs) => ({ ...i, bank: { orgId: "x" } }), "bank.discoveryUrl"],
    [
      "an http discovery URL",
      (i: Inputs) => ({
        ...i,
        bank: { discoveryUrl: "http://bank.example/.well-known/openid-configuration" },
      }),
      "bank.discoveryUrl",
    ],
    [
      "an empty software id",
      (i: Inputs) => ({ ...i, software: { softwareId: "", orgId: "o" } }),
      "software.softwareId",
    ],
    [
      "a missing key file",
      (i: Inputs) => ({ ...i, signingKey: { kid: "k", privateKeyFile: join(dir, "nope.pem") } }),
      "signingKey.privateKeyFile",
    ],
    ["no private key at all", (i: Inputs) => ({ ...i, signingKey: { kid: "k" } }), "signingKey.privateKey"],
    [
      "an unknown auth method",
      (i: Inputs) => ({ ...i, client: { tokenEndpointAuthMethod: "magic" } }),
      "client.tokenEndpointAuthMethod",
    ],
    ["a misspelt field", (i: Inputs) => ({ ...i, client: { redirectUri: ["https://x/cb"] } }), "client"],
    ["an empty adopt.clientId", (i: Inputs) => ({ ...i, adopt: { clientId: "" } }), "adopt.clientId"],
  ])("names the property for %s", async (_what, edit, property) => {
    const failures = await failuresOf(edit(valid()));
    expect(failures.map((f) => f.property)).toContain(property);
    for (const f of failures) expect(f.reason.length).toBeGreaterThan(3);
  });

  it("says where a missing private key can come from", async () => {
    const [f] = await failuresOf({ ...valid(), signingKey: { kid: "k" } });
    // In the resource's spelling only (no private_key, aws_kms), the config secret and its command first.
    expect(f?.reason).toBe(
      "no signing key: set the ob-dcr:signingPrivateKey config secret (`pulumi config set --secret ob-dcr:signingPrivateKey < key.pem`), or give signingKey.privateKeyFile or signingKey.privateKey, or where the key is kept (signingKey.pkcs11 or signingKey.awsKms)",
    );
  });

  it("an empty private key keeps its own words, with where a key can come from", async () => {
    const failures = await failuresOf({ ...valid(), signingKey: { kid: "k", privateKey: "" } });
    const f = failures.find((x) => x.property === "signingKey.privateKey");
    expect(f?.reason).not.toMatch(/^no signing key/);
    expect(f?.reason).toMatch(
      /; give signingKey\.privateKey, signingKey\.privateKeyFile or the ob-dcr:signingPrivateKey config secret$/,
    );
  });

  it("a typo in a member's name is named as the program spells it, with the closest member", async () => {
    const { redirectUris, ...client } = valid().client;
    const failures = await failuresOf({ ...valid(), client: { ...client, redirectUri: redirectUris } });
    expect(failures).toEqual([
      { property: "client", reason: 'Unrecognized key: "redirectUri" (did you mean "redirectUris"?)' },
    ]);
    // Nothing near: no guess.
    const [far] = await failuresOf({ ...valid(), bank: { ...valid().bank, colour: "blue" } });
    expect(far).toEqual({ property: "bank", reason: 'Unrecognized key: "colour"' });
  });

  it("reports several failures at once", async () => {
    const failures = await failuresOf({
      ...valid(),
      profile: "nope",
      software: { softwareId: "", orgId: "" },
    });
    expect(failures.map((f) => f.property).sort()).toEqual([
      "profile",
      "software.orgId",
      "software.softwareId",
    ]);
  });

  it("does not fail on values unknown during preview", async () => {
    const news = {
      ...valid(),
      bank: { discoveryUrl: UNKNOWN, orgId: UNKNOWN },
      signingKey: { kid: "k", privateKeyFile: UNKNOWN },
      client: UNKNOWN,
    };
    expect(await failuresOf(news)).toEqual([]);
  });
});

describe("diff", () => {
  const olds = () => ({
    ...valid(),
    clientId: "c1",
    registeredMetadata: { scope: "openid accounts", redirect_uris: ["https://tpp.example/cb"] },
    appliedMetadata: { scope: "openid accounts", redirect_uris: ["https://tpp.example/cb"] },
    __provider: "stub",
  });

  it("finds no change when the declared inputs are the same (computed outputs ignored)", async () => {
    const news = { ...valid(), __provider: "other stub text" };
    expect(await p.diff("c1", olds(), news)).toMatchObject({ changes: false, replaces: [] });
  });

  it.each([
    [
      "client.scope",
      (i: Inputs) => ({ ...i, client: { ...(i.client as object), scope: "openid payments" } }),
    ],
    [
      "client.redirectUris",
      (i: Inputs) => ({ ...i, client: { ...(i.client as object), redirectUris: ["https://tpp.example/b"] } }),
    ],
    ["directory.softwareStatement", (i: Inputs) => ({ ...i, directory: { softwareStatement: "a.b.c" } })],
    ["bankProfile.aud", (i: Inputs) => ({ ...i, bankProfile: { aud: { literal: "https://bank.example" } } })],
  ])("updates in place when %s changes", async (_what, edit) => {
    expect(await p.diff("c1", olds(), edit(valid()))).toMatchObject({ changes: true, replaces: [] });
  });

  it.each([
    ["profile", (i: Inputs) => ({ ...i, profile: "obie-3.3" }), "profile"],
    [
      "software.softwareId",
      (i: Inputs) => ({ ...i, software: { softwareId: "other", orgId: "0015800001041RHAAY" } }),
      "software",
    ],
    [
      "bank.discoveryUrl",
      (i: Inputs) => ({
        ...i,
        bank: {
          discoveryUrl: "https://other.example/.well-known/openid-configuration",
          orgId: "0015800000jfQ9aAAE",
        },
      }),
      "bank",
    ],
    [
      "bank.orgId",
      (i: Inputs) => ({
        ...i,
        bank: { discoveryUrl: "https://bank.example/.well-known/openid-configuration", orgId: "other" },
      }),
      "bank",
    ],
  ])("replaces when %s changes", async (_what, edit, key) => {
    const d = await p.diff("c1", olds(), edit(valid()));
    expect(d).toMatchObject({ changes: true, replaces: [key], deleteBeforeReplace: false });
  });

  it("refusesDuplicates moved to the bank profile: refused, naming bankProfile.refusesDuplicateRegistration", async () => {
    expect(await failuresOf({ ...valid(), refusesDuplicates: true })).toEqual([
      { property: "refusesDuplicates", reason: "moved: set bankProfile.refusesDuplicateRegistration" },
    ]);
  });

  it("a bank behaviour under bank is refused with its bankProfile name", async () => {
    const f = await failuresOf({
      ...valid(),
      bank: { ...(valid().bank as object), contentType: "application/jose" },
    });
    expect(f).toEqual([{ property: "bank.contentType", reason: "moved: set bankProfile.contentType" }]);
  });

  it.each([
    ["a preset that refuses duplicates", "single-registration", true],
    ["a preset that allows them", "hsbc", false],
    ["an object overriding the field", { preset: "hsbc", refusesDuplicateRegistration: true }, true],
  ])("takes delete-before-replace from the bank profile: %s", async (_what, bankProfile, expected) => {
    const news = { ...valid(), bankProfile, software: { softwareId: "other", orgId: "o" } };
    // As the engine does: diff gets what check returned (the bank profile resolved there).
    const checked = (await p.check({}, news)).inputs;
    const d = await p.diff("c1", { ...olds(), bankProfile }, checked);
    expect(d).toMatchObject({ replaces: ["software"], deleteBeforeReplace: expected });
  });

  it("updates in place when the bank profile changes", async () => {
    const d = await p.diff("c1", olds(), { ...valid(), bankProfile: "hsbc" });
    expect(d).toMatchObject({ changes: true, replaces: [] });
  });

  it("ignores adopt after creation", async () => {
    expect(await p.diff("c1", { ...olds(), adopt: { clientId: "c1" } }, valid())).toMatchObject({
      changes: false,
    });
  });

  it("reports drift found by refresh as a change (a PUT restores the declared metadata)", async () => {
    const drifted = {
      ...olds(),
      registeredMetadata: { scope: "openid", redirect_uris: ["https://tpp.example/cb"] },
    };
    expect(await p.diff("c1", drifted, valid())).toMatchObject({ changes: true, replaces: [] });
  });

  it("does not treat members outside the client metadata as drift", async () => {
    const o = olds();
    const noisy = {
      ...o,
      registeredMetadata: { ...o.registeredMetadata, client_id_issued_at: 123, ext_x: 1 },
    };
    expect(await p.diff("c1", noisy, valid())).toMatchObject({ changes: false });
  });

  it("treats an unknown value as a possible change", async () => {
    expect(await p.diff("c1", olds(), { ...valid(), client: UNKNOWN })).toMatchObject({ changes: true });
  });
});

describe("camelCase mapping", () => {
  it("converts field names but leaves wire maps (claims, JWKs) alone", () => {
    const jwk = { kty: "RSA", key_ops: ["sign"], "x5t#S256": "t" };
    const out = snakeKeys({
      bank: { orgId: "o", extraClaims: { subject_type: "pairwise", someClaim: 1 } },
      signingKey: { kid: "k", privateKey: jwk },
      client: { redirectUris: ["u"], extra: { client_name: "n" } },
    });
    expect(out).toEqual({
      bank: { org_id: "o", extra_claims: { subject_type: "pairwise", someClaim: 1 } },
      signing_key: { kid: "k", private_key: jwk },
      client: { redirect_uris: ["u"], extra: { client_name: "n" } },
    });
    expect(camelKeys(out)).toEqual({
      bank: { orgId: "o", extraClaims: { subject_type: "pairwise", someClaim: 1 } },
      signingKey: { kid: "k", privateKey: jwk },
      client: { redirectUris: ["u"], extra: { client_name: "n" } },
    });
  });

  it("reads key material from files and parses a JWK given as JSON text", async () => {
    const jwk = { kty: "EC", crv: "P-256", x: "x", y: "y", d: "d" };
    const params = await toCoreParams({
      ...valid(),
      signingKey: { kid: "k", privateKey: JSON.stringify(jwk) },
      transport: { certFile: keyFile, key: "k" },
    } as never);
    expect(params.signing_key.private_key).toEqual(jwk);
    expect(params.transport?.cert).toContain("not-checked-by-check");
  });
});
