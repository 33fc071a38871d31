/**
 * A PKCS#11 module whose C_Sign does not return (a network HSM that lost its link, a cluster
 * member that hangs): a shim in front of SoftHSM2, compiled here with gcc, holds C_Sign while a
 * file exists (for at most 8 s, so that a run without the bound ends too). C_Sign was called
 * synchronously, so the whole process (the provider host, the CLI) froze with it, timers and
 * Ctrl-C included. It now runs off the event loop and is bounded by OBDCR_PKCS11_TIMEOUT_MS.
 */
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signCompact } from "../../provider/core/sign/signer.js";
import { openSigner } from "../../provider/signers/index.js";
import { makeToken, type Token } from "./softhsm.js";

// No PKCS#11 header needed (none is installed by .ci/run): the v2.x function list by layout, a
// CK_VERSION then 68 function pointers, C_Sign the 44th (offsetof 352 in p11-kit's pkcs11.h).
const SHIM = `
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>
typedef unsigned long CK_RV, CK_ULONG;
typedef struct { unsigned char major, minor; } CK_VERSION;
typedef struct { CK_VERSION version; void *fn[68]; } FUNCTION_LIST;
typedef CK_RV (*Sign)(CK_ULONG, unsigned char *, CK_ULONG, unsigned char *, CK_ULONG *);
typedef CK_RV (*GetFunctionList)(FUNCTION_LIST **);
#define C_SIGN 43
static FUNCTION_LIST *real;
static FUNCTION_LIST shim;
static CK_RV held_sign(CK_ULONG s, unsigned char *d, CK_ULONG dl, unsigned char *sig, CK_ULONG *sl) {
  const char *f = getenv("OBDCR_TEST_HOLD_FILE");
  for (int i = 0; i < 160 && f && access(f, F_OK) == 0; i++) usleep(50000);
  return ((Sign)real->fn[C_SIGN])(s, d, dl, sig, sl);
}
CK_RV C_GetFunctionList(FUNCTION_LIST **pp) {
  if (!real) {
    void *h = dlopen(getenv("OBDCR_TEST_REAL_MODULE"), RTLD_NOW | RTLD_LOCAL);
    GetFunctionList g = h ? (GetFunctionList)dlsym(h, "C_GetFunctionList") : 0;
    if (!g || g(&real) != 0) return 5; /* CKR_GENERAL_ERROR */
    shim = *real;
    shim.fn[C_SIGN] = (void *)held_sign;
  }
  *pp = &shim;
  return 0;
}
`;

let token: Token;
let shim: string;
let hold: string;
const saved = { ...process.env };

beforeAll(() => {
  token = makeToken([{ label: "es", id: "01", type: "EC:prime256v1" }]);
  const src = path.join(token.dir, "held_sign.c");
  shim = path.join(token.dir, "libheld_sign.so");
  hold = path.join(token.dir, "hold");
  writeFileSync(src, SHIM);
  execFileSync("gcc", ["-shared", "-fPIC", "-o", shim, src, "-ldl"]);
  Object.assign(process.env, {
    OBDCR_TEST_REAL_MODULE: token.module,
    OBDCR_TEST_HOLD_FILE: hold,
    OBDCR_PKCS11_TIMEOUT_MS: "1500",
  });
});

afterAll(() => {
  rmSync(hold, { force: true });
  for (const k of ["OBDCR_TEST_REAL_MODULE", "OBDCR_TEST_HOLD_FILE", "OBDCR_PKCS11_TIMEOUT_MS"])
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
});

const open = () =>
  openSigner(
    { kid: "hsm-es", alg: "ES256", pkcs11: { module: shim, token_label: token.label, key_label: "es" } },
    { secrets: { pkcs11_pin: token.pin } },
  );

describe("PKCS#11 C_Sign that does not return", () => {
  it("ends within OBDCR_PKCS11_TIMEOUT_MS as OBDCR_SIGNER naming the key, the event loop free meanwhile; the next open signs", async () => {
    const s = await open();
    const pub = await jose.importJWK(s.public_jwk, "ES256");
    await jose.compactVerify(await signCompact(s, { typ: "JWT" }, { a: 1 }), pub);
    writeFileSync(hold, "");
    let ticks = 0;
    const timer = setInterval(() => ticks++, 100);
    const t0 = Date.now();
    const e = await signCompact(s, { typ: "JWT" }, { a: 2 }).then(
      () => undefined,
      (x: Error & { code?: string; field?: string; reason?: string }) => x,
    );
    const took = Date.now() - t0;
    clearInterval(timer);
    expect(took).toBeLessThan(4000);
    expect(ticks).toBeGreaterThan(5); // timers ran while the token held C_Sign
    expect(e).toMatchObject({
      code: "OBDCR_SIGNER",
      field: "signing_key.pkcs11.key_label",
      reason: "sign_failed",
    });
    expect(e?.message).toContain("OBDCR_PKCS11_TIMEOUT_MS");
    rmSync(hold);
    // The held C_Sign ends (the shim polls every 50 ms); until then the module is sent no other.
    await new Promise((r) => setTimeout(r, 300));
    // The held session is given up; the next open (the next step) takes a fresh one.
    const again = await open();
    expect(again).not.toBe(s);
    await jose.compactVerify(await signCompact(again, { typ: "JWT" }, { a: 3 }), pub);
  }, 30_000);

  it("while a timed-out C_Sign is held, the module gets no other: one thread of libuv's pool held, not one per signature (file reads and DNS lookups stalled behind them)", async () => {
    const s0 = await open();
    writeFileSync(hold, "");
    const t0 = Date.now();
    // Four signatures in a row (the pool's size), each on a freshly opened key as the next step opens it.
    const errors: (Error & { reason?: string })[] = [];
    for (let i = 0; i < 4; i++) {
      const s = i === 0 ? s0 : await open();
      errors.push(
        await signCompact(s, { typ: "JWT" }, { i }).then(
          () => new Error("signed"),
          (x: Error) => x,
        ),
      );
    }
    const took = Date.now() - t0;
    // A read from the pool answers at once: before, four held C_Signs took all of its threads.
    const r0 = Date.now();
    await readFile(shim);
    const read = Date.now() - r0;
    rmSync(hold);
    expect(errors.map((e) => e.reason)).toEqual(["sign_failed", "sign_failed", "sign_failed", "sign_failed"]);
    for (const e of errors.slice(1)) expect(e.message).toMatch(/has not returned since it timed out/);
    expect(took).toBeLessThan(3000); // one timeout (1.5 s), not four (6 s)
    expect(read).toBeLessThan(500);
    // Once the held call ends, the module signs again.
    await new Promise((r) => setTimeout(r, 300));
    const again = await open();
    const pub = await jose.importJWK(again.public_jwk, "ES256");
    await jose.compactVerify(await signCompact(again, { typ: "JWT" }, { a: 4 }), pub);
  }, 30_000);
});
