/**
 * `send` and its retry policy: jittered retries for idempotent calls and 429/503, no blind retry
 * of a POST that may have reached the server (that would register twice), every request's URL
 * checked against the URL policy before a byte is sent, and one time budget for the request and
 * all its retries.
 */
import {
  InterruptedError,
  ObDcrError,
  OutcomeUnknownError,
  TimeoutError,
  TransportError,
} from "../core/errors.js";
import { interruptedBeforeSending, interruptedWords } from "../core/interrupted.js";
import { rememberSecret, untrustedText } from "../core/untrusted.js";
import { addressProblem, checkUrl, UnsafeUrlError } from "../core/validate/url_policy.js";
import { RunCancelledError, sleepUnless } from "./cancel.js";
import { sendOnce } from "./exchange.js";
import { AddressRefusedError } from "./reach.js";
import { classify, tlsAdvice } from "./transport_failure.js";
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

/**
 * Everything a request carries that a server could echo back: the bearer or Basic credential, a
 * signed body (our request JWT), a form's client assertion or secret, a JSON body's software
 * statement. Remembered so that every message scrubs it by value (core/untrusted.ts).
 */
function rememberCredentials(req: HttpRequest): void {
  const auth = req.headers?.authorization ?? req.headers?.Authorization;
  if (auth) {
    const [scheme, value = ""] = auth.split(" ", 2);
    rememberSecret(value);
    if (scheme?.toLowerCase() === "basic") {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const secret = decoded.slice(decoded.indexOf(":") + 1);
      // RFC 6749 §2.3.1: the secret is form-encoded inside Basic; a server may echo either form.
      rememberSecret(secret);
      rememberSecret(formDecoded(secret));
    }
  }
  const body = req.body;
  if (!body) return;
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(body)) rememberSecret(body);
  else if (body.startsWith("{")) {
    try {
      const j = JSON.parse(body) as Record<string, unknown>;
      for (const k of ["software_statement", "client_secret", "client_assertion"])
        if (typeof j[k] === "string") rememberSecret(j[k] as string);
    } catch {
      /* not JSON: nothing to remember */
    }
  } else {
    const form = new URLSearchParams(body);
    for (const k of ["client_assertion", "client_secret", "assertion", "refresh_token"])
      rememberSecret(form.get(k));
  }
}

function formDecoded(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}

/** The AddressRefusedError of a connect (reach.ts), wherever undici put it. */
function addressRefused(e: unknown): AddressRefusedError | undefined {
  for (let x = e, i = 0; x && typeof x === "object" && i < 4; x = (x as { cause?: unknown }).cause, i++)
    if (x instanceof AddressRefusedError) return x;
  return undefined;
}

/** A party's URL whose host resolved where the party may not send us: named by its field. */
function unsafeAddress(req: HttpRequest, e: AddressRefusedError): UnsafeUrlError {
  const problem = addressProblem(e.address, e.host, req.source?.from_url ?? "") ?? e.message;
  return new UnsafeUrlError(
    req.source?.field ?? req.label,
    `the URL's host ${problem}; the connection was refused before it was opened, nothing was sent`,
    { cause: e },
  );
}

/** Shortest exchange worth starting: less budget than this left and the request is not retried. */
const MIN_ATTEMPT_MS = 250;

/**
 * Send one request with the retry policy. Retries: transport failures of idempotent requests,
 * connect failures (nothing sent) of any request, and 429/503 (Retry-After honoured up to
 * `max_retry_after_ms` and the budget left). A non-idempotent request that fails after it may
 * have been sent throws OutcomeUnknownError. The request's URL must pass the URL policy
 * (`core/validate/url_policy.ts`): refused before anything is sent.
 */
export async function send(
  req: HttpRequest,
  tls: TlsMaterial,
  options: Partial<TransportOptions> = {},
): Promise<HttpResponse> {
  const o: TransportOptions = { ...DEFAULT_TRANSPORT_OPTIONS, ...options };
  checkUrl(req.url, req.source?.field ?? req.label, "the configuration or an earlier answer", {
    ...o,
    from_url: req.source?.from_url,
  });
  rememberCredentials(req);
  const until = Date.now() + o.operation_budget_ms;
  const left = () => until - Date.now();
  const retried: number[] = [];
  let lost = req.lost_before ?? 0;
  let current = req;
  /**
   * Ready the next attempt: its body renewed first (a fresh jti; signing may take a while, a remote
   * signer's round trip), then the wait, if the budget still holds the wait and an attempt after
   * the renewal. False: no retry, the caller answers with what it has.
   */
  const retryAfter = async (wait: number): Promise<boolean> => {
    if (req.renew) {
      current = { ...req, body: await req.renew() };
      rememberCredentials(current);
    }
    if (left() - wait < MIN_ATTEMPT_MS) return false;
    // A Cancel ends the wait; the attempt after it is then refused before it is sent.
    await sleepUnless(wait, o.cancel?.signal);
    return true;
  };
  for (let attempt = 0; ; attempt++) {
    // A retry that cannot end within the budget is not started.
    const last = attempt >= o.max_retries;
    let res: HttpResponse;
    try {
      res = await sendOnce(current, tls, o, Math.max(1, Math.min(o.exchange_deadline_ms, left())));
    } catch (e) {
      if (e instanceof ObDcrError) throw e;
      const refused = addressRefused(e);
      if (refused) throw unsafeAddress(req, refused);
      const c = classify(e);
      const u = new URL(req.url);
      const shown = untrustedText(`${u.origin}${u.pathname}`, 200);
      const where = `${req.label} (${req.method} ${shown})`;
      if (c.kind === "cancelled") {
        const sent = !(e instanceof RunCancelledError && e.not_sent);
        const status = (e as { status?: unknown }).status;
        // Sent, not idempotent: the answer is lost as after a reset, and the caller's path for a
        // lost answer settles it (the GET by client_id hint; a PUT's token kept in doubt).
        if (sent && !req.idempotent)
          throw new OutcomeUnknownError(
            `${where}: interrupted (the engine's Cancel) after the request was sent, before the answer${typeof status === "number" ? ` (HTTP ${status})` : ""} was read; the server may have committed it. Reconcile (read the registration) before retrying`,
            { cause: e, ...(typeof status === "number" ? { status } : {}) },
          );
        // Idempotent (a GET; a DELETE, which the caller may send again to settle it): no retry.
        throw new InterruptedError(
          sent
            ? interruptedWords("Cancel", [{ method: req.method, url: shown }]).message
            : interruptedBeforeSending("Cancel", `${where} was sent`),
          { cause: e, ...(sent ? { in_flight: { method: req.method, url: shown } } : {}) },
        );
      }
      if (c.kind === "tls")
        throw new TransportError(`${where}: TLS failed (${c.code ?? "handshake"}); ${tlsAdvice(c.code)}`, {
          cause: e,
        });
      const wait = backoff(attempt, o);
      const retry = !last && left() - wait >= MIN_ATTEMPT_MS;
      if (c.kind === "before_send") {
        if (retry && (await retryAfter(wait))) continue;
        if (c.code === "UND_ERR_CONNECT_TIMEOUT")
          throw new TimeoutError(`${where}: connect timed out after ${o.connect_timeout_ms} ms`, {
            cause: e,
          });
        throw new TransportError(`${where}: cannot connect (${c.code})`, { cause: e });
      }
      const status = (e as { status?: unknown }).status;
      if (!req.idempotent)
        throw new OutcomeUnknownError(
          `${where}: ${
            c.kind === "deadline"
              ? `the answer${typeof status === "number" ? ` (HTTP ${status})` : ""} did not complete within ${o.exchange_deadline_ms} ms`
              : `the connection failed after the request was sent (${c.code ?? c.kind})`
          }; the server may have committed it. Reconcile (read the registration) before retrying`,
          { cause: e, ...(typeof status === "number" ? { status } : {}) },
        );
      if (retry && (await retryAfter(wait))) {
        lost++;
        continue;
      }
      if (c.kind === "timeout_headers" || c.kind === "timeout_body" || c.kind === "deadline")
        throw new TimeoutError(
          `${where}: ${
            c.kind === "deadline"
              ? `no complete answer within the deadline (exchange ${o.exchange_deadline_ms} ms, budget ${o.operation_budget_ms} ms for all attempts)`
              : `no ${c.kind === "timeout_headers" ? "response headers" : "body"} in time`
          }`,
          { cause: e },
        );
      throw new TransportError(`${where}: connection failed (${c.code ?? "socket closed"})`, { cause: e });
    }
    if ((res.status === 429 || res.status === 503) && !last) {
      const ra = parseRetryAfter(res.headers["retry-after"]);
      const wait = ra ?? backoff(attempt, o);
      // Beyond what we wait for, or beyond the budget: answer now ("try later"), never sit it out.
      if (
        (ra === undefined || ra <= o.max_retry_after_ms) &&
        left() - wait >= MIN_ATTEMPT_MS &&
        (await retryAfter(wait))
      ) {
        retried.push(res.status);
        continue;
      }
    }
    if (res.status >= 500 && res.status !== 503 && req.idempotent && !last) {
      const wait = backoff(attempt, o);
      if (left() - wait >= MIN_ATTEMPT_MS && (await retryAfter(wait))) {
        retried.push(res.status);
        continue;
      }
    }
    return {
      ...res,
      ...(retried.length > 0 ? { retried_statuses: retried } : {}),
      ...(lost > 0 ? { lost_attempts: lost } : {}),
    };
  }
}
