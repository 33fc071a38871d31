/**
 * PKCS#11 signing through the real engine (Automation API, file backend) against the sandbox over
 * real mTLS: the dynamic resource (PIN from an environment variable named by `pinEnv`) and the
 * plugin (PIN from the `obdcr:pkcs11Pin` config secret), PS256 and ES256, a day-2 rotation to
 * another token key, a wrong PIN refused before any request. The PIN is searched for in the
 * exported stack, the raw state file and the engine output.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RegistrationInputs } from "../../provider/resource/args.js";
import { ObClientRegistration } from "../../provider/resource/registration.js";
import { localStack, stateFile } from "../../scripts/lib/pulumi_stack.js";
import { type Args as NativeArgs, nativeStack } from "../native/stack.js";
import { pulumiArgs } from "../support/params.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { signedOrWrites, softwareJwksReads } from "./counts.js";
import { makeToken, type Token } from "./softhsm.js";

const PIN_ENV = "OBDCR_TEST_HSM_PIN";
const dir = mkdtempSync(join(tmpdir(), "ob-dcr-pkcs11-engine-"));
let sb: TestSandbox;
let token: Token;
const prints: Record<string, string> = {};

beforeAll(async () => {
  token = makeToken([
    { label: "ps", id: "01", type: "rsa:2048" },
    { label: "es", id: "02", type: "EC:prime256v1" },
    { label: "es-next", id: "03", type: "EC:prime256v1" },
    { label: "unpublished", id: "04", type: "EC:prime256v1" },
  ]);
  sb = await startTestSandbox({ dataDir: join(dir, "sandbox"), banks: ["uk-bank", "rat-bank"] });
  for (const [id, kid, alg] of [
    ["01", "hsm-ps", "PS256"],
    ["02", "hsm-es", "ES256"],
    ["03", "hsm-es-next", "ES256"],
  ] as const) {
    const jwk = token.publicJwk(id);
    await sb.admin.publishSigningKey(sb.sw.software_id, { ...jwk, kid, alg });
    prints[kid] = await jose.calculateJwkThumbprint(jwk);
  }
});

afterAll(async () => {
  delete process.env[PIN_ENV];
  await sb?.close();
  rmSync(dir, { recursive: true, force: true });
});

const bankWrites = async (bank: string) =>
  Object.entries(await sb.admin.requests(bank))
    .filter(([route]) => !route.startsWith("GET "))
    .reduce((a, [, n]) => a + n, 0);
const held = async (bank: string) => (await sb.admin.registrations(bank)).map((r) => r.client_id).sort();

function expectPinNowhere(...texts: string[]) {
  for (const t of texts) {
    expect(t.includes(token.pin), "the PIN is in state or output").toBe(false);
    expect(t).not.toMatch(/"pin"\s*:/i);
  }
}

function hsmKey(kid: string, alg: "PS256" | "ES256", key: Record<string, string>) {
  return { kid, alg, pkcs11: { module: token.module, tokenLabel: token.label, pinEnv: PIN_ENV, ...key } };
}

describe("dynamic resource ObClientRegistration with a PKCS#11 key", () => {
  const backend = `file://${join(dir, "dyn-state")}`;
  const projectName = "ob-dcr-pkcs11";
  const stackName = "dynamic";
  const declared = new Map<string, RegistrationInputs>();
  let stack: Stack;
  let out = "";
  const onOutput = (s: string) => {
    out += s;
  };

  beforeAll(async () => {
    const uk = pulumiArgs(sb, "uk-bank") as unknown as RegistrationInputs;
    const rat = pulumiArgs(sb, "rat-bank") as unknown as RegistrationInputs;
    declared.set("ps", { ...uk, signingKey: hsmKey("hsm-ps", "PS256", { keyLabel: "ps" }) as never });
    declared.set("es", { ...rat, signingKey: hsmKey("hsm-es", "ES256", { keyId: "02" }) as never });
    stack = await localStack({
      projectName,
      stackName,
      backend,
      program: async () => {
        const o: Record<string, unknown> = {};
        for (const [name, args] of declared) {
          const r = new ObClientRegistration(name, args as never);
          o[name] = r.clientId;
        }
        return o;
      },
    });
  });

  afterAll(async () => {
    await stack?.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
  });
  /** The recorded signing key identity of a resource (a non-secret output in state). */
  const identity = async (name: string) =>
    ((await stack.exportStack()).deployment.resources ?? []).find((r: { urn: string }) =>
      r.urn.endsWith(`::${name}`),
    )?.outputs?.signingKeyIdentity;

  it("a wrong PIN: up fails with OBDCR_SIGNER naming signingKey.pkcs11.pinEnv; nothing reaches the banks", async () => {
    process.env[PIN_ENV] = "not-the-pin";
    const before = [await bankWrites("uk-bank"), await bankWrites("rat-bank")];
    const dirBefore = await sb.admin.requests("directory");
    let text = "";
    await expect(stack.up({ onOutput: (s) => (text += s) })).rejects.toThrow();
    expect(text).toContain("OBDCR_SIGNER");
    expect(text).toMatch(/signingKey\.pkcs11\.pinEnv|signing_key\.pkcs11\.pin_env/);
    expect([await bankWrites("uk-bank"), await bankWrites("rat-bank")]).toEqual(before);
    expect(await sb.admin.requests("directory")).toEqual(dirBefore);
    expect(await held("uk-bank")).toEqual([]);
    expectPinNowhere(text);
  });

  // directory.softwareJwksEndpoint: the token key is compared with the directory's software JWKS
  // before the directory token request: no token, SSA or bank write (the plugin's check-time
  // prefetch may GET public documents).
  it("a token key the directory does not publish (softwareJwksEndpoint given): up fails with OBDCR_INVALID_INPUT naming signingKey; no token, SSA or bank request", async () => {
    process.env[PIN_ENV] = token.pin;
    const kept = new Map(declared);
    const uk = declared.get("ps")!;
    declared.clear();
    declared.set("bad", {
      ...uk,
      directory: { ...(uk.directory as object), softwareJwksEndpoint: sb.sw.software_jwks_endpoint } as never,
      signingKey: hsmKey("hsm-unpublished", "ES256", { keyLabel: "unpublished" }) as never,
    });
    const dirBefore = await sb.admin.requests("directory");
    const banksBefore = [await sb.admin.requests("uk-bank"), await sb.admin.requests("rat-bank")];
    let text = "";
    try {
      await expect(stack.up({ onOutput: (s) => (text += s) })).rejects.toThrow();
    } finally {
      declared.clear();
      for (const [k, v] of kept) declared.set(k, v);
    }
    expect(text).toContain("OBDCR_INVALID_INPUT");
    expect(text).toMatch(/signingKey|signing_key/);
    expect(text).toContain("does not publish this key nor kid hsm-unpublished");
    const dirAfter = await sb.admin.requests("directory");
    expect(signedOrWrites(dirAfter), "a directory token or SSA request").toBe(signedOrWrites(dirBefore));
    expect(softwareJwksReads(dirAfter)).toBeGreaterThan(softwareJwksReads(dirBefore)); // the check is real
    const banksAfter = [await sb.admin.requests("uk-bank"), await sb.admin.requests("rat-bank")];
    expect(banksAfter.map(signedOrWrites), "a registration request").toEqual(banksBefore.map(signedOrWrites));
    expectPinNowhere(text);
  });

  it("up registers PS256 (uk-bank) and ES256 (rat-bank); the recorded thumbprint is the token key's", async () => {
    process.env[PIN_ENV] = token.pin;
    const up = await stack.up({ onOutput });
    expect(up.summary.result).toBe("succeeded");
    expect(await held("uk-bank")).toEqual([up.outputs.ps?.value]);
    expect(await held("rat-bank")).toEqual([up.outputs.es?.value]);
    expect(await identity("ps")).toEqual({ kid: "hsm-ps", alg: "PS256", thumbprint: prints["hsm-ps"] });
    expect(await identity("es")).toEqual({ kid: "hsm-es", alg: "ES256", thumbprint: prints["hsm-es"] });
  });

  it("rotation to another token key is a day-2 update: same client, new thumbprint", async () => {
    const id = (await stack.outputs()).es?.value;
    declared.set("es", {
      ...declared.get("es")!,
      signingKey: hsmKey("hsm-es-next", "ES256", { keyLabel: "es-next" }) as never,
    });
    const up = await stack.up({ onOutput });
    expect(up.summary.resourceChanges?.update).toBe(1);
    expect(up.summary.resourceChanges?.replace ?? 0).toBe(0);
    expect(up.outputs.es?.value).toBe(id);
    expect(await identity("es")).toMatchObject({ kid: "hsm-es-next", thumbprint: prints["hsm-es-next"] });
    const refresh = await stack.refresh({ onOutput });
    expect(refresh.summary.result).toBe("succeeded");
    expect(await held("rat-bank")).toEqual([id]);
  });

  it("the PIN is nowhere in the exported stack, the state file or the engine output", async () => {
    const exported = JSON.stringify(await stack.exportStack());
    expect(exported).toContain("hsm-ps"); // the kid and the key's location stay readable
    expect(exported).toContain(token.label);
    expectPinNowhere(exported, readFileSync(stateFile(backend, projectName, stackName), "utf8"), out);
  });

  // A destroy runs the provider with the configuration recorded by the last `up`: set the secret,
  // `up` (no change), then destroy without the environment variable.
  it("destroy with the PIN from the ob-dcr:pkcs11Pin config secret instead (no environment variable)", async () => {
    await stack.setConfig("ob-dcr:pkcs11Pin", { value: token.pin, secret: true });
    await stack.up({ onOutput });
    delete process.env[PIN_ENV];
    await stack.destroy({ onOutput });
    expect(await held("uk-bank")).toEqual([]);
    expect(await held("rat-bank")).toEqual([]);
    expectPinNowhere(out, readFileSync(stateFile(backend, projectName, stackName), "utf8"));
  });
});

describe("plugin obdcr:index:ClientRegistration with a PKCS#11 key (PIN from obdcr:pkcs11Pin)", () => {
  const backend = `file://${join(dir, "native-state")}`;
  const projectName = "ob-dcr-pkcs11-native";
  const stackName = "native";
  const declared = new Map<string, NativeArgs>();
  let stack: Stack;
  let out = "";
  const onOutput = (s: string) => {
    out += s;
  };

  beforeAll(async () => {
    delete process.env[PIN_ENV];
    const hsm = (kid: string, alg: "PS256" | "ES256", label: string) => {
      const { pinEnv: _none, ...pkcs11 } = hsmKey(kid, alg, { keyLabel: label }).pkcs11;
      return { kid, alg, pkcs11 };
    };
    declared.set("ps", {
      ...(pulumiArgs(sb, "uk-bank") as unknown as NativeArgs),
      signingKey: hsm("hsm-ps", "PS256", "ps"),
    });
    declared.set("es", {
      ...(pulumiArgs(sb, "rat-bank") as unknown as NativeArgs),
      signingKey: hsm("hsm-es", "ES256", "es"),
    });
    stack = await nativeStack({ projectName, stackName, backend, declared });
    await stack.setConfig("obdcr:pkcs11Pin", { value: token.pin, secret: true });
  });

  afterAll(async () => {
    await stack?.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
  });

  it("up registers PS256 and ES256 through the plugin", async () => {
    const up = await stack.up({ onOutput });
    expect(up.summary.result).toBe("succeeded");
    expect(await held("uk-bank")).toEqual([up.outputs.ps?.value]);
    expect(await held("rat-bank")).toEqual([up.outputs.es?.value]);
  });

  it("the PIN is encrypted in state (a secret config value), nowhere in plaintext or output", async () => {
    const state = readFileSync(stateFile(backend, projectName, stackName), "utf8");
    expectPinNowhere(state, out);
    // exportStack decrypts secrets into `plaintext`: the PIN may appear only there, as the provider's config.
    const exported = (await stack.exportStack()).deployment as {
      resources: { type: string; inputs: Record<string, unknown> }[];
    };
    for (const r of exported.resources.filter((x) => x.type.startsWith("obdcr:index:ClientRegistration")))
      expectPinNowhere(JSON.stringify(r));
  });

  it("destroy", async () => {
    await stack.destroy({ onOutput });
    expect(await held("uk-bank")).toEqual([]);
    expect(await held("rat-bank")).toEqual([]);
  });
});
