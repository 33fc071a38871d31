/**
 * What a face says when it is stopped (Ctrl-C, a pipeline's cancel) while requests are in flight:
 * which of them may have changed a registration at the bank that no state now holds, and what to do.
 * Decisions only; the CLI installs the signal handlers and prints, the native plugin's Cancel aborts
 * the context's requests (http/cancel.ts) and `send` words what it aborted here
 * (docs/RELIABILITY.md "Interrupted runs").
 */
import { OBDCR_INTERRUPTED } from "./errors.js";

export { OBDCR_INTERRUPTED };

/** What stopped the run: a signal to the CLI, or the engine's Cancel to the native plugin. */
export type StoppedBy = "SIGINT" | "SIGTERM" | "Cancel";

const headOf = (by: StoppedBy) =>
  by === "Cancel" ? "interrupted (the engine's Cancel)" : `interrupted (${by})`;

export interface InFlightRequest {
  method: string;
  url: string;
  /**
   * A POST whose body is a registration request (a JWT or a JSON object; token requests are
   * form-encoded, RFC 6749 §4.4): what tells it apart at a bank whose endpoint is not `.../register`.
   */
  registration?: boolean | undefined;
  /** The client_id the request proposed (a registration request's `client_id` claim), if any. */
  proposed_client_id?: string | undefined;
}

export interface InterruptedReport {
  code: typeof OBDCR_INTERRUPTED;
  /** 130 for SIGINT, 143 for SIGTERM (128 + the signal's number, as shells report it). */
  exit_code: 130 | 143;
  message: string;
  /** The client the bank may now hold (a proposed client_id, or the one a PUT/DELETE addressed). */
  client_id?: string;
  /**
   * A PUT was unanswered: the bank may have applied it and rotated the registration access token in
   * the answer never read (RFC 7592 §2.2). Recorded as `token_unconfirmed` in the state, as after a
   * lost answer, so that a later 401 for the stored token is not taken for a deletion.
   */
  token_unconfirmed?: true;
}

/** The path of a recorded URL ("" when it does not parse: a signal handler must not throw). */
export function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return "";
  }
}

/**
 * A registration request: a POST whose body is one, or a POST to `.../register`. The path alone
 * misses banks whose endpoint is named otherwise (`/as/clients.oauth2`, `/connect/registration`).
 */
export const isRegistrationPost = (r: { method: string; url: string; registration?: boolean | undefined }) =>
  r.method === "POST" && (r.registration === true || /\/register\/?$/.test(pathOf(r.url)));

const clientIdOf = (url: string): string | undefined => {
  try {
    const last = new URL(url).pathname.split("/").filter(Boolean).pop();
    return last === undefined ? undefined : decodeURIComponent(last);
  } catch {
    return undefined;
  }
};

/** The report for a stop by `signal` with these requests sent and not yet answered. */
export function interruptedReport(
  signal: "SIGINT" | "SIGTERM",
  inFlight: readonly InFlightRequest[],
): InterruptedReport {
  return {
    code: OBDCR_INTERRUPTED,
    exit_code: signal === "SIGINT" ? 130 : 143,
    ...interruptedWords(signal, inFlight),
  };
}

/** A stop that came before `what` ("… was sent", "… started"): nothing was sent. */
export const interruptedBeforeSending = (by: StoppedBy, what: string) =>
  `${headOf(by)} before ${what}: nothing was sent, and no request that changes a registration was left unanswered`;

/** What every face says of a stop by `by` with these requests sent and not yet answered. */
export function interruptedWords(
  by: StoppedBy,
  inFlight: readonly InFlightRequest[],
): Omit<InterruptedReport, "code" | "exit_code"> {
  const head = headOf(by);
  const post = inFlight.find(isRegistrationPost);
  if (post) {
    const id = post.proposed_client_id;
    const message = id
      ? `${head} while the registration request (POST ${post.url}) was in flight, before the bank answered: the bank may have registered client ${id} (the client_id ob-dcr proposed), and no state file holds it. Run the same register again: it proposes ${id} again and, if the bank holds it, finds it and keeps it; or check at the bank whether client ${id} exists and delete it there`
      : `${head} while the registration request (POST ${post.url}) was in flight, before the bank answered: the bank may have registered a client, and no state file holds it (the bank chooses the client_id; ob-dcr never saw it). Check at the bank (its portal or support) for a client of this software registered just now, and delete or keep it, before registering again: registering again would leave a second client`;
    return { message, ...(id ? { client_id: id } : {}) };
  }
  const put = inFlight.find((r) => r.method === "PUT");
  if (put) {
    const id = clientIdOf(put.url);
    const message = `${head} while the update (PUT ${put.url}) was in flight, before the bank answered: the bank may have applied it, and may have rotated the registration access token or client secret in the answer that was lost. Run \`ob-dcr get\` with the same state: if the stored token is refused (OBDCR_GONE_UNCONFIRMED), the bank rotated it and the client lives on; only the bank can issue a new token. Do not register again`;
    return {
      message,
      token_unconfirmed: true,
      ...(id ? { client_id: id } : {}),
    };
  }
  const del = inFlight.find((r) => r.method === "DELETE");
  if (del) {
    const id = clientIdOf(del.url);
    const message = `${head} while the delete (DELETE ${del.url}) was in flight, before the bank answered: the bank may or may not have deleted client ${id ?? "(unknown)"}. Run the same delete again: a client already gone is reported as gone`;
    return { message, ...(id ? { client_id: id } : {}) };
  }
  const what = inFlight.length
    ? ` while ${inFlight.map((r) => `${r.method} ${r.url}`).join(", ")} was in flight`
    : "";
  return { message: `${head}${what}: no request that changes a registration was left unanswered` };
}
