/**
 * AWS KMS signing against local-kms (github.com/nsmithuk/local-kms, built from the Go module proxy
 * by `npm run setup`), through the BUILT CLI and `pulumi up` of the dynamic resource, at the
 * sandbox. ES256 works end to end (KMS's DER signature turned into r‖s). local-kms signs PS256 with
 * the maximum PSS salt, unlike real AWS KMS (32): every remote signature is verified with jose
 * before it is sent, so that emulator's PS256 is refused with OBDCR_SIGNER `bad_signature` and
 * nothing reaches the directory or the bank.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CreateKeyCommand, GetPublicKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import type { Stack } from "@pulumi/pulumi/automation";
import type { JWK } from "jose";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RegistrationInputs } from "../../provider/resource/args.js";
import { ObClientRegistration } from "../../provider/resource/registration.js";
import { localStack } from "../../scripts/lib/pulumi_stack.js";
import { type CliResult, cli, ensureBuilt, tmpDir, writeConfig } from "../cli/helpers.js";
import { sandboxForFile } from "../support/hooks.js";
import { cliConfig, pulumiArgs } from "../support/params.js";

const REGION = "eu-west-2";
const AWS_ENV = { AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local-secret", AWS_REGION: REGION };

beforeAll(() => ensureBuilt());
const sb = sandboxForFile({ prefix: "kms", banks: ["sandbox-bank"] });
const dir = tmpDir();
let kms: ChildProcess | undefined;
let endpoint: string;
let client: KMSClient;
const keys: Record<string, string> = {};

function localKmsBinary(): string {
  const info = resolve(__dirname, "../../.pulumi-state/signers.json");
  const bin = existsSync(info)
    ? (JSON.parse(readFileSync(info, "utf8")).local_kms as string | undefined)
    : undefined;
  if (!bin || !existsSync(bin)) throw new Error("local-kms is not built: run npm run setup (needs Go)");
  return bin;
}

const freePort = () =>
  new Promise<number>((res) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => res(port));
    });
  });

async function publicJwk(keyId: string): Promise<JWK> {
  const r = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
  return createPublicKey({ key: Buffer.from(r.PublicKey!), format: "der", type: "spki" }).export({
    format: "jwk",
  }) as JWK;
}

beforeAll(async () => {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), "obdcr-local-kms-"));
  kms = spawn(localKmsBinary(), [], {
    env: { ...process.env, PORT: String(port), KMS_DATA_PATH: data, KMS_REGION: REGION },
    stdio: "ignore",
  });
  endpoint = `http://127.0.0.1:${port}`;
  Object.assign(process.env, AWS_ENV);
  client = new KMSClient({ region: REGION, endpoint });
  for (let i = 0; ; i++) {
    try {
      await client
        .send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }))
        .then((r) => {
          keys.es = r.KeyMetadata!.KeyId!;
        });
      break;
    } catch (e) {
      if (i > 50) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  keys.es2 = (await client.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" })))
    .KeyMetadata!.KeyId!;
  keys.ps = (await client.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" })))
    .KeyMetadata!.KeyId!;
  await sb.admin.publishSigningKey(sb.sw.software_id, {
    ...(await publicJwk(keys.es!)),
    kid: "kms-es",
    alg: "ES256",
  });
  await sb.admin.publishSigningKey(sb.sw.software_id, {
    ...(await publicJwk(keys.es2!)),
    kid: "kms-es2",
    alg: "ES256",
  });
  await sb.admin.publishSigningKey(sb.sw.software_id, {
    ...(await publicJwk(keys.ps!)),
    kid: "kms-ps",
    alg: "PS256",
  });
});

afterAll(() => {
  kms?.kill();
});

// biome-ignore lint/suspicious/noExplicitAny: parsed CLI JSON, asserted field by field
const json = (r: CliResult) => JSON.parse(r.stdout) as Record<string, any>;
/** Signed or state-changing requests (not the GETs of public JWKS and discovery documents). */
const writes = (o: Record<string, number>) =>
  Object.entries(o)
    .filter(([route]) => !route.startsWith("GET "))
    .reduce((a, [, n]) => a + n, 0);
const bankWrites = async () =>
  Object.entries(await sb.admin.requests("sandbox-bank"))
    .filter(([route]) => !route.startsWith("GET "))
    .reduce((a, [, n]) => a + n, 0);

const kmsConfig = (
  name: string,
  kid: string,
  alg: string,
  keyId: string,
  over: Record<string, unknown> = {},
) =>
  writeConfig(
    dir,
    `${name}.yaml`,
    cliConfig(sb, "sandbox-bank", {
      ...over,
      signing_key: {
        private_key_file: undefined,
        kid,
        alg,
        aws_kms: { key_id: keyId, region: REGION, endpoint },
      },
    }),
  );
const register = (cfg: string) =>
  cli(["register", "--config", cfg, "--json", "--state", `${cfg}.state.json`], { env: AWS_ENV });

describe("CLI with a key in AWS KMS (local-kms)", () => {
  it("ES256: registers at the sandbox (client assertion and request JWT pass its checks)", async () => {
    const before = (await sb.admin.registrations("sandbox-bank")).length;
    const r = await register(kmsConfig("es", "kms-es", "ES256", keys.es!));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const regs = await sb.admin.registrations("sandbox-bank");
    expect(regs.length).toBe(before + 1);
    expect(json(r).client_id).toBe(regs.at(-1)!.client_id);
  });

  it("PS256 from local-kms (maximum PSS salt): refused as bad_signature by our own jose check, nothing sent", async () => {
    const dirBefore = writes(await sb.admin.requests("directory"));
    const bankBefore = await bankWrites();
    const r = await register(kmsConfig("ps", "kms-ps", "PS256", keys.ps!));
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(json(r).error).toMatchObject({
      code: "OBDCR_SIGNER",
      reason: "bad_signature",
      field: "signing_key.aws_kms.key_id",
    });
    expect(json(r).error.message).toContain("32-byte salt");
    expect(writes(await sb.admin.requests("directory"))).toBe(dirBefore);
    expect(await bankWrites()).toBe(bankBefore);
  });

  it("a KMS key the directory publishes under another kid (directory.software_jwks_endpoint given): OBDCR_INVALID_INPUT signing_key, only the software JWKS read", async () => {
    const dirBefore = writes(await sb.admin.requests("directory"));
    const bankBefore = await sb.admin.requests("sandbox-bank");
    // Key es2 is published under kid kms-es2, and signs here under kid kms-es.
    const r = await register(
      kmsConfig("unpublished", "kms-es", "ES256", keys.es2!, {
        directory: { software_jwks_endpoint: sb.sw.software_jwks_endpoint },
      }),
    );
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(json(r).error).toMatchObject({ code: "OBDCR_INVALID_INPUT", field: "signing_key" });
    expect(json(r).error.message).toContain("publishes this key under kid kms-es2, not under kid kms-es");
    expect(writes(await sb.admin.requests("directory"))).toBe(dirBefore);
    expect(await sb.admin.requests("sandbox-bank")).toEqual(bankBefore);
  });

  it("a key that does not exist: key_not_found naming signing_key.aws_kms.key_id, nothing sent", async () => {
    const dirBefore = writes(await sb.admin.requests("directory"));
    const r = await register(kmsConfig("missing", "kms-es", "ES256", "11111111-2222-3333-4444-555555555555"));
    expect(r.code).toBe(3);
    expect(json(r).error).toMatchObject({
      code: "OBDCR_SIGNER",
      reason: "key_not_found",
      field: "signing_key.aws_kms.key_id",
    });
    expect(writes(await sb.admin.requests("directory"))).toBe(dirBefore);
  });

  it("a KMS endpoint that does not answer: exit 5, unavailable, naming signing_key.aws_kms.endpoint", async () => {
    const port = await freePort();
    const cfg = writeConfig(
      dir,
      "down.yaml",
      cliConfig(sb, "sandbox-bank", {
        signing_key: {
          private_key_file: undefined,
          kid: "kms-es",
          alg: "ES256",
          aws_kms: { key_id: keys.es!, region: REGION, endpoint: `http://127.0.0.1:${port}` },
        },
      }),
    );
    const r = await register(cfg);
    expect(r.code, r.stdout + r.stderr).toBe(5);
    expect(json(r).error).toMatchObject({
      code: "OBDCR_SIGNER",
      reason: "unavailable",
      field: "signing_key.aws_kms.endpoint",
    });
    expect(r.stdout + r.stderr).not.toContain(AWS_ENV.AWS_SECRET_ACCESS_KEY);
  });

  // The SDK's bare "Region is missing" was reported as a failure of the endpoint (exit 5, "fix
  // signing_key.aws_kms.endpoint"), the one field that was right.
  it("no region (none in the config, no AWS_REGION, no profile): OBDCR_SIGNER naming signing_key.aws_kms.region, nothing sent", async () => {
    const cfg = writeConfig(
      dir,
      "noregion.yaml",
      cliConfig(sb, "sandbox-bank", {
        signing_key: {
          private_key_file: undefined,
          kid: "kms-es",
          alg: "ES256",
          aws_kms: { key_id: keys.es!, endpoint },
        },
      }),
    );
    const noRegion = {
      ...AWS_ENV,
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
      AWS_PROFILE: undefined,
      AWS_CONFIG_FILE: join(dir, "no-aws-config"),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, "no-aws-credentials"),
    };
    const dirBefore = writes(await sb.admin.requests("directory"));
    const r = await cli(["register", "--config", cfg, "--json", "--state", `${cfg}.state.json`], {
      env: noRegion,
    });
    expect(json(r).error).toMatchObject({
      code: "OBDCR_SIGNER",
      reason: "unavailable",
      field: "signing_key.aws_kms.region",
    });
    expect(json(r).error.message).toContain("AWS_REGION");
    expect(writes(await sb.admin.requests("directory"))).toBe(dirBefore);
  });

  it("a key of the wrong type for the alg: key_unusable", async () => {
    const r = await register(kmsConfig("wrongtype", "kms-es", "ES256", keys.ps!));
    expect(r.code).toBe(3);
    expect(json(r).error).toMatchObject({ code: "OBDCR_SIGNER", reason: "key_unusable" });
  });

  it("doctor: the KMS key is reached, signs ES256 and is the published key", async () => {
    const cfg = kmsConfig("doctor", "kms-es", "ES256", keys.es!);
    const r = await cli(["doctor", "--config", cfg, "--json"], { env: AWS_ENV });
    const checks = json(r).checks as { check: string; result: string; detail: string }[];
    const signing = checks.find((c) => c.check === "signing key")!;
    expect(signing.result, signing.detail).toBe("ok");
    expect(signing.detail).toContain("AWS KMS key");
    expect(checks.find((c) => /published/.test(c.check))?.result, JSON.stringify(checks)).toBe("ok");
  });
});

describe("dynamic resource with a key in AWS KMS (local-kms), ES256", () => {
  const backend = `file://${join(dir, "state")}`;
  const declared = new Map<string, RegistrationInputs>();
  let stack: Stack;

  beforeAll(async () => {
    const args = pulumiArgs(sb, "sandbox-bank") as unknown as RegistrationInputs;
    declared.set("kms", {
      ...args,
      signingKey: {
        kid: "kms-es",
        alg: "ES256",
        awsKms: { keyId: keys.es!, region: REGION, endpoint },
      } as never,
    });
    stack = await localStack({
      projectName: "ob-dcr-kms",
      stackName: "kms",
      backend,
      program: async () => {
        const o: Record<string, unknown> = {};
        for (const [name, a] of declared) o[name] = new ObClientRegistration(name, a as never).clientId;
        return o;
      },
    });
  });

  afterAll(async () => {
    await stack?.workspace.removeStack("kms", { force: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it("up registers; a rotation to another KMS key updates in place; destroy deletes", async () => {
    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    const id = up.outputs.kms?.value as string;
    expect((await sb.admin.registrations("sandbox-bank")).map((r) => r.client_id)).toContain(id);
    declared.set("kms", {
      ...declared.get("kms")!,
      signingKey: {
        kid: "kms-es2",
        alg: "ES256",
        awsKms: { keyId: keys.es2!, region: REGION, endpoint },
      } as never,
    });
    const rotated = await stack.up();
    expect(rotated.summary.resourceChanges?.update).toBe(1);
    expect(rotated.outputs.kms?.value).toBe(id);
    const state = JSON.stringify(await stack.exportStack());
    expect(state).not.toContain(AWS_ENV.AWS_SECRET_ACCESS_KEY);
    await stack.destroy();
    expect((await sb.admin.registrations("sandbox-bank")).map((r) => r.client_id)).not.toContain(id);
  });

  // docs/signing.md: a key moved into KMS (and back out) is a rotation like any other.
  it("a file key → a KMS key → the file key again: each an in-place update of the same client", async () => {
    declared.clear();
    // The ES256 key file: the KMS key is ES256 (an alg change is a two-step update, docs/rotation.md).
    const file = pulumiArgs(sb, {
      bank: "sandbox-bank",
      key: "signing_es256",
    }) as unknown as RegistrationInputs;
    const kmsKey = { kid: "kms-es", alg: "ES256", awsKms: { keyId: keys.es!, region: REGION, endpoint } };
    declared.set("flip", file);
    const first = await stack.up();
    const id = first.outputs.flip?.value as string;
    const thumbprints: string[] = [];
    const recorded = async () => {
      const r = (await stack.exportStack()).deployment.resources.find((x: { urn: string }) =>
        x.urn.endsWith("::flip"),
      ) as { outputs: { signingKeyIdentity: { kid: string; thumbprint: string } } };
      thumbprints.push(r.outputs.signingKeyIdentity.thumbprint);
      return r.outputs.signingKeyIdentity.kid;
    };
    expect(await recorded()).toBe((file.signingKey as { kid: string }).kid);
    for (const signingKey of [kmsKey, file.signingKey]) {
      declared.set("flip", { ...file, signingKey } as never);
      const up = await stack.up();
      expect(up.summary.resourceChanges, JSON.stringify(up.summary)).toMatchObject({ update: 1 });
      expect(up.summary.resourceChanges?.create ?? 0).toBe(0);
      expect(up.summary.resourceChanges?.replace ?? 0).toBe(0);
      expect(up.outputs.flip?.value).toBe(id);
      expect(await recorded()).toBe((signingKey as { kid: string }).kid);
    }
    expect(thumbprints[1]).toBe(await jose.calculateJwkThumbprint(await publicJwk(keys.es!)));
    expect(thumbprints[2]).toBe(thumbprints[0]);
    expect((await sb.admin.registrations("sandbox-bank")).filter((r) => r.client_id === id)).toHaveLength(1);
    await stack.destroy();
  });
});
