/**
 * `send` and its retry policy: jittered retries for idempotent calls and 429/503, and no blind retry
 * of a POST that may have reached the server (that would register twice).
 */
import { ObDcrError, OutcomeUnknownError, TimeoutError, TransportError } from "../core/errors.js";
import { sendOnce } from "./exchange.js";
import { classify } from "./transport_failure.js";
import {
  DEFAULT_TRANSPORT_OPTIONS,
  type HttpRequest,
  type HttpResponse,
  type TlsMaterial,
  type TransportOptions,
} from "./transport_types.js";

function parseRetryAfter(v: string | undefined, now = Date.now()): number | undefined {
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

function backoff(attempt: number, o: TransportOptions): number {
  const cap = Math.min(o.backoff_max_ms, o.backoff_base_ms * 2 ** attempt);
  return Math.floor(cap / 2 + Math.random() * (cap / 2));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Send one request with the retry policy. Retries: transport failures of idempotent requests,
 * connect failures (nothing sent) of any request, and 429/503 (Retry-After honoured).
 * A non-idempotent request that fails after it may have been sent throws OutcomeUnknownError.
 */
export async function send(
  req: HttpRequest,
  tls: TlsMaterial,
  options: Partial<TransportOptions> = {},
): Promise<HttpResponse> {
  const o = { ...DEFAULT_TRANSPORT_OPTIONS, ...options };
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= o.max_retries;
    let res: HttpResponse;
    try {
      res = await sendOnce(req, tls, o);
    } catch (e) {
      if (e instanceof ObDcrError) throw e;
      const c = classify(e);
      const where = `${req.label} (${req.method} ${new URL(req.url).origin}${new URL(req.url).pathname})`;
      if (c.kind === "tls")
        throw new TransportError(
          `${where}: TLS failed (${c.code ?? "handshake"}); check transport.cert/key and the CA (transport.ca)`,
          { cause: e },
        );
      if (c.kind === "before_send") {
        if (!last) {
          await sleep(backoff(attempt, o));
          continue;
        }
        if (c.code === "UND_ERR_CONNECT_TIMEOUT")
          throw new TimeoutError(`${where}: connect timed out after ${o.connect_timeout_ms} ms`, {
            cause: e,
          });
        throw new TransportError(`${where}: cannot connect (${c.code})`, { cause: e });
      }
      if (!req.idempotent)
        throw new OutcomeUnknownError(
          `${where}: the connection failed after the request was sent (${c.code ?? c.kind}); the server may have committed it. Reconcile (read the registration) before retrying`,
          { cause: e },
        );
      if (!last) {
        await sleep(backoff(attempt, o));
        continue;
      }
      if (c.kind === "timeout_headers" || c.kind === "timeout_body")
        throw new TimeoutError(
          `${where}: no ${c.kind === "timeout_headers" ? "response headers" : "body"} in time`,
          {
            cause: e,
          },
        );
      throw new TransportError(`${where}: connection failed (${c.code ?? "socket closed"})`, { cause: e });
    }
    if ((res.status === 429 || res.status === 503) && !last) {
      const ra = parseRetryAfter(res.headers["retry-after"]);
      if (ra === undefined || ra <= o.max_retry_after_ms) {
        await sleep(ra ?? backoff(attempt, o));
        continue;
      }
    }
    if (res.status >= 500 && res.status !== 503 && req.idempotent && !last) {
      await sleep(backoff(attempt, o));
      continue;
    }
    return res;
  }
}
