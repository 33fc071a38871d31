/**
 * A wrong PKCS#11 PIN is tried at the token once per process, not once per use. The Pulumi faces
 * open the signing key from `check` (its prefetch and the material identity), `diff`, `create`,
 * `read` and `delete`, for every registration sharing the key: a `pulumi preview` of a stack with a
 * few registrations (a BankRegistrations of ten banks) sent the same wrong PIN to the token once per
 * resource and step. Tokens count failed logins and lock the user PIN after a few (PKCS#11
 * CKR_PIN_LOCKED: only the security officer unlocks it), so one preview with a mistyped
 * `obdcr:pkcs11Pin` locked the HSM for every pipeline using it. A fake binding stands in for the
 * token: it counts logins and locks after three wrong PINs, as a real one does.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";

const PIN = "123456";
const token = { logins: [] as string[], wrong: 0 };

vi.mock("pkcs11js", () => {
  class PKCS11 {
    load() {}
    C_Initialize() {}
    C_GetSlotList() {
      return [Buffer.from([1])];
    }
    C_GetTokenInfo() {
      return { label: "tok" };
    }
    C_OpenSession() {
      return Buffer.from([2]);
    }
    C_CloseSession() {}
    C_Login(_s: unknown, _u: unknown, pin: string) {
      token.logins.push(pin);
      if (token.wrong >= 3) throw new Error("CKR_PIN_LOCKED");
      if (pin !== PIN) {
        token.wrong++;
        throw new Error("CKR_PIN_INCORRECT");
      }
    }
    C_FindObjectsInit() {}
    C_FindObjects() {
      return [];
    }
    C_FindObjectsFinal() {}
  }
  const binding = {
    PKCS11,
    CKF_SERIAL_SESSION: 4,
    CKU_USER: 1,
    CKA_CLASS: 0,
    CKA_LABEL: 3,
    CKO_PRIVATE_KEY: 3,
  };
  return { ...binding, default: binding };
});

const key = (label: string) => ({
  kid: "k",
  alg: "PS256" as const,
  pkcs11: { module: "/fake/libpkcs11.so", token_label: "tok", key_label: label },
});
const open = async (label: string, pin: string) =>
  (await import("../../provider/signers/index.js"))
    .openSigner(key(label), { secrets: { pkcs11_pin: pin } })
    .then(
      () => "opened",
      (e: { code?: string; field?: string; message: string }) => e,
    );

describe("PKCS#11: a wrong PIN is sent to the token once per process", () => {
  beforeEach(() => {
    token.logins = [];
    token.wrong = 0;
  });

  it("five uses of one key (check, diff, create of several resources) log in once with the wrong PIN", async () => {
    for (let i = 0; i < 5; i++) {
      const e = await open("signing", "000000");
      expect(e).toMatchObject({ field: "signing_key.pkcs11.pin_env" });
      expect((e as Error).message).toContain("wrong PIN");
      expect((e as Error).message).not.toContain("000000");
    }
    // Other keys on the same token with the same PIN: the token has refused that PIN already.
    expect((await open("other", "000000")) as Error).toMatchObject({ field: "signing_key.pkcs11.pin_env" });
    expect(token.logins).toEqual(["000000"]);
    expect(token.wrong).toBeLessThan(3);
  });

  it("another PIN is still tried (the refusal is remembered for that PIN only)", async () => {
    await open("signing", "111111");
    await open("signing", "111111");
    const e = await open("signing", PIN);
    // The right PIN logs in; the fake token holds no key, so the open fails on the key instead.
    expect(e).toMatchObject({ field: "signing_key.pkcs11.key_label" });
    expect(token.logins).toEqual(["111111", PIN]);
  });
});
