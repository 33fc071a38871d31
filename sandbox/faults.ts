import { z } from "zod";

const Match = {
  /** Only requests whose path starts with this (e.g. `/register`). Default: every path. */
  path: z.string().startsWith("/").optional(),
  /** Only this HTTP method. Default: every method. */
  method: z.string().toUpperCase().optional(),
  /** Apply to the next N matching requests only. Default: every matching request until changed/reset. */
  count: z.number().int().positive().optional(),
};

/** A fault injected by a sandbox server (a bank or the directory). */
export const FaultSpec = z.discriminatedUnion("kind", [
  /** Delay the response by `ms`. */
  z.strictObject({ kind: z.literal("latency"), ms: z.number().int().nonnegative(), ...Match }),
  /** Answer with a 5xx (JSON error body) without running the handler. */
  z.strictObject({
    kind: z.literal("server_error"),
    status: z.number().int().min(500).max(599).default(503),
    ...Match,
  }),
  /** Answer 429 with `Retry-After: retry_after` seconds without running the handler. */
  z.strictObject({
    kind: z.literal("rate_limit"),
    retry_after: z.number().int().nonnegative().default(1),
    ...Match,
  }),
  /** Destroy the connection before the handler runs (nothing committed). */
  z.strictObject({ kind: z.literal("reset_before_commit"), ...Match }),
  /** Run the handler (the change is committed), then destroy the connection without a response. */
  z.strictObject({ kind: z.literal("reset_after_commit"), ...Match }),
  /** Never answer (the connection is held open until the sandbox closes). */
  z.strictObject({ kind: z.literal("stall"), ...Match }),
  /** Run the handler (the change is committed), then never answer (held open until the sandbox closes). */
  z.strictObject({ kind: z.literal("stall_after_commit"), ...Match }),
  /** Shift the server's clock by `seconds` (validation of iat/exp, issued timestamps). Not counted. */
  z.strictObject({ kind: z.literal("clock_skew"), seconds: z.number().int() }),
]);
export type FaultSpec = z.infer<typeof FaultSpec>;
export type FaultSpecInput = z.input<typeof FaultSpec>;

export const FaultSpecs = z.array(FaultSpec);

type Counted = Exclude<FaultSpec, { kind: "clock_skew" }>;

/** The live fault set of one server: matching, counting down, clock. */
export class FaultSet {
  #faults: Array<{ spec: Counted; remaining: number }> = [];
  #skewSeconds = 0;

  set(specs: FaultSpecInput[]): void {
    const parsed = FaultSpecs.parse(specs);
    this.#faults = [];
    this.#skewSeconds = 0;
    for (const spec of parsed) {
      if (spec.kind === "clock_skew") this.#skewSeconds += spec.seconds;
      else this.#faults.push({ spec, remaining: spec.count ?? Number.POSITIVE_INFINITY });
    }
  }

  clear(): void {
    this.set([]);
  }

  /** Current server time in epoch seconds, skew applied. */
  nowSeconds(): number {
    return Math.floor(Date.now() / 1000) + this.#skewSeconds;
  }

  /** The faults that fire for this request (each consumes one of its count). */
  take(method: string, path: string): Counted[] {
    const fired: Counted[] = [];
    for (const f of this.#faults) {
      if (f.remaining <= 0) continue;
      if (f.spec.method && f.spec.method !== method.toUpperCase()) continue;
      if (f.spec.path && !path.startsWith(f.spec.path)) continue;
      f.remaining -= 1;
      fired.push(f.spec);
    }
    return fired;
  }

  list(): FaultSpec[] {
    const out: FaultSpec[] = this.#faults
      .filter((f) => f.remaining > 0)
      .map((f) => (Number.isFinite(f.remaining) ? { ...f.spec, count: f.remaining } : f.spec));
    if (this.#skewSeconds !== 0) out.push({ kind: "clock_skew", seconds: this.#skewSeconds });
    return out;
  }
}
