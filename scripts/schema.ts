// `npm run schema`: writes provider/native/schema.json from the zod schemas (provider/native/schema.ts)
// with the descriptions of the TypeScript doc comments (scripts/schema_docs.ts).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildSchema } from "../provider/native/schema.js";
import { repoRoot } from "./lib/pulumi_stack.js";
import { schemaDocs } from "./schema_docs.js";

export const SCHEMA_FILE = join(repoRoot, "provider", "native", "schema.json");

export function schemaText(): string {
  return `${JSON.stringify(buildSchema(schemaDocs(repoRoot)), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(SCHEMA_FILE, schemaText());
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}
