/**
 * SIGINT (Ctrl-C) and SIGTERM (a pipeline's cancel) during a command. Node's default is to die at
 * once and silently: a register whose POST the bank had committed left a client that nothing named.
 * Now, with a request that changes a registration unanswered, the CLI says what the bank may hold
 * (core/interrupted.ts decides) and exits 130 / 143 at once: the bank may never answer, and
 * waiting would hang. When the bank has answered such a request and the command is keeping the
 * answer (writing the state file), the first signal lets it finish; a second stops it.
 */

import { type InFlightRequest, interruptedReport, isRegistrationPost } from "../core/interrupted.js";
import { printable } from "../core/untrusted.js";
import { EXIT_INTERRUPTED, EXIT_TERMINATED } from "./exit.js";
import type { HttpExchange } from "./http_log.js";
import type { Runtime } from "./runtime.js";
import { decodeJwt } from "./steps.js";

const CHANGES = new Set(["POST", "PUT", "DELETE"]);

/** The claims of a POST body that is a JWT or a JSON object (a token request's form is neither). */
function bodyClaims(x: HttpExchange): Record<string, unknown> | undefined {
  if (x.method !== "POST" || !x.request_body) return undefined;
  const text = x.request_body.toString("utf8").trim();
  try {
    const claims: unknown = text.startsWith("{") ? JSON.parse(text) : decodeJwt(text)?.claims;
    return claims && typeof claims === "object" && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A request the recorder saw, as the interruption report needs it. */
export function inFlightOf(x: HttpExchange): InFlightRequest {
  const claims = bodyClaims(x);
  const id = claims?.client_id;
  return {
    method: x.method,
    url: x.url,
    registration: claims !== undefined,
    proposed_client_id: typeof id === "string" && id ? id : undefined,
  };
}

const isRegistrationChange = (x: HttpExchange) =>
  x.method === "POST" ? isRegistrationPost(inFlightOf(x)) : CHANGES.has(x.method);

/** Install the handlers for one command; returns their removal. */
export function onInterrupt(rt: Runtime): () => void {
  let signals = 0;
  const handler = async (signal: "SIGINT" | "SIGTERM") => {
    signals++;
    const open = rt.rec.exchanges.filter((x) => x.ms === undefined);
    const answered = rt.rec.exchanges.some(
      (x) => x.ms !== undefined && isRegistrationChange(x) && x.status !== undefined && x.status < 300,
    );
    if (signals === 1 && answered && !open.some(isRegistrationChange)) {
      rt.io.stderr.write(
        `interrupted (${signal}): the bank has answered; ob-dcr is keeping its answer and stops when done (send the signal again to stop now, losing it)\n`,
      );
      return;
    }
    const inFlight: InFlightRequest[] = open.map(inFlightOf);
    const r = interruptedReport(signal, inFlight);
    if (signals === 1 && rt.onInterrupted) {
      // What the command keeps of the interruption (update: the token may be superseded). Local
      // work only; a second signal while it runs exits without it.
      try {
        await rt.onInterrupted(r);
      } catch (e) {
        rt.io.stderr.write(
          printable(`could not record the interruption: ${e instanceof Error ? e.message : String(e)}\n`),
        );
      }
    }
    rt.out.json({ ...(rt.partial ?? {}), error: r });
    rt.io.stderr.write(
      printable(`error ${r.code}: ${r.message}\n  exit code ${r.exit_code} (interrupted)\n`),
    );
    // The one exit outside main(): the request in flight may never end.
    process.exit(r.exit_code);
  };
  // Whatever goes wrong in the report, the process still stops.
  const stop = (signal: "SIGINT" | "SIGTERM") =>
    handler(signal).catch(() => process.exit(signal === "SIGINT" ? EXIT_INTERRUPTED : EXIT_TERMINATED));
  const onInt = () => void stop("SIGINT");
  const onTerm = () => void stop("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return () => {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  };
}
