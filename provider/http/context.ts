/** Caches shared by many registrations in one process: tokens, SSAs, JWKS, discovery, transport options. */
import type { Jwks } from "../core/schemas/common.js";
import type { DiscoveryDocument } from "../core/schemas/responses.js";
import type { UrlPolicy, UrlSource } from "../core/validate/url_policy.js";
import { Cancellation, settlingOf } from "./cancel.js";
import type { TransportOptions } from "./transport_types.js";

export interface CachedToken {
  access_token: string;
  /** Epoch seconds after which the token is not used (expires_in minus the safety margin). */
  use_until: number;
  /** The token answer's `scope` (RFC 6749 §5.1), when it said one: what the server granted. */
  scope?: string | undefined;
}

export interface CachedSsa {
  ssa: string;
  fetched_at: number;
}

export interface ObDcrContext {
  /** Seconds since epoch (injectable clock). */
  now: () => number;
  /**
   * Timeouts, retries and the per-bank concurrency cap (`max_per_origin`, default 8: at most that
   * many requests in flight per origin, the rest queued in arrival order; see limits.ts), and the
   * run's Cancel (`cancel`, made here: `cancelContext`).
   */
  transport: Partial<TransportOptions>;
  /** Safety margin before a token's expiry, seconds. */
  token_margin_seconds: number;
  /** How long a fetched JWKS or discovery document is trusted, seconds. */
  metadata_ttl_seconds: number;
  tokens: Map<string, CachedToken>;
  ssas: Map<string, CachedSsa>;
  ssa_inflight: Map<string, Promise<string>>;
  jwks: Map<string, { jwks: Jwks; fetched_at: number }>;
  /** JWKS fetches in flight by URI: concurrent registrations share one. */
  jwks_inflight: Map<string, Promise<Jwks>>;
  discovery: Map<string, { doc: DiscoveryDocument; fetched_at: number }>;
  /** Discovery fetches in flight by URL: concurrent registrations with one bank share one. */
  discovery_inflight: Map<string, Promise<DiscoveryDocument>>;
  /**
   * Secrets of key stores (the PKCS#11 PIN) from the provider configuration, set by the adapter
   * that made the context; never inputs, never in state.
   */
  signer_secrets?: { pkcs11_pin?: string | undefined } | undefined;
  /**
   * URLs the configuration holds that a directory gave (`--bank` writes the list's discovery URL
   * into it), with their source: their requests, and those to endpoints on their host, are held
   * to the directory's rules at connect.
   */
  given: Map<string, UrlSource>;
  /** Counters, handy for tests and logs. */
  stats: { token_requests: number; ssa_downloads: number; jwks_fetches: number; discovery_fetches: number };
}

export interface ContextOptions {
  now?: () => number;
  transport?: Partial<TransportOptions>;
  token_margin_seconds?: number;
  metadata_ttl_seconds?: number;
  signer_secrets?: { pkcs11_pin?: string | undefined } | undefined;
}

export function createContext(o: ContextOptions = {}): ObDcrContext {
  return {
    now: o.now ?? (() => Math.floor(Date.now() / 1000)),
    // Every request of the context watches its Cancel (cancelContext): one per context.
    transport: { ...o.transport, cancel: new Cancellation(o.transport?.cancel_grace_ms) },
    token_margin_seconds: o.token_margin_seconds ?? 60,
    metadata_ttl_seconds: o.metadata_ttl_seconds ?? 600,
    signer_secrets: o.signer_secrets,
    tokens: new Map(),
    ssas: new Map(),
    ssa_inflight: new Map(),
    jwks: new Map(),
    jwks_inflight: new Map(),
    discovery: new Map(),
    discovery_inflight: new Map(),
    given: new Map(),
    stats: { token_requests: 0, ssa_downloads: 0, jwks_fetches: 0, discovery_fetches: 0 },
  };
}

/**
 * Stop the context's work (the native plugin's Cancel): its requests in flight are aborted and none
 * starts; what settles a lost answer runs within the grace (`settling`). False if it cannot be
 * cancelled (a context whose transport was replaced by hand).
 */
export function cancelContext(ctx: ObDcrContext): boolean {
  const c = ctx.transport.cancel;
  if (!(c instanceof Cancellation)) return false;
  c.cancel();
  return true;
}

/** Has the context's work been cancelled? */
export const isCancelled = (ctx: ObDcrContext): boolean => ctx.transport.cancel?.signal.aborted === true;

/**
 * The context for what settles an answer a Cancel may have lost (the GET by client_id hint): it
 * may run after the Cancel, and ends `cancel_grace_ms` after it. Shares every cache.
 */
export const settling = (ctx: ObDcrContext): ObDcrContext => ({
  ...ctx,
  transport: { ...ctx.transport, cancel: settlingOf(ctx.transport.cancel) },
});

/**
 * One call per key at a time: concurrent callers with the same key share the call in flight
 * (one discovery, JWKS or SSA fetch for every registration of one `pulumi up`). `join: false`
 * starts a new call (a forced refetch) that later callers then share.
 */
export async function shared<T>(
  inflight: Map<string, Promise<T>>,
  key: string,
  run: () => Promise<T>,
  { join = true }: { join?: boolean } = {},
): Promise<T> {
  const pending = inflight.get(key);
  if (pending && join) return pending;
  const p = run();
  inflight.set(key, p);
  try {
    return await p;
  } finally {
    if (inflight.get(key) === p) inflight.delete(key);
  }
}

/** The URL policy in force for this context (its transport settings: http on loopback or not). */
export function policyOf(ctx: ObDcrContext): UrlPolicy {
  return { allow_http_loopback: ctx.transport.allow_http_loopback === true };
}
