/**
 * A token's login is the application's, not the session's: once one key of this process logged the
 * token in, every later C_Login answers CKR_USER_ALREADY_LOGGED_IN whatever the PIN. A second
 * configuration on the same token with a wrong PIN must still be refused (real SoftHSM2 through
 * pkcs11js, in this process, as in the provider host that opens several registrations' keys).
 */
import * as jose from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { signCompact } from "../../provider/core/sign/signer.js";
import { openSigner } from "../../provider/signers/index.js";
import { makeToken, type Token } from "./softhsm.js";

let token: Token;

beforeAll(() => {
  token = makeToken([
    { label: "es", id: "01", type: "EC:prime256v1" },
    { label: "es2", id: "02", type: "EC:prime256v1" },
  ]);
});

const key = (label: string) => ({
  kid: `hsm-${label}`,
  alg: "ES256" as const,
  pkcs11: { module: token.module, token_label: token.label, key_label: label },
});
const open = (label: string, pin: string) => openSigner(key(label), { secrets: { pkcs11_pin: pin } });
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (x: Error & { code?: string; field?: string; reason?: string }) => x,
  );

describe("PKCS#11 PIN checked although the token is already logged in", () => {
  it("another key (and the same key) with a wrong PIN: login_failed naming pin_env, never the PIN", async () => {
    // ob-dcr logs the token in: the PIN it used is the one later ones are compared with.
    const s = await open("es", token.pin);
    await jose.compactVerify(
      await signCompact(s, { typ: "JWT" }, { a: 1 }),
      await jose.importJWK(s.public_jwk, "ES256"),
    );
    for (const label of ["es2", "es"]) {
      const wrong = `not-${token.pin}`;
      const e = await failure(open(label, wrong));
      expect(e).toMatchObject({
        code: "OBDCR_SIGNER",
        field: "signing_key.pkcs11.pin_env",
        reason: "login_failed",
      });
      expect(e?.message).toMatch(/wrong PIN/);
      expect(e?.message).not.toContain(wrong);
      expect(e?.message).not.toContain(token.pin);
      expect(JSON.stringify(e)).not.toContain(wrong);
    }
  });

  it("the right PIN on the logged-in token still opens and signs the other key", async () => {
    const s = await open("es2", token.pin);
    await jose.compactVerify(
      await signCompact(s, { typ: "JWT" }, { a: 2 }),
      await jose.importJWK(s.public_jwk, "ES256"),
    );
  });
});
