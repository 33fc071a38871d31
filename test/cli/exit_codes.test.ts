/**
 * The exit code of an `OBDCR_INTERRUPTED` that reaches the CLI's entry point as an error (a run
 * stopped through its context, provider/http/cancel.ts) rather than through the CLI's own signal
 * handlers: the same family as theirs (130 / 143, docs/cli.md "Exit codes"), not 1, which the table
 * reserves for bugs.
 */
import { describe, expect, it } from "vitest";
import { EXIT_CODE_MEANING, errorReport, exitCodeFor } from "../../provider/cli/exit.js";
import { InterruptedError } from "../../provider/core/errors.js";
import { interruptedBeforeSending, interruptedReport } from "../../provider/core/interrupted.js";

describe("exit code of OBDCR_INTERRUPTED", () => {
  it("a cancelled run's InterruptedError exits 130, worded as an interruption", () => {
    const e = new InterruptedError(interruptedBeforeSending("Cancel", "register started"));
    expect(exitCodeFor(e)).toBe(130);
    const r = errorReport(e);
    expect(r).toMatchObject({ code: "OBDCR_INTERRUPTED", exit_code: 130 });
    expect(EXIT_CODE_MEANING[r.exit_code]).toMatch(/^interrupted/);
  });

  it("the codes the signal handlers exit with are in the table the help prints", () => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const { exit_code } = interruptedReport(signal, []);
      expect(EXIT_CODE_MEANING[exit_code]).toMatch(/^interrupted/);
    }
    // SIGINT and a cancelled run are one code: what a user's Ctrl-C gives.
    expect(exitCodeFor(new InterruptedError("x"))).toBe(interruptedReport("SIGINT", []).exit_code);
  });
});
