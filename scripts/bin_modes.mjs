#!/usr/bin/env node
// After a build: the package's bins executable again. tsc writes a new file with the default
// mode, so after prepack's clean build `npx ob-dcr` in the clone said "Permission denied".
// Plain ESM JavaScript: it runs right after the TypeScript build, from the repository root.
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { bin = {} } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
for (const target of Object.values(bin)) {
  const file = join(root, target);
  if (existsSync(file)) chmodSync(file, 0o755);
}
