/**
 * A token that another part of this process logged in (a module that logs in by itself): C_Login
 * answers CKR_USER_ALREADY_LOGGED_IN and ob-dcr has no PIN of its own to compare (that is
 * pkcs11_pin.test.ts, in a file of its own so that ob-dcr has not logged the token in first). The
 * token's word is taken: refusing would leave such modules unable to sign at all.
 */
import * as jose from "jose";
import pkcs11js from "pkcs11js";
import { beforeAll, describe, it } from "vitest";
import { signCompact } from "../../provider/core/sign/signer.js";
import { openSigner } from "../../provider/signers/index.js";
import { makeToken, type Token } from "./softhsm.js";

let token: Token;

beforeAll(() => {
  token = makeToken([{ label: "es", id: "01", type: "EC:prime256v1" }]);
});

const open = (label: string, pin: string) =>
  openSigner(
    {
      kid: `hsm-${label}`,
      alg: "ES256" as const,
      pkcs11: { module: token.module, token_label: token.label, key_label: label },
    },
    { secrets: { pkcs11_pin: pin } },
  );

describe("PKCS#11 token logged in by another part of the process", () => {
  it("a login this process did not make (a module that logs in by itself): taken, the key signs", async () => {
    // Another part of the process logs the token in on its own session; the
    // login is shared, so ob-dcr's C_Login answers CKR_USER_ALREADY_LOGGED_IN with no PIN of its
    // own to compare. Refusing would leave such modules unable to sign at all.
    const m = new pkcs11js.PKCS11();
    m.load(token.module);
    try {
      m.C_Initialize();
    } catch {
      /* already initialized by the signer: shared */
    }
    const slot = m.C_GetSlotList(true).find((sl) => m.C_GetTokenInfo(sl).label.trim() === token.label)!;
    const session = m.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    try {
      m.C_Login(session, pkcs11js.CKU_USER, token.pin);
      const s = await open("es", token.pin);
      await jose.compactVerify(
        await signCompact(s, { typ: "JWT" }, { a: 0 }),
        await jose.importJWK(s.public_jwk, "ES256"),
      );
    } finally {
      m.C_CloseSession(session); // its last session: the login ends
    }
  });
});
