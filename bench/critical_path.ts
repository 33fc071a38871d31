// Where the wall time of one `pulumi up` goes, from the sandbox's own request timeline (arrival
// and answer of every request, same machine clock): each instant of the `up` is put in the first
// of these that holds then. A POST /register in flight at any bank; else a discovery GET; else a
// directory request (token, SSA, JWKS); else nothing in flight (the engine's steps and state
// writes, `check`, the provider's CPU). Against the no-op floor (all of it "nothing in flight"),
// this says which part of `up − floor` is the banks' and which is ours.
import type { TimelineEntry } from "../sandbox/http.js";

export const PHASES = ["register_post", "discovery", "directory", "idle"] as const;
export type Phase = (typeof PHASES)[number];

export interface CriticalPath {
  wall_ms: number;
  /** Milliseconds of the `up` in each phase (they add up to wall_ms). */
  phases: Record<Phase, number>;
  /** POST /register as the banks saw it: median time from arrival to answer. */
  post_median_ms: number;
  /** Of that median, what is not the injected latency: the bank's own work (its JWKS fetches). */
  bank_work_median_ms: number;
  discovery_median_ms: number;
  /** From the first directory token request to the first POST /register (both at the sandbox). */
  before_first_post_ms: number;
  posts: number;
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function phaseOf(server: "bank" | "directory", route: string): Phase | undefined {
  if (server === "directory") return "directory";
  if (route === "POST /register") return "register_post";
  if (route.endsWith("/.well-known/openid-configuration")) return "discovery";
  return undefined;
}

/**
 * Splits [t0, t1] by what was in flight at the sandbox (pure: the timelines of the directory and of
 * each bank, epoch ms; `latencyMs` the latency the sandbox injected into every request).
 */
export function criticalPath(
  t0: number,
  t1: number,
  timelines: { directory: TimelineEntry[]; banks: TimelineEntry[][] },
  latencyMs: number,
): CriticalPath {
  const spans: { start: number; end: number; phase: Phase }[] = [];
  const add = (server: "bank" | "directory", e: TimelineEntry) => {
    const phase = phaseOf(server, e.route);
    const start = Math.max(t0, e.start);
    const end = Math.min(t1, e.end);
    if (phase && end > start) spans.push({ start, end, phase });
  };
  for (const e of timelines.directory) add("directory", e);
  for (const b of timelines.banks) for (const e of b) add("bank", e);
  const cuts = [...new Set([t0, t1, ...spans.flatMap((s) => [s.start, s.end])])].sort((a, b) => a - b);
  const phases: Record<Phase, number> = { register_post: 0, discovery: 0, directory: 0, idle: 0 };
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [a, b] = [cuts[i]!, cuts[i + 1]!];
    const mid = (a + b) / 2;
    const live = new Set(spans.filter((s) => s.start <= mid && mid < s.end).map((s) => s.phase));
    phases[PHASES.find((p) => live.has(p)) ?? "idle"] += b - a;
  }
  const atBanks = (phase: Phase) => timelines.banks.flat().filter((e) => phaseOf("bank", e.route) === phase);
  const posts = atBanks("register_post");
  const postDurations = posts.map((e) => e.end - e.start);
  const discoveries = atBanks("discovery").map((e) => e.end - e.start);
  const firstToken = Math.min(
    ...timelines.directory.filter((e) => e.route.startsWith("POST ")).map((e) => e.start),
  );
  const firstPost = Math.min(...posts.map((e) => e.start));
  return {
    wall_ms: t1 - t0,
    phases,
    post_median_ms: median(postDurations),
    bank_work_median_ms: Math.max(0, median(postDurations) - latencyMs),
    discovery_median_ms: median(discoveries),
    before_first_post_ms:
      Number.isFinite(firstToken) && Number.isFinite(firstPost) ? firstPost - firstToken : 0,
    posts: posts.length,
  };
}
