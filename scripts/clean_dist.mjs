#!/usr/bin/env node
// `npm pack` / `npm publish` (prepack): remove dist/ before the build, so that no file compiled
// from a source that has since been moved or deleted ends up in the tarball.
// Plain ESM JavaScript: it runs before the TypeScript build.
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
rmSync(dist, { recursive: true, force: true });
process.stderr.write(`[prepack] removed ${dist}\n`);
