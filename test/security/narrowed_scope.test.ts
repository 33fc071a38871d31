// A directory that grants less scope than asked for (the token answer's `scope` lacks
// TPPReadAccess, RFC 6749 §5.1) and then refuses the SSA download with 403: the refusal names the
// narrowed scope (field `directory.scope`), not org_id/software_id. Through `register` (the
// lifecycle's SSA download) and `ssa` (the CLI's printed steps). Real TLS servers (hostile.ts).

import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CaseRun, startSingleCase } from "./harness.js";
import type { Hostile, Scenario } from "./hostile.js";

const narrowed: Scenario = {
  mgmt: "rat",
  on: {
    "dir-token": (x) => {
      const at = x.h.issue("directory_token", x.id, `dat-${randomBytes(24).toString("base64url")}`);
      x.json(200, {
        access_token: at,
        token_type: "Bearer",
        expires_in: 3600,
        scope: "ASPSPReadAccess AuthoritiesReadAccess",
      });
    },
    ssa: (x) => x.json(403, { error: "access_denied", error_description: "forbidden" }),
  },
};

let h: Hostile;
let run: CaseRun;
const ID = "narrowed-scope";

beforeAll(async () => {
  ({ h, run } = await startSingleCase({
    id: ID,
    scenario: narrowed,
    steps: [{ cmd: "register" }, { cmd: "ssa" }],
  }));
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe("a directory token granted less scope than asked for", () => {
  it.each([0, 1])("step %i: the SSA 403 names the narrowed scope, not org_id/software_id", (i) => {
    const r = run.runs[i]!;
    expect(r.code, r.stderr).toBe(4);
    const error = (r.json as { error: { code: string; field?: string; message: string } }).error;
    expect(error.code).toBe("OBDCR_REGISTRATION_REJECTED");
    expect(error.field).toBe("directory.scope");
    expect(error.message).toMatch(
      /granted the token scope "ASPSPReadAccess AuthoritiesReadAccess", without TPPReadAccess/,
    );
    expect(error.message).not.toMatch(/fill the SSA path/);
  });
});
