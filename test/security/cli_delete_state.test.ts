// `ob-dcr delete` with --state: the state file no longer holds a live client. It keeps the
// client's name and when it was deleted, drops the dead credentials, and a later `get` says
// "deleted" without sending the old token (nothing reaches the bank); a second `delete` succeeds
// with the recorded result, also without a request. Real TLS servers (hostile.ts), the built CLI.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CaseRun, startSingleCase } from "./harness.js";
import type { Hostile, Scenario } from "./hostile.js";

const honest: Scenario = { mgmt: "rat" };
let h: Hostile;
let run: CaseRun;
const ID = "cli-delete-state";

beforeAll(async () => {
  ({ h, run } = await startSingleCase({
    id: ID,
    scenario: honest,
    steps: [{ cmd: "register" }, { cmd: "delete" }, { cmd: "get" }, { cmd: "update" }, { cmd: "delete" }],
  }));
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe("delete with a state file", () => {
  it("marks the file deleted without credentials; get/update refuse it and send nothing; delete again repeats the recorded result", () => {
    const [reg, del, get, upd, again] = run.runs;
    expect(reg!.code, reg!.stderr).toBe(0);
    expect(del!.code, del!.stderr).toBe(0);
    expect(del!.stderr).toMatch(/now records client .* as deleted \(its credentials dropped\)/);
    const text = run.states.find((s) => s.file === reg!.stateFile)?.text ?? "";
    const state = JSON.parse(text) as Record<string, unknown>;
    expect(state.deleted).toMatchObject({ result: "deleted" });
    expect(state.secrets).toEqual({});
    expect(text).not.toMatch(/rat-/);
    // Nothing was sent after the DELETE: no GET, PUT or second DELETE reached the bank.
    const mgmt = h.forCase(ID).filter((r) => ["read", "update", "delete"].includes(r.route));
    expect(mgmt.map((r) => r.route)).toEqual(["delete"]);
    for (const r of [get!, upd!]) {
      expect(r.code, r.stderr).toBe(4);
      expect((r.json as { error: { code: string } }).error.code).toBe("OBDCR_REGISTRATION_GONE");
      expect((r.json as { error: { message: string } }).error.message).toMatch(
        /records client .* as deleted by `ob-dcr delete` at .*nothing was sent/,
      );
    }
    expect(again!.code, again!.stderr).toBe(0);
    expect((again!.json as { result: string }).result).toBe("deleted");
  });
});
