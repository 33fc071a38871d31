/** Edge helpers: read key and certificate material from files into RegistrationParams strings. */
import { readFile } from "node:fs/promises";

/** Read a PEM/JWK file as text. */
export function readMaterial(path: string): Promise<string> {
  return readFile(path, "utf8");
}

export interface MaterialFiles {
  signing_key_file?: string;
  cert_file?: string;
  key_file?: string;
  ca_file?: string | string[];
}

/** Load the signing key and transport material named by file paths. */
export async function loadMaterial(f: MaterialFiles): Promise<{
  private_key?: string;
  cert?: string;
  key?: string;
  ca?: string | string[];
}> {
  const out: { private_key?: string; cert?: string; key?: string; ca?: string | string[] } = {};
  if (f.signing_key_file) out.private_key = await readMaterial(f.signing_key_file);
  if (f.cert_file) out.cert = await readMaterial(f.cert_file);
  if (f.key_file) out.key = await readMaterial(f.key_file);
  if (f.ca_file)
    out.ca = Array.isArray(f.ca_file)
      ? await Promise.all(f.ca_file.map(readMaterial))
      : await readMaterial(f.ca_file);
  return out;
}
