/**
 * Provider configuration (`obdcr:*` stack config, or the args of an explicit provider): the key
 * material shared by every registration of the stack, transport limits, and what `pulumi import`
 * needs besides the client_id. One zod schema: it validates the config and generates the schema's
 * `config` section. Private keys and management credentials are secret.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { InvalidInputError } from "../core/errors.js";
import type { TransportOptions } from "../http/transport_types.js";
import { type ImportSource, secretsInImportInputs } from "../lifecycle/import.js";
import type { ConfigSecrets } from "../lifecycle/inputs.js";
import { withoutUndefined } from "../lifecycle/props.js";

const Count = z.coerce.number().int().nonnegative();

/** Transport limits; each overrides its `OBDCR_*` environment variable. */
export const TRANSPORT_CONFIG = {
  connectTimeoutMs: ["connect_timeout_ms", "OBDCR_CONNECT_TIMEOUT_MS"],
  headersTimeoutMs: ["headers_timeout_ms", "OBDCR_HEADERS_TIMEOUT_MS"],
  bodyTimeoutMs: ["body_timeout_ms", "OBDCR_BODY_TIMEOUT_MS"],
  exchangeDeadlineMs: ["exchange_deadline_ms", "OBDCR_EXCHANGE_DEADLINE_MS"],
  operationBudgetMs: ["operation_budget_ms", "OBDCR_OPERATION_BUDGET_MS"],
  maxRetries: ["max_retries", "OBDCR_MAX_RETRIES"],
  backoffBaseMs: ["backoff_base_ms", "OBDCR_BACKOFF_BASE_MS"],
  maxRetryAfterMs: ["max_retry_after_ms", "OBDCR_MAX_RETRY_AFTER_MS"],
  maxPerOrigin: ["max_per_origin", "OBDCR_MAX_PER_ORIGIN"],
} as const satisfies Record<string, readonly [keyof TransportOptions, string]>;

/** A JSON object given as JSON text (plain `pulumi config set`) or as an object (`--path`). */
const JsonObject = z.preprocess(
  (v, ctx) => {
    if (typeof v !== "string") return v;
    try {
      return JSON.parse(v);
    } catch {
      // An issue, not JSON.parse's SyntaxError: that escaped CheckConfig, quoting the value.
      ctx.addIssue({ code: "custom", message: "is not JSON text (give a JSON object)" });
      return z.NEVER;
    }
  },
  z.record(z.string(), z.unknown()),
);

/** Import inputs: no secrets in them (secretsInImportInputs), refused by CheckConfig with their path. */
const ImportInputs = JsonObject.superRefine((v, ctx) => {
  for (const s of secretsInImportInputs(v))
    ctx.addIssue({ code: "custom", path: s.path, message: s.message });
});

export const ProviderConfig = z.strictObject({
  /** Signing private key (PKCS#8 PEM or a private JWK as JSON) for every registration that gives none. Secret. */
  signingPrivateKey: z.string().min(1).optional(),
  /** A file holding that signing private key (read by the provider). */
  signingPrivateKeyFile: z.string().min(1).optional(),
  /**
   * The PKCS#11 user PIN for a `signingKey.pkcs11` key (else the environment variable named by
   * `signingKey.pkcs11.pinEnv`, default `OBDCR_PKCS11_PIN`). Secret.
   */
  pkcs11Pin: z.string().min(1).optional(),
  /** Transport (mTLS) private key PEM for every registration that gives none. Secret. */
  transportKey: z.string().min(1).optional(),
  /** A file holding that transport private key. */
  transportKeyFile: z.string().min(1).optional(),
  connectTimeoutMs: Count.optional(),
  headersTimeoutMs: Count.optional(),
  bodyTimeoutMs: Count.optional(),
  /** Whole-exchange deadline (connect, headers, 1xx, body), ms. */
  exchangeDeadlineMs: Count.optional(),
  /** One request with all its retries, ms. */
  operationBudgetMs: Count.optional(),
  maxRetries: Count.optional(),
  backoffBaseMs: Count.optional(),
  maxRetryAfterMs: Count.optional(),
  maxPerOrigin: Count.optional(),
  /**
   * `pulumi import`: the resource inputs of the registration to import (JSON, the resource's
   * camelCase shape: profile, bank, directory, software, signingKey, transport, bankProfile,
   * optionally client to name the metadata fields the program manages).
   */
  importInputs: ImportInputs.optional(),
  /** `pulumi import` at an RFC 7592 bank: the registration access token of the client. Secret. */
  importRegistrationAccessToken: z.string().min(1).optional(),
  /** `pulumi import`: the client's registration_client_uri, when the bank gave one. */
  importRegistrationClientUri: z.string().min(1).optional(),
  /** `pulumi import` of a `client_secret_*` client: its client secret. Secret. */
  importClientSecret: z.string().min(1).optional(),
});
export type ProviderConfig = z.infer<typeof ProviderConfig>;

/** Config keys whose values are secret. */
export const SECRET_CONFIG = [
  "signingPrivateKey",
  "pkcs11Pin",
  "transportKey",
  "importRegistrationAccessToken",
  "importClientSecret",
] as const;

/**
 * The settings given: unset and empty values dropped, and `version`, which the engine adds to a
 * default provider's config when a generated SDK names its package version (reserved by Pulumi).
 */
function settings(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(raw).filter(([k, v]) => v !== undefined && v !== "" && k !== "version"),
  );
}

/**
 * CheckConfig: every problem with its `obdcr:` key (at preview, before any registration is
 * touched), and the credentials marked secret even when set without `--secret`, so the provider's
 * inputs in state never hold them in plaintext. The values are kept as given.
 */
export function checkConfig(given: Record<string, unknown>): {
  failures: { property: string; reason: string }[];
  secretKeys: string[];
} {
  const present = settings(given);
  const r = ProviderConfig.safeParse(present);
  const failures = r.success
    ? []
    : r.error.issues.map((i) => ({
        property: i.path.join(".") || "(config)",
        reason: `obdcr:${i.path.join(".")}: ${i.message}`,
      }));
  return { failures, secretKeys: SECRET_CONFIG.filter((k) => k in present) };
}

/** What `pulumi import` reads besides the client_id. */
/** The `obdcr:import*` keys: what `pulumi import <client_id>` reads the registration with. */
export type ImportConfig = ImportSource;

export interface ResolvedConfig {
  secrets: ConfigSecrets;
  transport: Partial<TransportOptions>;
  import: ImportConfig;
}

/** Validated config (errors name the `obdcr:` key); files are read here, once. */
export function resolveConfig(raw: Record<string, unknown>): ResolvedConfig {
  const r = ProviderConfig.safeParse(settings(raw));
  if (!r.success) {
    const i = r.error.issues[0]!;
    const key = i.path.join(".") || "(config)";
    throw new InvalidInputError(`obdcr:${key}`, `${i.message} (provider configuration obdcr:${key})`);
  }
  const c = r.data;
  const file = (key: string, path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, "utf8");
    } catch (e) {
      throw new InvalidInputError(`obdcr:${key}`, `cannot read ${path}: ${(e as Error).message}`);
    }
  };
  const transport: Partial<Record<keyof TransportOptions, number>> = {};
  for (const [key, [option]] of Object.entries(TRANSPORT_CONFIG)) {
    const v = c[key as keyof typeof TRANSPORT_CONFIG];
    if (v !== undefined) transport[option] = v;
  }
  return {
    secrets: withoutUndefined({
      signingPrivateKey: c.signingPrivateKey ?? file("signingPrivateKeyFile", c.signingPrivateKeyFile),
      transportKey: c.transportKey ?? file("transportKeyFile", c.transportKeyFile),
      pkcs11Pin: c.pkcs11Pin,
    }),
    transport: transport as Partial<TransportOptions>,
    import: {
      inputs: c.importInputs,
      registrationAccessToken: c.importRegistrationAccessToken,
      registrationClientUri: c.importRegistrationClientUri,
      clientSecret: c.importClientSecret,
    },
  };
}

/**
 * The config from a Configure request: the args (typed, secrets unwrapped by the caller) when the
 * engine sends them, else the variables map (`obdcr:config:<key>` → text).
 */
export function configFrom(args: Record<string, unknown> | undefined, variables: Map<string, string>) {
  if (args && Object.keys(args).length > 0) return args;
  const out: Record<string, unknown> = {};
  for (const [k, v] of variables) {
    const m = /^obdcr:(?:config:)?(.+)$/.exec(k);
    if (m) out[m[1]!] = v;
  }
  return out;
}
