/**
 * The run's Cancel (the engine's, sent to the native plugin on the first Ctrl-C or SIGTERM): every
 * exchange in flight is aborted at once and none starts after it. What settles an answer the abort
 * lost (the GET by client_id hint after a POST, the DELETE sent again) may still run, within the
 * grace (`cancel_grace_ms`, OBDCR_CANCEL_GRACE_MS) that starts at the Cancel: a pipeline kills the
 * run a few seconds after its SIGTERM, and a bank holding its answer must not outlast that.
 */

/** What `send` watches (`TransportOptions.cancel`). */
export interface RunCancel {
  /** Aborted at the Cancel: exchanges in flight end, none starts. */
  readonly signal: AbortSignal;
  /** Aborted `cancel_grace_ms` after the Cancel: the end of the work that settles a lost answer. */
  readonly grace: AbortSignal;
}

/** Why an exchange was aborted by the Cancel (classified by transport_failure.ts). */
export class RunCancelledError extends Error {
  readonly code = "OBDCR_RUN_CANCELLED";
  constructor(
    readonly phase: "cancel" | "grace",
    /** Refused before a byte of the request was written. */
    readonly not_sent = false,
  ) {
    super(phase === "cancel" ? "the run was cancelled" : "the run was cancelled and its grace ran out");
    this.name = "RunCancelledError";
  }
}

/** Default grace after the Cancel, ms: well inside a pipeline's ~7.5 s between SIGTERM and SIGKILL. */
export const DEFAULT_CANCEL_GRACE_MS = 3_000;

/** One per context (`createContext`): `cancel()` is the plugin's Cancel. */
export class Cancellation implements RunCancel {
  readonly #stop = new AbortController();
  readonly #grace = new AbortController();
  constructor(readonly grace_ms: number = DEFAULT_CANCEL_GRACE_MS) {}
  get signal(): AbortSignal {
    return this.#stop.signal;
  }
  get grace(): AbortSignal {
    return this.#grace.signal;
  }
  get cancelled(): boolean {
    return this.#stop.signal.aborted;
  }
  cancel(): void {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort(new RunCancelledError("cancel"));
    // unref: a provider with nothing left to settle exits without waiting for the grace.
    setTimeout(() => this.#grace.abort(new RunCancelledError("grace")), Math.max(0, this.grace_ms)).unref();
  }
}

/** The same run seen by the work that settles a lost answer: it ends at the grace, not the Cancel. */
export const settlingOf = (c: RunCancel | undefined): RunCancel | undefined =>
  c && { signal: c.grace, grace: c.grace };

/** A sleep that ends early when `signal` aborts (a retry's back-off must not outlast a Cancel). */
export function sleepUnless(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
