/**
 * The per-bank concurrency cap: at most `max_per_origin` requests in flight per origin (scheme +
 * host + port) in this process, the rest queued first come, first served. A slot is held for one
 * exchange (request sent, answer read or failed), never during a retry's back-off, so a bank that
 * rate-limits one registration does not hold up the queue. The limiters are process-wide, like the
 * Agent pool: every context of the process shares one budget per bank (one provider host process,
 * one budget). 0 = no cap.
 */

export const DEFAULT_MAX_PER_ORIGIN = 8;

export interface OriginLimitStats {
  max: number;
  /** Requests in flight now. */
  active: number;
  /** Requests waiting for a slot now. */
  queued: number;
  /** The most requests in flight at once since the limiter was made (or its stats reset). */
  peak: number;
  /** Requests that had to wait for a slot. */
  waited: number;
}

class OriginLimiter {
  #active = 0;
  #peak = 0;
  #waited = 0;
  #queue: Array<() => void> = [];
  #head = 0;

  constructor(public max: number) {}

  get stats(): OriginLimitStats {
    return {
      max: this.max,
      active: this.#active,
      queued: this.#queue.length - this.#head,
      peak: this.#peak,
      waited: this.#waited,
    };
  }

  resetStats(): void {
    this.#peak = this.#active;
    this.#waited = 0;
  }

  /** Resolves with the release function once a slot is free (a slot is handed over, never barged). */
  async acquire(): Promise<() => void> {
    if (this.max <= 0 || this.#active < this.max) this.#take();
    else {
      this.#waited++;
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#release();
    };
  }

  #take(): void {
    this.#active++;
    if (this.#active > this.#peak) this.#peak = this.#active;
  }

  #release(): void {
    this.#active--;
    this.drain();
  }

  /** Hand free slots to the longest-waiting requests (also after the cap was raised). */
  drain(): void {
    while (this.#head < this.#queue.length && (this.max <= 0 || this.#active < this.max)) {
      const next = this.#queue[this.#head]!;
      this.#queue[this.#head++] = () => undefined;
      this.#take();
      next();
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}

const limiters = new Map<string, OriginLimiter>();

function limiter(origin: string, max: number): OriginLimiter {
  let l = limiters.get(origin);
  if (!l) {
    l = new OriginLimiter(max);
    limiters.set(origin, l);
  } else if (l.max !== max) {
    // One setting per process in practice (OBDCR_MAX_PER_ORIGIN); the latest one applies.
    l.max = max;
    l.drain();
  }
  return l;
}

/** Run `fn` holding one of `origin`'s slots (`max` <= 0: no cap). */
export async function withOriginSlot<T>(origin: string, max: number, fn: () => Promise<T>): Promise<T> {
  const release = await limiter(origin, max).acquire();
  try {
    return await fn();
  } finally {
    release();
  }
}

/** The limiter's counters for an origin (undefined before its first request). */
export function originLimitStats(origin: string): OriginLimitStats | undefined {
  return limiters.get(origin)?.stats;
}

/** Reset the peak and waited counters of every origin (tests, benchmarks). */
export function resetOriginLimitStats(): void {
  for (const l of limiters.values()) l.resetStats();
}
