/**
 * The state file `register` writes and `get`/`update`/`delete` read: client_id, the management URI
 * and the management secrets. Written with mode 0600 (it holds client_secret and the registration
 * access token); replaced atomically.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import {
  InvalidInputError,
  invalidInputFromZod,
  OutcomeUnknownError,
  RegistrationGoneError,
  restated,
  UnexpectedResponseError,
} from "../core/errors.js";
import type { InterruptedReport } from "../core/interrupted.js";
import { rememberSecret } from "../core/untrusted.js";
import { ManagedState, type RotatedCredential, rotatedCredentials } from "../lifecycle/managed.js";
import { tokenUnconfirmedAfter } from "../lifecycle/outcome.js";
import type { RegistrationOutcome } from "../lifecycle/registration.js";
import { ENV } from "./config.js";
import { writePrivateFile } from "./private_file.js";

/**
 * The CLI's state file: the lifecycle's `ManagedState` (client, management credentials, the
 * recorded signing key identity) and what is printed for a person (profile, management URI).
 * Loose: a file written by an earlier version (no identity) is still read.
 */
export const StateFile = ManagedState.extend({
  /** Kept from an answer that could not be used whole: check the client at the bank. */
  incomplete: z.boolean().optional(),
  management_uri: z.string().optional(),
  profile: z.string().optional(),
  /**
   * `ob-dcr delete` deleted this client (when, and what the bank answered): the credentials were
   * dropped from the file, and `get`/`update` refuse it before anything is sent.
   */
  deleted: z.strictObject({ at: z.string(), result: z.enum(["deleted", "gone"]) }).optional(),
  secrets: z
    .looseObject({
      client_secret: z.string().optional(),
      registration_access_token: z.string().optional(),
    })
    .default({}),
}).loose();
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

/** Write the state a lifecycle call returned (one writer for register, get and update). */
export async function writeStateFile(
  file: string,
  o: RegistrationOutcome,
  state: ManagedState,
): Promise<void> {
  await writeState(file, { ...state, management_uri: o.management_uri, profile: o.profile });
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
): Promise<{ state: ManagedState; file: string | undefined; deleted?: StateFile["deleted"] }> {
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
  // Known before any request: whatever a bank quotes back, in any encoding, is scrubbed by value.
  rememberSecret(rat);
  rememberSecret(secret);
  const sameClient = !fromFile || fromFile.client_id === client_id;
  const candidate = {
    client_id,
    ...(sameClient && fromFile?.registration_client_uri
      ? { registration_client_uri: fromFile.registration_client_uri }
      : {}),
    // What was last sent for this client: a rotation is checked against it (lifecycle/managed.ts).
    ...(sameClient && fromFile?.signing_key_identity
      ? { signing_key_identity: fromFile.signing_key_identity }
      : {}),
    ...(sameClient && fromFile?.software_jwks_endpoint
      ? { software_jwks_endpoint: fromFile.software_jwks_endpoint }
      : {}),
    ...(sameClient && fromFile?.token_unconfirmed ? { token_unconfirmed: true } : {}),
    ...(sameClient && fromFile?.client_secret_expires_at !== undefined
      ? { client_secret_expires_at: fromFile.client_secret_expires_at }
      : {}),
    secrets: {
      ...(rat && (sameClient || env[ENV.registration_access_token])
        ? { registration_access_token: rat }
        : {}),
      ...(secret && (sameClient || env[ENV.client_secret]) ? { client_secret: secret } : {}),
    },
  };
  const r = ManagedState.safeParse(candidate);
  if (!r.success) throw invalidInputFromZod("state", r.error);
  // A client this file records as deleted: said by the command, never managed with old secrets.
  const deleted = sameClient && file ? fromFile?.deleted : undefined;
  return { state: r.data, file, ...(deleted ? { deleted } : {}) };
}

/** The field the lifecycle names when an RFC 7592 bank's client comes without its token. */
const RAT_FIELD = "state.secrets.registration_access_token";

/**
 * A client of an RFC 7592 bank named without its registration access token (`--client-id` alone,
 * or a state file that holds none): where a CLI user gives it. The lifecycle's words ("keep the one
 * returned") name no flag or variable. Thrown before the management call: the registration endpoint got nothing.
 */
export function explainMissingToken(file: string | undefined, client_id: string) {
  return (e: unknown): never => {
    if (e instanceof InvalidInputError && e.field === RAT_FIELD)
      throw restated(e, {
        message:
          `${RAT_FIELD}: this bank manages clients with a registration access token (RFC 7592), and ` +
          `${file ? `the state file ${file} holds none for client ${client_id}` : `none was given for client ${client_id}`}; ` +
          `name the state file that register or run wrote for it (--state FILE, or ${ENV.state}), or give the token in ` +
          `${ENV.registration_access_token} (never as a flag: other users can read flags); nothing was sent to the registration endpoint`,
      });
    throw e;
  };
}

/** A state file whose client `delete` deleted: refused before anything is sent (`get`, `update`). */
export function deletedError(
  file: string,
  client_id: string,
  deleted: NonNullable<StateFile["deleted"]>,
): RegistrationGoneError {
  return new RegistrationGoneError(
    undefined,
    `state file "${file}" records client ${client_id} as deleted by \`ob-dcr delete\` at ${deleted.at} (result: ${deleted.result}); its credentials were dropped and nothing was sent. Register anew with \`register --state ${file}\`, or name a live client`,
  );
}

/**
 * After a delete: the state file keeps the client's name and when it was deleted, and drops the
 * dead credentials, so that `get` says "deleted" instead of sending a token the bank retired.
 */
export async function markDeleted(
  file: string,
  before: ManagedState,
  result: "deleted" | "gone",
  at: Date,
): Promise<void> {
  const prior = await readStateFile(file).catch(() => undefined);
  await writeState(file, {
    client_id: before.client_id,
    ...(prior?.management_uri ? { management_uri: prior.management_uri } : {}),
    ...(prior?.profile ? { profile: prior.profile } : {}),
    deleted: { at: at.toISOString(), result },
    secrets: {},
  });
}

/** The bank's host in a state file's name (readable; a host is ours to tell apart, not the bank's). */
function safeHost(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 100) || "client";
}

/**
 * A state file's name from a client_id the bank chose: only safe characters, never a path, and
 * one name per client: a name the escaping or the cut changed carries a digest of the original,
 * or two clients (`a/1` and `a:1`, two long ids with one prefix) would share one file, the second
 * registration overwriting the first one's credentials.
 */
function safeName(s: string): string {
  const safe = safeHost(s);
  if (safe === s) return safe;
  return `${safe.slice(0, 80) || "client"}-${createHash("sha256").update(s).digest("hex").slice(0, 16)}`;
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
  return path.resolve(cwd, "ob-dcr-state", `${safeHost(host)}_${safeName(client_id)}.json`);
}

async function writeState(file: string, doc: StateFile): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writePrivateFile(file, `${JSON.stringify(doc, null, 2)}\n`);
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
  create: () => Promise<{ outcome: RegistrationOutcome; state: ManagedState }>,
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
  let state: ManagedState;
  try {
    ({ outcome, state } = await create());
  } catch (e) {
    const salvaged =
      e instanceof OutcomeUnknownError || e instanceof UnexpectedResponseError ? e.salvaged : undefined;
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
  await writeStateFile(w.file, outcome, state);
  return { outcome, kept: { file: w.file, client_id: outcome.client_id, by_default: w.by_default } };
}

/** The --state path as given (resolved), for the client_id hint and the default file. */
export function stateFile(rt: { io: { cwd: string } }, state: string | undefined): string | undefined {
  return state ? path.resolve(rt.io.cwd, state) : undefined;
}

/**
 * After get or update: write the new state (a rotated registration access token or client secret,
 * the signing key identity sent) to the state file, the one way both commands do it. Without
 * --state, a credential the bank rotated goes to the default file, as `register` keeps what it is
 * issued (`fallback`): the bank has retired the one the caller passed, and the new one is printed
 * redacted, so a note alone would lose the client.
 */
export async function keepRotated(
  rt: { out: { line(s: string): void; note(s: string): void } },
  doc: Record<string, unknown>,
  file: string | undefined,
  before: ManagedState,
  r: { outcome: RegistrationOutcome; state: ManagedState },
  o: { always?: boolean; fallback?: () => string } = {},
): Promise<void> {
  // A client secret counts as a token does: a GET may hand out a new one and retire the old one.
  const rotated = rotatedCredentials(before, r.state).map((k) => CREDENTIAL_NAMES[k]);
  // A token a lost answer left in doubt has just worked: the file says so again.
  if (rotated.length === 0 && !o.always && !before.token_unconfirmed) return;
  const what = rotated.join(" and ");
  if (file) {
    await writeStateFile(file, r.outcome, r.state);
    doc.state_file = file;
    rt.out.line(`state: updated ${file}${rotated.length > 0 ? ` (the bank rotated the ${what})` : ""}`);
  } else if (rotated.length > 0 && o.fallback) {
    const kept = o.fallback();
    await writeStateFile(kept, r.outcome, r.state);
    doc.state_file = kept;
    rt.out.note(`state: the bank rotated the ${what}; ${keptWithoutState(r.state.client_id, kept)}`);
  } else if (rotated.length > 0)
    rt.out.note(`note: the bank rotated the ${what}; pass --state FILE to keep it`);
}

/** Where a credential went without --state (the default file), and that it is to be passed from now on. */
const keptWithoutState = (client_id: string, file: string) =>
  `no --state was given, so client ${client_id} is kept in ${file} (mode 0600): use --state ${file} from now on`;

const CREDENTIAL_NAMES: Record<RotatedCredential, string> = {
  registration_access_token: "registration access token",
  client_secret: "client secret",
};

/**
 * After an update whose answer was lost at a bank that manages the client with a registration
 * access token: the bank may have rotated the token in that answer (RFC 7592 §2.2). The state file
 * records it, so that a later 401 is `OBDCR_GONE_UNCONFIRMED`, never "gone" (the client may live on).
 */
export function keepTokenUnconfirmed(
  rt: { out: { note(s: string): void } },
  doc: Record<string, unknown>,
  file: string | undefined,
  before: ManagedState,
  fallback?: () => string,
) {
  return async (e: unknown): Promise<never> => {
    // Without --state, the default file (as keepRotated): else the next get or delete with the
    // token passed in would take the bank's 401 for a deletion.
    const target = file ?? fallback?.();
    if (
      target &&
      !before.token_unconfirmed &&
      tokenUnconfirmedAfter(e, before.secrets.registration_access_token)
    ) {
      await writeState(target, { ...before, token_unconfirmed: true });
      doc.state_file = target;
      const why =
        "the update's answer was lost, so the bank may have handed out a new registration access token in it; until a call succeeds with the stored one, a 401 is not taken for a deletion";
      rt.out.note(
        file
          ? `state: updated ${file}: ${why}`
          : `state: ${why}; ${keptWithoutState(before.client_id, target)}`,
      );
    }
    throw e;
  };
}

/**
 * An update stopped by a signal while its PUT was unanswered (core/interrupted.ts): the bank may
 * have rotated the registration access token in that answer, as when the answer is lost. Recorded
 * the same way (`token_unconfirmed`), so that the next 401 is not taken for a deletion.
 */
export function keepTokenUnconfirmedOnInterrupt(
  rt: { out: { note(s: string): void } },
  file: string | undefined,
  before: ManagedState,
) {
  return async (r: InterruptedReport): Promise<void> => {
    if (!r.token_unconfirmed || !file || before.token_unconfirmed) return;
    if (before.secrets.registration_access_token === undefined) return;
    await writeState(file, { ...before, token_unconfirmed: true });
    rt.out.note(
      `state: updated ${file}: the update was interrupted before the bank answered, so the bank may have handed out a new registration access token; until a call succeeds with the stored one, a 401 is not taken for a deletion`,
    );
  };
}

/**
 * After a get or update that failed on an unusable answer carrying a new registration access
 * token for this client: keep the token in the state file (the bank may have retired the one
 * before, and the registration would be unmanageable without it), then let the error go on.
 */
export function keepSalvagedToken(
  rt: { out: { note(s: string): void } },
  doc: Record<string, unknown>,
  file: string | undefined,
  before: ManagedState,
  fallback?: () => string,
) {
  return async (e: unknown): Promise<never> => {
    const rat = e instanceof UnexpectedResponseError ? e.salvaged?.registration_access_token : undefined;
    const forUs = e instanceof UnexpectedResponseError && e.salvaged?.client_id === before.client_id;
    if (rat && forUs && rat !== before.secrets.registration_access_token) {
      // Without --state, the default file (as keepRotated): the token the caller passed is retired.
      const target = file ?? fallback?.();
      if (target) {
        await writeState(target, {
          ...before,
          secrets: { ...before.secrets, registration_access_token: rat },
        });
        doc.state_file = target;
        rt.out.note(
          file
            ? `state: updated ${file} with the bank's new registration access token`
            : `state: the bank handed out a new registration access token; ${keptWithoutState(before.client_id, target)}`,
        );
      } else
        rt.out.note(
          "note: the bank handed out a new registration access token; pass --state FILE to keep it",
        );
    }
    throw e;
  };
}
