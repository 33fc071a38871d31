// `npm run schema`: writes provider/native/schema.json from the zod schemas (provider/native/schema.ts)
// with the descriptions of the TypeScript doc comments (scripts/schema_docs.ts).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildSchema } from "../provider/native/schema.js";
import { repoRoot } from "./lib/pulumi_stack.js";
import { schemaDocs } from "./schema_docs.js";

export const SCHEMA_FILE = join(repoRoot, "provider", "native", "schema.json");

/**
 * The schema at package.json's version: the version the plugin reports (and serves at GetSchema)
 * and the SDKs carry, so that the shipped schema.json says the same (a version bump regenerates it).
 */
export function schemaText(): string {
  const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
  return `${JSON.stringify(buildSchema(schemaDocs(repoRoot), version), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(SCHEMA_FILE, schemaText());
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}
