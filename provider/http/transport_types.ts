/** What the HTTP transport takes and gives: TLS material, request, response, and its tunable limits. */
import type { Dispatcher } from "undici";
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
   * Most requests in flight at once to one origin (a bank, the directory) from this process; the
   * rest wait in a first-come, first-served queue. Also the Agent's connections per origin.
   * 0 = no cap. Env of the provider host: OBDCR_MAX_PER_ORIGIN.
   */
  max_per_origin: number;
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
  max_per_origin: DEFAULT_MAX_PER_ORIGIN,
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
