/**
 * A signing key in AWS KMS: `kms:GetPublicKey` once (the public JWK), `kms:Sign` per signature
 * over the SHA-256 digest (`MessageType: DIGEST`). PS256 = `RSASSA_PSS_SHA_256` (AWS uses a 32-byte
 * salt, as JOSE requires); ES256 = `ECDSA_SHA_256`, whose DER answer is turned into r‖s. Uses the
 * optional `@aws-sdk/client-kms`, loaded only when an aws_kms key is configured; credentials come
 * the usual AWS way (environment, shared config/profile, container or instance role).
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { Readable, Transform } from "node:stream";
import type * as Kms from "@aws-sdk/client-kms";
import type * as jose from "jose";
import { SignerError } from "../core/errors.js";
import { digestOf } from "../core/memo.js";
import type { SigningAlg } from "../core/schemas/common.js";
import type { AwsKmsKeyParams } from "../core/schemas/params.js";
import { derToJoseEcdsa, jwkFitsAlg, type Signer, sha256, signerJwk } from "../core/sign/signer.js";
import { untrustedText } from "../core/untrusted.js";

type Sdk = typeof Kms;
const FIELD = "signing_key.aws_kms";

let sdk: Promise<Sdk> | undefined;

/** The AWS SDK's KMS client, loaded on first use (a typed error when it is not installed). */
export function loadKmsSdk(): Promise<Sdk> {
  sdk ??= import("@aws-sdk/client-kms")
    .then((m) => ((m as { default?: Sdk }).default?.KMSClient ? (m as { default: Sdk }).default : m) as Sdk)
    .catch((cause) => {
      sdk = undefined;
      throw new SignerError(
        FIELD,
        "backend_missing",
        "AWS KMS signing needs the optional package @aws-sdk/client-kms, which is not installed: `npm install @aws-sdk/client-kms`",
        { cause },
      );
    });
  return sdk;
}

const opened = new Map<string, Promise<Signer>>();

/**
 * Each KMS call (the SDK's retries included) ends within this, ms (`OBDCR_KMS_TIMEOUT_MS`, default
 * 30 s; KMS answers in milliseconds). The SDK sets no request timeout of its own: an endpoint that
 * accepted the connection and never answered held the call for ever, and with it `pulumi preview`
 * (check opens the key to record its identity) and every step after it.
 */
export function kmsTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.OBDCR_KMS_TIMEOUT_MS);
  return Number.isInteger(v) && v > 0 ? v : 30_000;
}

export function describeKms(p: AwsKmsKeyParams): string {
  return `the AWS KMS key ${p.key_id}${p.region ? ` (${p.region})` : ""}`;
}

/** Open the key (GetPublicKey, checks); once per key, region, endpoint, kid and alg in a process. */
export function openKmsSigner(p: AwsKmsKeyParams, kid: string, alg: SigningAlg): Promise<Signer> {
  const cacheKey = digestOf(p.key_id, p.region ?? "", p.endpoint ?? "", kid, alg);
  let s = opened.get(cacheKey);
  if (!s) {
    s = open(p, kid, alg);
    opened.set(cacheKey, s);
    s.catch(() => opened.delete(cacheKey));
  }
  return s;
}

/**
 * The error's name when it is a plain word (`ThrottlingException`); the endpoint chooses it
 * (`__type`), so anything else (digits, punctuation: a token or key it echoes) is not printed.
 */
const safeName = (e: unknown): string => {
  const name = e instanceof Error ? e.name : "";
  return /^[A-Za-z]{1,64}$/.test(name) ? name : "an unnamed error";
};
/** A Node system error code (`ECONNREFUSED`), the HTTP status of the answer, if any. */
const transportCode = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && /^E[A-Z_]{2,30}$/.test(code) ? code : undefined;
};
const httpStatus = (e: unknown): number | undefined => {
  const s = (e as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  return typeof s === "number" ? s : undefined;
};

/**
 * What an AWS SDK error means for the input. Words are ours only: the SDK's message is the
 * endpoint's text (AWS's own SignatureDoesNotMatch quotes the canonical request, signed headers
 * such as x-amz-security-token included; a proxy may echo anything), so it is never printed.
 */
function kmsFailure(e: unknown, p: AwsKmsKeyParams, op: "GetPublicKey" | "Sign"): SignerError {
  const name = safeName(e);
  const describe = describeKms(p);
  const where = p.endpoint ? `${FIELD}.endpoint` : `${FIELD}.region`;
  switch (name) {
    case "AbortError":
    case "TimeoutError":
      return new SignerError(
        where,
        op === "Sign" ? "sign_failed" : "unavailable",
        `kms:${op} on ${describe} did not answer within ${kmsTimeoutMs()} ms (OBDCR_KMS_TIMEOUT_MS)`,
        { cause: name },
      );
    case TOO_LARGE:
      return new SignerError(
        where,
        op === "Sign" ? "sign_failed" : "unavailable",
        `kms:${op} on ${describe} answered more than ${MAX_KMS_ANSWER / 1024} KiB (a KMS answer is a few hundred bytes); the rest was not read: is ${p.endpoint ? "signing_key.aws_kms.endpoint" : "the region's endpoint"} a KMS endpoint?`,
        { cause: name },
      );
    case "NotFoundException":
      return new SignerError(`${FIELD}.key_id`, "key_not_found", `${describe} does not exist`, {
        cause: name,
      });
    case "DisabledException":
    case "KMSInvalidStateException":
      return new SignerError(
        `${FIELD}.key_id`,
        "key_unusable",
        `${describe} is disabled or pending deletion`,
        {
          cause: name,
        },
      );
    case "InvalidKeyUsageException":
    case "UnsupportedOperationException":
      return new SignerError(`${FIELD}.key_id`, "key_unusable", `${describe} is not a SIGN_VERIFY key`, {
        cause: name,
      });
    case "AccessDeniedException":
      return new SignerError(
        `${FIELD}.key_id`,
        op === "Sign" ? "sign_failed" : "key_unusable",
        `the AWS principal may not call kms:${op} on ${describe} (grant kms:Sign and kms:GetPublicKey)`,
        { cause: name },
      );
    case "CredentialsProviderError":
      return new SignerError(
        FIELD,
        "unavailable",
        "no AWS credentials were found (environment, shared config/profile, or a role)",
        { cause: name },
      );
    case "InvalidSignatureException":
    case "SignatureDoesNotMatch":
    case "IncompleteSignatureException":
    case "UnrecognizedClientException":
    case "InvalidClientTokenId":
    case "ExpiredTokenException":
    case "ExpiredToken":
      return new SignerError(
        FIELD,
        "unavailable",
        `kms:${op} on ${describe}: the AWS credentials were refused (${name}: unknown, expired or for another account, or this machine's clock is off)`,
        { cause: name },
      );
    case "ThrottlingException":
    case "LimitExceededException":
      return new SignerError(
        where,
        "unavailable",
        `kms:${op} on ${describe} was throttled by KMS (${name}) after the SDK's retries: run again later, or raise the account's KMS request quota`,
        { cause: name },
      );
    default: {
      const status = httpStatus(e);
      const code = transportCode(e);
      const what = [name, code, status ? `HTTP ${status}` : undefined].filter(Boolean).join(", ");
      return new SignerError(
        where,
        op === "Sign" ? "sign_failed" : "unavailable",
        `kms:${op} on ${describe} failed (${what})`,
        { cause: name },
      );
    }
  }
}

/** A KMS answer is under 4 KiB (a GetPublicKey of RSA 4096 included); more is not read. */
export const MAX_KMS_ANSWER = 64 * 1024;
const TOO_LARGE = "KmsAnswerTooLarge";
const tooLarge = () => Object.assign(new Error(`more than ${MAX_KMS_ANSWER} bytes`), { name: TOO_LARGE });

/**
 * Bound what the SDK reads of an answer: it buffers the whole body before parsing it, so an
 * endpoint that streamed without end held the memory of everything it sent until the timeout.
 * Runs inside the deserializer (step "deserialize", low priority), on the raw response.
 */
function limitAnswers(client: Kms.KMSClient): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const res = out.response as { headers?: Record<string, string>; body?: unknown };
      if (Number(res.headers?.["content-length"] ?? 0) > MAX_KMS_ANSWER) {
        (res.body as Readable | undefined)?.destroy?.();
        throw tooLarge();
      }
      const body = res.body;
      if (body instanceof Readable) {
        let seen = 0;
        const limited = new Transform({
          transform(chunk: Buffer, _enc, done) {
            seen += chunk.length;
            if (seen <= MAX_KMS_ANSWER) return done(null, chunk);
            body.destroy();
            done(tooLarge());
          },
        });
        body.on("error", (e) => limited.destroy(e));
        res.body = body.pipe(limited);
      }
      return out;
    },
    { step: "deserialize", priority: "low", name: "obdcrKmsAnswerLimit" },
  );
}

/**
 * Whether KMS answered for the key asked for. KMS names the key by its ARN in every answer; a key
 * id or key ARN given can be compared with it (an alias cannot, without kms:DescribeKey).
 */
export function answeredForOtherKey(asked: string, answered: string | undefined): boolean {
  if (
    answered === undefined ||
    asked.startsWith("alias/") ||
    /^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(asked)
  )
    return false;
  return asked.startsWith("arn:")
    ? answered !== asked
    : answered !== asked && !answered.endsWith(`:key/${asked}`);
}

async function open(p: AwsKmsKeyParams, kid: string, alg: SigningAlg): Promise<Signer> {
  const k = await loadKmsSdk();
  const client = new k.KMSClient({
    ...(p.region ? { region: p.region } : {}),
    ...(p.endpoint ? { endpoint: p.endpoint } : {}),
  });
  limitAnswers(client);
  const describe = describeKms(p);
  // Without a region (none given, no AWS_REGION, no profile's) the SDK throws a bare `Error`
  // "Region is missing" on the first call, which read as an endpoint failure: ask for it first.
  try {
    await client.config.region();
  } catch {
    throw new SignerError(
      `${FIELD}.region`,
      "unavailable",
      `no AWS region for ${describe}: set ${FIELD}.region (the key's region, e.g. eu-west-2) or AWS_REGION`,
    );
  }
  let pub: Kms.GetPublicKeyCommandOutput;
  try {
    pub = await client.send(new k.GetPublicKeyCommand({ KeyId: p.key_id }), {
      abortSignal: AbortSignal.timeout(kmsTimeoutMs()),
    });
  } catch (e) {
    throw kmsFailure(e, p, "GetPublicKey");
  }
  // A misrouted endpoint or a proxy that mixes keys up: the identity recorded must be this key's.
  if (answeredForOtherKey(p.key_id, pub.KeyId))
    throw new SignerError(
      `${FIELD}.key_id`,
      "key_unusable",
      `kms:GetPublicKey for ${describe} answered for another key (${untrustedText(pub.KeyId, 200)})`,
    );
  if (pub.KeyUsage && pub.KeyUsage !== "SIGN_VERIFY")
    throw new SignerError(
      `${FIELD}.key_id`,
      "key_unusable",
      `${describe} has KeyUsage ${pub.KeyUsage}, not SIGN_VERIFY`,
    );
  const algorithm = alg === "PS256" ? "RSASSA_PSS_SHA_256" : "ECDSA_SHA_256";
  if (pub.SigningAlgorithms && !pub.SigningAlgorithms.includes(algorithm))
    throw new SignerError(
      `${FIELD}.key_id`,
      "key_unusable",
      `${describe} cannot sign ${alg} (${algorithm}); its key spec is ${pub.KeySpec} (signing_key.alg)`,
    );
  if (!pub.PublicKey)
    throw new SignerError(`${FIELD}.key_id`, "key_unusable", `${describe} returned no public key`);
  let spki: KeyObject;
  try {
    spki = createPublicKey({ key: Buffer.from(pub.PublicKey), format: "der", type: "spki" });
  } catch {
    // The endpoint's bytes, not a DER SubjectPublicKeyInfo: say so, not OpenSSL's decoder error.
    throw new SignerError(
      `${FIELD}.key_id`,
      "key_unusable",
      `kms:GetPublicKey on ${describe} answered ${pub.PublicKey.length} bytes that are not a public key (DER SubjectPublicKeyInfo)`,
    );
  }
  const public_jwk = signerJwk(spki.export({ format: "jwk" }) as jose.JWK, kid, alg);
  const misfit = jwkFitsAlg(public_jwk, alg);
  if (misfit)
    throw new SignerError(`${FIELD}.key_id`, "key_unusable", `${describe}: ${misfit} (signing_key.alg)`);
  const modulusBytes = public_jwk.n ? Buffer.from(public_jwk.n, "base64url").length : 0;
  return {
    kid,
    alg,
    backend: "aws_kms",
    public_jwk,
    describe,
    field: `${FIELD}.key_id`,
    async sign(data) {
      let out: Kms.SignCommandOutput;
      try {
        out = await client.send(
          new k.SignCommand({
            KeyId: p.key_id,
            Message: sha256(data),
            MessageType: "DIGEST",
            SigningAlgorithm: algorithm,
          }),
          { abortSignal: AbortSignal.timeout(kmsTimeoutMs()) },
        );
      } catch (e) {
        throw kmsFailure(e, p, "Sign");
      }
      if (!out.Signature)
        throw new SignerError(`${FIELD}.key_id`, "sign_failed", `${describe} returned no signature`);
      if (answeredForOtherKey(p.key_id, out.KeyId))
        throw new SignerError(
          `${FIELD}.key_id`,
          "bad_signature",
          `kms:Sign for ${describe} answered for another key (${untrustedText(out.KeyId, 200)}); nothing was signed with it`,
        );
      const sig = out.Signature;
      const bad = (what: string) =>
        new SignerError(
          `${FIELD}.key_id`,
          "bad_signature",
          `kms:Sign on ${describe} answered ${what} (${sig.length} bytes); nothing was signed with it`,
        );
      // RSASSA-PSS is exactly the modulus length; a DER ECDSA P-256 signature at most 72 bytes.
      if (alg === "PS256" && sig.length !== modulusBytes)
        throw bad(`a signature that is not ${modulusBytes} bytes long`);
      if (alg === "ES256") {
        if (sig.length > 72) throw bad("more than a DER ECDSA P-256 signature");
        // KMS returns ECDSA signatures as DER; JOSE wants r‖s.
        try {
          return derToJoseEcdsa(sig);
        } catch {
          throw bad("a signature that is not a DER ECDSA-Sig-Value");
        }
      }
      return new Uint8Array(sig);
    },
  };
}
