/**
 * A fresh SoftHSM2 token per test run, in a temp dir (SOFTHSM2_CONF points at it, so no test shares
 * a token): keys made on the token by OpenSC's pkcs11-tool, public keys read back as JWKs without
 * going through ob-dcr. Needs Debian's `softhsm2` and `opensc` (installed by .ci/run).
 */
import { execFileSync } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { JWK } from "jose";

export const SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so";

export interface TokenKey {
  label: string;
  /** CKA_ID, hex. */
  id: string;
  type: "rsa:2048" | "EC:prime256v1" | "EC:secp384r1";
  /** pkcs11-tool usage flags (e.g. ["--usage-decrypt"]: a key without CKA_SIGN); default its own. */
  usage?: string[];
}

export interface Token {
  dir: string;
  /** The SOFTHSM2_CONF file. */
  conf: string;
  module: string;
  label: string;
  pin: string;
  /** The public key of a key on the token, read with pkcs11-tool (not with ob-dcr). */
  publicJwk(id: string): JWK;
}

/** Fails (not skips) with the instruction when the packages are missing. */
export function requireSoftHsm(): void {
  const tool = ["softhsm2-util", "pkcs11-tool"].find((t) => {
    try {
      execFileSync("sh", ["-c", `command -v ${t}`], { stdio: "ignore" });
      return false;
    } catch {
      return true;
    }
  });
  if (!existsSync(SOFTHSM_MODULE) || tool)
    throw new Error(
      `SoftHSM2/OpenSC missing (${tool ?? SOFTHSM_MODULE}): apt-get install -y softhsm2 opensc (.ci/run does)`,
    );
  const binding = path.resolve(__dirname, "../../node_modules/pkcs11js/build/Release/pkcs11.node");
  if (!existsSync(binding))
    throw new Error(`the pkcs11js binding is not built (${binding}): run npm run setup`);
}

/**
 * A token with the given keys. Sets process.env.SOFTHSM2_CONF (children — the CLI, the Pulumi
 * provider hosts — inherit it); one token dir per process, so call it once per test file.
 */
export function makeToken(keys: TokenKey[], o: { label?: string; pin?: string } = {}): Token {
  requireSoftHsm();
  const dir = mkdtempSync(path.join(os.tmpdir(), "obdcr-softhsm-"));
  const tokens = path.join(dir, "tokens");
  mkdirSync(tokens);
  const conf = path.join(dir, "softhsm2.conf");
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  const label = o.label ?? "obdcr-test";
  const pin = o.pin ?? `pin-${Math.random().toString(36).slice(2, 10)}`;
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  execFileSync(
    "softhsm2-util",
    ["--init-token", "--free", "--label", label, "--so-pin", "so-1234", "--pin", pin],
    {
      env,
      stdio: "ignore",
    },
  );
  const tool = (args: string[]) =>
    execFileSync("pkcs11-tool", ["--module", SOFTHSM_MODULE, "--token-label", label, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
  for (const k of keys)
    tool([
      "--login",
      "--pin",
      pin,
      "--keypairgen",
      "--key-type",
      k.type,
      "--id",
      k.id,
      "--label",
      k.label,
      ...(k.usage ?? []),
    ]);
  return {
    dir,
    conf,
    module: SOFTHSM_MODULE,
    label,
    pin,
    publicJwk(id) {
      const out = path.join(dir, `pub-${id}.der`);
      tool(["--read-object", "--type", "pubkey", "--id", id, "-o", out]);
      return createPublicKey({ key: readFileSync(out), format: "der", type: "spki" }).export({
        format: "jwk",
      }) as JWK;
    },
  };
}
