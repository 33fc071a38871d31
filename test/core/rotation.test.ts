// What a rotation sends to the bank: pure decisions over material identities, table-driven.
import { describe, expect, it } from "vitest";
import type { MaterialIdentity } from "../../provider/core/material.js";
import {
  type KeyBoundSettings,
  keyBoundMetadata,
  planRotation,
} from "../../provider/core/policy/rotation.js";
import { describeRotation } from "../../provider/resource/messages.js";

const cert = (sha256: string, subject_dn: string) => ({
  sha256,
  subject_dn,
  issuer_dn: "CN=CA",
  not_before: "2026-01-01T00:00:00.000Z",
  not_after: "2028-01-01T00:00:00.000Z",
});
const base: MaterialIdentity = {
  signing_key: { kid: "k1", alg: "PS256", thumbprint: "t1" },
  transport_certificate: cert("c1", "CN=sw,OU=org,O=OpenBanking,C=GB"),
  ca_sha256: ["ca1"],
};
const obie = (method: string, over: Partial<KeyBoundSettings> = {}): KeyBoundSettings => ({
  format: "jwt",
  token_endpoint_auth_method: method,
  explicit_subject_dn: false,
  explicit_auth_signing_alg: false,
  keys_by_reference: true,
  ...over,
});
const plan = (a: MaterialIdentity, b: MaterialIdentity, s: KeyBoundSettings) =>
  planRotation({ material: a, settings: s }, { material: b, settings: s });

describe("planRotation", () => {
  it("no change: nothing to do", () => {
    expect(plan(base, base, obie("private_key_jwt"))).toEqual({
      changes: [],
      put_fields: [],
      verify_signing_key: false,
    });
  });
  it("renewed certificate, same DN: recorded, no PUT", () => {
    const p = plan(
      base,
      { ...base, transport_certificate: cert("c2", base.transport_certificate!.subject_dn) },
      obie("tls_client_auth"),
    );
    expect(p.changes).toEqual([
      expect.objectContaining({ kind: "transport_certificate", subject_dn_changed: false }),
    ]);
    expect(p.put_fields).toEqual([]);
  });
  it("new DN for a tls_client_auth client: PUT of the DN", () => {
    const next = { ...base, transport_certificate: cert("c2", "CN=sw,OU=org,O=OpenBanking,L=London,C=GB") };
    expect(plan(base, next, obie("tls_client_auth")).put_fields).toEqual(["tls_client_auth_subject_dn"]);
  });
  it.each([
    ["private_key_jwt (the DN is not registered)", obie("private_key_jwt")],
    ["tls_client_auth with an explicit DN", obie("tls_client_auth", { explicit_subject_dn: true })],
  ])("new DN but %s: no PUT", (_n, s) => {
    const next = { ...base, transport_certificate: cert("c2", "CN=other") };
    expect(plan(base, next, s).put_fields).toEqual([]);
  });
  it("new kid, same alg, keys from the directory: verify the key, no PUT", () => {
    const p = plan(
      base,
      { ...base, signing_key: { kid: "k2", alg: "PS256", thumbprint: "t2" } },
      obie("private_key_jwt"),
    );
    expect(p).toMatchObject({ put_fields: [], verify_signing_key: true });
    expect(p.changes).toEqual([expect.objectContaining({ kind: "signing_key", kid_changed: true })]);
  });
  it("new alg that token_endpoint_auth_signing_alg follows: PUT", () => {
    const next = { ...base, signing_key: { kid: "k2", alg: "ES256" as const, thumbprint: "t2" } };
    expect(plan(base, next, obie("private_key_jwt")).put_fields).toEqual(["token_endpoint_auth_signing_alg"]);
    expect(plan(base, next, obie("private_key_jwt", { explicit_auth_signing_alg: true })).put_fields).toEqual(
      [],
    );
  });
  it("RFC 7591 with inline jwks: a new key is a PUT of jwks; by reference it is not", () => {
    const next = { ...base, signing_key: { kid: "k2", alg: "PS256" as const, thumbprint: "t2" } };
    const inline = obie("private_key_jwt", { format: "json", keys_by_reference: false });
    expect(plan(base, next, inline).put_fields).toEqual(["jwks"]);
    expect(plan(base, next, { ...inline, keys_by_reference: true }).put_fields).toEqual([]);
  });
  it("the same key under the same kid replaced by another: verify, even though nothing is PUT", () => {
    const p = plan(
      base,
      { ...base, signing_key: { ...base.signing_key, thumbprint: "t9" } },
      obie("private_key_jwt"),
    );
    expect(p).toMatchObject({ verify_signing_key: true, put_fields: [] });
    expect(p.changes).toEqual([expect.objectContaining({ kind: "signing_key", kid_changed: false })]);
  });
  it("CA order does not matter; a new CA is a change that sends nothing", () => {
    const two = { ...base, ca_sha256: ["ca1", "ca2"] };
    expect(plan(two, { ...two, ca_sha256: ["ca2", "ca1"] }, obie("private_key_jwt")).changes).toEqual([]);
    expect(plan(base, two, obie("private_key_jwt"))).toMatchObject({
      changes: [{ kind: "ca" }],
      put_fields: [],
    });
  });
});

describe("keyBoundMetadata", () => {
  it("names only what follows from the material", () => {
    expect(keyBoundMetadata(obie("tls_client_auth"), base)).toEqual({
      tls_client_auth_subject_dn: base.transport_certificate!.subject_dn,
      token_endpoint_auth_signing_alg: "PS256",
    });
    expect(keyBoundMetadata(obie("client_secret_basic", { explicit_auth_signing_alg: true }), base)).toEqual(
      {},
    );
  });
});

describe("describeRotation (what the preview says)", () => {
  const es256: MaterialIdentity = { ...base, signing_key: { kid: "k2", alg: "ES256", thumbprint: "t2" } };
  const ctx = { other_reasons: [], supports_update: true, refuses_duplicate_registration: false };
  it("a key of another alg whose assertion alg follows it: the PUT, and the two steps an OBIE-style bank needs", () => {
    const lines = describeRotation("reg", plan(base, es256, obie("private_key_jwt")), ctx);
    expect(lines).toContain(
      "reg: update = PUT of the registration (new token_endpoint_auth_signing_alg), same client_id",
    );
    expect(lines.join("\n")).toMatch(
      /refuses that token's client assertion in ES256 while it holds PS256: .*two steps/,
    );
  });
  it.each([
    [
      "the alg given explicitly",
      obie("private_key_jwt", { explicit_auth_signing_alg: true }),
      "private_key_jwt",
    ],
    ["the same alg", obie("private_key_jwt"), "private_key_jwt"],
    ["tls_client_auth (no assertion)", obie("tls_client_auth"), "tls_client_auth"],
  ])("no two-step line with %s", (name, s, method) => {
    const next: MaterialIdentity =
      name === "the same alg"
        ? { ...base, signing_key: { kid: "k2", alg: "PS256", thumbprint: "t2" } }
        : es256;
    const lines = describeRotation("reg", plan(base, next, s), { ...ctx, auth_method: method });
    expect(lines.join("\n")).not.toMatch(/two steps/);
  });
});
