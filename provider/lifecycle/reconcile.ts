/**
 * A POST whose answer was lost, reconciled through the client_id hint (`bank_profile.client_id_hint`): a GET
 * on the proposed client_id tells "committed" from "not committed".
 */
import {
  GoneUnconfirmedError,
  InterruptedError,
  OutcomeUnknownError,
  RegistrationGoneError,
  RegistrationRejectedError,
  TransportError,
} from "../core/errors.js";
import type { RegistrationResult } from "../core/parse/registration_response.js";
import { canReadByHint, managementUri } from "../core/policy/plan.js";
import type { RegistrationState } from "../core/schemas/params.js";
import { isCancelled, type ObDcrContext, settling } from "../http/context.js";
import { processReadRegistrationResponse, readRegistrationRequest } from "../http/dcr.js";
import { checkOwnSide } from "../http/own_side.js";
import { managementSource, ownSideInput, withManagementAuth } from "./management_auth.js";
import { keepSecrets, type RegistrationOutcome } from "./outcome.js";
import type { Prepared } from "./prepare.js";
import { signedAnswerExpectation } from "./signed_answer.js";

/**
 * After an unknown outcome: GET the hinted client_id. Returns the registration when the bank holds
 * it, undefined when the bank says it does not exist (the POST was not committed), and throws an
 * OutcomeUnknownError that says exactly what to do when it cannot tell.
 */
export async function findByHint(
  p: Prepared,
  hint: string,
  ctx: ObDcrContext,
  cause: OutcomeUnknownError | undefined,
): Promise<RegistrationOutcome | undefined> {
  const software = p.params.software?.software_id ?? "the software";
  // What to do is the adapter's to say (the resource adopts, the CLI takes --client-id).
  const remedy = { kind: "adopt", client_id: hint } as const;
  const todo = `Check at the bank (its developer portal or support) whether client ${hint} exists: if it does, take it over or delete it there; if it does not, run again.`;
  const lost = cause ? `${cause.message}. ` : "";
  const why = canReadByHint(p);
  if (why)
    throw new OutcomeUnknownError(
      `${lost}The bank may hold a registration of ${software} under the proposed client_id ${hint}, and ob-dcr cannot look it up: ${why}. ${todo}`,
      { cause, remedy },
    );
  const state: RegistrationState = { client_id: hint, secrets: {} };
  const uri = managementUri(p, hint);
  let r: RegistrationResult;
  try {
    r = await withManagementAuth(p, state, ctx, async (t) =>
      processReadRegistrationResponse(
        await readRegistrationRequest(ctx, uri, t, p.tls, undefined, managementSource(p, uri)),
        {
          bank_jwks: p.bank_jwks,
          signed: signedAnswerExpectation(p, hint),
          gone_statuses: p.gone_statuses,
        },
      ),
    );
  } catch (e) {
    if (e instanceof RegistrationGoneError) return undefined;
    // invalid_client for a hint is "not registered" only if the bank could have verified us. A 404
    // that is no OAuth error (a gateway's) says nothing of the client: the outcome stays unknown.
    if (e instanceof GoneUnconfirmedError && e.ambiguity === "invalid_client") {
      const checks = await checkOwnSide(ctx, ownSideInput(p, ctx, undefined));
      if (checks.every((c) => c.ok)) return undefined;
    }
    throw new OutcomeUnknownError(
      `${lost}Looking up the proposed client_id ${hint} of ${software} failed too (${(e as Error).message}). ` +
        "Run again: the next run proposes the same client_id and finds it if the bank committed it. If it keeps failing: " +
        todo,
      { cause: e, remedy },
    );
  }
  const registered = r.metadata.software_id;
  if (typeof registered === "string" && p.params.software && registered !== p.params.software.software_id)
    throw new OutcomeUnknownError(
      `client ${hint} exists at the bank but belongs to software ${registered}, not ${software}; ` +
        "give this resource another client_id hint (or turn bank_profile.client_id_hint off)",
      { cause },
    );
  return keepSecrets(p, state, r);
}

/**
 * POST with a client_id hint, reconciling a lost answer: at most three POSTs, each after a GET on
 * the hint proved that the one before was not committed; a 400 may mean an earlier, interrupted
 * run registered the hint already.
 */
export async function postReconciled(
  p: Prepared,
  hint: string,
  post: () => Promise<RegistrationOutcome>,
  ctx: ObDcrContext,
): Promise<RegistrationOutcome> {
  // At most three POSTs, each after a GET proved that the one before was not committed.
  for (let attempt = 0; ; attempt++) {
    try {
      return await post();
    } catch (e) {
      if (e instanceof OutcomeUnknownError) {
        // The bank answered 2xx: it created a client. Never POST again; find it by the hint or say so.
        if (e.salvaged) throw e;
        const created = e.status !== undefined && e.status >= 200 && e.status < 300;
        // The lookup settles a lost answer: after a Cancel it still runs, within the grace.
        const lookup = settling(ctx);
        if (created) {
          const found = await findByHint(p, hint, lookup, e).catch(() => undefined);
          if (found) return { ...found, reconciled: "lost_response" };
          throw e;
        }
        const found = await findByHint(p, hint, lookup, e);
        if (found) return { ...found, reconciled: "lost_response" };
        // The bank does not hold the hinted client: nothing was committed. After a Cancel, no new POST.
        if (isCancelled(ctx))
          throw new InterruptedError(
            `${e.message}; a GET on the proposed client_id ${hint} then showed that the bank had not registered it, so nothing was registered`,
            { cause: e, remedy: { kind: "retry" } },
          );
        if (attempt < 2) continue;
        throw new TransportError(
          `registration (POST) of ${p.params.software?.software_id ?? "the software"}: the answer was lost ${attempt + 1} times (${e.status === undefined ? "the connection failed" : `the last time, HTTP ${e.status}`}); ` +
            `each time a GET on the proposed client_id ${hint} showed that the bank had not registered it, so nothing was registered. Run again`,
          { cause: e },
        );
      }
      if (e instanceof RegistrationRejectedError && e.status === 400 && canReadByHint(p) === undefined) {
        // An earlier run that was interrupted may already have registered this hint.
        const found = await findByHint(p, hint, ctx, undefined).catch(() => undefined);
        if (found) return { ...found, reconciled: "earlier_attempt" };
      }
      throw e;
    }
  }
}
