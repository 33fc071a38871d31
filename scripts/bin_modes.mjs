#!/usr/bin/env node
// After a build: the package's bins executable again, and linked in a clone's node_modules/.bin.
// tsc writes a new file with the default mode, so after prepack's clean build `npx ob-dcr` in the
// clone said "Permission denied". And in a fresh clone `npm install` runs before the first build:
// npm skips the bin links of the clone's own `ob-dcr: file:.`, whose targets are not built yet, so
// node_modules/.bin had no ob-dcr (a folder that borrows the clone's node_modules, as
// test/signing/docs_sandbox does, got "ob-dcr: not found"); they are linked here as npm would.
// Plain ESM JavaScript: it runs right after the TypeScript build, from the repository root.
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { name, bin = {} } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
for (const target of Object.values(bin)) {
  const file = join(root, target);
  if (existsSync(file)) chmodSync(file, 0o755);
}

// Only in a clone, where node_modules/<name> is the link to the clone itself (not when installed).
const self = join(root, "node_modules", name);
if (existsSync(self) && realpathSync(self) === realpathSync(root)) {
  const binDir = join(root, "node_modules", ".bin");
  mkdirSync(binDir, { recursive: true });
  for (const [command, target] of Object.entries(bin)) {
    const link = join(binDir, command);
    if (existsSync(join(root, target)) && !isLink(link)) symlinkSync(join("..", name, target), link);
  }
}

function isLink(p) {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
