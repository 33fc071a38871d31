/**
 * A refused PIN says where it came from. The provider's pkcs11Pin config secret is used before the
 * environment variable: with a stale secret, fixing the variable changed nothing, and the message
 * named both ("the PIN comes from the environment variable … or the provider's pkcs11Pin secret").
 * Real SoftHSM2 through pkcs11js, a token of this file's own (a fresh process: no earlier login).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { worded } from "../../provider/resource/messages.js";
import { openSigner } from "../../provider/signers/index.js";
import { makeToken, type Token } from "./softhsm.js";

let token: Token;

beforeAll(() => {
  token = makeToken([{ label: "es", id: "01", type: "EC:prime256v1" }]);
});

const key = () => ({
  kid: "hsm-es",
  alg: "ES256" as const,
  pkcs11: { module: token.module, token_label: token.label, key_label: "es" },
});
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (x: Error & { code?: string; field?: string; reason?: string }) => x,
  );

describe("a refused PKCS#11 PIN names its source", () => {
  it("a wrong PIN from the config secret, the right one in the variable: the message says the secret was used", async () => {
    const e = await failure(
      openSigner(key(), {
        secrets: { pkcs11_pin: "stale-secret-pin" },
        env: { OBDCR_PKCS11_PIN: token.pin },
      }),
    );
    expect(e).toMatchObject({
      code: "OBDCR_SIGNER",
      reason: "login_failed",
      field: "signing_key.pkcs11.pin_env",
    });
    expect(e?.message).toContain(
      "wrong PIN (the PIN came from the provider's pkcs11Pin config secret, which is used before the environment variable OBDCR_PKCS11_PIN)",
    );
    expect(e?.message).not.toContain("stale-secret-pin");
    expect(e?.message).not.toContain(token.pin);
  });

  it("a wrong PIN from the variable named by pin_env, no secret: the message names that variable only", async () => {
    const k = key();
    const e = await failure(
      openSigner(
        { ...k, pkcs11: { ...k.pkcs11, pin_env: "MY_HSM_PIN" } },
        { env: { MY_HSM_PIN: "wrong-env-pin" } },
      ),
    );
    expect(e).toMatchObject({
      code: "OBDCR_SIGNER",
      reason: "login_failed",
      field: "signing_key.pkcs11.pin_env",
    });
    expect(e?.message).toContain("wrong PIN (the PIN came from the environment variable MY_HSM_PIN)");
    expect(e?.message).not.toContain("wrong-env-pin");
  });

  it("the right PIN from the secret opens the key", async () => {
    const s = await openSigner(key(), { secrets: { pkcs11_pin: token.pin }, env: {} });
    expect(s.kid).toBe("hsm-es");
  });

  // The Pulumi faces (dynamic resource and plugin) print errors through worded(): a key store's
  // error named the CLI's snake_case path in a program whose property is signingKey.pkcs11.pinEnv.
  it("in a Pulumi face's words: the code, then signingKey.pkcs11.pinEnv and (signingKey.alg), not snake_case", async () => {
    const pin = await failure(openSigner(key(), { secrets: { pkcs11_pin: "another-wrong-pin" }, env: {} }));
    const w = worded(pin, "create") as Error;
    expect(w.message).toMatch(
      /^OBDCR_SIGNER: signingKey\.pkcs11\.pinEnv: the token "[^"]+" refused the login: wrong PIN/,
    );
    const k = key();
    const alg = await failure(
      openSigner({ ...k, alg: "PS256" as never }, { secrets: { pkcs11_pin: token.pin } }),
    );
    const wa = worded(alg, "create") as Error;
    expect(wa.message).toMatch(
      /^OBDCR_SIGNER: signingKey\.pkcs11\.keyLabel: .*PS256 needs an RSA key.*\(signingKey\.alg\)/,
    );
    expect(wa.message).not.toContain("signing_key");
  });
});
