/**
 * A KMS endpoint that answers badly (a hostile or broken VPC endpoint / proxy), spoken to by the
 * real AWS SDK over HTTP on loopback: the JSON protocol (X-Amz-Target TrentService.*) answered by
 * a server whose answers each case chooses. Every failure is an OBDCR_SIGNER naming the
 * signing_key.aws_kms input, never a raw SDK/TypeError, never a credential echoed by the endpoint,
 * and never a JWS that does not verify with the recorded public key.
 */

import { execFileSync } from "node:child_process";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import type net from "node:net";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signCompact } from "../../provider/core/sign/signer.js";
import { answeredForOtherKey } from "../../provider/signers/aws_kms.js";
import { openSigner } from "../../provider/signers/index.js";
import { cli, ensureBuilt, tmpDir, writeConfig } from "../cli/helpers.js";

const CREDS = {
  AWS_ACCESS_KEY_ID: "AKIAHOSTILEKMSTEST01",
  AWS_SECRET_ACCESS_KEY: "hostile-kms-secret-access-key-never-printed",
  AWS_SESSION_TOKEN: "IQoJb3JpZ2luX2VjEHostileSessionTokenNeverPrinted0123456789abcdef",
  AWS_REGION: "eu-west-2",
  OBDCR_KMS_TIMEOUT_MS: "4000",
};
const saved = { ...process.env };

type Answer = { status: number; body: string | Buffer | (() => Readable) };
/** 256 MB of one JSON string, produced as it is read (never held whole here). */
const HUGE = () => {
  const chunk = Buffer.alloc(1 << 20, 0x41);
  let left = 256;
  return new Readable({
    read() {
      if (left === 256) this.push('{"KeyId":"k","Signature":"');
      this.push(left-- > 0 ? chunk : null);
    },
  });
};
/** What the endpoint answers to (operation, request headers); set per case. */
let answer: (op: string, headers: http.IncomingHttpHeaders) => Answer;
let server: http.Server;
let endpoint = "";
const sockets = new Set<net.Socket>();

const ARN = "arn:aws:kms:eu-west-2:111122223333:key/";
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const ec2 = generateKeyPairSync("ec", { namedCurve: "P-256" });
const spki = (k: KeyObject) => k.export({ format: "der", type: "spki" }).toString("base64");
const ok = (o: Record<string, unknown>): Answer => ({ status: 200, body: JSON.stringify(o) });
const publicKey = (k: KeyObject, spec = "ECC_NIST_P256", algs = ["ECDSA_SHA_256"]) =>
  ok({ KeyId: "k", PublicKey: spki(k), KeyUsage: "SIGN_VERIFY", KeySpec: spec, SigningAlgorithms: algs });
const signature = (sig: Buffer) => ok({ KeyId: "k", Signature: sig.toString("base64") });

beforeAll(async () => {
  Object.assign(process.env, CREDS);
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const op = String(req.headers["x-amz-target"] ?? "").replace(/^TrentService\./, "");
      const a = answer(op, req.headers);
      // KMS names the key by its ARN in each answer: "k" stands for the key asked for.
      if (typeof a.body === "string" && a.body.includes('"KeyId":"k"')) {
        const asked = (JSON.parse(Buffer.concat(chunks).toString() || "{}") as { KeyId?: string }).KeyId;
        a.body = a.body.replace('"KeyId":"k"', `"KeyId":"${ARN}${asked}"`);
      }
      res.writeHead(a.status, { "content-type": "application/x-amz-json-1.1" });
      if (typeof a.body === "function")
        a.body()
          .pipe(res)
          .on("error", () => undefined);
      else res.end(a.body);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
  for (const k of Object.keys(CREDS))
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
});

let n = 0;
/** A fresh key id per case: the signer is cached per key id in the process. */
const key = () => ({
  kid: "kms-es",
  alg: "ES256" as const,
  aws_kms: { key_id: `hostile-${++n}`, region: "eu-west-2", endpoint },
});
type Caught = Error & { code?: string; field?: string; reason?: string };
const caught = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: Caught) => e,
  );
const signOnce = async () => signCompact(await openSigner(key()), { typ: "JWT" }, { iss: "x" });

function expectNoCredential(e: Caught | undefined) {
  const text = `${e?.message} ${JSON.stringify(e)} ${String((e as { cause?: unknown })?.cause)}`;
  for (const v of [CREDS.AWS_SECRET_ACCESS_KEY, CREDS.AWS_SESSION_TOKEN, CREDS.AWS_ACCESS_KEY_ID])
    expect(text).not.toContain(v);
  expect(text).not.toMatch(/Signature=[0-9a-f]{16}/);
}

describe("AWS KMS endpoint answering badly", () => {
  // AWS's own SignatureDoesNotMatch text quotes the canonical request, signed headers included
  // (x-amz-security-token); an endpoint may echo anything it was sent.
  it.each([
    ["InvalidSignatureException", 400, "GetPublicKey"],
    ["UnrecognizedClientException", 400, "GetPublicKey"],
    ["SomethingNewException", 400, "GetPublicKey"],
    ["KMSInternalException", 500, "GetPublicKey"],
    ["InvalidSignatureException", 400, "Sign"],
  ])(
    "a %s (%i) on %s that echoes the signed headers: typed, no credential in it",
    async (type, status, at) => {
      answer = (op, h) =>
        op === at
          ? {
              status,
              body: JSON.stringify({
                __type: type,
                message: `x-amz-security-token:${h["x-amz-security-token"]} ${h.authorization} AWS_SECRET_ACCESS_KEY=${CREDS.AWS_SECRET_ACCESS_KEY}`,
              }),
            }
          : publicKey(ec.publicKey);
      const e = await caught(signOnce());
      expect(e).toMatchObject({ code: "OBDCR_SIGNER" });
      expect(e?.field).toMatch(/^signing_key\.aws_kms/);
      expectNoCredential(e);
    },
  );

  it("refused credentials are named as such (not an endpoint failure)", async () => {
    answer = () => ({
      status: 400,
      body: JSON.stringify({ __type: "UnrecognizedClientException", message: "bad token" }),
    });
    const e = await caught(signOnce());
    expect(e).toMatchObject({ code: "OBDCR_SIGNER", field: "signing_key.aws_kms", reason: "unavailable" });
    expect(e?.message).toMatch(/credentials/);
  });

  it("an error type that is itself a credential is not printed", async () => {
    answer = () => ({
      status: 400,
      body: JSON.stringify({ __type: CREDS.AWS_SESSION_TOKEN, message: "x" }),
    });
    const e = await caught(signOnce());
    expect(e).toMatchObject({ code: "OBDCR_SIGNER" });
    expectNoCredential(e);
  });

  it("ES256 answered as raw r‖s (64 bytes, not DER): bad_signature naming the key, not a TypeError", async () => {
    answer = (op) =>
      op === "Sign"
        ? signature(sign("sha256", Buffer.from("x"), { key: ec.privateKey, dsaEncoding: "ieee-p1363" }))
        : publicKey(ec.publicKey);
    const e = await caught(signOnce());
    expect(e).toMatchObject({
      code: "OBDCR_SIGNER",
      reason: "bad_signature",
      field: "signing_key.aws_kms.key_id",
    });
  });

  it("a signature far too long for ES256 (4 KB): bad_signature, not a conversion crash", async () => {
    answer = (op) => (op === "Sign" ? signature(Buffer.alloc(4096, 0x30)) : publicKey(ec.publicKey));
    const e = await caught(signOnce());
    expect(e).toMatchObject({
      code: "OBDCR_SIGNER",
      reason: "bad_signature",
      field: "signing_key.aws_kms.key_id",
    });
    expect(e?.message.length).toBeLessThan(600);
  });

  it("an endless answer (256 MB of JSON, streamed): stopped after a few KB as a typed error, memory bounded", async () => {
    answer = (op) => (op === "Sign" ? { status: 200, body: HUGE } : publicKey(ec.publicKey));
    const rss0 = process.memoryUsage().rss;
    const t0 = Date.now();
    const e = await caught(signOnce());
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(e).toMatchObject({
      code: "OBDCR_SIGNER",
      field: "signing_key.aws_kms.endpoint",
      reason: "sign_failed",
    });
    expect(e?.message).toMatch(/more than 64 KiB/);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(100 * 2 ** 20);
  });

  it("a DER signature by another key than GetPublicKey's: bad_signature, no JWS returned", async () => {
    answer = (op) =>
      op === "Sign" ? signature(sign("sha256", Buffer.from("x"), ec2.privateKey)) : publicKey(ec.publicKey);
    const e = await caught(signOnce());
    expect(e).toMatchObject({
      code: "OBDCR_SIGNER",
      reason: "bad_signature",
      field: "signing_key.aws_kms.key_id",
    });
  });

  it.each(["GetPublicKey", "Sign"])(
    "%s answered for another key (the ARN of someone else's): refused naming signing_key.aws_kms.key_id",
    async (at) => {
      const other = (o: Record<string, unknown>): Answer => ok({ ...o, KeyId: `${ARN}00000000-other-key` });
      answer = (op) => {
        const good = JSON.parse(
          (op === "Sign"
            ? signature(sign("sha256", Buffer.from("x"), ec.privateKey))
            : publicKey(ec.publicKey)
          ).body as string,
        ) as Record<string, unknown>;
        return op === at ? other(good) : ok(good);
      };
      const e = await caught(signOnce());
      expect(e).toMatchObject({
        code: "OBDCR_SIGNER",
        field: "signing_key.aws_kms.key_id",
        reason: at === "Sign" ? "bad_signature" : "key_unusable",
      });
      expect(e?.message).toContain("answered for another key");
    },
  );

  it("GetPublicKey answers bytes that are not a public key: key_unusable naming the key, not a raw crypto error", async () => {
    answer = () =>
      ok({ KeyId: "k", PublicKey: Buffer.from("not a key").toString("base64"), KeyUsage: "SIGN_VERIFY" });
    const e = await caught(openSigner(key()));
    expect(e).toMatchObject({
      code: "OBDCR_SIGNER",
      reason: "key_unusable",
      field: "signing_key.aws_kms.key_id",
    });
  });

  it("GetPublicKey of an RSA key for ES256: key_unusable naming the key", async () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    answer = () => publicKey(rsa.publicKey, "RSA_2048", ["ECDSA_SHA_256"]);
    const e = await caught(openSigner(key()));
    expect(e).toMatchObject({
      code: "OBDCR_SIGNER",
      reason: "key_unusable",
      field: "signing_key.aws_kms.key_id",
    });
  });

  it("a throttling storm ends within the KMS timeout as a typed error", async () => {
    answer = () => ({
      status: 400,
      body: JSON.stringify({ __type: "ThrottlingException", message: "Rate exceeded" }),
    });
    const t0 = Date.now();
    const e = await caught(signOnce());
    expect(Date.now() - t0).toBeLessThan(Number(CREDS.OBDCR_KMS_TIMEOUT_MS) + 3000);
    expect(e).toMatchObject({ code: "OBDCR_SIGNER", reason: "unavailable" });
    expect(e?.message).toMatch(/throttl/i);
  }, 20_000);
});

describe("the CLI in front of that endpoint", () => {
  beforeAll(() => ensureBuilt());
  it("register --json: OBDCR_SIGNER exit 5, and neither the output nor the state file holds a credential the endpoint echoed", async () => {
    answer = (_op, h) => ({
      status: 400,
      body: JSON.stringify({
        __type: "SomethingNewException",
        message: `x-amz-security-token:${h["x-amz-security-token"]} ${h.authorization}`,
      }),
    });
    const dir = tmpDir();
    // A throwaway transport certificate: the config must be whole for the signer to be opened.
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
        ...[
          "-keyout",
          join(dir, "k.pem"),
          "-out",
          join(dir, "c.pem"),
          "-subj",
          "/CN=obdcr-test",
          "-days",
          "1",
        ],
      ],
      { stdio: "ignore" },
    );
    // Nothing but the signer is reached: it is opened before any request.
    const cfg = writeConfig(dir, "kms.yaml", {
      profile: "obie-3.2",
      bank: { discovery_url: "https://127.0.0.1:9/.well-known/openid-configuration", org_id: "o" },
      directory: {
        token_endpoint: "https://127.0.0.1:9/token",
        ssa_endpoint: "https://127.0.0.1:9/ssa",
        jwks_uri: "https://127.0.0.1:9/jwks",
      },
      software: { software_id: "s", org_id: "o" },
      signing_key: { kid: "kms-es", alg: "ES256", aws_kms: { key_id: "cli-key", endpoint } },
      transport: { cert_file: join(dir, "c.pem"), key_file: join(dir, "k.pem") },
      client: { redirect_uris: ["https://tpp.example/cb"], token_endpoint_auth_method: "private_key_jwt" },
    });
    const r = await cli(["register", "--config", cfg, "--json", "--state", join(dir, "state.json")], {
      env: CREDS,
    });
    const text =
      r.stdout +
      r.stderr +
      (existsSync(join(dir, "state.json")) ? readFileSync(join(dir, "state.json"), "utf8") : "");
    for (const v of [CREDS.AWS_SECRET_ACCESS_KEY, CREDS.AWS_SESSION_TOKEN, CREDS.AWS_ACCESS_KEY_ID])
      expect(text).not.toContain(v);
    expect(JSON.parse(r.stdout).error ?? JSON.parse(r.stdout), r.stdout + r.stderr).toMatchObject({
      code: "OBDCR_SIGNER",
      field: "signing_key.aws_kms.endpoint",
    });
  });
});

describe("answeredForOtherKey: which key_id forms can be compared with the ARN KMS answers with", () => {
  const arn = "arn:aws:kms:eu-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  it.each([
    ["1234abcd-12ab-34cd-56ef-1234567890ab", arn, false],
    [arn, arn, false],
    ["1234abcd-12ab-34cd-56ef-1234567890ab", arn.replace("1234abcd", "99999999"), true],
    [arn, arn.replace("111122223333", "999999999999"), true],
    ["alias/obdcr-signing", arn, false],
    ["arn:aws:kms:eu-west-2:111122223333:alias/obdcr-signing", arn, false],
    ["1234abcd-12ab-34cd-56ef-1234567890ab", undefined, false],
  ])("asked %s, answered %s: other key %s", (asked, answered, other) => {
    expect(answeredForOtherKey(asked, answered)).toBe(other);
  });
});
