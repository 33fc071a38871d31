// A bank that answers with a client secret already past its `client_secret_expires_at` (RFC 7591
// §3.2.1; non-zero, in the past): every face says so when the answer comes (register/get/update,
// and the Pulumi faces' notes), the CLI's state file records the expiry, and the later ambiguous
// refusal (invalid_client at the bank's token endpoint) names the expired secret as the likely
// cause instead of "our side checks out". Real TLS servers (hostile.ts), no mocks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeAgents } from "../../provider/index.js";
import { create, read } from "../../provider/lifecycle/operations.js";
import type { Props } from "../../provider/lifecycle/props.js";
import { noteWords, worded } from "../../provider/resource/messages.js";
import { type CaseRun, lifecycleProps, startSingleCase, testLifecycle } from "./harness.js";
import type { Exchange, Hostile, Scenario } from "./hostile.js";
import type { SecurityPki } from "./pki.js";

const EXPIRED = 1_700_000_000; // 2023-11-14T22:13:20Z

/** Registers honestly but with a secret already expired; its token endpoint then refuses it. */
const expired: Scenario = {
  mgmt: "obie",
  on: {
    register: (x: Exchange) => {
      const { body } = x.create();
      x.json(201, { ...body, client_secret_expires_at: EXPIRED });
    },
    token: (x: Exchange) => x.json(401, { error: "invalid_client" }),
  },
};

/** The same, with an expiry that is a finite number no calendar holds (a Date of it is invalid). */
const FAR_PAST = -1e15;
const farPast: Scenario = {
  ...expired,
  on: {
    ...expired.on,
    register: (x: Exchange) => {
      const { body } = x.create();
      x.json(201, { ...body, client_secret_expires_at: FAR_PAST });
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
    id: "expired-secret-cli",
    scenario: expired,
    auth: "client_secret_basic",
    steps: [{ cmd: "register" }, { cmd: "get" }],
  }));
}, 120_000);

afterAll(async () => {
  await closeAgents();
  await h?.close();
});

/** What `read` (refresh) threw, worded as the refresh reports it. */
const refreshError = async (c: { id: string; outs: Props }) =>
  (
    worded(
      await read(testLifecycle(), c.id, c.outs).then(
        () => undefined,
        (x: unknown) => x,
      ),
      "refresh",
    ) as Error
  ).message;

describe("a client secret that has already expired", () => {
  it("the CLI warns at register, records the expiry, and get names the expired secret", () => {
    const [reg, get] = cli.runs;
    expect(reg!.code, reg!.stderr).toBe(0);
    expect(reg!.stderr).toMatch(
      /warning: the bank answered with a client secret that expired at 2023-11-14T22:13:20\.000Z/,
    );
    const text = cli.states.find((s) => s.file === reg!.stateFile)?.text ?? "{}";
    const state = JSON.parse(text) as Record<string, unknown>;
    expect(state.client_secret_expires_at).toBe(EXPIRED);
    expect(get!.code).toBe(4);
    const error = (get!.json as { error: { code: string; message: string } }).error;
    expect(error.code).toBe("OBDCR_GONE_UNCONFIRMED");
    expect(error.message).toMatch(/The client secret expired at 2023-11-14T22:13:20\.000Z/);
    expect(error.message).toMatch(/Get a new client secret for client .* secrets\.client_secret/);
    expect(error.message).not.toMatch(/Our side checks out/);
  });

  it("the Pulumi faces' lifecycle notes it at create and read, and the refresh error names it", async () => {
    const props = lifecycleProps(h, pki, "expired-secret-life", expired, "client_secret_basic");
    const c = await create(testLifecycle(), props);
    const note = c.notes.find((n) => n.kind === "secret_expired");
    expect(note).toMatchObject({ client_id: c.id, expires_at: EXPIRED });
    expect(noteWords(note!)).toMatch(/^warning: .*client secret that expired at 2023-11-14T22:13:20\.000Z/);
    const msg = await refreshError(c);
    expect(msg).toMatch(
      /^OBDCR_GONE_UNCONFIRMED: registration .* is kept in state: .*The client secret expired at 2023-11-14T22:13:20\.000Z/,
    );
    expect(msg).toMatch(/adopt: \{ clientId: .*clientSecret/);
    expect(msg).not.toMatch(/Our side checking out/);
  });

  it("an expiry no calendar holds is named, not a crash: create keeps the client, the note and the refresh error say it", async () => {
    const props = lifecycleProps(h, pki, "expired-secret-far-past", farPast, "client_secret_basic");
    const c = await create(testLifecycle(), props);
    const note = c.notes.find((n) => n.kind === "secret_expired");
    expect(note).toMatchObject({ client_id: c.id, expires_at: FAR_PAST });
    expect(noteWords(note!)).toMatch(
      /expired at a time out of any calendar's range \(client_secret_expires_at -1000000000000000\)/,
    );
    const msg = await refreshError(c);
    expect(msg).toMatch(
      /^OBDCR_GONE_UNCONFIRMED: .*The client secret expired at a time out of any calendar's range/,
    );
  });
});
