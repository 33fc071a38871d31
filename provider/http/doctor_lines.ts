/**
 * Doctor's check lines: what a finding looks like, which side a failure is on, and what the checks
 * share while they run.
 */
import type { ResolvedBankProfile } from "../core/bank_profiles/resolve.js";
import { OBDCR_TIMEOUT, OBDCR_TRANSPORT, OBDCR_UNEXPECTED_RESPONSE, ObDcrError } from "../core/errors.js";
import type { SigningKey } from "../core/keys.js";
import type { SigningKeyIdentity } from "../core/material.js";
import type { RegistrationParams } from "../core/schemas/params.js";
import type { ObDcrContext } from "./context.js";
import type { TlsMaterial } from "./transport_types.js";

/**
 * Which side a failure is on (the CLI's exit code): our own material or config, a refusal by the
 * directory or bank, or the transport (connection, TLS, timeout, an answer that cannot be used).
 */
export type FailureSide = "material" | "refused" | "transport";

export interface DoctorCheck {
  check: string;
  result: "ok" | "warn" | "fail";
  detail: string;
  /** Set on a failure. */
  side?: FailureSide | undefined;
}

export const line = (check: string, result: DoctorCheck["result"], detail: string, side?: FailureSide) =>
  ({ check, result, detail, ...(side ? { side } : {}) }) as DoctorCheck;
export const ok = (check: string, detail: string) => line(check, "ok", detail);
export const fail = (check: string, detail: string, side: FailureSide) => line(check, "fail", detail, side);
export const notChecked = (check: string, why: string) => line(check, "warn", `not checked: ${why}`);
export const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Below-HTTP problems (connection, TLS, timeout, an unusable answer) are transport failures in any check. */
const TRANSPORT_CODES = new Set<string>([OBDCR_TRANSPORT, OBDCR_TIMEOUT, OBDCR_UNEXPECTED_RESPONSE]);

export function failed(check: string, e: unknown, side: FailureSide): DoctorCheck {
  const transport = e instanceof ObDcrError && TRANSPORT_CODES.has(e.code);
  return line(check, "fail", msg(e), transport ? "transport" : side);
}

export type Signer = { key: SigningKey; identity: SigningKeyIdentity };

/** What the checks share. `bank_profile` is an Error when our bank_profile / bank.* do not resolve. */
export interface Run {
  params: RegistrationParams;
  ctx: ObDcrContext;
  tls: TlsMaterial;
  bank_profile: ResolvedBankProfile | Error;
  signer: Signer | undefined;
  /** Why nothing is sent: a client certificate or CA that does not load only makes TLS errors. */
  transport_problem: string | undefined;
  checks: DoctorCheck[];
}
