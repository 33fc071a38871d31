// The banks-from-the-directory section of RESULTS.md: one `up` of a Brazil-like list, and the
// listing's own cost.
import type { BanksRun } from "./banks_cell.js";

const f0 = (x: number) => x.toFixed(0);
const f1 = (x: number) => x.toFixed(1);

export function renderBanks(b: BanksRun | null | undefined): string[] {
  if (!b) return [];
  const q = b.requests;
  return [
    `## Banks from the directory: one \`pulumi up\` of a ${b.n}-server Brazil-like list`,
    "",
    `The BR emulator's participants list (${b.listed} entries: ${b.n} active payment servers, each with its own ` +
      "discovery and registration endpoint, and the §1.6 fixtures, which the filter excludes), filtered " +
      "(`payments-consents` v4, role `CONTA`) and registered by `registerBanks` (one `ObClientRegistration` " +
      "per bank, the TypeScript dynamic resource) in one `pulumi up`, no latency injected.",
    "",
    "| | wall (ms) | CPU (ms) | per bank |",
    "|---|---|---|---|",
    `| listing alone (fetch, filter, ${b.n} discoveries checked; CPU of the bench process, the emulator's side included) | ${f0(b.listing.wall_ms)} | ${f0(b.listing.cpu_ms)} | ${f1(b.listing.wall_ms / b.n)} ms wall, ${f1(b.listing.cpu_ms / b.n)} ms CPU |`,
    `| \`pulumi up\` (list, plan, ${b.n} registrations) | ${f0(b.up.wall_ms)} | provider ${f0(b.up.provider_cpu_ms)}` +
      (b.up.engine_cpu_ms === null ? "" : `, engine ${f0(b.up.engine_cpu_ms)}`) +
      ` | ${f1(b.up.wall_ms / b.n)} ms wall, ${f1(b.up.provider_cpu_ms / b.n)} ms provider CPU |`,
    "",
    `Provider peak RSS ${f0(b.up.provider_peak_rss_mb)} MB. Requests in the \`up\`: ${q.list} list, ` +
      `${q.directory_token} directory token, ${q.ssa_download} SSA, ${q.register_post} registration POSTs ` +
      `(lower bound: 1, 1, ${b.n}): **${q.directory_token === 1 && q.ssa_download === 1 && q.register_post === b.n ? "met" : "NOT met"}**.`,
    "",
  ];
}
