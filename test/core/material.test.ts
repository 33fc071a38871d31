// Material identities: thumbprints of public keys (PEM or JWK give the same), certificate facts, CA
// fingerprints; never any key material in the result.
import "reflect-metadata";
import { createHash, generateKeyPairSync, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import * as jose from "jose";
import { describe, expect, it } from "vitest";
import { clientKeys } from "../../provider/core/build/client_keys.js";
import {
  certificateIdentity,
  daysLeft,
  materialIdentity,
  pemCertificates,
  publicJwk,
  signingKeyIdentity,
} from "../../provider/core/material.js";
import { getProfile } from "../../provider/core/profiles/index.js";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const pem = rsa.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
const jwk = rsa.privateKey.export({ format: "jwk" });

async function selfSigned(subject: string, days: number) {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: subject,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + days * 86400_000),
    keys: keys as never,
    signingAlgorithm: alg,
  });
  return { pem: cert.toString("pem"), der: Buffer.from(cert.rawData) };
}

describe("signingKeyIdentity", () => {
  it("is the RFC 7638 thumbprint of the public key, from a PEM or a JWK alike", async () => {
    const expected = await jose.calculateJwkThumbprint((await jose.exportJWK(rsa.publicKey)) as jose.JWK);
    const a = await signingKeyIdentity({ kid: "k", alg: "PS256", private_key: pem });
    const b = await signingKeyIdentity({ kid: "k", alg: "PS256", private_key: jwk as never });
    expect(a).toEqual({ kid: "k", alg: "PS256", thumbprint: expected });
    expect(b).toEqual(a);
  });
  it("publicJwk has no private member", () => {
    const pub = publicJwk({ kid: "k", alg: "PS256", private_key: pem });
    expect(Object.keys(pub).sort()).toEqual(["alg", "e", "kid", "kty", "n", "use"]);
  });
  it("a value that is no key names signing_key.private_key", async () => {
    await expect(signingKeyIdentity({ kid: "k", alg: "PS256", private_key: "nope" })).rejects.toMatchObject({
      field: "signing_key.private_key",
    });
  });
});

describe("certificateIdentity", () => {
  it("SHA-256 of the DER, RFC 4514 subject, validity; days left", async () => {
    const c = await selfSigned("C=GB, O=OpenBanking, OU=org, CN=sw", 10); // ASN.1 order
    const id = certificateIdentity(c.pem);
    expect(id.sha256).toBe(createHash("sha256").update(c.der).digest("hex"));
    expect(id.subject_dn).toBe("CN=sw,OU=org,O=OpenBanking,C=GB");
    expect([9, 10]).toContain(daysLeft(id, Math.floor(Date.now() / 1000)));
    expect(daysLeft(id, Math.floor(Date.now() / 1000) + 11 * 86400)).toBeLessThan(0);
  });
  it("a CA bundle gives one fingerprint per certificate; material identity holds no PEM", async () => {
    const a = await selfSigned("CN=a", 100);
    const b = await selfSigned("CN=b", 100);
    expect(pemCertificates(`${a.pem}\n${b.pem}`)).toHaveLength(2);
    const m = await materialIdentity(
      { kid: "k", alg: "PS256", private_key: pem },
      { cert: a.pem, ca: [a.pem, b.pem] },
    );
    expect(m.ca_sha256).toHaveLength(2);
    expect(JSON.stringify(m)).not.toMatch(/BEGIN|PRIVATE/);
  });
  it("not a certificate: names the field", () => {
    expect(() => certificateIdentity("nope")).toThrow(expect.objectContaining({ field: "transport.cert" }));
  });
});

describe("clientKeys (RFC 7591 §2 jwks / jwks_uri)", () => {
  const pub = publicJwk({ kid: "k", alg: "PS256", private_key: pem });
  const rfc = getProfile("rfc7591");
  const uk = getProfile("obie-3.2");
  const client = (over: Record<string, unknown> = {}) =>
    ({ token_endpoint_auth_method: "private_key_jwt", extra: {}, ...over }) as never;
  it("RFC 7591 private_key_jwt: the SSA's jwks_uri, else the signing key as jwks", async () => {
    expect(
      await clientKeys({
        profile: rfc,
        client: client(),
        ssa_jwks_endpoint: "https://d/k.jwks",
        signing_public_jwk: pub,
      }),
    ).toEqual({
      jwks_uri: "https://d/k.jwks",
    });
    expect(await clientKeys({ profile: rfc, client: client(), signing_public_jwk: pub })).toEqual({
      jwks: { keys: [pub] },
    });
  });
  it("OBIE, or an auth method without assertions: nothing (the bank uses the SSA's keys)", async () => {
    expect(await clientKeys({ profile: uk, client: client(), signing_public_jwk: pub })).toBeUndefined();
    expect(
      await clientKeys({
        profile: rfc,
        client: client({ token_endpoint_auth_method: "tls_client_auth" }),
        signing_public_jwk: pub,
      }),
    ).toBeUndefined();
  });
  it("refuses both, and a jwks without our key", async () => {
    await expect(
      clientKeys({
        profile: rfc,
        client: client({ jwks_uri: "https://x", jwks: { keys: [pub] } }),
        signing_public_jwk: pub,
      }),
    ).rejects.toMatchObject({ field: "client.jwks" });
    const other = publicJwk({
      kid: "o",
      alg: "PS256",
      private_key: generateKeyPairSync("rsa", { modulusLength: 2048 })
        .privateKey.export({ format: "pem", type: "pkcs8" })
        .toString(),
    });
    await expect(
      clientKeys({ profile: rfc, client: client({ jwks: { keys: [other] } }), signing_public_jwk: pub }),
    ).rejects.toMatchObject({
      field: "client.jwks",
      message: expect.stringMatching(/does not hold the signing key/),
    });
  });
});
