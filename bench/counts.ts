// Requests the sandbox received, by route, summed over banks, and the difference between two counts.
import { REGISTER_ROUTE, type RequestCounts, SSA_ROUTE, TOKEN_ROUTE } from "./run.js";
import type { BenchSandbox } from "./sandbox.js";

function sumRoutes(maps: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of maps) for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + v;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export async function counts(sb: BenchSandbox, names: string[]): Promise<RequestCounts> {
  const r = await sb.requests(names);
  const banks = sumRoutes(r.banks);
  return {
    directory_token: r.directory[TOKEN_ROUTE] ?? 0,
    ssa_download: r.directory[SSA_ROUTE] ?? 0,
    register_post: banks[REGISTER_ROUTE] ?? 0,
    directory: sumRoutes([r.directory]),
    banks,
  };
}

function minusRoutes(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(a)
      .map(([k, v]) => [k, v - (b[k] ?? 0)] as const)
      .filter(([, v]) => v !== 0),
  );
}

/** Requests counted since `before` was read. */
export function minus(after: RequestCounts, before: RequestCounts): RequestCounts {
  return {
    directory_token: after.directory_token - before.directory_token,
    ssa_download: after.ssa_download - before.ssa_download,
    register_post: after.register_post - before.register_post,
    directory: minusRoutes(after.directory, before.directory),
    banks: minusRoutes(after.banks, before.banks),
  };
}
