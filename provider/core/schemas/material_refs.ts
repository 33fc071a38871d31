/**
 * Material given by reference: every member that may be a file (`<member>_file`) instead of its
 * value, and the config secrets that stand in for a private key given nowhere else. One list for
 * the resource and the CLI; the loader is `loadMaterialFiles` (http/files.ts).
 */
import { z } from "zod";

export const MATERIAL_FILE_REFERENCES = [
  { section: "signing_key", ref: "private_key_file", member: "private_key", kind: "text" },
  { section: "transport", ref: "cert_file", member: "cert", kind: "text" },
  { section: "transport", ref: "key_file", member: "key", kind: "text" },
  { section: "transport", ref: "ca_file", member: "ca", kind: "text" },
  { section: "directory", ref: "software_statement_file", member: "software_statement", kind: "trimmed" },
  { section: "directory", ref: "jwks_file", member: "jwks", kind: "json" },
] as const;

/** A file path, or a list of paths (their contents become a list, e.g. several CAs). */
export const FileReference = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** Secrets (stack config, environment) used when neither the value nor a file is given. */
export interface MaterialSecrets {
  signing_private_key?: string | undefined;
  transport_key?: string | undefined;
}
