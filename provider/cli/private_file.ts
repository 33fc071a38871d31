/**
 * Files that hold secrets (the state file, `ssa --out`): written to a temporary file of mode 0600
 * beside the target, then renamed over it, so that the target is never another mode, whatever the
 * file it replaces was (`writeFile`'s mode applies only to a file it creates), and never half written.
 */
import { chmod, rename, writeFile } from "node:fs/promises";
import path from "node:path";

export async function writePrivateFile(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}
