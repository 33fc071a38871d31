/**
 * A PKCS#11 token whose session goes away mid-run (an HSM that fails over or restarts, a token
 * pulled, another process calling C_CloseAllSessions): real SoftHSM2 through pkcs11js, in this
 * process. The long-lived provider host keeps one logged-in session per key, so a closed one must
 * not poison every later signature: the failure is a typed error naming the key, and the next
 * open logs in again. A key without CKA_SIGN is refused when opened.
 */
import * as jose from "jose";
import pkcs11js from "pkcs11js";
import { beforeAll, describe, expect, it } from "vitest";
import { signCompact } from "../../provider/core/sign/signer.js";
import { openSigner } from "../../provider/signers/index.js";
import { makeToken, type Token } from "./softhsm.js";

let token: Token;

beforeAll(() => {
  token = makeToken([{ label: "es", id: "01", type: "EC:prime256v1" }]);
  // pkcs11-tool always sets CKA_SIGN on a private key: make one without it here.
  const { m, slot } = library();
  const session = m.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  m.C_Login(session, pkcs11js.CKU_USER, token.pin);
  const common = [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_LABEL, value: "derive-only" },
    { type: pkcs11js.CKA_ID, value: Buffer.from("02", "hex") },
  ];
  m.C_GenerateKeyPair(
    session,
    { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
    [
      ...common,
      { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from("06082a8648ce3d030107", "hex") },
      { type: pkcs11js.CKA_VERIFY, value: false },
    ],
    [
      ...common,
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SIGN, value: false },
      { type: pkcs11js.CKA_DERIVE, value: true },
    ],
  );
  m.C_Logout(session);
  m.C_CloseSession(session);
});

const key = (label: string) => ({
  kid: "hsm-es",
  alg: "ES256" as const,
  pkcs11: { module: token.module, token_label: token.label, key_label: label },
});
const open = (label: string) => openSigner(key(label), { secrets: { pkcs11_pin: token.pin } });

/** The token's library, as another application in this process sees it. */
function library() {
  // The same library (dlopen hands back the loaded one): its sessions are the signer's too.
  const m = new pkcs11js.PKCS11();
  m.load(token.module);
  try {
    m.C_Initialize();
  } catch {
    /* already initialized by the signer: shared */
  }
  const slot = m.C_GetSlotList(true).find((s) => m.C_GetTokenInfo(s).label.trim() === token.label)!;
  return { m, slot };
}

/** Close every session on the token, as a restarted HSM or another application would. */
function closeAllSessions() {
  const { m, slot } = library();
  m.C_CloseAllSessions(slot);
}

describe("PKCS#11 session lost mid-run", () => {
  // First in the file: no signer of this process holds a session yet.
  it("a key that cannot be opened leaves no session logged in on the token", async () => {
    for (let i = 0; i < 3; i++)
      await expect(open("nope")).rejects.toMatchObject({ code: "OBDCR_SIGNER", reason: "key_not_found" });
    // Login state is the application's, kept while any of its sessions is open: a fresh
    // session shows whether a failed open left one open and logged in.
    const { m, slot } = library();
    const probe = m.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    try {
      // CKS_RO_PUBLIC_SESSION (0), not CKS_RO_USER_FUNCTIONS (1); pkcs11js names neither.
      expect(m.C_GetSessionInfo(probe).state).toBe(0);
    } finally {
      m.C_CloseSession(probe);
    }
  });

  it("the signature fails as OBDCR_SIGNER naming the key; the next open logs in again and signs", async () => {
    const s = await open("es");
    const pub = await jose.importJWK(s.public_jwk, "ES256");
    await jose.compactVerify(await signCompact(s, { typ: "JWT" }, { a: 1 }), pub);
    closeAllSessions();
    const e = await signCompact(s, { typ: "JWT" }, { a: 2 }).then(
      () => undefined,
      (x: Error & { code?: string; field?: string; reason?: string }) => x,
    );
    expect(e).toMatchObject({
      code: "OBDCR_SIGNER",
      field: "signing_key.pkcs11.key_label",
      reason: "sign_failed",
    });
    expect(e?.message).not.toContain(token.pin);
    // What the next step of the provider host does: open the key again (a fresh login).
    const again = await open("es");
    await jose.compactVerify(await signCompact(again, { typ: "JWT" }, { a: 3 }), pub);
    expect(e?.message).toMatch(/session is gone/);
  });

  it("a key without CKA_SIGN: key_unusable naming the key, when opened", async () => {
    const e = await openSigner(key("derive-only"), { secrets: { pkcs11_pin: token.pin } }).then(
      () => undefined,
      (x: Error & { code?: string; field?: string; reason?: string }) => x,
    );
    expect(e).toMatchObject({
      code: "OBDCR_SIGNER",
      field: "signing_key.pkcs11.key_label",
      reason: "key_unusable",
    });
    expect(e?.message).toContain("CKA_SIGN");
  });
});
