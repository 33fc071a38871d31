/** What a signed registration answer of this bank must claim (`iss`, `aud`), from the plan. */
import { requestAud, requestIss } from "../core/policy/plan.js";
import type { SignedAnswerExpectation } from "../core/validate/signed_answer.js";
import type { Prepared } from "./prepare.js";

/**
 * The bank's issuer (`bank.issuer`, else discovery's `issuer`) and who we are to it: the
 * software_id, our request's `iss`, and the client_id once known (GET, PUT).
 */
export function signedAnswerExpectation(
  p: Pick<Prepared, "params" | "bank_profile" | "discovery" | "registration_endpoint" | "token_endpoint">,
  client_id?: string,
): SignedAnswerExpectation {
  const software_id = p.params.software?.software_id;
  const iss = requestIss(p) ?? software_id;
  let aud: string | undefined;
  try {
    aud = requestAud(p);
  } catch {
    aud = undefined; // aud = issuer with no issuer known: no echo to recognise
  }
  return {
    issuer: p.params.bank.issuer ?? p.discovery?.issuer,
    audiences: [software_id, iss, client_id],
    request: { iss, aud },
  };
}
