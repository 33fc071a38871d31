// A bank that hands out a new registration access token on every GET (RFC 7592 §2.1) but is not
// declared `rat_may_rotate`, and whose answer to one GET is lost (the connection is reset after it
// rotated the token). The transport retries the GET with the old token and gets 401: no proof of a
// deletion, so the CLI's `get` and the Pulumi faces' refresh (lifecycle read) answer
// OBDCR_GONE_UNCONFIRMED and keep the client, instead of dropping it (and the next `up`
// registering a duplicate). Real TLS servers (hostile.ts), the built CLI.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GoneUnconfirmedError } from "../../provider/core/errors.js";
import { closeAgents } from "../../provider/index.js";
import { create, read } from "../../provider/lifecycle/operations.js";
import { rotateRat } from "./cases.js";
import { type CaseRun, lifecycleProps, startSingleCase, testLifecycle } from "./harness.js";
import type { Exchange, Hostile, Scenario } from "./hostile.js";
import type { SecurityPki } from "./pki.js";

/** Rotates the token on every GET; the answer to the first GET is lost after the rotation. */
const lostGet: Scenario = {
  mgmt: "rat",
  on: {
    read: (x: Exchange) => {
      const c = x.authClient();
      if (!c) return void x.json(401, { error: "invalid_token" });
      const rat = rotateRat(x, c);
      if (!x.c.data.lost) {
        x.c.data.lost = true;
        return void x.req.socket.destroy();
      }
      x.json(200, { ...x.render(c), registration_access_token: rat });
    },
  },
};

let h: Hostile;
let pki: SecurityPki;
let cli: CaseRun;

beforeAll(async () => {
  ({
    h,
    pki,
    run: cli,
  } = await startSingleCase({
    id: "lost-get-cli",
    scenario: lostGet,
    steps: [{ cmd: "register" }, { cmd: "get" }],
  }));
}, 120_000);

afterAll(async () => {
  await closeAgents();
  await h?.close();
});

describe("a GET whose answer was lost at a bank that rotates the token on GET", () => {
  it("CLI get: OBDCR_GONE_UNCONFIRMED, not gone; the bank still holds the client", () => {
    const [reg, get] = cli.runs;
    expect(reg!.code, reg!.stderr).toBe(0);
    expect(h.forCase("lost-get-cli").filter((r) => r.route === "read").length).toBe(2);
    expect(get!.code).toBe(4);
    const error = (get!.json as { error: { code: string; message: string } }).error;
    expect(error.code).toBe("OBDCR_GONE_UNCONFIRMED");
    expect(error.message).toMatch(
      /an earlier attempt of the same call reached the bank but its answer was lost/,
    );
    expect(h.state("lost-get-cli").clients.filter((c) => !c.deleted).length).toBe(1);
  });

  it("Pulumi faces (lifecycle read): the refresh fails unconfirmed instead of dropping the client", async () => {
    const id = "lost-get-life";
    const props = lifecycleProps(h, pki, id, lostGet);
    const c = await create(testLifecycle(), props);
    const r = await read(testLifecycle(), c.id, c.outs).then(
      (x) => x.kind,
      (e: unknown) => e,
    );
    expect(r).toBeInstanceOf(GoneUnconfirmedError);
  });
});
