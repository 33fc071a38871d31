/**
 * `verifyWithJwks` (the directory's SSA, a bank's signed answer): a set that lists the kid more
 * than once is tried key by key; the JWS counts only if one of them verifies it.
 */
import * as jose from "jose";
import { describe, expect, it } from "vitest";
import type { Jwks } from "../../provider/core/schemas/common.js";
import { verifyWithJwks } from "../../provider/http/jwks.js";

const rsa = async () => {
  const k = await jose.generateKeyPair("PS256", { extractable: true });
  return { priv: k.privateKey, jwk: { ...(await jose.exportJWK(k.publicKey)), kty: "RSA", kid: "dir-1" } };
};

describe("verifyWithJwks with a kid listed twice", async () => {
  const signer = await rsa();
  const a = await rsa();
  const b = await rsa();
  const jws = await new jose.SignJWT({ iss: "dir" })
    .setProtectedHeader({ alg: "PS256", kid: "dir-1" })
    .sign(signer.priv);

  it.each([
    ["another key first", [a.jwk, signer.jwk]],
    ["the signing key first", [signer.jwk, a.jwk]],
  ])("verifies when one of them signed it (%s)", async (_n, keys) => {
    const r = await verifyWithJwks(jws, { keys } as Jwks, ["PS256"]);
    expect(r.payload.iss).toBe("dir");
  });

  it("refuses when none of them signed it", async () => {
    await expect(verifyWithJwks(jws, { keys: [a.jwk, b.jwk] } as Jwks, ["PS256"])).rejects.toMatchObject({
      code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    });
  });

  it("keeps the algorithm allow-list", async () => {
    await expect(verifyWithJwks(jws, { keys: [a.jwk, signer.jwk] } as Jwks, ["ES256"])).rejects.toMatchObject(
      {
        code: "ERR_JOSE_ALG_NOT_ALLOWED",
      },
    );
  });
});
