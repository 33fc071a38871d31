/**
 * Exit codes travel as errors: commands throw, only the entry point (main.ts) turns an error into a
 * code. The mapping follows the core's error classes (stable `code`s, never messages).
 */
import { isObDcrError, ObDcrError, type Remedy } from "../core/errors.js";

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;
export const EXIT_INVALID_INPUT = 3;
export const EXIT_REJECTED = 4;
export const EXIT_TRANSPORT = 5;
/** `doctor`: nothing failed, something needs attention soon. */
export const EXIT_WARNINGS = 6;
/**
 * Interrupted: 128 + the signal's number, as shells report it and as the CLI's own SIGINT / SIGTERM
 * handlers exit (cli/interrupt.ts). An `OBDCR_INTERRUPTED` error (a cancelled run, no signal
 * known) is 130, the interruption a user asked for.
 */
export const EXIT_INTERRUPTED = 130;
export const EXIT_TERMINATED = 143;

export type ExitCode =
  | typeof EXIT_OK
  | typeof EXIT_INTERNAL
  | typeof EXIT_USAGE
  | typeof EXIT_INVALID_INPUT
  | typeof EXIT_REJECTED
  | typeof EXIT_TRANSPORT
  | typeof EXIT_WARNINGS
  | typeof EXIT_INTERRUPTED
  | typeof EXIT_TERMINATED;

export const EXIT_CODE_MEANING: Readonly<Record<ExitCode, string>> = {
  0: "ok",
  1: "internal error",
  2: "usage error",
  3: "invalid input or configuration",
  4: "rejected by the bank or directory",
  5: "transport failure, timeout, unexpected response or unknown outcome",
  6: "checks passed with warnings, e.g. a certificate expiring soon",
  130: "interrupted (SIGINT, Ctrl-C, or a cancelled run)",
  143: "interrupted (SIGTERM)",
};

/** A command-line mistake (unknown command or flag, missing argument): exit 2 with usage. */
export class UsageError extends Error {
  readonly code = "OBDCR_CLI_USAGE";
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A non-error outcome that must still end with a specific code (e.g. a failed discovery check). */
export class ExitError extends Error {
  readonly exitCode: ExitCode;
  readonly code: string;
  readonly field: string | undefined;
  constructor(exitCode: ExitCode, code: string, message: string, field?: string) {
    super(message);
    this.name = "ExitError";
    this.exitCode = exitCode;
    this.code = code;
    this.field = field;
  }
}

/** citty's own argument errors (`EARG`, `E_UNKNOWN_COMMAND`, ...) are usage errors. */
function isCittyError(e: unknown): boolean {
  return e instanceof Error && e.name === "CLIError";
}

export function exitCodeFor(e: unknown): ExitCode {
  if (e instanceof ExitError) return e.exitCode;
  if (e instanceof UsageError || isCittyError(e)) return EXIT_USAGE;
  if (isObDcrError(e)) {
    switch (e.code) {
      case "OBDCR_INVALID_INPUT":
      case "OBDCR_SSA_INVALID":
        return EXIT_INVALID_INPUT;
      case "OBDCR_SIGNER":
        // A key store that cannot be reached is a transport matter; everything else is configuration.
        return e.reason === "unavailable" || e.reason === "sign_failed" ? EXIT_TRANSPORT : EXIT_INVALID_INPUT;
      case "OBDCR_REGISTRATION_REJECTED":
      case "OBDCR_REGISTRATION_GONE":
      case "OBDCR_GONE_UNCONFIRMED":
      case "OBDCR_NOT_SUPPORTED":
        return EXIT_REJECTED;
      case "OBDCR_UNEXPECTED_RESPONSE":
      case "OBDCR_TRANSPORT":
      case "OBDCR_TIMEOUT":
      case "OBDCR_OUTCOME_UNKNOWN":
      case "OBDCR_DIRECTORY_LIST":
        return EXIT_TRANSPORT;
      case "OBDCR_INTERRUPTED":
        // Was 1 ("a bug") for a run stopped through its context (http/cancel.ts).
        return EXIT_INTERRUPTED;
    }
  }
  return EXIT_INTERNAL;
}

/** A remedy as a CLI user does it (the resource words the same remedies for Pulumi). */
function remedyWords(r: Remedy): string {
  switch (r.kind) {
    case "adopt":
      return r.client_id
        ? `If the bank holds client ${r.client_id}, manage it from here with \`--client-id ${r.client_id}\` (and its secrets), or delete it in the bank's portal`
        : "Before registering again (which would make a second client if the first was committed), check the bank's developer portal for a client of this software created just now; if there is one, manage it with `--client-id`";
    case "fix-input":
      return `Fix ${r.field} in the config and run again`;
    case "confirm-gone":
      return `If the bank really deleted client ${r.client_id}, run again with --confirm-gone`;
    case "update-in-portal":
      return "Update the client in the bank's developer portal";
    case "revoke-in-portal":
      return "Revoke the client in the bank's developer portal, then delete the state file";
    case "renew-secret":
      return `Get a new client secret for client ${r.client_id} from the bank (its developer portal), put it in the state file's secrets.client_secret (or OBDCR_CLIENT_SECRET) and run again`;
    case "adopt-current-token": {
      const adopt = `Ask the bank for client ${r.client_id}'s current registration access token, put it in the state file's secrets.registration_access_token (or OBDCR_REGISTRATION_ACCESS_TOKEN) and run again; do not register again`;
      if (r.deletion === "refuted")
        return `--confirm-gone was not applied: the bank still authenticates client ${r.client_id}, and dropping it would leave a live client at the bank. ${adopt}. To drop it anyway, revoke it in the bank's developer portal first, then delete the state file`;
      if (r.deletion === "possible")
        return `${adopt}. If the bank says it deleted client ${r.client_id} instead, run again with --confirm-gone`;
      return adopt;
    }
    case "retry":
      return "Run again";
  }
}

export interface ErrorReport {
  code: string;
  message: string;
  exit_code: ExitCode;
  field?: string;
  status?: number;
  error?: string;
  error_description?: string;
  claim?: string;
  /** Why a signer (HSM, KMS) failed (`SignerError.reason`). */
  reason?: string;
  /** The client the bank issued, whenever one was (kept in the state file when it could be). */
  client_id?: string;
  /** Where the state of that client was written (--state, or the default file). */
  state_file?: string;
}

/** What is printed about an error: code, message and the structured fields (never `cause` contents). */
export function errorReport(e: unknown): ErrorReport {
  const exit_code = exitCodeFor(e);
  if (e instanceof Error) {
    const x = e as Error & Record<string, unknown>;
    const code = typeof x.code === "string" && x.code.startsWith("OBDCR") ? x.code : "OBDCR_CLI_INTERNAL";
    const remedy = e instanceof ObDcrError && e.remedy ? remedyWords(e.remedy) : undefined;
    const r: ErrorReport = {
      code: isCittyError(e) ? "OBDCR_CLI_USAGE" : code,
      message: stripAnsi(remedy ? `${e.message}. ${remedy}` : e.message),
      exit_code,
    };
    if (typeof x.field === "string") r.field = x.field;
    if (typeof x.status === "number") r.status = x.status;
    if (typeof x.error === "string") r.error = x.error;
    if (typeof x.error_description === "string") r.error_description = x.error_description;
    if (typeof x.claim === "string") r.claim = x.claim;
    if (typeof x.reason === "string" && x.code === "OBDCR_SIGNER") r.reason = x.reason;
    const id = typeof x.client_id === "string" ? x.client_id : remedyClientId(e);
    if (id) r.client_id = id;
    if (typeof x.state_file === "string") r.state_file = x.state_file;
    return r;
  }
  return { code: "OBDCR_CLI_INTERNAL", message: String(e), exit_code };
}

function remedyClientId(e: unknown): string | undefined {
  const r = e instanceof ObDcrError ? e.remedy : undefined;
  return r && "client_id" in r && typeof r.client_id === "string" ? r.client_id : undefined;
}

export function stripAnsi(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences
  return s.replace(/\u001b\[[0-9;]*m/g, "");
}

const reported = new WeakSet<object>();

/** The command already printed this error as JSON on stdout (main then prints only the stderr line). */
export function markReported(e: unknown): void {
  if (e && typeof e === "object") reported.add(e);
}

export function wasReported(e: unknown): boolean {
  return !!e && typeof e === "object" && reported.has(e);
}
