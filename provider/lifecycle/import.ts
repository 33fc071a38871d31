/**
 * Importing an existing registration (`pulumi import <client_id>`): nothing is recorded yet, so the
 * inputs come from the caller (provider config), the registration from a GET at the bank. The
 * inputs returned are those that lead to the registration as the bank holds it, so the next
 * `up` changes nothing. No Pulumi here: the native adapter words and seals the result.
 */

import path from "node:path";
import {
  GoneUnconfirmedError,
  InvalidInputError,
  NotSupportedError,
  OBDCR_REGISTRATION_GONE,
  ObDcrError,
  restated,
} from "../core/errors.js";
import { MATERIAL_FILE_REFERENCES } from "../core/schemas/material_refs.js";
import type { Lifecycle, Note } from "./context.js";
import { MANAGED_METADATA, UNMANAGED_CLIENT_FIELDS } from "./fields.js";
import { camelKeys, camelToSnake } from "./inputs.js";
import { read } from "./operations.js";
import { declared, describe, type Props, splitPrivateKeys, withoutUndefined } from "./props.js";

/** What identifies the registration beside its client_id (credentials are secret config, never the id). */
export interface ImportSource {
  inputs?: Record<string, unknown> | undefined;
  registrationAccessToken?: string | undefined;
  registrationClientUri?: string | undefined;
  clientSecret?: string | undefined;
}

/**
 * Secret inputs that import inputs must not carry, with where the secret goes instead. Import
 * inputs are provider config in plaintext, and what `read` returns as inputs is what
 * `pulumi import` writes into the program it generates (the YAML generator prints even a
 * schema-secret value as it is): key material comes by file or from the secret provider config,
 * management credentials from the `obdcr:import*` secrets.
 */
export const IMPORT_SECRET_INPUTS: readonly { path: readonly string[]; instead: string }[] = [
  {
    path: ["signingKey", "privateKey"],
    instead: "give signingKey.privateKeyFile, or set the secret obdcr:signingPrivateKey",
  },
  {
    path: ["signingPrivateKey"],
    instead: "give signingKey.privateKeyFile, or set the secret obdcr:signingPrivateKey",
  },
  { path: ["transport", "key"], instead: "give transport.keyFile, or set the secret obdcr:transportKey" },
  { path: ["transportPrivateKey"], instead: "give transport.keyFile, or set the secret obdcr:transportKey" },
  {
    path: ["adopt"],
    instead:
      "give the credentials as the secrets obdcr:importRegistrationAccessToken and obdcr:importClientSecret (and obdcr:importRegistrationClientUri)",
  },
];

/** The secret members present in import inputs: each path and the words for the fix (no values). */
export function secretsInImportInputs(
  inputs: Record<string, unknown>,
): { path: string[]; message: string }[] {
  const present = (path: readonly string[]) => {
    let v: unknown = inputs;
    for (const k of path) v = v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
    return v !== undefined && v !== null && v !== "";
  };
  return IMPORT_SECRET_INPUTS.filter((s) => present(s.path)).map((s) => ({
    path: [...s.path],
    message:
      `a secret in the import inputs (plaintext config, and written into the code \`pulumi import\` ` +
      `generates): ${s.instead}`,
  }));
}

/** `client`, as the bank holds it: the managed fields the declaration names (all, when it names none). */
export function clientAsHeld(declaredClient: unknown, registered: Record<string, unknown>): Props {
  const given = (declaredClient ?? {}) as Props;
  const named = Object.keys(given).map(camelToSnake);
  const keys = named.some((k) => MANAGED_METADATA.includes(k)) ? named : MANAGED_METADATA;
  const fromBank = Object.fromEntries(
    keys
      .filter((k) => MANAGED_METADATA.includes(k) && registered[k] !== undefined)
      .map((k) => [k, registered[k]]),
  );
  const unmanaged = Object.fromEntries(
    Object.entries(given).filter(([k]) =>
      (UNMANAGED_CLIENT_FIELDS as readonly string[]).includes(camelToSnake(k)),
    ),
  );
  return { ...unmanaged, ...(camelKeys(fromBank) as Props) };
}

/** Read registration `id` at its bank and return its props with the inputs that lead to it. */
export async function importRegistration(
  lc: Lifecycle,
  id: string,
  source: ImportSource,
): Promise<{ props: Props; notes: Note[] }> {
  if (!source.inputs)
    throw new NotSupportedError(
      `cannot import registration ${id}: a registration is read at its bank, so set the provider config ` +
        "obdcr:importInputs to its inputs (profile, bank, directory, software, signingKey, transport, bankProfile; " +
        "the same values as in the program) and, at an RFC 7592 bank, the secret obdcr:importRegistrationAccessToken",
    );
  const secret = secretsInImportInputs(source.inputs)[0];
  if (secret) throw new InvalidInputError(`obdcr:importInputs.${secret.path.join(".")}`, secret.message);
  const inputs = declared(splitPrivateKeys(source.inputs) ?? source.inputs);
  const given: Props = withoutUndefined({
    ...inputs,
    clientId: id,
    registrationClientUri: source.registrationClientUri,
    registrationAccessToken: source.registrationAccessToken,
    clientSecret: source.clientSecret,
  });
  const r = await read(lc, id, given, { token_given: true }).catch((e: unknown) => {
    // Nothing is in state yet: no "kept in state" or confirm-gone advice, just why it failed.
    if (e instanceof ObDcrError)
      return Promise.reject(
        restated(e, {
          message: `cannot import registration ${id}: ${e.message}`,
          ...(e instanceof GoneUnconfirmedError ? { remedy: null } : {}),
        }),
      );
    return Promise.reject(e);
  });
  if (r.kind === "gone")
    throw new ObDcrError(
      OBDCR_REGISTRATION_GONE,
      `cannot import registration ${id}: ${describe(inputs)} does not hold it ` +
        `(${r.notes.map((n) => (n.kind === "gone" ? n.detail : "")).join("")}). Check the client_id and obdcr:importInputs.bank`,
    );
  if (r.kind === "unchanged") {
    // An unusable answer that handed out a new registration access token (RFC 7592 lets the bank
    // retire the given one at once): the import is the only step that has it, so the client is
    // imported with it (sealed) and the inputs as given, to be read by the next refresh. Failing
    // here dropped the token: the bank held a client nobody could manage any more.
    const kept = r.notes.find((n) => n.kind === "token_kept");
    if (kept)
      return {
        props: r.props,
        notes: [{ kind: "import_token_kept", client_id: id, detail: kept.detail }],
      };
    throw new NotSupportedError(
      `cannot import registration ${id}: ${describe(inputs)} offers no GET, so ob-dcr cannot read it; ` +
        "declare it with `adopt: { clientId, ... }` instead",
    );
  }
  const registered = (r.props.registeredMetadata ?? {}) as Record<string, unknown>;
  return { props: { ...r.props, client: clientAsHeld(inputs.client, registered) }, notes: r.notes };
}

/**
 * The CLI's config file (snake_case, file references relative to its folder) as
 * `obdcr:importInputs` (camelCase, absolute file references). An inline secret is refused with its
 * path (as `importInputs` refuses it). Pure: the caller reads the file.
 */
export function importInputsFromCliConfig(config: Record<string, unknown>, baseDir: string): Props {
  const out = structuredClone(config);
  for (const r of MATERIAL_FILE_REFERENCES) {
    const section = out[r.section];
    if (!section || typeof section !== "object" || Array.isArray(section)) continue;
    const s = section as Record<string, unknown>;
    const ref = s[r.ref];
    if (typeof ref === "string") s[r.ref] = path.resolve(baseDir, ref);
    else if (Array.isArray(ref))
      s[r.ref] = ref.map((f) => (typeof f === "string" ? path.resolve(baseDir, f) : f));
  }
  const inputs = camelKeys(out) as Props;
  const secret = secretsInImportInputs(inputs)[0];
  if (secret)
    throw new InvalidInputError(
      camelToSnake(secret.path.join(".")),
      secret.message.replace("obdcr:importInputs.", ""),
      { remedy: { kind: "fix-input", field: camelToSnake(secret.path.join(".")) } },
    );
  return inputs;
}
