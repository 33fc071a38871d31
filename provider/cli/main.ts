#!/usr/bin/env node
/**
 * ob-dcr command line. The only place that exits: `main()` returns an exit code, the bin wrapper at
 * the bottom sets it. Commands are data (citty `defineCommand`), loaded lazily.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { type CommandDef, defineCommand, renderUsage, runCommand } from "citty";
import { printable, safeJson, scrubSecrets } from "../core/untrusted.js";
import { nodeTooOld, nodeTooOldMessage, OBDCR_UNSUPPORTED_RUNTIME } from "../runtime_check.js";
import {
  EXIT_CODE_MEANING,
  EXIT_OK,
  EXIT_USAGE,
  type ExitCode,
  errorReport,
  exitCodeFor,
  stripAnsi,
  UsageError,
  wasReported,
} from "./exit.js";
import type { CliIo } from "./output.js";
import type { CommandData } from "./runtime.js";

// biome-ignore lint/suspicious/noExplicitAny: citty's CommandDef is generic over each command's args
type AnyCommand = CommandDef<any>;

export const COMMANDS: Record<string, () => Promise<AnyCommand>> = {
  run: () => import("./commands/run.js").then((m) => m.command),
  token: () => import("./commands/token.js").then((m) => m.command),
  ssa: () => import("./commands/ssa.js").then((m) => m.command),
  register: () => import("./commands/register.js").then((m) => m.command),
  get: () => import("./commands/get.js").then((m) => m.command),
  update: () => import("./commands/update.js").then((m) => m.command),
  delete: () => import("./commands/delete.js").then((m) => m.command),
  discover: () => import("./commands/discover.js").then((m) => m.command),
  doctor: () => import("./commands/doctor.js").then((m) => m.command),
  banks: () => import("./commands/banks.js").then((m) => m.command),
  "import-inputs": () => import("./commands/import_inputs.js").then((m) => m.command),
};

export function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, "../../../package.json"), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export const root = defineCommand({
  meta: {
    name: "ob-dcr",
    // No version here: help text stays stable across releases; --version is handled in main().
    description: "UK Open Banking Dynamic Client Registration from a terminal",
  },
  subCommands: COMMANDS,
});

const ROOT_FOOTER = `
ENVIRONMENT

  OBDCR_CONFIG, OBDCR_PROFILE, OBDCR_BANK_DISCOVERY_URL, OBDCR_CA_FILE, OBDCR_TIMEOUT,
  OBDCR_STATE, OBDCR_CLIENT_ID, OBDCR_REGISTRATION_ACCESS_TOKEN, OBDCR_CLIENT_SECRET,
  OBDCR_DIRECTORY_LIST_URL (banks, run --bank)
  (flags win over the environment, the environment over the config file)

SCHEDULED CHECKS

  ob-dcr doctor -c config.json registers nothing and exits 0 (all ok), 6 (warnings only) or
  3, 4, 5 (the first failed check: our material, refused by directory or bank, transport)

EXIT CODES

${Object.entries(EXIT_CODE_MEANING)
  .map(([k, v]) => `  ${k}  ${v}`)
  .join("\n")}
`;

const HELP = new Set(["--help", "-h"]);

async function usage(io: CliIo, stream: "stdout" | "stderr", cmd?: AnyCommand): Promise<void> {
  let text = cmd ? await renderUsage(cmd, root) : `${await renderUsage(root)}\n${ROOT_FOOTER}`;
  if (!io[stream].isTTY) text = stripAnsi(text);
  text = text
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n");
  io[stream].write(`${text.trimEnd()}\n`);
}

/** Run the CLI with these arguments (without `node` and the script) and return the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [name, ...rest] = argv;
  const verbose = rest.includes("--verbose") || rest.includes("-v");
  const json = rest.includes("--json");
  try {
    if (name === undefined) {
      await usage(io, "stderr");
      return EXIT_USAGE;
    }
    if (HELP.has(name) || name === "help") {
      const sub = name === "help" && rest[0] ? COMMANDS[rest[0]] : undefined;
      if (name === "help" && rest[0] && !sub) throw new UsageError(`unknown command "${rest[0]}"`);
      await usage(io, "stdout", sub ? await sub() : undefined);
      return EXIT_OK;
    }
    if (name === "--version" || name === "-V") {
      io.stdout.write(`${version()}\n`);
      return EXIT_OK;
    }
    const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!load) {
      throw new UsageError(
        name.startsWith("-") ? `give a command first (got "${name}")` : `unknown command "${name}"`,
      );
    }
    const cmd = await load();
    if (rest.some((a) => HELP.has(a))) {
      await usage(io, "stdout", cmd);
      return EXIT_OK;
    }
    const data: CommandData = { io };
    await runCommand(cmd, { rawArgs: [...rest], data });
    return EXIT_OK;
  } catch (e) {
    const r = errorReport(e);
    if (json && !wasReported(e)) io.stdout.write(`${scrubSecrets(safeJson({ error: r }, 2))}\n`);
    let text = `error ${r.code}: ${r.message}\n`;
    if (r.field && !r.message.startsWith(r.field)) text += `  field: ${r.field}\n`;
    text += `  exit code ${r.exit_code} (${EXIT_CODE_MEANING[r.exit_code]})\n`;
    if (r.exit_code === EXIT_USAGE)
      text += `  see: ob-dcr ${name !== undefined && Object.hasOwn(COMMANDS, name) ? `${name} ` : ""}--help\n`;
    if (verbose && e instanceof Error && e.stack) text += `${e.stack}\n`;
    io.stderr.write(printable(text));
    return exitCodeFor(e);
  }
}

if (require.main === module && nodeTooOld(process.versions.node)) {
  process.stderr.write(`${OBDCR_UNSUPPORTED_RUNTIME}: ${nodeTooOldMessage("cli", process.version)}\n`);
  process.exitCode = 1;
} else if (require.main === module) {
  main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`ob-dcr: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
