// A 401 for the stored registration access token at a bank that rotates it on PUT (rat-bank, real
// TLS/mTLS): the token was superseded by an answer that no state holds (here: a PUT whose answer is
// kept apart, as a forced stop mid-update or a rotation outside ob-dcr leaves it), or the client was
// deleted. The bank's token endpoint, asked as the client itself, tells the two apart; a live client
// is never taken for a deleted one.
import { beforeEach, describe, expect, it } from "vitest";
import { errorReport } from "../../provider/cli/exit.js";
import { explainGoneUnconfirmed } from "../../provider/cli/gone.js";
import type { GoneUnconfirmedError } from "../../provider/core/errors.js";
import { cancelContext } from "../../provider/http/context.js";
import {
  closeAgents,
  createContext,
  createRegistration,
  deleteRegistration,
  type ObDcrContext,
  type RegistrationParamsInput,
  readRegistration,
  updateRegistration,
} from "../../provider/index.js";
import { deleteRegistrationOutcome } from "../../provider/lifecycle/registration.js";
import { goneUnconfirmed } from "../../provider/resource/messages.js";
import { paramsFor, stateOf } from "../http/sandbox_helpers.js";
import { sandboxForFile } from "../support/hooks.js";

const BANK = "rat-bank";
/** RFC 7592 management with every client authentication, client secrets included. */
const SECRET_BANK = {
  name: "rat-secret-bank",
  management: "registration_access_token",
  token_endpoint_auth_methods_supported: [
    "private_key_jwt",
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
  ],
} as const;
const sb = sandboxForFile(
  {
    prefix: "superseded-rat",
    banks: [
      BANK,
      "json-bank",
      {
        ...SECRET_BANK,
        token_endpoint_auth_methods_supported: [...SECRET_BANK.token_endpoint_auth_methods_supported],
      },
    ],
  },
  closeAgents,
);
let ctx: ObDcrContext;

beforeEach(async () => {
  await sb.admin.reset();
  ctx = createContext();
});

const params = (
  client: Record<string, unknown> = {},
  management: Record<string, unknown> = {},
  bank = BANK,
) =>
  paramsFor(sb, bank, "obie-3.2", {
    client,
    bank_profile: { management: { style: "rfc7592", ...management } },
  });

const tokenPosts = async (bank = BANK) => (await sb.admin.requests(bank))["POST /token"] ?? 0;

/** Register, then rotate the token with a PUT whose answer only the test keeps: `stale` is what state held. */
async function superseded(p: RegistrationParamsInput) {
  const created = await createRegistration(p, ctx);
  const stale = stateOf(created);
  const current = stateOf(await updateRegistration(p, stale, ctx));
  expect(current.secrets.registration_access_token).not.toBe(stale.secrets.registration_access_token);
  return { id: created.client_id, stale, current };
}

const held = async () => (await sb.admin.registrations(BANK)).map((r) => r.client_id);

describe("a 401 for a registration access token the bank superseded", () => {
  it.each([
    ["private_key_jwt", {}],
    ["tls_client_auth", { token_endpoint_auth_method: "tls_client_auth" }],
  ] as const)(
    "%s: GET, PUT and DELETE say GONE_UNCONFIRMED and drop nothing; the client authenticates",
    async (method, client) => {
      const p = params(client);
      const { id, stale, current } = await superseded(p);
      const before = await tokenPosts();
      const counted = ctx.stats.token_requests;
      for (const call of [
        () => readRegistration(p, stale, ctx),
        () => updateRegistration(p, stale, ctx),
        () => deleteRegistration(p, stale, ctx),
      ]) {
        const e = (await call().catch((x: unknown) => x)) as GoneUnconfirmedError;
        expect(e).toMatchObject({
          code: "OBDCR_GONE_UNCONFIRMED",
          client_id: id,
          ambiguity: "superseded_token",
          remedy: { kind: "adopt-current-token", client_id: id },
        });
        expect(e.message).toMatch(
          /refused the stored registration access token \(HTTP 401\), but its token endpoint still authenticates client/,
        );
        expect(e.message).toContain(method);
        for (const t of [stale.secrets.registration_access_token, current.secrets.registration_access_token])
          expect(e.message).not.toContain(t as string);
      }
      // One probe per call, each a real token request (counted like any other).
      expect((await tokenPosts()) - before).toBe(3);
      expect(ctx.stats.token_requests - counted).toBe(3);
      // The probe's token is not kept for anything (the cache holds the directory's token only).
      expect([...ctx.tokens.keys()].filter((k) => k.includes(id))).toEqual([]);
      expect(await held()).toEqual([id]);
      // The current token still manages the client: it lives.
      expect((await readRegistration(p, current, ctx)).client_id).toBe(id);
    },
  );

  it("client_secret_basic: the probe authenticates with the stored client secret", async () => {
    const p = params({ token_endpoint_auth_method: "client_secret_basic" }, {}, SECRET_BANK.name);
    const { id, stale } = await superseded(p);
    expect(stale.secrets.client_secret).toBeTruthy();
    const before = await tokenPosts(SECRET_BANK.name);
    const e = (await readRegistration(p, stale, ctx).catch((x: unknown) => x)) as GoneUnconfirmedError;
    expect(e).toMatchObject({ code: "OBDCR_GONE_UNCONFIRMED", ambiguity: "superseded_token" });
    expect(e.message).toContain("client_secret_basic");
    expect(e.message).not.toContain(stale.secrets.client_secret as string);
    expect((await tokenPosts(SECRET_BANK.name)) - before).toBe(1);
    expect((await sb.admin.registrations(SECRET_BANK.name)).map((r) => r.client_id)).toEqual([id]);
  });

  it("a probe our side cannot send (no stored client secret) fails the call naming the input; the live client is not taken as gone", async () => {
    const p = params({ token_endpoint_auth_method: "client_secret_basic" }, {}, SECRET_BANK.name);
    const { id, stale } = await superseded(p);
    const { client_secret: _dropped, ...secrets } = stale.secrets;
    const withoutSecret = { ...stale, secrets };
    // Before the fix: inconclusive, so REGISTRATION_GONE (read) and "gone" (delete): dropped.
    for (const call of [
      () => readRegistration(p, withoutSecret, ctx),
      () => deleteRegistration(p, withoutSecret, ctx),
    ])
      await expect(call()).rejects.toMatchObject({
        code: "OBDCR_INVALID_INPUT",
        field: "state.secrets.client_secret",
      });
    expect((await sb.admin.registrations(SECRET_BANK.name)).map((r) => r.client_id)).toEqual([id]);
  });

  it("a client whose authentication ob-dcr cannot ask a token with (client_secret_jwt): the check is inconclusive, not an input error", async () => {
    const p = params({ token_endpoint_auth_method: "client_secret_jwt" }, {}, SECRET_BANK.name);
    const { stale, current } = await superseded(p);
    expect(await deleteRegistration(p, current, ctx)).toBe("deleted");
    const before = await tokenPosts(SECRET_BANK.name);
    const e = await readRegistration(p, stale, ctx).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "OBDCR_REGISTRATION_GONE", status: 401 });
    expect((e as Error).message).toMatch(
      /was inconclusive \(the client authenticates with client_secret_jwt/,
    );
    expect(await tokenPosts(SECRET_BANK.name)).toBe(before);
  });

  it("unauthorized_client (a client registered without client_credentials): RFC 6749 says it to an authenticated client, so the client lives", async () => {
    const p = paramsFor(sb, "json-bank", "rfc7591", {
      client: { grant_types: ["authorization_code"], response_types: ["code"] },
    });
    const created = await createRegistration(p, ctx);
    const stale = stateOf(created);
    await updateRegistration(p, stale, ctx);
    const e = await readRegistration(p, stale, ctx).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "OBDCR_GONE_UNCONFIRMED", ambiguity: "superseded_token" });
    expect((await sb.admin.registrations("json-bank")).map((r) => r.client_id)).toEqual([created.client_id]);
  });

  it("once the client is deleted at the bank, the stale token's 401 is gone, as before: the token endpoint refuses the client too", async () => {
    const p = params();
    const { stale, current } = await superseded(p);
    expect(await deleteRegistration(p, current, ctx)).toBe("deleted");
    const e = await readRegistration(p, stale, ctx).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "OBDCR_REGISTRATION_GONE", status: 401 });
    expect((e as Error).message).toMatch(/token endpoint refuses client \S+ too \(invalid_client\)/);
    expect(await deleteRegistration(p, stale, ctx)).toBe("gone");
  });

  it("a token endpoint that cannot answer leaves the 401 the bank's word, and says the probe was inconclusive", async () => {
    const p = params();
    const { stale, current } = await superseded(p);
    await deleteRegistration(p, current, ctx);
    await sb.admin.setFaults(BANK, [{ kind: "server_error", status: 500, path: "/token" }]);
    const e = await readRegistration(p, stale, ctx).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "OBDCR_REGISTRATION_GONE", status: 401 });
    expect((e as Error).message).toMatch(/still authenticates client \S+ was inconclusive \(OBDCR_/);
    // DELETE too: gone, and each face is told why (the note's detail).
    const d = await deleteRegistrationOutcome(p, stale, ctx);
    expect(d).toMatchObject({ result: "gone" });
    expect(d.detail).toMatch(/HTTP 401.*was inconclusive \(OBDCR_/);
  });

  it("a Cancel while the token endpoint is asked is no word from the bank: OBDCR_INTERRUPTED, the client kept", async () => {
    const p = params();
    const { id, stale } = await superseded(p);
    await sb.admin.setFaults(BANK, [{ kind: "stall", path: "/token", method: "POST" }]);
    for (const call of [
      (c: ObDcrContext) => readRegistration(p, stale, c),
      (c: ObDcrContext) => deleteRegistrationOutcome(p, stale, c),
    ]) {
      const c = createContext({ transport: { headers_timeout_ms: 120_000 } });
      const before = await tokenPosts();
      const pending = call(c).then(
        (r) => r,
        (x: unknown) => x,
      );
      for (let i = 0; i < 300 && (await tokenPosts()) === before; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(await tokenPosts()).toBe(before + 1);
      cancelContext(c);
      // Before the fix: inconclusive, so the 401 was taken as gone (read: REGISTRATION_GONE;
      // delete: "gone", dropped from state) while the bank still held the client.
      expect(await pending).toMatchObject({ code: "OBDCR_INTERRUPTED" });
    }
    expect(await held()).toEqual([id]);
  });

  it("the token endpoint's word decides nothing when the 401 is already ambiguous (rat_may_rotate): no probe", async () => {
    const p = params({}, { rat_may_rotate: true });
    const { stale } = await superseded(p);
    const before = await tokenPosts();
    await expect(readRegistration(p, stale, ctx)).rejects.toMatchObject({ code: "OBDCR_GONE_UNCONFIRMED" });
    expect(await tokenPosts()).toBe(before);
  });

  /** What each face says of an error (the CLI's report, the resource's refresh message). */
  const faces = (e: GoneUnconfirmedError, command: "get" | "delete" = "get") => {
    let cli = "";
    try {
      explainGoneUnconfirmed(command)(e);
    } catch (x) {
      cli = errorReport(x).message;
    }
    return { cli, resource: goneUnconfirmed("refresh", e).message };
  };

  it.each([
    ["rat_may_rotate", { rat_may_rotate: true }, {}],
    ["token_unconfirmed (an update's answer was lost)", {}, { token_unconfirmed: true }],
  ] as const)(
    "%s: the refused token reads as a token rotated in a lost answer (adopt the bank's current token, or confirm a deletion), not as our keys",
    async (_, management, opts) => {
      const p = params({}, management);
      const { id, stale } = await superseded(p);
      for (const call of [
        () => readRegistration(p, stale, ctx, opts),
        () => deleteRegistration(p, stale, ctx, opts),
      ]) {
        const e = (await call().catch((x: unknown) => x)) as GoneUnconfirmedError;
        expect(e).toMatchObject({
          code: "OBDCR_GONE_UNCONFIRMED",
          ambiguity: "rotated_token",
          checks: [],
          remedy: { kind: "adopt-current-token", client_id: id, deletion: "possible" },
        });
        expect(e.message).toMatch(/current registration access token and adopt it$/);
        const { cli, resource } = faces(e);
        for (const m of [e.message, cli, resource]) {
          expect(m).not.toMatch(/checks out|old copy of our keys|signing key rotation/);
          expect(m).not.toContain(stale.secrets.registration_access_token as string);
        }
        expect(cli).toMatch(
          new RegExp(
            `put it in the state file's secrets.registration_access_token .*If the bank says it deleted client ${id} instead, run again with --confirm-gone`,
          ),
        );
        expect(resource).toMatch(
          new RegExp(
            `registrationAccessToken: .*If the bank says it deleted client ${id} instead, drop it deliberately: \\\`OBDCR_CONFIRM_GONE=${id} pulumi refresh`,
          ),
        );
      }
      // Confirmed, it is gone (nothing contradicts the caller here).
      await expect(readRegistration(p, stale, ctx, { ...opts, confirm_gone: true })).rejects.toMatchObject({
        code: "OBDCR_REGISTRATION_GONE",
      });
      expect(await held()).toEqual([id]);
    },
  );

  it("a confirmed deletion of a client the bank still authenticates is refused, and each face says so and how to drop it anyway", async () => {
    const p = params();
    const { id, stale, current } = await superseded(p);
    for (const call of [
      () => readRegistration(p, stale, ctx, { confirm_gone: true }),
      () => deleteRegistration(p, stale, ctx, { confirm_gone: true }),
    ]) {
      const e = (await call().catch((x: unknown) => x)) as GoneUnconfirmedError;
      expect(e).toMatchObject({
        code: "OBDCR_GONE_UNCONFIRMED",
        ambiguity: "superseded_token",
        remedy: { kind: "adopt-current-token", client_id: id, deletion: "refuted" },
      });
      expect(e.message).toMatch(
        /still authenticates client .*The caller confirmed that the bank deleted client \S+, but the bank still authenticates it, so the confirmation is not applied: dropping the client would leave it live at the bank/,
      );
      const { cli, resource } = faces(e, "delete");
      expect(cli).toMatch(
        new RegExp(
          `--confirm-gone was not applied: the bank still authenticates client ${id}, and dropping it would leave a live client at the bank\\. Ask the bank .* To drop it anyway, revoke it in the bank's developer portal first, then delete the state file`,
        ),
      );
      expect(resource).toMatch(
        new RegExp(
          `OBDCR_CONFIRM_GONE=${id} was not applied: the bank still authenticates client ${id}, and dropping it would leave a live client at the bank\\. .*To drop it anyway, revoke it in the bank's developer portal first, then \\\`pulumi state delete <urn>\\\``,
        ),
      );
    }
    expect(await held()).toEqual([id]);
    expect((await readRegistration(p, current, ctx)).client_id).toBe(id);
  });
});
