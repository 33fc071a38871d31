/**
 * `ob-dcr doctor`: check a config end to end for a scheduled pipeline, registering nothing. One
 * line per check; the exit code says whether to alert (the checks are `runDoctor` in the http layer).
 */
import { defineCommand } from "citty";
import { InvalidInputError } from "../../core/errors.js";
import { RegistrationParams, type RegistrationParamsInput } from "../../core/schemas/params.js";
import { runDoctor } from "../../http/doctor.js";
import type { FailureSide } from "../../http/doctor_lines.js";
import { configError } from "../config.js";
import {
  EXIT_INVALID_INPUT,
  EXIT_REJECTED,
  EXIT_TRANSPORT,
  EXIT_WARNINGS,
  type ExitCode,
  ExitError,
} from "../exit.js";
import { COMMON_ARGS, loadConfigFor, withRuntime } from "../runtime.js";

const args = {
  ...COMMON_ARGS,
  "expiry-warning-days": {
    type: "string",
    valueHint: "days",
    description: "Warn (exit 6) when the transport certificate has fewer days left (default 30)",
  },
} as const;

/** The first failure decides: our material (3), refused by directory or bank (4), transport (5). */
const EXIT_FOR: Record<FailureSide, ExitCode> = {
  material: EXIT_INVALID_INPUT,
  refused: EXIT_REJECTED,
  transport: EXIT_TRANSPORT,
};

function expiryWarningDays(v: string | undefined): number {
  if (v === undefined) return 30;
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n) || n < 0)
    throw new InvalidInputError("--expiry-warning-days", `must be a whole number of days >= 0 (got "${v}")`);
  return n;
}

export const command = defineCommand({
  meta: {
    name: "doctor",
    description:
      "Check a config without registering anything: keys, certificate, directory, SSA, bank (exit 6: warnings)",
  },
  args,
  run: (c) =>
    withRuntime(c, args, async (rt, a) => {
      const { out } = rt;
      const days = expiryWarningDays(a["expiry-warning-days"]);
      const cfg = await loadConfigFor(rt, a);
      // A config that is not even well-formed is a config error like in any command; the rest are checks.
      const parsed = RegistrationParams.safeParse(cfg.raw);
      if (!parsed.success) throw configError(parsed.error);
      const doc: Record<string, unknown> = { command: "doctor", profile: parsed.data.profile };
      rt.partial = doc;
      const found = await out.step("checks", () =>
        runDoctor(cfg.raw as RegistrationParamsInput, rt.ctx, { expiry_warning_days: days }),
      );
      const checks = found.map(({ check, result, detail }) => ({ check, result, detail }));
      doc.checks = checks;
      doc.ok = checks.every((x) => x.result === "ok");
      if (cfg.file) out.line(`config: ${cfg.file}`);
      out.line(`profile: ${parsed.data.profile}`);
      const w = Math.max(...checks.map((x) => x.check.length));
      for (const x of checks) out.line(`${x.result.padEnd(4)}  ${x.check.padEnd(w)}  ${x.detail}`);
      const names = (r: string) => found.filter((x) => x.result === r).map((x) => x.check);
      const first = found.find((x) => x.result === "fail");
      if (first)
        throw new ExitError(
          EXIT_FOR[first.side ?? "material"],
          "OBDCR_DOCTOR_FAILED",
          `failed: ${names("fail").join(", ")} (first: ${first.check}: ${first.detail})`,
        );
      if (names("warn").length > 0)
        throw new ExitError(
          EXIT_WARNINGS,
          "OBDCR_DOCTOR_WARNINGS",
          `passed with warnings: ${names("warn").join(", ")}`,
        );
      out.json(doc);
    }),
});
