// `npm run sdk`: the committed SDKs of the native provider (sdk/nodejs, sdk/python, sdk/go), generated
// from provider/native/schema.json by obdcr-gen-sdk (what `npm run setup` builds: `pulumi package gen-sdk`
// fails with the language hosts built here, see docs/languages.md). test/languages/sdk.test.ts fails
// when the committed SDKs differ from a fresh generation.
//
// The Go SDK is the module GO_MODULE (sdk/go/obdcr, package obdcr): the generator writes the Go
// files, this script its go.mod (on the Pulumi Go SDK of @pulumi/pulumi's version) and `go mod tidy`
// its go.sum. Offline when the Go module cache has what it needs (`npm run setup` downloads the
// modules of examples/go, which include them); `go.env` makes that a requirement (GOPROXY=off).
import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./lib/pulumi_stack.js";
import { need, toolchain } from "./lib/toolchain.js";

const exec = promisify(execFile);

export const SDK_LANGUAGES = ["nodejs", "python", "go"] as const;
export type SdkLanguage = (typeof SDK_LANGUAGES)[number];
export const SDK_DIR = join(repoRoot, "sdk");
export const SCHEMA_JSON = join(repoRoot, "provider", "native", "schema.json");

/** The Go module (and import path) of the Go SDK: `<repository>/sdk/go/obdcr`. */
export const GO_MODULE = `${repositoryPath()}/sdk/go/obdcr`;
/** Where the Go module is in this repository. */
export const GO_SDK_DIR = join(SDK_DIR, "go", "obdcr");

/** package.json `repository` as a Go module path prefix: `github.com/<owner>/<repo>`. */
function repositoryPath(): string {
  const { repository } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    repository?: { url?: string } | string;
  };
  const url = typeof repository === "string" ? repository : repository?.url;
  const m = url && /^(?:git\+)?https:\/\/([^/]+\/[^/]+\/[^/]+?)(?:\.git)?$/.exec(url);
  if (!m) throw new Error(`package.json repository ${JSON.stringify(url)} is not an https git URL`);
  return m[1]!;
}

/** The Pulumi Go SDK the Go SDK requires: the version of this repository's @pulumi/pulumi. */
function pulumiVersion(): string {
  const pkg = join(repoRoot, "node_modules", "@pulumi", "pulumi", "package.json");
  return (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
}

/** The Node SDK's README: what it is for and what else it needs. */
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
 * The Python and Go SDKs' READMEs, written by hand (scripts/sdk_extra/<language>/README.md): what
 * the package is, how to install it, a first program against the sandbox, the resource and the
 * provider config. They are what PyPI (the wheel's long description) and pkg.go.dev show, so their
 * links are absolute.
 */
export const sdkReadme = (language: "python" | "go") =>
  readFileSync(join(repoRoot, "scripts", "sdk_extra", language, "README.md"), "utf8");

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
    // The project's page and repository: setup.py's url and project_urls (PyPI's links), the Node
    // SDK's package.json.
    homepage: `https://${repositoryPath()}`,
    repository: `https://${repositoryPath()}`,
    language: {
      ...language,
      python: {
        ...language.python,
        readme: sdkReadme("python"),
      },
      nodejs: {
        ...language.nodejs,
        readme: README(
          "`npm run sdk:pack` in a clone writes dist-sdk/ob-dcr-obdcr-<version>.tgz (compiled, as published); `npm install` that file",
        ),
      },
      // The Go SDK's import path, and pulumi-plugin.json with the version (as the others).
      go: { ...language.go, importBasePath: goImportPath(language.go), respectSchemaVersion: true },
    },
  };
}

/** The schema's Go import path, which must be the module the repository makes. */
function goImportPath(go: Record<string, unknown> | undefined): string {
  if (go?.importBasePath !== GO_MODULE)
    throw new Error(
      `provider/native/schema.ts LANGUAGE.go.importBasePath is ${JSON.stringify(go?.importBasePath)}, but package.json's repository makes the Go module ${GO_MODULE}: make them agree`,
    );
  return GO_MODULE;
}

/** What the Go SDK's module needs besides the generated code: go.mod, go.sum, a README. */
async function goModule(dir: string, goEnv: NodeJS.ProcessEnv): Promise<void> {
  writeFileSync(join(dir, "README.md"), sdkReadme("go"));
  writeFileSync(
    join(dir, "go.mod"),
    `module ${GO_MODULE}\n\ngo 1.25\n\nrequire github.com/pulumi/pulumi/sdk/v3 v${pulumiVersion()}\n`,
  );
  // The committed go.sum first: `go mod tidy` then needs no checksum lookups for what it holds.
  const committed = join(GO_SDK_DIR, "go.sum");
  if (existsSync(committed)) cpSync(committed, join(dir, "go.sum"));
  const env = { ...process.env, GOWORK: "off", GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod", ...goEnv };
  await exec("go", ["mod", "tidy"], { cwd: dir, env });
}

/**
 * The hand-written module of the Python SDK (scripts/sdk_extra/python/_engine_exit.py: no
 * KeyboardInterrupt traceback below a failed `up`), installed when the package is imported.
 */
function pythonExtras(pkg: string): void {
  // setup.py reads README.md beside it (the long description PyPI shows); the generator writes the
  // README into the package only, so without this copy the description was "obdcr Pulumi Package -
  // Development Version".
  writeFileSync(join(pkg, "..", "README.md"), sdkReadme("python"));
  // setuptools puts a LICENSE beside setup.py into the wheel (dist-info/licenses/) and the sdist:
  // without it the package said Apache-2.0 and carried no copy of the license.
  cpSync(join(repoRoot, "LICENSE"), join(pkg, "..", "LICENSE"));
  cpSync(join(repoRoot, "scripts", "sdk_extra", "python", "_engine_exit.py"), join(pkg, "_engine_exit.py"));
  const init = join(pkg, "__init__.py");
  writeFileSync(
    init,
    `${readFileSync(init, "utf8")}\n# Not generated (scripts/gen_sdk.ts): a failed up ends without a KeyboardInterrupt traceback.\nfrom . import _engine_exit\n_engine_exit.install()\n`,
  );
}

/**
 * Generates every SDK into `<out>/<language>` (each directory replaced as a whole). `goEnv` is
 * added to the environment of `go mod tidy` (the tests pass GOPROXY=off: nothing downloads).
 */
export async function generateSdks(
  out: string,
  schema = sdkSchema(),
  goEnv: NodeJS.ProcessEnv = {},
): Promise<void> {
  const gen = need(toolchain(), "genSdk");
  const work = mkdtempSync(join(tmpdir(), "obdcr-sdk-"));
  try {
    const file = join(work, "schema.json");
    writeFileSync(file, JSON.stringify(schema, null, 2));
    for (const language of SDK_LANGUAGES) {
      const fresh = join(work, language);
      await exec(gen, ["--schema", file, "--language", language, "--out", fresh]);
      if (language === "go") await goModule(join(fresh, "obdcr"), goEnv);
      if (language === "python") pythonExtras(join(fresh, "pulumi_obdcr"));
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
