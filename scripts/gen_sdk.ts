// `npm run sdk`: the committed SDKs of the native provider (sdk/nodejs, sdk/python), generated from
// provider/native/schema.json by obdcr-gen-sdk (what `npm run setup` builds: `pulumi package gen-sdk`
// fails with the language hosts built here, see docs/languages.md). test/languages/sdk.test.ts fails
// when the committed SDKs differ from a fresh generation.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./lib/pulumi_stack.js";
import { need, toolchain } from "./lib/toolchain.js";

const exec = promisify(execFile);

export const SDK_LANGUAGES = ["nodejs", "python"] as const;
export type SdkLanguage = (typeof SDK_LANGUAGES)[number];
export const SDK_DIR = join(repoRoot, "sdk");
export const SCHEMA_JSON = join(repoRoot, "provider", "native", "schema.json");

/** The SDKs' README: what they are for and what else they need. */
const README = (install: string) =>
  [
    "The Pulumi SDK of `obdcr`, the ob-dcr provider plugin: Open Banking Dynamic Client Registration,",
    "a client registration at a bank as the resource `obdcr:index:ClientRegistration`.",
    "",
    `Generated from the plugin's schema by \`npm run sdk\` in the ob-dcr repository. Install: ${install}.`,
    "The plugin itself (`bin/pulumi-resource-obdcr`, needs Node >= 22.19: `npm install ob-dcr @pulumi/pulumi node@24` brings one) is named in `Pulumi.yaml`:",
    "",
    "    plugins:",
    "      providers:",
    "        - name: obdcr",
    "          path: <ob-dcr>/bin",
    "",
    "Set-up, provider configuration (`obdcr:signingPrivateKey`, …) and examples: docs/languages.md in the",
    "ob-dcr repository.",
    "",
  ].join("\n");

/**
 * What the SDKs are generated from: the plugin's schema (which names the SDK packages) with what
 * it serves at run time (the package's version: provider/native/provider.ts `getSchema`) and a
 * README per SDK.
 */
export function sdkSchema(schemaText = readFileSync(SCHEMA_JSON, "utf8")): Record<string, unknown> {
  const schema = JSON.parse(schemaText) as Record<string, unknown>;
  const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
  const language = (schema.language ?? {}) as Record<string, Record<string, unknown>>;
  return {
    ...schema,
    version,
    language: {
      ...language,
      python: {
        ...language.python,
        readme: README(
          "`pip install node_modules/ob-dcr/sdk/python` after `npm install ob-dcr`, or `pip install ./sdk/python` from a clone",
        ),
      },
      nodejs: {
        ...language.nodejs,
        readme: README("`tsc` in sdk/nodejs (copy package.json into bin/), then depend on that directory"),
      },
    },
  };
}

/** Generates every SDK into `<out>/<language>` (each directory replaced as a whole). */
export async function generateSdks(out: string, schema = sdkSchema()): Promise<void> {
  const gen = need(toolchain(), "genSdk");
  const work = mkdtempSync(join(tmpdir(), "obdcr-sdk-"));
  try {
    const file = join(work, "schema.json");
    writeFileSync(file, JSON.stringify(schema, null, 2));
    for (const language of SDK_LANGUAGES) {
      const fresh = join(work, language);
      await exec(gen, ["--schema", file, "--language", language, "--out", fresh]);
      // Replace, not overlay: a type removed from the schema disappears from the SDK.
      rmSync(join(out, language), { recursive: true, force: true });
      mkdirSync(out, { recursive: true });
      renameOrCopy(fresh, join(out, language));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function renameOrCopy(from: string, to: string) {
  try {
    renameSync(from, to);
  } catch {
    // Another file system (tmp on tmpfs): copy.
    cpSync(from, to, { recursive: true });
  }
}

if (require.main === module) {
  generateSdks(SDK_DIR).then(
    () => process.stdout.write(`wrote ${SDK_LANGUAGES.map((l) => join(SDK_DIR, l)).join(" and ")}\n`),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
