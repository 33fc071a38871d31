// The charts of bench/RESULTS.md, as SVG files beside it, drawn by Vega-Lite (compiled to a Vega
// view and rendered headless: no browser, no canvas) from the curve of one run.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CurvePoint, Face, Share } from "./curve.js";

const LABEL: Record<Face, string> = {
  reference: "reference flow (bank after bank)",
  core: "ob-dcr library",
  dynamic: "up: dynamic resource",
  dynamic_noop: "up: dynamic floor (no-op)",
  plugin: "up: plugin obdcr",
  plugin_noop: "up: plugin floor (no-op)",
};

async function svg(spec: Record<string, unknown>): Promise<string> {
  // ESM-only packages, loaded when the charts are drawn (require(esm) on the provisioned Node).
  const vega = await import("vega");
  const { compile } = await import("vega-lite");
  const view = new vega.View(vega.parse(compile(spec as never).spec), { renderer: "none" });
  return view.toSVG();
}

const base = (title: string) => ({
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  title,
  width: 560,
  height: 320,
  background: "white",
  config: { legend: { orient: "bottom", columns: 2, labelLimit: 320 } },
});

/** Writes wall_vs_n.svg and share_vs_n.svg into `dir`; returns their file names. */
export async function writeCharts(dir: string, points: CurvePoint[], share: Share[]): Promise<string[]> {
  const latency = points[0]?.latency_ms ?? 0;
  const wall = {
    ...base(`Wall time to register N banks (${latency} ms latency)`),
    data: { values: points.map((p) => ({ n: p.n, seconds: p.wall_ms / 1000, face: LABEL[p.face] })) },
    mark: { type: "line", point: true },
    encoding: {
      x: {
        field: "n",
        type: "quantitative",
        title: "N (registrations, one bank each)",
        scale: { type: "log" },
      },
      y: {
        field: "seconds",
        type: "quantitative",
        title: "wall time (s, log scale)",
        scale: { type: "log" },
      },
      color: { field: "face", type: "nominal", title: null, sort: Object.values(LABEL) },
    },
  };
  // At small N the fixed costs (start-up, the token and SSA) dominate the share: from N = 50 on.
  const rows = share
    .filter((s) => s.n >= 50)
    .flatMap((s) => [
      { n: s.n, ms: s.wall_ms_per_registration, what: `${s.face}: wall time over its floor` },
      ...(s.engine_cpu_ms_per_registration === null
        ? []
        : [{ n: s.n, ms: s.engine_cpu_ms_per_registration, what: `${s.face}: engine CPU over its floor` }]),
    ]);
  const perReg = {
    ...base("Our share of pulumi up, per registration (up minus its no-op floor, / N)"),
    data: { values: rows },
    mark: { type: "line", point: true },
    encoding: {
      x: {
        field: "n",
        type: "quantitative",
        title: "N (registrations in one stack)",
        scale: { type: "log" },
      },
      y: { field: "ms", type: "quantitative", title: "ms per registration" },
      color: { field: "what", type: "nominal", title: null },
    },
  };
  const files = ["wall_vs_n.svg", "share_vs_n.svg"];
  writeFileSync(join(dir, files[0]!), await svg(wall));
  writeFileSync(join(dir, files[1]!), await svg(perReg));
  return files;
}
