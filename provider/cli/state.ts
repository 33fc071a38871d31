/**
 * The state file `register` writes and `get`/`update`/`delete` read: client_id, the management URI
 * and the management secrets. Written with mode 0600 (it holds client_secret and the registration
 * access token); replaced atomically.
 */
import { chmod, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { InvalidInputError, invalidInputFromZod } from "../core/errors.js";
import { RegistrationState } from "../core/schemas/params.js";
import type { RegistrationOutcome } from "../http/registration.js";
import { ENV } from "./config.js";

export const StateFile = z.looseObject({
  client_id: z.string().min(1),
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
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
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
