/**
 * Configuration: a JSON or YAML file with the shape of the core's `RegistrationParams` (snake_case)
 * plus `*_file` members for material kept in files, then environment variables, then flags
 * (flags win). Every problem is an InvalidInputError naming the field to fix (exit code 3).
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import path from "node:path";
import YAML from "yaml";
import type { z } from "zod";
import { InvalidInputError, invalidInputFromZod } from "../core/errors.js";
import { importSigningKey } from "../core/keys.js";
import { unknownKeys } from "../core/schemas/key_hint.js";
import { RegistrationParams, type RegistrationParamsInput } from "../core/schemas/params.js";
import { loadMaterialFiles, readText } from "../http/files.js";

/** Environment variables read by the CLI (flags override them). */
export const ENV = {
  config: "OBDCR_CONFIG",
  profile: "OBDCR_PROFILE",
  bank_discovery_url: "OBDCR_BANK_DISCOVERY_URL",
  ca_file: "OBDCR_CA_FILE",
  state: "OBDCR_STATE",
  client_id: "OBDCR_CLIENT_ID",
  registration_access_token: "OBDCR_REGISTRATION_ACCESS_TOKEN",
  client_secret: "OBDCR_CLIENT_SECRET",
  timeout: "OBDCR_TIMEOUT",
} as const;

export interface ConfigOverrides {
  config?: string | undefined;
  profile?: string | undefined;
  bank_discovery_url?: string | undefined;
  ca_file?: string | undefined;
}

export interface LoadedConfig {
  /** Absolute path of the config file, if one was read. */
  file: string | undefined;
  /** The object handed to the core (file contents loaded, overrides applied). */
  raw: Record<string, unknown>;
  /** Which fields came from files (field → path), for error messages. */
  from_files: Map<string, string>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

/** Parse a config file's text: JSON for `.json`, YAML (a superset of JSON) otherwise. */
export function parseConfigText(text: string, file: string): Record<string, unknown> {
  let doc: unknown;
  if (file.toLowerCase().endsWith(".json")) {
    try {
      doc = JSON.parse(text);
    } catch (cause) {
      throw new InvalidInputError("--config", `"${file}" is not valid JSON (${(cause as Error).message})`, {
        cause,
      });
    }
  } else {
    try {
      doc = YAML.parse(text, { prettyErrors: true });
    } catch (cause) {
      const msg = ((cause as Error).message ?? "").split("\n")[0];
      throw new InvalidInputError("--config", `"${file}" is not valid YAML (${msg})`, { cause });
    }
  }
  if (!isRecord(doc))
    throw new InvalidInputError("--config", `"${file}" must hold an object (profile, bank, directory, ...)`);
  return doc;
}

/**
 * Read the config file (if any), load `*_file` members relative to its folder, apply env and flags.
 * `required`: fail when no config file is named.
 */
export async function loadConfig(
  o: ConfigOverrides,
  env: Record<string, string | undefined>,
  cwd: string,
  required = true,
): Promise<LoadedConfig> {
  // One prefix for every variable (OBDCR_, like the error codes): the old one is refused by name.
  const old = Object.keys(env).find((k) => k.startsWith("OB_DCR_") && env[k] !== undefined);
  if (old) throw new InvalidInputError(old, `was renamed: set ${old.replace("OB_DCR_", "OBDCR_")} instead`);
  const named = o.config ?? env[ENV.config];
  let raw: Record<string, unknown> = {};
  let file: string | undefined;
  if (named) {
    file = path.resolve(cwd, named);
    raw = parseConfigText(await readText("--config", file), file);
  } else if (required) {
    throw new InvalidInputError("--config", `no configuration: give --config FILE or set ${ENV.config}`);
  }
  const base = file ? path.dirname(file) : cwd;
  const loaded = await loadMaterialFiles(raw, { base_dir: base });
  raw = loaded.params;
  const from_files = loaded.from_files;
  // Environment, then flags.
  const profile = o.profile ?? env[ENV.profile];
  if (profile !== undefined) raw.profile = profile;
  const discovery = o.bank_discovery_url ?? env[ENV.bank_discovery_url];
  if (discovery !== undefined)
    raw.bank = { ...(isRecord(raw.bank) ? raw.bank : {}), discovery_url: discovery };
  const caFile = o.ca_file ?? env[ENV.ca_file];
  if (caFile !== undefined) {
    const f = path.resolve(cwd, caFile);
    raw.transport = { ...(isRecord(raw.transport) ? raw.transport : {}), ca: await readText("--ca-file", f) };
    from_files.set("transport.ca", `--ca-file (${f})`);
  }
  return { file, raw, from_files };
}

/** Where a required member missing from the file can come from instead (flags, environment). */
const REQUIRED_FROM: Record<string, string> = {
  bank: "is required: bank.discovery_url in the config, or --bank-discovery-url (OBDCR_BANK_DISCOVERY_URL)",
};

/** One line per zod issue, `field: what is wrong`, the first field named on the error. */
export function configError(error: z.ZodError): InvalidInputError {
  const describe = (i: z.core.$ZodIssue) => {
    const field = i.path.map(String).join(".") || "(root)";
    const msg = /received undefined$/.test(i.message)
      ? (REQUIRED_FROM[field] ?? "is required")
      : i.code === "unrecognized_keys"
        ? unknownKeys(i.path, i.keys) // a typo: the closest member
        : i.message;
    return `${field}: ${msg}`;
  };
  const lines = error.issues.slice(0, 5).map(describe);
  const more = error.issues.length > 5 ? `; and ${error.issues.length - 5} more` : "";
  const base = invalidInputFromZod("", error);
  return new InvalidInputError(base.field, `${lines.join("; ")}${more}`, {
    cause: error,
    issues: error.issues,
  });
}

/** Name the config member a value came from (e.g. `signing_key.private_key_file (/x/key.pem)`). */
export function fieldName(cfg: LoadedConfig, field: string): string {
  return cfg.from_files.get(field) ?? field;
}

/** Validate the loaded config as `RegistrationParams` and check that keys and certificates parse. */
export async function validateConfig(
  cfg: LoadedConfig,
): Promise<{ input: RegistrationParamsInput; params: RegistrationParams }> {
  const r = RegistrationParams.safeParse(cfg.raw);
  if (!r.success) throw configError(r.error);
  const params = r.data;
  try {
    // A key in a PKCS#11 token or KMS is opened where it signs (its errors name signing_key.pkcs11/aws_kms).
    if (params.signing_key.private_key !== undefined) await importSigningKey(params.signing_key);
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    const f = fieldName(cfg, "signing_key.private_key");
    throw new InvalidInputError(f, e.message.replace(/^signing_key\.private_key: /, ""), { cause: e });
  }
  if (params.transport.cert) {
    try {
      new X509Certificate(params.transport.cert);
    } catch (cause) {
      throw new InvalidInputError(fieldName(cfg, "transport.cert"), "is not a PEM X.509 certificate", {
        cause,
      });
    }
  }
  if (params.transport.key) {
    try {
      createPrivateKey(params.transport.key);
    } catch (cause) {
      throw new InvalidInputError(fieldName(cfg, "transport.key"), "is not a PEM private key", { cause });
    }
  }
  return { input: cfg.raw as RegistrationParamsInput, params };
}

/** Transport timeouts from --timeout / OBDCR_TIMEOUT (seconds). */
export function timeoutMs(
  flag: string | undefined,
  env: Record<string, string | undefined>,
): number | undefined {
  const v = flag ?? env[ENV.timeout];
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidInputError(
      flag !== undefined ? "--timeout" : ENV.timeout,
      `must be a positive number of seconds (got "${v}")`,
    );
  return Math.round(n * 1000);
}
