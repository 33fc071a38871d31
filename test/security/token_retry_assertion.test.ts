// `run`/`token` print the client assertion the directory answered: a token request retried after a
// 503 is sent with a fresh assertion (a jti is used once), so the first one printed was not the one
// accepted. The report says the request was retried and shows the last one sent, whose jti the
// directory received on the answered request. Real TLS servers (hostile.ts), the built CLI.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CaseRun, startSingleCase } from "./harness.js";
import { type Hostile, jwtClaims, type Scenario } from "./hostile.js";

const ID = "token-retry-assertion";
const busyOnce: Scenario = {
  mgmt: "rat",
  on: {
    "dir-token": (x) => {
      // The first request of each run (odd counts, this one included) is answered 503.
      const n = x.h.forCase(ID).filter((r) => r.route === "dir-token").length;
      if (n % 2 === 1) return void x.json(503, { error: "temporarily_unavailable" }, { "retry-after": "0" });
      return x.honest();
    },
  },
};

let h: Hostile;
let run: CaseRun;

beforeAll(async () => {
  ({ h, run } = await startSingleCase({
    id: ID,
    scenario: busyOnce,
    steps: [{ cmd: "token" }, { cmd: "token", mode: "text" }],
  }));
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe("a directory token request retried after a 503", () => {
  it("the report shows the assertion the directory answered, and says it was retried", () => {
    const sent = h
      .forCase(ID)
      .filter((r) => r.route === "dir-token")
      .map((r) => String(jwtClaims(new URLSearchParams(r.body).get("client_assertion") ?? "").jti));
    // Each run: 503, then 200 to a fresh assertion.
    expect(sent.length, run.runs.map((r) => `${r.code} ${r.stderr.slice(0, 600)}`).join("\n")).toBe(4);
    const [json, text] = run.runs;
    expect(json!.code, json!.stderr).toBe(0);
    const a = (
      json!.json as { client_assertion: { claims: { jti: string }; retries: number; first_jti: string } }
    ).client_assertion;
    expect(a.retries).toBe(1);
    expect(a.claims.jti).toBe(sent[1]);
    expect(a.first_jti).toBe(sent[0]);
    expect(a.claims.jti).not.toBe(a.first_jti);
    expect(text!.code, text!.stderr).toBe(0);
    expect(text!.stdout).toMatch(
      /retried 1 time\(s\), each with a fresh client assertion; the one the directory answered:/,
    );
    expect(text!.stdout).toContain(sent[3]);
  });
});
