// Signature time per signer backend, beside the in-process key: one compact JWS (a client
// assertion's size) signed through `signCompact`, wall time per signature (a remote signer's
// includes its own jose verification and, for KMS, the HTTP round trip to local-kms on loopback).
// PKCS#11 runs on a throwaway SoftHSM2 token, AWS KMS on local-kms; a backend that is not
// installed here is reported as such, not measured.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importSigningKey } from "../provider/core/keys.js";
import { type Signer, signCompact } from "../provider/core/sign/signer.js";
import { openSigner } from "../provider/signers/index.js";
import { repoRoot } from "../scripts/lib/pulumi_stack.js";

export interface SignerTiming {
  backend: "in_process" | "pkcs11" | "aws_kms";
  alg: "PS256" | "ES256";
  /** Median wall ms per signature; null when not measured. */
  ms: number | null;
  iterations: number;
  note: string;
}

const SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so";

async function time(iterations: number, s: Signer): Promise<number> {
  const payload = {
    iss: "bench",
    sub: "bench",
    aud: "https://directory.example/token",
    iat: 1,
    exp: 2,
    jti: "x",
  };
  for (let i = 0; i < Math.min(10, iterations); i++) await signCompact(s, { typ: "JWT" }, payload);
  const xs: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await signCompact(s, { typ: "JWT" }, payload);
    xs.push(performance.now() - t0);
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

function softHsmToken(dir: string): { label: string; pin: string } | string {
  if (!existsSync(SOFTHSM)) return "SoftHSM2 not installed";
  const tokens = join(dir, "tokens");
  mkdirSync(tokens, { recursive: true });
  const conf = join(dir, "softhsm2.conf");
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  const label = "bench";
  const pin = "bench-pin";
  try {
    execFileSync(
      "softhsm2-util",
      ["--init-token", "--free", "--label", label, "--so-pin", "so-1234", "--pin", pin],
      {
        stdio: "ignore",
      },
    );
    for (const [type, id, name] of [
      ["rsa:2048", "01", "ps"],
      ["EC:prime256v1", "02", "es"],
    ])
      execFileSync(
        "pkcs11-tool",
        [
          "--module",
          SOFTHSM,
          "--token-label",
          label,
          "--login",
          "--pin",
          pin,
          "--keypairgen",
          "--key-type",
          type!,
          "--id",
          id!,
          "--label",
          name!,
        ],
        { stdio: "ignore" },
      );
  } catch (e) {
    return `token set-up failed: ${(e as Error).message.split("\n")[0]}`;
  }
  return { label, pin };
}

async function localKms(dir: string): Promise<{ proc: ChildProcess; endpoint: string } | undefined> {
  const info = join(repoRoot, ".pulumi-state", "signers.json");
  const bin = existsSync(info)
    ? (JSON.parse(readFileSync(info, "utf8")).local_kms as string | undefined)
    : undefined;
  if (!bin || !existsSync(bin)) return undefined;
  const port = await new Promise<number>((res) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port: p } = s.address() as net.AddressInfo;
      s.close(() => res(p));
    });
  });
  const proc = spawn(bin, [], {
    env: { ...process.env, PORT: String(port), KMS_DATA_PATH: dir },
    stdio: "ignore",
  });
  return { proc, endpoint: `http://127.0.0.1:${port}` };
}

export async function signerTimings(iterations: number): Promise<SignerTiming[]> {
  const out: SignerTiming[] = [];
  for (const alg of ["PS256", "ES256"] as const) {
    const { privateKey } =
      alg === "PS256"
        ? generateKeyPairSync("rsa", { modulusLength: 2048 })
        : generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const s = await importSigningKey({ kid: "bench", alg, private_key: pem });
    out.push({
      backend: "in_process",
      alg,
      ms: await time(iterations, s),
      iterations,
      note: "WebCrypto, this process",
    });
  }
  const dir = mkdtempSync(join(tmpdir(), "obdcr-bench-signers-"));
  let kms: Awaited<ReturnType<typeof localKms>>;
  try {
    const token = softHsmToken(join(dir, "hsm"));
    for (const [alg, label] of [
      ["PS256", "ps"],
      ["ES256", "es"],
    ] as const) {
      if (typeof token === "string") {
        out.push({ backend: "pkcs11", alg, ms: null, iterations: 0, note: token });
        continue;
      }
      try {
        const s = await openSigner(
          { kid: "bench", alg, pkcs11: { module: SOFTHSM, token_label: token.label, key_label: label } },
          { secrets: { pkcs11_pin: token.pin } },
        );
        out.push({
          backend: "pkcs11",
          alg,
          ms: await time(iterations, s),
          iterations,
          note: "SoftHSM2 2.6 token (C_SignAsync, off the event loop)",
        });
      } catch (e) {
        out.push({
          backend: "pkcs11",
          alg,
          ms: null,
          iterations: 0,
          note: (e as Error).message.slice(0, 120),
        });
      }
    }
    kms = await localKms(join(dir, "kms"));
    if (!kms) {
      out.push({
        backend: "aws_kms",
        alg: "ES256",
        ms: null,
        iterations: 0,
        note: "local-kms not built (npm run setup)",
      });
    } else {
      Object.assign(process.env, {
        AWS_ACCESS_KEY_ID: "bench",
        AWS_SECRET_ACCESS_KEY: "bench",
        AWS_REGION: "eu-west-2",
      });
      const k = await import("@aws-sdk/client-kms");
      const client = new k.KMSClient({ region: "eu-west-2", endpoint: kms.endpoint });
      let keyId: string | undefined;
      for (let i = 0; i < 50 && !keyId; i++) {
        keyId = await client
          .send(new k.CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }))
          .then((r) => r.KeyMetadata?.KeyId)
          .catch(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)));
      }
      const s = await openSigner({
        kid: "bench",
        alg: "ES256",
        aws_kms: { key_id: keyId!, region: "eu-west-2", endpoint: kms.endpoint },
      });
      out.push({
        backend: "aws_kms",
        alg: "ES256",
        ms: await time(Math.min(iterations, 200), s),
        iterations: Math.min(iterations, 200),
        note: "local-kms on loopback (HTTP round trip included; real KMS adds the network)",
      });
      out.push({
        backend: "aws_kms",
        alg: "PS256",
        ms: null,
        iterations: 0,
        note: "not measured: local-kms signs PS256 with the maximum PSS salt, which we refuse (real AWS KMS uses 32)",
      });
    }
  } finally {
    kms?.proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export function renderSignerTimings(ts: SignerTiming[]): string[] {
  const rows = ts.map((t) => [
    t.backend === "in_process" ? "in-process key" : t.backend === "pkcs11" ? "PKCS#11" : "AWS KMS",
    t.alg,
    t.ms === null ? "n/a" : t.ms.toFixed(3),
    String(t.iterations),
    t.note,
  ]);
  return [
    "## Signature time per signer backend",
    "",
    "| backend | alg | median wall ms per signature | iterations | note |",
    "|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
  ];
}
