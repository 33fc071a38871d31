/**
 * One HTTP exchange, no retry: on the test dispatcher or the pooled Agent, headers lower-cased, the
 * body read under the response size cap (so a hostile server cannot exhaust memory), within the
 * origin's concurrency cap, and within one overall deadline (connect, headers, interim 1xx answers
 * and body together: idle timeouts alone let a server trickle an answer forever).
 */
import { OutcomeUnknownError, UnexpectedResponseError } from "../core/errors.js";
import { RunCancelledError } from "./cancel.js";
import { withOriginSlot } from "./limits.js";
import { getAgent } from "./transport.js";
import type { HttpRequest, HttpResponse, TlsMaterial, TransportOptions } from "./transport_types.js";

/** The exchange ran past its deadline (classified by transport_failure.ts like a body timeout). */
export class ExchangeDeadlineError extends Error {
  readonly code = "OBDCR_EXCHANGE_DEADLINE";
  /** The answer's status when its headers had arrived. */
  status: number | undefined;
  constructor(readonly ms: number) {
    super(`no complete answer within ${ms} ms`);
    this.name = "ExchangeDeadlineError";
  }
}

/** One exchange holding one of the origin's slots (limits.ts) from sending to the last body byte. */
export async function sendOnce(
  req: HttpRequest,
  tls: TlsMaterial,
  o: TransportOptions,
  deadline_ms = o.exchange_deadline_ms,
): Promise<HttpResponse> {
  const url = new URL(req.url);
  return withOriginSlot(url.origin, o.max_per_origin, () => {
    // After the run's Cancel nothing starts: not even a request that queued before it.
    const cancel = o.cancel?.signal;
    if (cancel?.aborted) return Promise.reject(new RunCancelledError(phaseOf(cancel), true));
    // The deadline starts with the slot: time queued behind other requests is not the bank's.
    const ac = new AbortController();
    const timer = setTimeout(
      () => ac.abort(new ExchangeDeadlineError(deadline_ms)),
      Math.max(1, deadline_ms),
    );
    // A reason of this exchange's own (a status may be set on it), not the run's shared one.
    const onCancel = () => ac.abort(new RunCancelledError(phaseOf(cancel)));
    cancel?.addEventListener("abort", onCancel, { once: true });
    return exchange(req, url, tls, o, ac.signal).finally(() => {
      clearTimeout(timer);
      cancel?.removeEventListener("abort", onCancel);
    });
  });
}

const phaseOf = (s: AbortSignal | undefined) =>
  s?.reason instanceof RunCancelledError ? s.reason.phase : "cancel";

async function exchange(
  req: HttpRequest,
  url: URL,
  tls: TlsMaterial,
  o: TransportOptions,
  signal: AbortSignal,
): Promise<HttpResponse> {
  const dispatcher = o.dispatcher ?? getAgent(url.origin, tls, o, req.source?.from_url);
  const deadline = () => {
    if (signal.aborted) throw signal.reason;
  };
  let res: Awaited<ReturnType<typeof dispatcher.request>>;
  try {
    res = await dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: req.method,
      headers: req.headers ?? {},
      body: req.body ?? null,
      headersTimeout: o.headers_timeout_ms,
      bodyTimeout: o.body_timeout_ms,
      signal,
    });
  } catch (e) {
    deadline();
    throw e;
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
  }
  const declared = Number(headers["content-length"] ?? "0");
  if (declared > o.max_response_bytes) {
    res.body.destroy();
    throw overCap(req, res.statusCode, headers, `response of ${declared} bytes exceeds`, o);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      const b = chunk as Buffer;
      size += b.length;
      if (size > o.max_response_bytes) {
        res.body.destroy();
        throw overCap(req, res.statusCode, headers, "response exceeds", o);
      }
      chunks.push(b);
    }
  } catch (e) {
    if (e instanceof UnexpectedResponseError || e instanceof OutcomeUnknownError) throw e;
    // The status is known: the caller can tell a cut-off 201 (a client may exist) from nothing.
    const err = signal.aborted ? signal.reason : e;
    if (err && typeof err === "object") (err as { status?: number }).status ??= res.statusCode;
    throw err;
  }
  return { status: res.statusCode, headers, body: Buffer.concat(chunks), url: req.url };
}

/**
 * An answer over the size cap, not read. A success to a request that is not idempotent said that the
 * server acted, and what it answered is lost (a POST's client_id, a PUT's rotated registration
 * access token, RFC 7592 §2.2): an unknown outcome, as after a reset, for the caller to reconcile.
 */
function overCap(
  req: HttpRequest,
  status: number,
  headers: Record<string, string>,
  what: string,
  o: TransportOptions,
): UnexpectedResponseError | OutcomeUnknownError {
  const message = `${req.label}: ${what} the ${o.max_response_bytes}-byte cap`;
  if (!req.idempotent && status >= 200 && status < 300)
    return new OutcomeUnknownError(
      `${message} (HTTP ${status}), so it was not read: the server has probably acted on the request. Reconcile (read the registration) before retrying`,
      { status },
    );
  return new UnexpectedResponseError(message, { status, content_type: headers["content-type"] });
}
