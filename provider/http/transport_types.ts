/** What the HTTP transport takes and gives: TLS material, request, response, and its tunable limits. */
import type { LookupFunction } from "node:net";
import type { Dispatcher } from "undici";
import type { UrlSource } from "../core/validate/url_policy.js";
import { DEFAULT_CANCEL_GRACE_MS, type RunCancel } from "./cancel.js";
import { DEFAULT_MAX_PER_ORIGIN } from "./limits.js";

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
  /**
   * The whole of one exchange (connect, headers, interim 1xx answers, body), ms: a server that
   * trickles its answer a byte at a time is cut off here, whatever the idle timeouts say.
   * Env: OBDCR_EXCHANGE_DEADLINE_MS.
   */
  exchange_deadline_ms: number;
  /**
   * One request with all its retries and back-off, ms: no retry (nor Retry-After wait) starts
   * that cannot end within it. Env: OBDCR_OPERATION_BUDGET_MS.
   */
  operation_budget_ms: number;
  /**
   * Allow plain http to a literal loopback address (127.0.0.0/8, [::1]): a local test server.
   * Off by default; every other http URL is refused. Env: OBDCR_ALLOW_HTTP_LOOPBACK=1.
   */
  allow_http_loopback: boolean;
  /**
   * Start the reads a create needs (the bank's discovery document, the directory's JWKS: GETs,
   * connections kept warm) when the engine checks a registration. On by default; a preview then
   * sends those GETs too. Env: OBDCR_PREFETCH=0 turns it off.
   */
  prefetch: boolean;
  /**
   * Most requests in flight at once to one origin (a bank, the directory) from this process; the
   * rest wait in a first-come, first-served queue. Also the Agent's connections per origin.
   * 0 = no cap. Env of the provider host: OBDCR_MAX_PER_ORIGIN.
   */
  max_per_origin: number;
  /**
   * The run's Cancel (cancel.ts; `createContext` makes one per context): aborts the exchanges in
   * flight, and none starts after it.
   */
  cancel?: RunCancel | undefined;
  /**
   * After a Cancel, how long what settles a lost answer may take (the GET by client_id hint after
   * a POST, the DELETE sent again), ms. Env: OBDCR_CANCEL_GRACE_MS.
   */
  cancel_grace_ms: number;
  /**
   * How a host name becomes addresses when connecting (the `lookup` of `net.connect`): default
   * `dns.lookup`. The addresses of a URL a bank or directory gave are checked as it answers.
   * Tests answer names with it (there is no public DNS in a test).
   */
  lookup?: LookupFunction | undefined;
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
  max_retry_after_ms: 10_000,
  keep_alive_timeout_ms: 10_000,
  exchange_deadline_ms: 60_000,
  operation_budget_ms: 120_000,
  allow_http_loopback: false,
  prefetch: true,
  max_per_origin: DEFAULT_MAX_PER_ORIGIN,
  cancel_grace_ms: DEFAULT_CANCEL_GRACE_MS,
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
  /**
   * Where the URL came from, when a bank or directory gave it (`sourceOf`): the addresses its host
   * resolves to are checked at connect by the party's rules. Absent: the user's own URL.
   */
  source?: UrlSource | undefined;
  /**
   * The body of each attempt after the first. A token request's client assertion is single-use
   * (its `jti`, RFC 7523 §3, OIDC Core §9): a server that saw the first attempt refuses the same
   * assertion again as `invalid_client`, which reads as a wrong key or a deleted client.
   */
  renew?: (() => Promise<string>) | undefined;
  /**
   * Earlier sends of this same request whose answer was lost (a Cancel cut them short): counted in
   * the answer's `lost_attempts`, as the retries of one send are.
   */
  lost_before?: number | undefined;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  url: string;
  /** The statuses of earlier attempts of this request that were answered and retried (429, 503, 5xx). */
  retried_statuses?: number[] | undefined;
  /**
   * Earlier attempts of this (idempotent) request that were sent but whose answer was lost (a reset
   * or a timeout after sending), then retried: the server may have acted on them.
   */
  lost_attempts?: number | undefined;
}

/** The TLS material of a registration's `transport` parameters (the one place it is derived). */
export function tlsMaterialOf(
  transport:
    | { cert?: string | undefined; key?: string | undefined; ca?: string | string[] | undefined }
    | undefined,
): TlsMaterial {
  return { cert: transport?.cert, key: transport?.key, ca: transport?.ca };
}
