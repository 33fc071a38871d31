/**
 * A signing key in a PKCS#11 token (an HSM, a cloud HSM, SoftHSM): the private key never leaves
 * the token. Uses the optional `pkcs11js` binding, loaded only when a pkcs11 key is configured.
 * PS256 = `CKM_SHA256_RSA_PKCS_PSS` (SHA-256, MGF1-SHA-256, salt 32); ES256 = `CKM_ECDSA` over a
 * SHA-256 digest computed here (returns r‖s). The public JWK is read from the token's public key
 * object (same CKA_ID / CKA_LABEL); the PIN is used for `C_Login` and kept nowhere else.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type * as Pkcs11 from "pkcs11js";
import { SignerError } from "../core/errors.js";
import { digestOf } from "../core/memo.js";
import type { SigningAlg } from "../core/schemas/common.js";
import type { Pkcs11KeyParams } from "../core/schemas/params.js";
import { jwkFitsAlg, type Signer, sha256, signerJwk } from "../core/sign/signer.js";

type Binding = typeof Pkcs11;

/**
 * Each C_Sign ends within this, ms (`OBDCR_PKCS11_TIMEOUT_MS`, default 30 s; a token signs in
 * milliseconds, a network HSM in tens of them).
 */
export function pkcs11TimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.OBDCR_PKCS11_TIMEOUT_MS);
  return Number.isInteger(v) && v > 0 ? v : 30_000;
}

class SignTimeout extends Error {}

/** Default environment variable of the user PIN. */
export const DEFAULT_PIN_ENV = "OBDCR_PKCS11_PIN";

const FIELD = "signing_key.pkcs11";

let binding: Promise<Binding> | undefined;

/** The pkcs11js module, loaded on first use (a typed error when it is not installed or not built). */
export function loadPkcs11js(): Promise<Binding> {
  binding ??= import("pkcs11js")
    .then((m) => ((m as { default?: Binding }).default ?? m) as Binding)
    .catch((cause) => {
      binding = undefined;
      throw new SignerError(
        FIELD,
        "backend_missing",
        "PKCS#11 signing needs the optional package pkcs11js, which is not installed or not built: `npm install pkcs11js` (it builds with node-gyp; offline, give node-gyp Node's headers with --nodedir, see docs/signing.md)",
        { cause },
      );
    });
  return binding;
}

/** One loaded, initialized module per path (C_Initialize once per process). */
const modules = new Map<string, Pkcs11.PKCS11>();
/** Logged-in sessions with their key, per module, token, key and PIN (digest). */
const opened = new Map<string, Promise<Signer>>();
/**
 * Logins the token refused for the PIN (wrong or locked), per module, token and PIN (digest), with
 * the error. Never sent again in this process: the faces open the key in every step of every
 * registration (check, diff, create ...), and a token locks its user PIN after a few failed logins
 * (CKR_PIN_LOCKED, which only its security officer undoes), so one preview with a wrong PIN locked it.
 */
const refusedPins = new Map<string, SignerError>();

/**
 * Which PIN logged each token in (per module and token), as a keyed hash: a token's login belongs
 * to the process, not the session, so once one key logged it in, C_Login answers
 * CKR_USER_ALREADY_LOGGED_IN to any PIN, and a configuration with a wrong PIN signed anyway.
 */
const loginPins = new Map<string, Buffer>();

/**
 * C_Sign calls past their timeout that have not returned, per module. Each holds a thread of
 * libuv's pool (4 by default, shared with file reads and DNS lookups): every later signature sent
 * to a module that does not answer took one more, until the host's requests stalled behind them.
 * While one is held, the module is not sent another.
 */
const heldSigns = new Map<string, number>();
/** Key of the PIN hashes: random, made on first use, never leaves the process. */
let pinKey: Buffer | undefined;
/** A PIN's keyed hash: what the caches and `loginPins` hold instead of the PIN. */
function pinTag(pin: string): Buffer {
  pinKey ??= randomBytes(32);
  return createHmac("sha256", pinKey).update(pin).digest();
}

const isPkcs11Error = (e: unknown, ...names: string[]) =>
  e instanceof Error && names.some((n) => e.message === n || e.message.startsWith(`${n}`));

function moduleFor(pk: Binding, path: string): Pkcs11.PKCS11 {
  let m = modules.get(path);
  if (m) return m;
  m = new pk.PKCS11();
  try {
    m.load(path);
  } catch (cause) {
    throw new SignerError(
      `${FIELD}.module`,
      "unavailable",
      `the PKCS#11 module ${path} cannot be loaded (give the path of the HSM vendor's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so)`,
      { cause },
    );
  }
  try {
    m.C_Initialize();
  } catch (e) {
    if (!isPkcs11Error(e, "CKR_CRYPTOKI_ALREADY_INITIALIZED"))
      throw new SignerError(
        `${FIELD}.module`,
        "unavailable",
        `the PKCS#11 module ${path} failed to initialize`,
        {
          cause: e,
        },
      );
  }
  modules.set(path, m);
  return m;
}

/** Where the key is, for messages (never the PIN). */
export function describePkcs11(p: Pkcs11KeyParams): string {
  const key = p.key_label !== undefined ? `label "${p.key_label}"` : `id ${p.key_id}`;
  return `the PKCS#11 key ${key} in token "${p.token_label}"`;
}

/**
 * Open the key: load the module, find the token, log in, find the private key and its public key,
 * check they fit the alg. Once per key and PIN in a process; every failure is a SignerError naming
 * the input (`signing_key.pkcs11.token_label`, `.pin_env`, `.key_label`, ...).
 */
export function openPkcs11Signer(
  p: Pkcs11KeyParams,
  kid: string,
  alg: SigningAlg,
  pin: string | undefined,
  /** Where `pin` came from, for a refusal (`the environment variable OBDCR_PKCS11_PIN`). */
  pinSource?: string,
): Promise<Signer> {
  const pinField = `${FIELD}.pin_env`;
  if (pin === undefined || pin === "")
    return Promise.reject(
      new SignerError(
        pinField,
        "login_failed",
        `no PIN for ${describePkcs11(p)}: set the environment variable ${p.pin_env ?? DEFAULT_PIN_ENV} (or the provider's pkcs11Pin secret)`,
      ),
    );
  const tag = pinTag(pin).toString("base64url");
  const refused = refusedPins.get(digestOf(p.module, p.token_label, tag));
  if (refused) return Promise.reject(refused);
  const cacheKey = digestOf(p.module, p.token_label, p.key_label ?? "", p.key_id ?? "", kid, alg, tag);
  let s = opened.get(cacheKey);
  if (!s) {
    const forget = () => {
      if (opened.get(cacheKey) === s) opened.delete(cacheKey);
    };
    s = open(p, kid, alg, pin, forget, pinSource).catch((e: unknown) => {
      // pkcs11js throws plain Errors ("CKR_DEVICE_REMOVED: 50"): a typed one, naming the module.
      if (e instanceof SignerError) throw e;
      throw new SignerError(
        `${FIELD}.module`,
        "unavailable",
        `${describePkcs11(p)}: the PKCS#11 module failed while opening the key (${errorName(e)})`,
        { cause: errorName(e) },
      );
    });
    opened.set(cacheKey, s);
    s.catch(forget);
  }
  return s;
}

/**
 * Errors that mean the session (or its login) is gone: the token was removed, the HSM restarted or
 * failed over, or another application closed all sessions. The key is opened afresh next time.
 */
const SESSION_GONE = [
  "CKR_SESSION_HANDLE_INVALID",
  "CKR_SESSION_CLOSED",
  "CKR_USER_NOT_LOGGED_IN",
  "CKR_DEVICE_REMOVED",
  "CKR_TOKEN_NOT_PRESENT",
  "CKR_TOKEN_NOT_RECOGNIZED",
  "CKR_DEVICE_ERROR",
  "CKR_CRYPTOKI_NOT_INITIALIZED",
];

async function open(
  p: Pkcs11KeyParams,
  kid: string,
  alg: SigningAlg,
  pin: string,
  forget: () => void,
  source: string | undefined,
): Promise<Signer> {
  const pk = await loadPkcs11js();
  const m = moduleFor(pk, p.module);
  const describe = describePkcs11(p);
  const slot = m.C_GetSlotList(true).find((sl) => m.C_GetTokenInfo(sl).label.trim() === p.token_label);
  if (slot === undefined)
    throw new SignerError(
      `${FIELD}.token_label`,
      "token_not_found",
      `no token labelled "${p.token_label}" in ${p.module} (list them with \`pkcs11-tool --module ${p.module} --list-slots\`)`,
    );
  const session = m.C_OpenSession(slot, pk.CKF_SERIAL_SESSION);
  const tokenKey = digestOf(p.module, p.token_label);
  const tag = pinTag(pin).toString("base64url");
  const pinSource = source
    ? `the PIN came from ${source}`
    : `the PIN comes from the environment variable ${p.pin_env ?? DEFAULT_PIN_ENV} or the provider's pkcs11Pin secret`;
  // A key that cannot be used must not leave its session open and logged in: the faces open the
  // key again in every step, and an HSM has few sessions (a YubiHSM 2: 16).
  try {
    try {
      m.C_Login(session, pk.CKU_USER, pin);
      loginPins.set(tokenKey, pinTag(pin));
    } catch (e) {
      if (isPkcs11Error(e, "CKR_USER_ALREADY_LOGGED_IN")) {
        // The token did not check this PIN: compare it with the one that logged the token in.
        const known = loginPins.get(tokenKey);
        // Logged in by code outside ob-dcr (a module that logs in on its own): the token vouches
        // for the process, as before; refusing would break such modules for a PIN we cannot check.
        if (known && !timingSafeEqual(known, pinTag(pin)))
          throw new SignerError(
            `${FIELD}.pin_env`,
            "login_failed",
            `the token "${p.token_label}" refused the login: wrong PIN (it is not the PIN this process logged the token in with for another key; ${pinSource})`,
          );
      } else {
        m.C_CloseSession(session);
        const wrong = isPkcs11Error(e, "CKR_PIN_INCORRECT", "CKR_PIN_INVALID", "CKR_PIN_LEN_RANGE");
        const locked = isPkcs11Error(e, "CKR_PIN_LOCKED");
        const failure = new SignerError(
          `${FIELD}.pin_env`,
          "login_failed",
          `the token "${p.token_label}" refused the login${wrong ? ": wrong PIN" : locked ? ": the PIN is locked" : ""} (${pinSource})`,
          { cause: errorName(e) },
        );
        if (wrong || locked) refusedPins.set(digestOf(p.module, p.token_label, tag), failure);
        throw failure;
      }
    }
    const keyField = p.key_label !== undefined ? `${FIELD}.key_label` : `${FIELD}.key_id`;
    const find = (cls: number): Pkcs11.Handle[] => {
      const template: Pkcs11.Template = [{ type: pk.CKA_CLASS, value: cls }];
      if (p.key_label !== undefined) template.push({ type: pk.CKA_LABEL, value: p.key_label });
      if (p.key_id !== undefined) template.push({ type: pk.CKA_ID, value: Buffer.from(p.key_id, "hex") });
      m.C_FindObjectsInit(session, template);
      try {
        return m.C_FindObjects(session, 2);
      } finally {
        m.C_FindObjectsFinal(session);
      }
    };
    const privs = find(pk.CKO_PRIVATE_KEY);
    if (privs.length !== 1)
      throw new SignerError(
        keyField,
        "key_not_found",
        privs.length === 0
          ? `${describe} does not exist, or this user cannot see it (list keys with \`pkcs11-tool --module ${p.module} --token-label ${p.token_label} --login --list-objects\`)`
          : `${describe} is not unique: give key_id (CKA_ID) as well`,
      );
    const priv = privs[0]!;
    const attrs = (h: Pkcs11.Handle, types: number[]) =>
      m.C_GetAttributeValue(
        session,
        h,
        types.map((type) => ({ type })),
      );
    const [keyType, canSign] = attrs(priv, [pk.CKA_KEY_TYPE, pk.CKA_SIGN]).map((a) => a.value as Buffer);
    if (canSign?.[0] !== 1)
      throw new SignerError(keyField, "key_unusable", `${describe} may not sign (CKA_SIGN is false)`);
    const kt = keyType ? ulong(keyType) : undefined;
    const pubs = find(pk.CKO_PUBLIC_KEY);
    let jwk: Record<string, string>;
    if (kt === pk.CKK_RSA) {
      // The private key object carries the modulus and exponent; the public object, when present, too.
      const src = pubs[0] ?? priv;
      const [n, e] = attrs(src, [pk.CKA_MODULUS, pk.CKA_PUBLIC_EXPONENT]).map((a) => a.value as Buffer);
      jwk = { kty: "RSA", n: b64u(stripZeros(n!)), e: b64u(stripZeros(e!)) };
    } else if (kt === pk.CKK_EC) {
      if (!pubs[0])
        throw new SignerError(
          keyField,
          "key_unusable",
          `${describe} has no public key object with the same label/id (CKA_EC_POINT is needed for the public JWK)`,
        );
      const [params, point] = attrs(pubs[0], [pk.CKA_EC_PARAMS, pk.CKA_EC_POINT]).map(
        (a) => a.value as Buffer,
      );
      if (!params?.equals(P256_OID))
        throw new SignerError(
          keyField,
          "key_unusable",
          `${describe} is an EC key on another curve than P-256`,
        );
      let q: Buffer;
      try {
        q = ecPoint(point ?? Buffer.alloc(0));
      } catch {
        throw new SignerError(
          keyField,
          "key_unusable",
          `${describe}: its CKA_EC_POINT is not an uncompressed P-256 point`,
        );
      }
      jwk = { kty: "EC", crv: "P-256", x: b64u(q.subarray(1, 33)), y: b64u(q.subarray(33, 65)) };
    } else {
      throw new SignerError(keyField, "key_unusable", `${describe} is neither an RSA nor an EC key`);
    }
    const public_jwk = signerJwk(jwk, kid, alg);
    const misfit = jwkFitsAlg(public_jwk, alg);
    if (misfit) throw new SignerError(keyField, "key_unusable", `${describe}: ${misfit} (signing_key.alg)`);
    const mechanism: Pkcs11.Mechanism =
      alg === "PS256"
        ? {
            mechanism: pk.CKM_SHA256_RSA_PKCS_PSS,
            parameter: {
              type: pk.CK_PARAMS_RSA_PSS,
              hashAlg: pk.CKM_SHA256,
              mgf: pk.CKG_MGF1_SHA256,
              saltLen: 32,
            } as Pkcs11.RsaPSS,
          }
        : { mechanism: pk.CKM_ECDSA };
    const outLen = alg === "PS256" ? Buffer.from(jwk.n!, "base64url").length : 64;
    let queue: Promise<unknown> = Promise.resolve();
    /** Set once the session cannot be used again (gone, or held by a C_Sign that did not return). */
    let unusable: SignerError | undefined;
    const signOnce = async (data: Uint8Array): Promise<Uint8Array> => {
      if (unusable) throw unusable;
      if ((heldSigns.get(p.module) ?? 0) > 0)
        throw new SignerError(
          keyField,
          "sign_failed",
          `${describe}: an earlier C_Sign to the PKCS#11 module ${p.module} has not returned since it timed out (OBDCR_PKCS11_TIMEOUT_MS): is the HSM reachable? Nothing more is sent to it until that call ends; run again once the HSM answers`,
          { cause: "held" },
        );
      const input = Buffer.from(alg === "ES256" ? sha256(data) : data);
      const ms = pkcs11TimeoutMs();
      let timer: NodeJS.Timeout | undefined;
      let signing: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
      try {
        m.C_SignInit(session, mechanism, priv);
        // Off the event loop (libuv's pool) and bounded: a C_Sign that never returns (a network HSM
        // that lost its link) froze the whole process, the provider host's timers and Ctrl-C included.
        signing = m.C_SignAsync(session, input, Buffer.alloc(outLen));
        signing.catch(() => undefined); // its late end, after a timeout, is of no interest
        const out = await Promise.race([
          signing,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new SignTimeout()), ms);
          }),
        ]);
        return new Uint8Array(out);
      } catch (e) {
        if (e instanceof SignTimeout) {
          heldSigns.set(p.module, (heldSigns.get(p.module) ?? 0) + 1);
          const release = () => {
            const n = (heldSigns.get(p.module) ?? 1) - 1;
            if (n > 0) heldSigns.set(p.module, n);
            else heldSigns.delete(p.module);
          };
          signing.then(release, release);
          forget();
          unusable = new SignerError(
            keyField,
            "sign_failed",
            `${describe} did not answer C_Sign within ${ms} ms (OBDCR_PKCS11_TIMEOUT_MS): is the HSM reachable? The session is given up; the key is opened again on the next run`,
            { cause: "timeout" },
          );
          throw unusable;
        }
        const name = errorName(e);
        if (SESSION_GONE.includes(name)) {
          // A session that is gone stays gone: without this, every later signature of this
          // long-lived process (the provider host) failed the same way until it was restarted.
          forget();
          unusable = new SignerError(
            keyField,
            "sign_failed",
            `${describe}: the token's session is gone (${name}: the token was removed, the HSM restarted, or another application closed its sessions); the key is opened and logged in again on the next run`,
            { cause: name },
          );
          throw unusable;
        }
        throw new SignerError(keyField, "sign_failed", `${describe} refused to sign (${name})`, {
          cause: name,
        });
      } finally {
        clearTimeout(timer);
      }
    };
    return {
      kid,
      alg,
      backend: "pkcs11",
      public_jwk,
      describe,
      field: keyField,
      sign(data) {
        // One operation at a time on the session (C_SignInit then C_Sign), in call order.
        const run = () => signOnce(data);
        const result = queue.then(run, run);
        queue = result.catch(() => undefined);
        return result;
      },
    };
  } catch (e) {
    try {
      m.C_CloseSession(session);
    } catch {
      /* already closed (a refused login closes it) */
    }
    throw e;
  }
}

/** DER OID 1.2.840.10045.3.1.7 (prime256v1). */
const P256_OID = Buffer.from("06082a8648ce3d030107", "hex");

/** CKA_EC_POINT: a DER OCTET STRING around `04‖X‖Y` (some modules give the raw point). */
function ecPoint(v: Buffer): Buffer {
  if (v.length === 65 && v[0] === 4) return v;
  if (v[0] === 0x04 && v[1] === 65 && v[2] === 4) return v.subarray(2, 67);
  throw new TypeError("CKA_EC_POINT is not an uncompressed P-256 point");
}

/** A CK_ULONG attribute (host order; 8 or 4 bytes). */
const ulong = (b: Buffer) => (b.length >= 8 ? Number(b.readBigUInt64LE(0)) : b.readUInt32LE(0));

const stripZeros = (b: Buffer) => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
};
const b64u = (b: Buffer) => b.toString("base64url");
/** The CKR_* name of a PKCS#11 error (no other text: it never holds the PIN, but stays short). */
const errorName = (e: unknown): string =>
  e instanceof Error ? (e.message.split(/[\s:]/)[0] ?? "error") : "error";
