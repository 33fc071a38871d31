// Every case of the security table through the built CLI (run / register / get / update / delete
// with --state, --json and --verbose), against the hostile bank and directory (hostile.ts). The
// cases run in a small pool (most of them wait on a hostile server, not on the CPU); each case is
// then one test that lists everything it found wrong. docs/SECURITY.md has the table.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, ROOT } from "../cli/helpers.js";
import { CASES } from "./cases.js";
import { type CaseRun, firstLine, pool, runCase, violations } from "./harness.js";
import { Hostile } from "./hostile.js";
import { type SecurityPki, securityPki } from "./pki.js";

const only = process.env.OBDCR_SECURITY_CASES?.split(",").filter(Boolean);
const cases = only ? CASES.filter((c) => only.includes(c.id)) : CASES;

describe("the CLI against a hostile bank and directory", () => {
  let h: Hostile;
  let pki: SecurityPki;
  const results = new Map<string, { run: CaseRun; v: string[] }>();

  beforeAll(async () => {
    ensureBuilt();
    pki = await securityPki();
    h = new Hostile(pki);
    await h.start();
    for (const c of cases) h.add(c.id, c.scenario);
    // The hang cases mostly wait: many at once, beside a small pool for the CPU-bound rest.
    const one = async (c: (typeof cases)[number]) => {
      const run = await runCase(h, pki, c);
      results.set(c.id, { run, v: violations(h, pki, run) });
    };
    await Promise.all([
      pool(
        cases.filter((c) => c.cls === "hang"),
        8,
        one,
      ),
      pool(
        cases.filter((c) => c.cls !== "hang"),
        3,
        one,
      ),
    ]);
    const report = process.env.OBDCR_SECURITY_REPORT;
    if (report)
      writeFileSync(
        report,
        JSON.stringify(
          cases.map((c) => {
            const r = results.get(c.id)!;
            return {
              id: c.id,
              cls: c.cls,
              pass: r.v.length === 0,
              violations: r.v,
              steps: r.run.runs.map((x) => ({
                cmd: x.step.cmd,
                mode: x.step.mode ?? "json",
                code: x.code,
                ms: Math.round(x.ms),
                rss_mb: x.maxRssKb ? Math.round(x.maxRssKb / 1024) : undefined,
                error: firstLine(x.stderr),
                ...(r.v.length > 0
                  ? { stdout: x.stdout.slice(0, 3000), stderr: x.stderr.slice(0, 3000) }
                  : {}),
              })),
            };
          }),
          null,
          2,
        ),
      );
  }, 900_000);

  afterAll(async () => {
    await h?.close();
  });

  it("has at least 60 cases, every id unique, every class covered", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CASES.map((c) => c.id)).size).toBe(CASES.length);
    expect(new Set(CASES.map((c) => c.cls))).toEqual(
      new Set(["url", "echo", "forge", "malformed", "hang", "ssa", "keep"]),
    );
  });

  it("docs/SECURITY.md lists every case", () => {
    const doc = readFileSync(path.join(ROOT, "docs/SECURITY.md"), "utf8");
    expect(CASES.filter((c) => !doc.includes(`| \`${c.id}\` | ${c.cls} |`)).map((c) => c.id)).toEqual([]);
  });

  it.each(cases.map((c) => [c.id, c] as const))("%s", (id) => {
    const r = results.get(id);
    expect(r, `case ${id} did not run`).toBeDefined();
    expect(r!.v, `${id}: ${r!.run.c.what}`).toEqual([]);
  });
});
