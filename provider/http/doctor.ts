/**
 * `doctor`: a configuration checked end to end without registering anything. The directory gets a
 * token request and the SSA download; the bank gets GETs only. Every finding is a check line, never
 * a throw, so a scheduled pipeline sees all of them at once. This module only orders the checks.
 */
import { type ResolvedBankProfile, resolveBankProfile } from "../core/bank_profiles/resolve.js";
import type { RegistrationParams, RegistrationParamsInput } from "../core/schemas/params.js";
import { parseRegistrationParams } from "../core/schemas/params.js";
import type { ObDcrContext } from "./context.js";
import { bankChecks } from "./doctor_bank.js";
import { doctorClientKeys } from "./doctor_client_keys.js";
import { directoryChecks } from "./doctor_directory.js";
import { type DoctorCheck, failed, type Run } from "./doctor_lines.js";
import { caCheck, certificateCheck, signingKeyCheck } from "./doctor_material.js";

/**
 * Run every check in order. Throws only on a bug; what it finds is a `fail` or `warn` line.
 * @throws never an `ObDcrError`: invalid input, refusals and transport failures are check lines.
 */
export async function runDoctor(
  input: RegistrationParamsInput,
  ctx: ObDcrContext,
  opts: { expiry_warning_days: number },
): Promise<DoctorCheck[]> {
  let params: RegistrationParams;
  try {
    params = parseRegistrationParams(input);
  } catch (e) {
    return [failed("config", e, "material")];
  }
  const { cert, key, ca } = params.transport;
  const { check, signer } = await signingKeyCheck(params, ctx);
  const checks: DoctorCheck[] = [check];
  let bank_profile: ResolvedBankProfile | Error;
  try {
    bank_profile = resolveBankProfile(params);
  } catch (e) {
    bank_profile = e instanceof Error ? e : new Error(String(e));
  }
  const dn = bank_profile instanceof Error ? "hex" : bank_profile.dn_format;
  checks.push(certificateCheck(params, dn, ctx.now(), opts.expiry_warning_days), ...caCheck(params));
  const broken = checks.find((c) => c.check !== "signing key" && c.result === "fail");
  const transport_problem = broken ? `the ${broken.check} failed` : undefined;
  const run: Run = { params, ctx, tls: { cert, key, ca }, bank_profile, signer, transport_problem, checks };
  const claims = await directoryChecks(run);
  await bankChecks(run);
  await doctorClientKeys(run, claims);
  return checks;
}
