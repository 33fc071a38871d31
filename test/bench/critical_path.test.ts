import { describe, expect, it } from "vitest";
import { criticalPath } from "../../bench/critical_path.js";
import type { TimelineEntry } from "../../sandbox/http.js";

const e = (start: number, end: number, route: string): TimelineEntry => ({ start, end, route, status: 200 });

describe("criticalPath", () => {
  // 0..1000 ms: token 0-100, SSA 100-200, discovery 150-250 (overlaps the SSA), a POST 300-700 at
  // one bank and 400-600 at another (the second inside the first), a keystore read 450-500 inside it.
  const timelines = {
    directory: [
      e(0, 100, "POST /as/token.oauth2"),
      e(100, 200, "GET /api/v2/tpp/{org_id}/ssa/{software_id}"),
      e(450, 500, "GET /keystore/openbanking.jwks"),
    ],
    banks: [
      [e(150, 250, "GET /.well-known/openid-configuration"), e(300, 700, "POST /register")],
      [e(400, 600, "POST /register")],
    ],
  };

  it("counts each instant once, in the first phase in flight then", () => {
    const cp = criticalPath(0, 1000, timelines, 50);
    expect(cp.phases).toEqual({ register_post: 400, discovery: 100, directory: 150, idle: 350 });
    expect(Object.values(cp.phases).reduce((a, b) => a + b, 0)).toBe(cp.wall_ms);
  });

  it("gives the median POST at the bank, the bank's own share of it and the wait before the first POST", () => {
    const cp = criticalPath(0, 1000, timelines, 50);
    expect(cp.posts).toBe(2);
    expect(cp.post_median_ms).toBe(300);
    expect(cp.bank_work_median_ms).toBe(250);
    expect(cp.discovery_median_ms).toBe(100);
    expect(cp.before_first_post_ms).toBe(300);
  });

  it("clips requests to the up's own interval", () => {
    const cp = criticalPath(350, 650, timelines, 50);
    expect(cp.wall_ms).toBe(300);
    expect(cp.phases).toEqual({ register_post: 300, discovery: 0, directory: 0, idle: 0 });
  });
});
