/**
 * The one loader of material given by reference (`MATERIAL_FILE_REFERENCES`): file contents replace
 * the paths, secrets fill private keys given nowhere else, a private JWK given as text is parsed.
 * Used by the CLI (config files) and the resource (inputs) alike.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { InvalidInputError } from "../core/errors.js";
import {
  FileReference,
  MATERIAL_FILE_REFERENCES,
  type MaterialSecrets,
} from "../core/schemas/material_refs.js";

function describeFsError(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  if (code === "ENOENT") return "no such file (ENOENT)";
  if (code === "EACCES") return "permission denied (EACCES)";
  if (code === "EISDIR") return "is a directory (EISDIR)";
  return typeof code === "string" ? code : "unreadable";
}

/**
 * A file's text, or an error naming the field it was given for. Read synchronously: these are
 * small local PEM/JWK files read for every registration, and fs/promises' open/stat/read/close
 * round trips cost about ten times the CPU of one synchronous read.
 */
export async function readText(
  field: string,
  file: string,
  given?: { path: string; base: string },
): Promise<string> {
  try {
    return readFileSync(file, "utf8");
  } catch (cause) {
    // A relative path that missed: say where it was looked for (the config file's folder for the
    // CLI, the project's for a Pulumi program), the usual slip of a first run.
    const missing = (cause as { code?: unknown })?.code === "ENOENT";
    const hint =
      missing && given && !path.isAbsolute(given.path)
        ? `; check the path: "${given.path}" is resolved against ${given.base}`
        : missing
          ? "; check the path"
          : "";
    throw new InvalidInputError(field, `cannot read "${file}": ${describeFsError(cause)}${hint}`, { cause });
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v);

export interface LoadOptions {
  /** Relative paths are resolved against this folder (the config file's; default the cwd). */
  base_dir?: string | undefined;
  secrets?: MaterialSecrets | undefined;
  /** A path equal to this (Pulumi's "unknown during preview") is passed through unread. */
  unknown?: string | undefined;
}

export interface LoadedMaterial {
  /** The parameters with contents in place of references. */
  params: Record<string, unknown>;
  /** Which members came from files (`section.member` → `section.ref (paths)`), for messages. */
  from_files: Map<string, string>;
}

/**
 * Replace every `<member>_file` by the file's contents; fill private keys from secrets.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT`: a file cannot be read, or a member is given
 *   both inline and as a file (`field` names it).
 */
export async function loadMaterialFiles(
  raw: Record<string, unknown>,
  o: LoadOptions = {},
): Promise<LoadedMaterial> {
  const params: Record<string, unknown> = { ...raw };
  const from_files = new Map<string, string>();
  for (const { section, ref, member, kind } of MATERIAL_FILE_REFERENCES) {
    const sec = params[section];
    if (!isRecord(sec) || sec[ref] === undefined) continue;
    const field = `${section}.${ref}`;
    const r = FileReference.safeParse(sec[ref]);
    if (!r.success) throw new InvalidInputError(field, "must be a file path (or a list of paths)");
    if (sec[member] !== undefined)
      throw new InvalidInputError(field, `give either ${section}.${member} or ${field}, not both`);
    const { [ref]: _drop, ...rest } = sec;
    if (r.data === o.unknown) {
      params[section] = { ...rest, [member]: o.unknown };
      continue;
    }
    const base = path.resolve(o.base_dir ?? ".");
    const given = Array.isArray(r.data) ? r.data : [r.data];
    const files = given.map((f) => path.resolve(base, f));
    const texts = await Promise.all(files.map((f, i) => readText(field, f, { path: given[i]!, base })));
    let value: unknown = Array.isArray(r.data) ? texts : texts[0];
    if (kind === "json") {
      try {
        value = JSON.parse(texts[0] as string);
      } catch (cause) {
        throw new InvalidInputError(field, `"${files[0]}" is not a JSON JWKS`, { cause });
      }
    }
    if (kind === "trimmed") value = (value as string).trim();
    params[section] = { ...rest, [member]: value };
    from_files.set(`${section}.${member}`, `${field} (${files.join(", ")})`);
  }
  const sk = isRecord(params.signing_key) ? params.signing_key : undefined;
  // A key kept in a PKCS#11 token or KMS needs no private key from config.
  if (sk && sk.private_key === undefined && !sk.pkcs11 && !sk.aws_kms && o.secrets?.signing_private_key)
    params.signing_key = { ...sk, private_key: o.secrets.signing_private_key };
  const tr = isRecord(params.transport) ? params.transport : undefined;
  if (tr && tr.key === undefined && o.secrets?.transport_key)
    params.transport = { ...tr, key: o.secrets.transport_key };
  // A private JWK kept in a file or a secret arrives as text.
  const key = (params.signing_key as Record<string, unknown> | undefined)?.private_key;
  if (typeof key === "string" && key.trim().startsWith("{")) {
    try {
      params.signing_key = { ...(params.signing_key as object), private_key: JSON.parse(key) };
    } catch {
      throw new InvalidInputError("signing_key.private_key", "looks like a JWK but is not valid JSON");
    }
  }
  return { params, from_files };
}
