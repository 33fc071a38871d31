// Smoke run of the benchmark (N = 2, no latency; the dynamic resource, the native plugin and a
// no-op native plugin; the scale series at N = 1, 2 and 2 stacks × 1; the curve at N = 2; a
// preview and a killed `up` of 2 registrations): keeps `npm run bench` working. It asserts the
// request counts exactly and that every number is produced; no timing assertion (the full run is
// `npm run bench`, outside CI's time budget).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeCharts } from "../../bench/charts.js";
import { FACES } from "../../bench/curve.js";
import { goTool } from "../../bench/engine_profile.js";
import { renderResults } from "../../bench/report.js";
import { CURVE_TARGETS } from "../../bench/report_curve.js";
import { type BenchResults, runBench } from "../../bench/run.js";

const workDir = mkdtempSync(join(tmpdir(), "ob-dcr-bench-smoke-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const positive = (x: number) => expect(Number.isFinite(x) && x > 0, String(x)).toBe(true);

describe("benchmark smoke run", () => {
  let r: BenchResults;

  it("runs every client, a real pulumi up/destroy and the crypto loops", async () => {
    r = await runBench({
      ns: [2],
      latencies: [0],
      repeats: 1,
      pulumiNs: [2],
      pulumiLatency: 0,
      scaleNs: [1, 2],
      scaleSkipCheckpoints: true,
      banksN: 3,
      parallel: { stacks: 2, n: 1 },
      curveNs: [2],
      previewCancelN: 2,
      cryptoIterations: 5,
      workDir,
    });
    expect(r.flows.map((f) => f.flow)).toEqual(["reference", "minimal", "core"]);
    expect(r.pulumi).toHaveLength(1);
    expect(r.scale.map((s) => [s.stacks, s.n, s.skip_checkpoints])).toEqual([
      [1, 1, false],
      [1, 2, false],
      [2, 1, false],
      [1, 2, true],
    ]);
  }, 300_000);

  it("counts the requests at the sandbox exactly", () => {
    const flow = (name: string) => r.flows.find((f) => f.flow === name)!.requests;
    const ref = flow("reference");
    expect([ref.directory_token, ref.ssa_download, ref.register_post]).toEqual([2, 2, 2]);
    expect(ref.banks).toEqual({ "POST /register": 2 });
    const min = flow("minimal");
    expect([min.directory_token, min.ssa_download, min.register_post]).toEqual([1, 1, 2]);
    expect(min.banks).toEqual({ "POST /register": 2 });
    // The lower bound for the core: one token and one SSA per run, one POST per bank; besides,
    // one discovery per bank (the bank's JWKS only when it signs its answer, which these don't),
    // and each JWKS of the directory once per run (the banks fetch the directory JWKS themselves
    // for every POST: 3 GETs each).
    const core = flow("core");
    expect([core.directory_token, core.ssa_download, core.register_post]).toEqual([1, 1, 2]);
    expect(core.banks).toEqual({
      "GET /.well-known/openid-configuration": 2,
      "POST /register": 2,
    });
    expect(core.directory).toEqual({
      "GET /api/v2/tpp/{org_id}/ssa/{software_id}": 1,
      "GET /keystore/openbanking.jwks": 1 + 2,
      "GET /keystore/{org_id}/revoked/{name}.jwks": 1 + 2,
      "GET /keystore/{org_id}/{name}.jwks": 1 + 2,
      "POST /as/token.oauth2": 1,
    });
    const p = r.pulumi[0]!;
    expect([p.up_requests.directory_token, p.up_requests.ssa_download, p.up_requests.register_post]).toEqual([
      1, 1, 2,
    ]);
    expect(p.destroy_requests.directory_token + p.destroy_requests.ssa_download).toBe(0);
    // destroy: per bank, discovery (prepare), a management token and the DELETE; the
    // banks fetch the software's key sets to check the token request's client assertion.
    expect(p.destroy_requests.directory).toEqual({
      "GET /keystore/{org_id}/revoked/{name}.jwks": 2,
      "GET /keystore/{org_id}/{name}.jwks": 2,
    });
    expect(p.destroy_requests.banks).toEqual({
      "DELETE /register/{client_id}": 2,
      "GET /.well-known/openid-configuration": 2,
      "POST /token": 2,
    });
  });

  it("runs the native plugin and a no-op native plugin beside the dynamic resource", () => {
    expect(r.pulumi_native.map((p) => p.n)).toEqual([2]);
    expect(r.pulumi_native_noop.map((p) => p.n)).toEqual([2]);
    const p = r.pulumi_native[0]!;
    // The same lower bound as the dynamic resource: the plugin really registered and deleted.
    expect([p.up_requests.directory_token, p.up_requests.ssa_download, p.up_requests.register_post]).toEqual([
      1, 1, 2,
    ]);
    expect(p.destroy_requests.banks["DELETE /register/{client_id}"]).toBe(2);
    // The no-op plugin with the same inputs sends nothing: it measures the engine and the server.
    const noop = r.pulumi_native_noop[0]!;
    for (const q of [noop.up_requests, noop.destroy_requests]) {
      expect(q.directory).toEqual({});
      expect(q.banks).toEqual({});
    }
    // The preload hook reached both plugins through the engine's environment.
    for (const x of [p, noop])
      for (const v of [
        x.up_wall_ms,
        x.up_provider_cpu_ms,
        x.destroy_provider_cpu_ms,
        x.up_provider_peak_rss_mb,
      ])
        positive(v);
    for (const v of [p.up_engine_cpu_ms, p.up_sandbox_cpu_ms, p.up_program_cpu_ms]) expect(v).not.toBeNull();
    const rss = r.pulumi_native_load_rss!;
    expect(rss.node_mb).toBeLessThan(rss.pulumi_sdk_mb);
    expect(rss.pulumi_sdk_mb).toBeLessThan(rss.ob_dcr_mb);
    const md = renderResults(r);
    expect(md).toContain("## Native provider plugin vs dynamic resource");
    expect(md).toContain("| native (`obdcr:index:ClientRegistration`) | 2 |");
    expect(md).toContain("| native no-op (`obdcrnoop:index:Noop`) | 2 |");
    expect(md).toMatch(/Native plugin peak RSS at N = 2: \*\*\d+ MB\*\*/);
    expect(md).toMatch(/`pulumi up` of 2 native registrations vs 2 no-op resources/);
    // The same pair again with every step in flight at once, and its line in the verdicts.
    const par = r.pulumi_native_parallel!;
    expect([par.native.n, par.noop.n]).toEqual([2, 2]);
    expect(par.native.up_requests.register_post).toBe(2);
    expect(md).toMatch(/with `PULUMI_PARALLEL=2`.*: \d+ ms vs \d+ ms/);
  });

  it("runs the banks cell: a Brazil-like list filtered and registered at the lower bound of requests", () => {
    const b = r.banks!;
    expect(b.n).toBe(3);
    // The 3 virtual servers and the 13 §1.6 fixtures, which the filter excludes.
    expect(b.listed).toBe(16);
    expect(b.requests).toEqual({ directory_token: 1, ssa_download: 1, register_post: 3, list: 1 });
    expect(b.listing.list_requests).toBe(1);
    expect(b.up.provider_cpu_ms).toBeGreaterThan(0);
    const md = renderResults(r);
    expect(md).toContain("## Banks from the directory: one `pulumi up` of a 3-server Brazil-like list");
    expect(md).toMatch(/3 registration POSTs \(lower bound: 1, 1, 3\): \*\*met\*\*/);
  });

  it("runs the scale series at the lower bound of requests", () => {
    for (const s of r.scale) {
      const regs = s.stacks * s.n;
      // One token and one SSA per provider host (one per stack), one POST per registration.
      expect([s.requests.directory_token, s.requests.ssa_download, s.requests.register_post]).toEqual([
        s.stacks,
        s.stacks,
        regs,
      ]);
      for (const x of [s.wall_ms, s.provider_cpu_ms, s.provider_peak_rss_mb]) positive(x);
      expect(s.stack_walls_ms).toHaveLength(s.stacks);
    }
    expect(r.scale_growth.length).toBeGreaterThanOrEqual(4);
    for (const g of r.scale_growth) expect([g.lo_n, g.hi_n]).toEqual([1, 2]);
    for (const g of r.scale_growth) positive(g.ratio);
    expect(r.scale_marginal_cpu).toHaveLength(1);
  });

  it("draws every face at each N of the curve, with the state each resource takes", async () => {
    const c = r.curve!;
    expect(c.map((p) => p.face)).toEqual([...FACES]);
    for (const p of c) positive(p.wall_ms);
    const state = (face: string) => c.find((p) => p.face === face)!.state_bytes_per_resource!;
    // The plugin records its inputs once: smaller than the dynamic resource (provider stub twice).
    expect(state("plugin")).toBeLessThan(state("dynamic"));
    // The dynamic faces run installed from the packed package (bench/installed.ts): its provider
    // stub is a require of ob-dcr/resource-provider/stub, not 2.6 KB of code in inputs and outputs.
    expect(state("dynamic")).toBeLessThan(7000);
    expect(state("plugin")).toBeLessThanOrEqual(CURVE_TARGETS.plugin_state_bytes);
    expect(r.curve_shares!.map((s) => [s.face, s.n])).toEqual([
      ["dynamic", 2],
      ["plugin", 2],
    ]);
    // What the sandbox had in flight during each registering up: the phases add up to its wall
    // time, with both POSTs seen at the banks; the floors register nothing.
    for (const p of c.filter((x) => x.face === "plugin" || x.face === "dynamic")) {
      const cp = p.critical_path!;
      expect(cp.posts).toBe(2);
      expect(cp.phases.register_post).toBeGreaterThan(0);
      expect(Object.values(cp.phases).reduce((a, b) => a + b, 0)).toBeCloseTo(cp.wall_ms, 6);
    }
    for (const p of c.filter((x) => x.face.endsWith("_noop"))) expect(p.critical_path).toBeNull();
    // The engine's own profile at the largest N (Go reads it; setup has Go wherever it built the CLI).
    for (const p of c.filter((x) => x.face !== "reference" && x.face !== "core")) {
      if (!goTool()) continue;
      const ep = p.engine_profile!;
      expect(ep.sampled_ms).toBeGreaterThan(0);
      expect(ep.state_writes_ms).toBeGreaterThanOrEqual(0);
      expect(ep.state_writes_ms).toBeLessThanOrEqual(ep.sampled_ms);
    }
    const files = await writeCharts(workDir, c, r.curve_shares!);
    for (const f of files) expect(readFileSync(join(workDir, f), "utf8")).toMatch(/^<svg /);
    const md = renderResults(r);
    expect(md).toContain("## Every face against N, up to N = 2");
    expect(md).toMatch(/State per registration, plugin: \*\*\d+ bytes\*\*/);
  });

  it("a preview sends nothing that changes anything; an up killed after the checks leaves no registration", () => {
    const pc = r.preview_cancel!;
    expect(pc.preview.changing).toBe(0);
    // The check-time prefetch: one discovery GET per bank.
    expect(pc.preview.by_method.GET).toBeGreaterThanOrEqual(2);
    expect(pc.cancelled_up.banks_prefetched).toBeGreaterThanOrEqual(1);
    expect(pc.cancelled_up.register_posts).toBe(0);
    expect(pc.cancelled_up.registrations_left).toBe(0);
  });

  it("produces every number and the report", () => {
    for (const f of r.flows) {
      positive(f.wall_ms);
      positive(f.cpu_ms_per_registration);
    }
    const p = r.pulumi[0]!;
    for (const x of [
      p.up_wall_ms,
      p.destroy_wall_ms,
      p.up_provider_cpu_ms,
      p.destroy_provider_cpu_ms,
      p.up_provider_peak_rss_mb,
    ])
      positive(x);
    for (const x of [
      r.crypto.sign_registration_request_ms,
      r.crypto.sign_client_assertion_ms,
      r.crypto.verify_ssa_ms,
    ])
      positive(x);
    expect(r.versions.node).toBe(process.version);
    expect(r.versions.pulumi).toMatch(/^\d+\.\d+\.\d+/);
    const md = renderResults(r);
    expect(md).toContain("| reference |");
    expect(md).toContain("## Real `pulumi up`");
    expect(md).toContain("## Signing and verification CPU");
    expect(md).toContain("## Scale: one `pulumi up` of N registrations");
    expect(md).toContain("| 2 × 1 |");
    expect(md).toMatch(/Growth from N = 1 to N = 2 registrations/);
    expect(md).toContain("| 1 × 2 (checkpoints skipped) |");
  });
});
