/**
 * The Pulumi-facing shape of a registration: the core's `RegistrationParams` with camelCase keys,
 * plus what only the resource needs (key material from files or stack config, adoption,
 * delete-before-replace). The core's zod schema stays the single source of truth: inputs are
 * converted to snake_case here and validated by it, and its issue paths are converted back.
 */

import { z } from "zod";
import { ClientId } from "../core/schemas/common.js";
import { moved, RegistrationParams, type RegistrationParamsInput } from "../core/schemas/params.js";
import { loadMaterialFiles } from "../http/files.js";
import type { CONFIG_SECRET_KEYS } from "./config_secrets.js";

type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
/** Wire maps whose keys are claim names, not field names: passed through as they are. */
type Opaque = "extra_claims" | "extra" | "jwks" | "private_key";
export type Camelize<T> = T extends readonly (infer U)[]
  ? Camelize<U>[]
  : T extends Record<string, unknown>
    ? { [K in keyof T as K extends string ? Camel<K> : K]: K extends Opaque ? T[K] : Camelize<T[K]> }
    : T;

const OPAQUE_KEYS = new Set(["extraClaims", "extra", "jwks", "privateKey"]);

export const camelToSnake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const snakeToCamel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Converts the keys of plain objects, leaving the values of opaque (wire) maps untouched. */
export function snakeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeKeys);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [camelToSnake(k), OPAQUE_KEYS.has(k) ? x : snakeKeys(x)]),
  );
}

export function camelKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camelKeys);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [snakeToCamel(k), OPAQUE_KEYS.has(snakeToCamel(k)) ? x : camelKeys(x)]),
  );
}

/** A zod issue path (snake_case) as a Pulumi property path (camelCase, dotted). */
export const propertyPath = (path: readonly PropertyKey[]) =>
  path.map((p) => (typeof p === "string" ? snakeToCamel(p) : String(p))).join(".");

type Core = Camelize<RegistrationParamsInput>;

/** Inputs the resource adds to the core's parameters. */
export const ResourceOnlyInputs = z.object({
  /** Take over an existing registration instead of POSTing a new one (see README, "Adoption"). */
  adopt: z
    .strictObject({
      clientId: ClientId,
      /** RFC 7592 management credential of the existing client. Secret. */
      registrationAccessToken: z.string().min(1).optional(),
      registrationClientUri: z.string().min(1).optional(),
      /** For client_secret_* auth methods. Secret. */
      clientSecret: z.string().min(1).optional(),
    })
    .optional(),
  /** Moved: the bank profile says it (one name per setting). */
  refusesDuplicates: moved("bankProfile.refusesDuplicateRegistration"),
  /**
   * Any change of this value forces a PUT of the registration (for teams that rotate on a
   * schedule: the bank may issue a new client_secret or registration access token).
   */
  rotationTrigger: z.string().optional(),
  /** A preview warns when the transport certificate has fewer days left than this (default 30). */
  expiryWarningDays: z.number().int().nonnegative().optional(),
});
export type ResourceOnlyInputs = z.infer<typeof ResourceOnlyInputs>;

type SigningKeyInput = Omit<NonNullable<Core["signingKey"]>, "privateKey"> & {
  privateKey?: NonNullable<Core["signingKey"]>["privateKey"];
  privateKeyFile?: string;
};
type TransportInput = Partial<NonNullable<Core["transport"]>> & {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
};

/**
 * Private keys given inline travel beside `signingKey` / `transport` (secret), so that the kid,
 * the certificate and the CA stay readable in state and diffs.
 */
export const SECRET_MATERIAL_INPUTS = ["signingPrivateKey", "transportPrivateKey"] as const;

/** The provider's (plain, unwrapped) inputs. */
export type RegistrationInputs = Omit<Core, "signingKey" | "transport"> & {
  signingKey: SigningKeyInput;
  transport?: TransportInput;
  /** Secret: `signingKey.privateKey`, split off by the resource. */
  signingPrivateKey?: NonNullable<Core["signingKey"]>["privateKey"];
  /** Secret: `transport.key`, split off by the resource. */
  transportPrivateKey?: string;
  adopt?: ResourceOnlyInputs["adopt"];
  rotationTrigger?: string;
  expiryWarningDays?: number;
};

/** Secrets that stack config can supply (read in `configure`), by config key. */
export interface ConfigSecrets {
  /** `ob-dcr:signingPrivateKey` */
  signingPrivateKey?: string;
  /** `ob-dcr:transportKey` */
  transportKey?: string;
  /** `ob-dcr:pkcs11Pin`: the PKCS#11 user PIN (else the environment variable `signingKey.pkcs11.pinEnv`). */
  pkcs11Pin?: string;
}

// Every member of ConfigSecrets is listed, and nothing else.
type _Exhaustive = [keyof ConfigSecrets] extends [(typeof CONFIG_SECRET_KEYS)[number]]
  ? [(typeof CONFIG_SECRET_KEYS)[number]] extends [keyof ConfigSecrets]
    ? true
    : never
  : never;
export const _configSecretKeysExhaustive: _Exhaustive = true;

/**
 * The core's parameters from the resource inputs: files read, stack-config secrets filled in,
 * resource-only inputs removed. Validation is the core schema's job.
 */
export async function toCoreParams(
  inputs: RegistrationInputs,
  secrets: ConfigSecrets = {},
  opts: { unknown?: string } = {},
): Promise<RegistrationParamsInput> {
  const { unknown } = opts;
  const { signingKey, transport, signingPrivateKey, transportPrivateKey } = inputs;
  // Everything that is the core's, and nothing the resource adds.
  const rest = Object.fromEntries(
    Object.entries(inputs).filter(
      ([k]) =>
        !(k in ResourceOnlyInputs.shape) &&
        !["signingKey", "transport", ...SECRET_MATERIAL_INPUTS].includes(k),
    ),
  );
  // Inline private keys travel apart (secret); files and config secrets go through the one loader.
  const { params } = await loadMaterialFiles(
    snakeKeys({
      ...rest,
      signingKey: { ...signingKey, privateKey: signingKey?.privateKey ?? signingPrivateKey },
      transport: { ...transport, key: transport?.key ?? transportPrivateKey },
    }) as Record<string, unknown>,
    {
      unknown,
      secrets: { signing_private_key: secrets.signingPrivateKey, transport_key: secrets.transportKey },
    },
  );
  return params as RegistrationParamsInput;
}

type Wrapped = {
  shape?: Record<string, z.ZodType>;
  _zod?: { def?: { innerType?: unknown; options?: unknown[] } };
};

/**
 * The zod object behind a schema wrapped in optional/default/nullable, or the object member of a
 * union (`bank_profile`: a preset name or an object), else undefined.
 */
function objectShape(schema: unknown): Record<string, z.ZodType> | undefined {
  let s = schema as Wrapped | undefined;
  for (let i = 0; i < 5 && s && !s.shape; i++) {
    const def = s._zod?.def;
    s = (def?.innerType ?? def?.options?.find((o) => objectShape(o))) as Wrapped | undefined;
  }
  return s?.shape;
}

const isEmpty = (v: unknown) =>
  Array.isArray(v) ? v.length === 0 : v !== null && typeof v === "object" && Object.keys(v).length === 0;

/** `v` without its empty optional members; `v` itself when it has none. */
function withoutEmptyOptionals(v: unknown, shape: Record<string, z.ZodType> | undefined): unknown {
  if (!shape || v === null || typeof v !== "object" || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  let changed = false;
  for (const [k, x] of Object.entries(v)) {
    const s = shape[camelToSnake(k)] ?? shape[k];
    const y = s && !OPAQUE_KEYS.has(k) ? withoutEmptyOptionals(x, objectShape(s)) : x;
    // Optional in the schema (absent parses): an empty list or object is "not given", also one
    // that held only such members.
    if (s && isEmpty(y) && s.safeParse(undefined).success) {
      changed = true;
      continue;
    }
    out[k] = y;
    if (y !== x) changed = true;
  }
  return changed ? out : v;
}

/**
 * The inputs with every empty list or object that the schema marks optional left out, at any
 * depth: "not given" (RFC 7591: an empty `grant_types` is no choice, absent means the default).
 * Some SDKs send an unset optional list as `[]` (Go: `pulumi.ToOutput` of a plain args struct),
 * so `[]` and absent must check and diff alike. A required member stays, and gets its error.
 */
export function givenInputs<T extends Record<string, unknown>>(props: T): T {
  return withoutEmptyOptionals(props, {
    ...RegistrationParams.shape,
    ...ResourceOnlyInputs.shape,
  }) as T;
}
