// The banks-from-the-directory cell: a Brazil-like participants list of N servers (the BR
// emulator's virtual servers, each with its own discovery and registration, plus the §1.6
// fixtures), filtered (payments-consents v4, CONTA) and registered in one `pulumi up` of
// `registerBanks`; with the listing's own cost (list + filter + every discovery checked, in this
// process) measured apart. BENCH_BANKS_N sets N (0 skips).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { getBanks, type RegisterBanksArgs, registerBanks } from "../provider/resource/banks.js";
import { startOfbBrSandbox } from "../sandbox/ofb_br/index.js";
import { localStack, repoRoot } from "../scripts/lib/pulumi_stack.js";
import { ofbParams, regimePulumiArgs } from "../test/support/regimes.js";
import { hostUsage } from "./pulumi_cells.js";
import { childrenCpuMs } from "./scale.js";

export interface BanksRun {
  /** Servers the list offers that the filter selects (the fixtures come on top). */
  n: number;
  /** Entries in the list (selected and excluded). */
  listed: number;
  /** `getBanks` alone: fetch, filter, every selected bank's discovery checked. */
  listing: { wall_ms: number; cpu_ms: number; list_requests: number };
  /** One `pulumi up` that lists, plans and registers every selected bank. */
  up: {
    wall_ms: number;
    provider_cpu_ms: number;
    /** CLI processes besides the provider host (engine, state writes); null off Linux. */
    engine_cpu_ms: number | null;
    provider_peak_rss_mb: number;
  };
  requests: { directory_token: number; ssa_download: number; register_post: number; list: number };
}

const FILTER = { families: [{ family: "payments-consents", major: 4 }], roles: ["CONTA"] };

export async function banksCell(o: { n: number; workDir: string }): Promise<BanksRun> {
  const dir = join(o.workDir, "banks");
  const names = Array.from({ length: o.n }, (_, i) => `virtual-${i + 1}`);
  const sb = await startOfbBrSandbox({
    dataDir: join(dir, "sandbox"),
    virtual_servers: o.n,
    listing: { servers: names, fixtures: true },
  });
  const cpuDir = join(dir, "provider-cpu");
  mkdirSync(cpuDir, { recursive: true });
  const args: RegisterBanksArgs = {
    registration: regimePulumiArgs(ofbParams(sb.manifest)) as RegisterBanksArgs["registration"],
    listUrl: sb.manifest.directory.participants_url!,
    filter: FILTER,
    policy: { maxNewBanks: o.n },
    knownListFile: join(dir, "known.json"),
  };
  const stack = await localStack({
    projectName: "ob-dcr-bench",
    stackName: `banks-${o.n}`,
    backend: `file://${join(dir, "state")}`,
    envVars: {
      NODE_OPTIONS: `--require ${join(repoRoot, "bench", "cpu_hook.cjs")}`,
      OBDCR_BENCH_CPU_DIR: cpuDir,
    },
    program: async () => ({ banks: (await registerBanks("br", args)).banks }),
  });
  try {
    // The listing alone, first: the up below lists again (its cost is inside the up's wall time).
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const list = await getBanks(args);
    const listing_wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (list.selected.length !== o.n)
      throw new Error(`the list selected ${list.selected.length} banks, expected ${o.n}`);
    const list_requests = sb.admin.list.stats().list_requests;
    sb.admin.resetStats();
    sb.admin.list.resetStats();
    const c0 = childrenCpuMs();
    const t1 = performance.now();
    const up = await stack.up();
    const wall_ms = performance.now() - t1;
    const c1 = childrenCpuMs();
    const created = up.summary.resourceChanges?.create ?? 0;
    if (created !== o.n + 2) throw new Error(`pulumi up created ${created} resources, expected ${o.n + 2}`);
    const usage = hostUsage(cpuDir);
    const st = sb.admin.stats();
    return {
      n: o.n,
      listed: list.banks.length,
      listing: { wall_ms: listing_wall, cpu_ms: (cpu.user + cpu.system) / 1000, list_requests },
      up: {
        wall_ms,
        provider_cpu_ms: usage.cpu_ms,
        engine_cpu_ms: c0 === null || c1 === null ? null : Math.max(0, c1 - c0 - usage.cpu_ms),
        provider_peak_rss_mb: usage.peak_rss_mb,
      },
      requests: {
        directory_token: st.directory_token_requests,
        ssa_download: st.ssa_requests,
        register_post: Object.values(st.servers).reduce((a, s) => a + s.registrations, 0),
        list: sb.admin.list.stats().list_requests,
      },
    };
  } finally {
    await stack.workspace.removeStack(`banks-${o.n}`, { force: true }).catch(() => undefined);
    await sb.close();
  }
}
