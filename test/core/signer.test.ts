// The signer contract, pure: the compact JWS assembled by hand verifies with jose; a remote
// signature that does not (a PSS salt other than 32, a DER ECDSA signature left as is) is refused
// with SignerError bad_signature; DER → r‖s; the signing_key schema takes exactly one key source.
import { constants, generateKeyPairSync, sign } from "node:crypto";
import * as jose from "jose";
import { describe, expect, it } from "vitest";
import { invalidInputFromZod } from "../../provider/core/errors.js";
import { importSigningKey } from "../../provider/core/keys.js";
import { SigningKeyParams } from "../../provider/core/schemas/params.js";
import { derToJoseEcdsa, type Signer, signCompact, signerJwk } from "../../provider/core/sign/signer.js";

function remoteSigner(alg: "PS256" | "ES256", how: "right" | "max-salt" | "der"): Signer {
  const { privateKey, publicKey } =
    alg === "PS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    kid: "k",
    alg,
    backend: "aws_kms",
    public_jwk: signerJwk(publicKey.export({ format: "jwk" }) as jose.JWK, "k", alg),
    describe: "a test key store",
    field: "signing_key.aws_kms.key_id",
    async sign(data) {
      if (alg === "PS256")
        return sign("sha256", data, {
          key: privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: how === "max-salt" ? constants.RSA_PSS_SALTLEN_MAX_SIGN : 32,
        });
      const der = sign("sha256", data, privateKey); // DER, as KMS returns it
      return how === "der" ? der : derToJoseEcdsa(der);
    },
  };
}

describe("signCompact", () => {
  it.each([
    ["PS256", "right"],
    ["ES256", "right"],
  ] as const)("%s from a remote signer verifies with jose", async (alg, how) => {
    const s = remoteSigner(alg, how);
    const jws = await signCompact(s, { typ: "JWT" }, { iss: "a", n: 1 });
    const r = await jose.jwtVerify(jws, await jose.importJWK(s.public_jwk, alg));
    expect(r.protectedHeader).toEqual({ typ: "JWT", alg, kid: "k" });
    expect(r.payload).toEqual({ iss: "a", n: 1 });
  });

  it.each([
    ["PS256", "max-salt", "32-byte salt"],
    ["ES256", "der", "r‖s"],
  ] as const)(
    "%s with %s: SignerError bad_signature naming the key store's field",
    async (alg, how, words) => {
      await expect(signCompact(remoteSigner(alg, how), {}, { a: 1 })).rejects.toMatchObject({
        code: "OBDCR_SIGNER",
        reason: "bad_signature",
        field: "signing_key.aws_kms.key_id",
        message: expect.stringContaining(words),
      });
    },
  );

  it("the in-process key signs through the same path (header alg and kid from the signer)", async () => {
    const pem = generateKeyPairSync("ec", { namedCurve: "P-256" })
      .privateKey.export({ format: "pem", type: "pkcs8" })
      .toString();
    const s = await importSigningKey({ kid: "in", alg: "ES256", private_key: pem });
    expect(s.backend).toBe("in_process");
    const jws = await signCompact(s, { typ: "JWT", alg: "none", kid: "x" }, { a: 1 });
    const r = await jose.compactVerify(jws, await jose.importJWK(s.public_jwk, "ES256"));
    expect(r.protectedHeader).toMatchObject({ alg: "ES256", kid: "in" });
  });
});

describe("derToJoseEcdsa", () => {
  it("strips the sign byte and left-pads short integers to 32 bytes", () => {
    const r = Buffer.concat([Buffer.from([0x00, 0x80]), Buffer.alloc(31, 1)]); // 33 bytes, leading 0
    const s = Buffer.alloc(30, 2); // 30 bytes
    const der = Buffer.concat([
      Buffer.from([0x30, 2 + r.length + 2 + s.length, 0x02, r.length]),
      r,
      Buffer.from([0x02, s.length]),
      s,
    ]);
    const out = Buffer.from(derToJoseEcdsa(der));
    expect(out.length).toBe(64);
    expect(out.subarray(0, 32)).toEqual(r.subarray(1));
    expect(out.subarray(32, 34)).toEqual(Buffer.alloc(2));
    expect(out.subarray(34)).toEqual(s);
  });
  it("refuses what is not DER", () => {
    expect(() => derToJoseEcdsa(new Uint8Array(64))).toThrow(TypeError);
  });
});

describe("signing_key: exactly one source", () => {
  const pkcs11 = { module: "/m.so", token_label: "t", key_label: "k" };
  it.each([
    [{ kid: "k" }, "private_key", "give the private key"],
    [{ kid: "k", private_key: "x", pkcs11 }, "pkcs11", "give only one of"],
    [
      { kid: "k", pkcs11: { module: "/m.so", token_label: "t" } },
      "pkcs11.key_label",
      "give key_label or key_id",
    ],
    [{ kid: "k", alg: "RS256", pkcs11 }, "alg", "PS256 or ES256"],
    [{ kid: "k", aws_kms: { key_id: "a", endpoint: "http://kms.example" } }, "aws_kms.endpoint", "https"],
    [{ kid: "k", pkcs11: { ...pkcs11, pin: "1234" } }, "pkcs11", "Unrecognized key"],
    [
      { kid: "k", aws_kms: { key_id: "a", endpoint: "https://AKIAX:s3cr3t-in-url@kms.example" } },
      "aws_kms.endpoint",
      "user-info",
    ],
  ])("%j → %s", (input, path, words) => {
    const r = SigningKeyParams.safeParse(input);
    expect(r.success).toBe(false);
    const issue = r.error!.issues[0]!;
    expect(issue.path.join(".")).toBe(path);
    expect(issue.message).toContain(words);
    // What every face prints about it: the field and the rule, never the value (a PIN, a URL's password).
    const e = invalidInputFromZod("signing_key", r.error!);
    expect(e.field).toBe(`signing_key.${path}`);
    expect(`${e.message} ${JSON.stringify(e)}`).not.toMatch(/1234|s3cr3t-in-url/);
  });
  it("a pkcs11 key with key_id and the default alg parses", () => {
    expect(
      SigningKeyParams.parse({ kid: "k", pkcs11: { module: "/m.so", token_label: "t", key_id: "0a" } }),
    ).toMatchObject({
      alg: "PS256",
    });
  });
});
