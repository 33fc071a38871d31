/**
 * The state file `register` writes and `get`/`update`/`delete` read: client_id, the management URI
 * and the management secrets. Written with mode 0600 (it holds client_secret and the registration
 * access token); replaced atomically.
 */
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import {
  InvalidInputError,
  invalidInputFromZod,
  OutcomeUnknownError,
  UnexpectedResponseError,
} from "../core/errors.js";
import { RegistrationState } from "../core/schemas/params.js";
import type { RegistrationOutcome } from "../http/registration.js";
import { ENV } from "./config.js";

export const StateFile = z.looseObject({
  client_id: z.string().min(1),
  /** Kept from an answer that could not be used whole: check the client at the bank. */
  incomplete: z.boolean().optional(),
  registration_client_uri: z.string().optional(),
  management_uri: z.string().optional(),
  profile: z.string().optional(),
  secrets: z
    .looseObject({
      client_secret: z.string().optional(),
      registration_access_token: z.string().optional(),
    })
    .default({}),
});
export type StateFile = z.infer<typeof StateFile>;

export async function readStateFile(file: string): Promise<StateFile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    const code = (cause as { code?: string }).code ?? "unreadable";
    throw new InvalidInputError("--state", `cannot read state file "${file}" (${code})`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new InvalidInputError("--state", `state file "${file}" is not JSON`, { cause });
  }
  const r = StateFile.safeParse(json);
  if (!r.success) throw invalidInputFromZod("state", r.error);
  return r.data;
}

export async function writeStateFile(file: string, o: RegistrationOutcome): Promise<void> {
  const doc: StateFile = {
    client_id: o.client_id,
    ...(o.registration_client_uri ? { registration_client_uri: o.registration_client_uri } : {}),
    management_uri: o.management_uri,
    profile: o.profile,
    secrets: Object.fromEntries(Object.entries(o.secrets).filter(([, v]) => v !== undefined)),
  };
  await writeState(file, doc);
}

export interface StateSources {
  state?: string | undefined;
  client_id?: string | undefined;
}

/**
 * The registration to manage: from --state (or OBDCR_STATE), or --client-id (or OBDCR_CLIENT_ID)
 * with the secrets from OBDCR_REGISTRATION_ACCESS_TOKEN / OBDCR_CLIENT_SECRET (never from flags,
 * which other users can see in the process list).
 */
export async function resolveState(
  s: StateSources,
  env: Record<string, string | undefined>,
  cwd: string,
): Promise<{ state: RegistrationState; file: string | undefined }> {
  const named = s.state ?? env[ENV.state];
  const file = named ? path.resolve(cwd, named) : undefined;
  const fromFile = file ? await readStateFile(file) : undefined;
  const client_id = s.client_id ?? env[ENV.client_id] ?? fromFile?.client_id;
  if (!client_id)
    throw new InvalidInputError(
      "--state",
      `name the registration: --state FILE (written by register) or --client-id ID (or ${ENV.state} / ${ENV.client_id})`,
    );
  const rat = env[ENV.registration_access_token] ?? fromFile?.secrets.registration_access_token;
  const secret = env[ENV.client_secret] ?? fromFile?.secrets.client_secret;
  const sameClient = !fromFile || fromFile.client_id === client_id;
  const candidate = {
    client_id,
    ...(sameClient && fromFile?.registration_client_uri
      ? { registration_client_uri: fromFile.registration_client_uri }
      : {}),
    secrets: {
      ...(rat && (sameClient || env[ENV.registration_access_token])
        ? { registration_access_token: rat }
        : {}),
      ...(secret && (sameClient || env[ENV.client_secret]) ? { client_secret: secret } : {}),
    },
  };
  const r = RegistrationState.safeParse(candidate);
  if (!r.success) throw invalidInputFromZod("state", r.error);
  return { state: r.data, file };
}

/** A state file's name from a client_id the bank chose: only safe characters, never a path. */
function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 100) || "client";
}

/** Where `register`/`run` keep a client that came with secrets when no --state was given. */
export function defaultStateFile(
  cwd: string,
  registration_endpoint: string | undefined,
  client_id: string,
): string {
  let host = "bank";
  try {
    if (registration_endpoint) host = new URL(registration_endpoint).host;
  } catch {
    /* keep "bank" */
  }
  return path.resolve(cwd, "ob-dcr-state", `${safeName(host)}_${safeName(client_id)}.json`);
}

async function writeState(file: string, doc: StateFile): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** What was written where, for the report and the --json document. */
export interface KeptState {
  file: string;
  client_id: string;
  /** Written without --state: the default place. */
  by_default: boolean;
}

/**
 * Register, and keep what the bank issued BEFORE anything is printed or can throw: the state file
 * (--state, or `ob-dcr-state/<bank>_<client>.json` when the bank returned secrets that would
 * otherwise be lost), also when the answer was unusable but named a client (a salvaged client_id
 * and, when well-formed, its registration access token). The error then says where it went.
 */
export async function registerKeepingState(
  create: () => Promise<RegistrationOutcome>,
  o: {
    cwd: string;
    state: string | undefined;
    registration_endpoint: () => string | undefined;
    /** Told where an unusable answer's client was kept, before the error is thrown on. */
    onKept: (kept: KeptState) => void;
  },
): Promise<{ outcome: RegistrationOutcome; kept: KeptState | undefined }> {
  const where = (client_id: string, secrets: boolean): { file: string; by_default: boolean } | undefined => {
    if (o.state) return { file: path.resolve(o.cwd, o.state), by_default: false };
    return secrets
      ? { file: defaultStateFile(o.cwd, o.registration_endpoint(), client_id), by_default: true }
      : undefined;
  };
  let outcome: RegistrationOutcome;
  try {
    outcome = await create();
  } catch (e) {
    const salvaged = e instanceof OutcomeUnknownError ? e.salvaged : undefined;
    const id = salvaged?.client_id ?? (e instanceof UnexpectedResponseError ? e.client_id : undefined);
    if (!id) throw e;
    const secrets = {
      ...(salvaged?.client_secret ? { client_secret: salvaged.client_secret } : {}),
      ...(salvaged?.registration_access_token
        ? { registration_access_token: salvaged.registration_access_token }
        : {}),
    };
    const w = where(id, true);
    if (!w) throw e;
    await writeState(w.file, {
      client_id: id,
      ...(salvaged?.registration_client_uri
        ? { registration_client_uri: salvaged.registration_client_uri }
        : {}),
      incomplete: true,
      secrets,
    });
    o.onKept({ file: w.file, client_id: id, by_default: w.by_default });
    throw e;
  }
  const hasSecrets = Object.values(outcome.secrets).some((v) => v !== undefined);
  const w = where(outcome.client_id, hasSecrets);
  if (!w) return { outcome, kept: undefined };
  await writeStateFile(w.file, outcome);
  return { outcome, kept: { file: w.file, client_id: outcome.client_id, by_default: w.by_default } };
}
