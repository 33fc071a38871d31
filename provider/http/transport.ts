/**
 * HTTP on undici: one keep-alive Agent per origin and client certificate (cached by fingerprint,
 * never by key material), connect/header/body timeouts, a response size cap, jittered retries for
 * idempotent calls and 429/503, and no blind retry of a POST that may have reached the server.
 * TLS verification is always on. setGlobalDispatcher is never called.
 */
import { createHash, X509Certificate } from "node:crypto";
import { Agent, type Dispatcher } from "undici";
import {
  ObDcrError,
  OutcomeUnknownError,
  TimeoutError,
  TransportError,
  UnexpectedResponseError,
} from "../core/errors.js";

export interface TlsMaterial {
  /** Client certificate PEM (mTLS); omit for server-auth-only TLS. */
  cert?: string | undefined;
  key?: string | undefined;
  /** Trusted CA(s) PEM; default Node's store. */
  ca?: string | string[] | undefined;
}

export interface TransportOptions {
  connect_timeout_ms: number;
  headers_timeout_ms: number;
  body_timeout_ms: number;
  max_response_bytes: number;
  /** Attempts after the first. */
  max_retries: number;
  backoff_base_ms: number;
  backoff_max_ms: number;
  /** Longest Retry-After honoured, ms. */
  max_retry_after_ms: number;
  keep_alive_timeout_ms: number;
  /** Escape hatch for tests (e.g. an undici MockAgent); default: the cached per-origin Agent. */
  dispatcher?: Dispatcher | undefined;
}

export const DEFAULT_TRANSPORT_OPTIONS: TransportOptions = {
  connect_timeout_ms: 10_000,
  headers_timeout_ms: 30_000,
  body_timeout_ms: 30_000,
  max_response_bytes: 1024 * 1024,
  max_retries: 3,
  backoff_base_ms: 200,
  backoff_max_ms: 5_000,
  max_retry_after_ms: 30_000,
  keep_alive_timeout_ms: 10_000,
};

export interface HttpRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Safe to retry on transport errors (GET, DELETE, token, SSA, discovery). POST/PUT registration: false. */
  idempotent: boolean;
  /** Human label for error messages (e.g. "SSA download"). */
  label: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  url: string;
}

const agents = new Map<string, Agent>();

function fingerprint(pem: string | string[] | undefined): string {
  if (pem === undefined) return "-";
  const s = Array.isArray(pem) ? pem.join("\n") : pem;
  return createHash("sha256").update(s).digest("hex").slice(0, 32);
}

function certFingerprint(pem: string | undefined): string {
  if (!pem) return "-";
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return fingerprint(pem);
  }
}

/** The cached Agent of an origin + client certificate + CA (key: fingerprints, never key material). */
export function getAgent(
  origin: string,
  tls: TlsMaterial,
  opts: TransportOptions = DEFAULT_TRANSPORT_OPTIONS,
): Agent {
  const id = [
    origin,
    certFingerprint(tls.cert),
    tls.key ? fingerprint(tls.key) : "-",
    fingerprint(tls.ca),
    opts.connect_timeout_ms,
    opts.headers_timeout_ms,
    opts.body_timeout_ms,
  ].join("|");
  let a = agents.get(id);
  if (!a) {
    a = new Agent({
      connect: {
        ...(tls.cert ? { cert: tls.cert } : {}),
        ...(tls.key ? { key: tls.key } : {}),
        ...(tls.ca ? { ca: tls.ca } : {}),
        rejectUnauthorized: true,
        timeout: opts.connect_timeout_ms,
      },
      keepAliveTimeout: opts.keep_alive_timeout_ms,
      headersTimeout: opts.headers_timeout_ms,
      bodyTimeout: opts.body_timeout_ms,
      connections: 16,
    });
    agents.set(id, a);
  }
  return a;
}

/** Close every cached agent (tests, process shutdown). */
export async function closeAgents(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.allSettled(all.map((a) => a.close()));
}

/** Error codes of failures that happen before any request byte is written. */
const BEFORE_SEND = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);
/** Certificate/handshake problems: never retried, never ambiguous. */
function isTlsError(code: string | undefined, msg: string): boolean {
  return (
    (!!code &&
      (code.startsWith("ERR_TLS") ||
        code.startsWith("ERR_SSL") ||
        code.includes("CERT") ||
        code === "DEPTH_ZERO_SELF_SIGNED_CERT" ||
        code === "SELF_SIGNED_CERT_IN_CHAIN" ||
        code === "UNABLE_TO_VERIFY_LEAF_SIGNATURE" ||
        code === "UNABLE_TO_GET_ISSUER_CERT_LOCALLY" ||
        code === "HOSTNAME_MISMATCH")) ||
    /alert|certificate|handshake/i.test(msg)
  );
}

function errCode(e: unknown): string | undefined {
  let x: unknown = e;
  for (let i = 0; i < 4 && x && typeof x === "object"; i++) {
    const c = (x as { code?: unknown }).code;
    if (typeof c === "string" && c !== "UND_ERR_SOCKET") return c;
    x = (x as { cause?: unknown }).cause;
  }
  const c = (e as { code?: unknown })?.code;
  return typeof c === "string" ? c : undefined;
}

function errMessage(e: unknown): string {
  const parts: string[] = [];
  let x: unknown = e;
  for (let i = 0; i < 4 && x instanceof Error; i++) {
    parts.push(x.message);
    x = x.cause;
  }
  return parts.join(": ");
}

type Classified = {
  kind: "before_send" | "tls" | "timeout_headers" | "timeout_body" | "after_send";
  code?: string;
};

function classify(e: unknown): Classified {
  const code = errCode(e);
  const msg = errMessage(e);
  if (code === "UND_ERR_CONNECT_TIMEOUT") return { kind: "before_send", code };
  if (code && BEFORE_SEND.has(code)) return { kind: "before_send", code };
  if (isTlsError(code, msg)) return { kind: "tls", ...(code ? { code } : {}) };
  if (code === "UND_ERR_HEADERS_TIMEOUT") return { kind: "timeout_headers", code };
  if (code === "UND_ERR_BODY_TIMEOUT") return { kind: "timeout_body", code };
  return { kind: "after_send", ...(code ? { code } : {}) };
}

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

async function once(req: HttpRequest, tls: TlsMaterial, o: TransportOptions): Promise<HttpResponse> {
  const url = new URL(req.url);
  const dispatcher = o.dispatcher ?? getAgent(url.origin, tls, o);
  const res = await dispatcher.request({
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    method: req.method,
    headers: req.headers ?? {},
    body: req.body ?? null,
    headersTimeout: o.headers_timeout_ms,
    bodyTimeout: o.body_timeout_ms,
  });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
  }
  const declared = Number(headers["content-length"] ?? "0");
  if (declared > o.max_response_bytes) {
    res.body.destroy();
    throw new UnexpectedResponseError(
      `${req.label}: response of ${declared} bytes exceeds the ${o.max_response_bytes}-byte cap`,
      { status: res.statusCode, content_type: headers["content-type"] },
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > o.max_response_bytes) {
      res.body.destroy();
      throw new UnexpectedResponseError(
        `${req.label}: response exceeds the ${o.max_response_bytes}-byte cap`,
        {
          status: res.statusCode,
          content_type: headers["content-type"],
        },
      );
    }
    chunks.push(b);
  }
  return { status: res.statusCode, headers, body: Buffer.concat(chunks), url: req.url };
}

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
      res = await once(req, tls, o);
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
