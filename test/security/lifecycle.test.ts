// The shared lifecycle (provider/lifecycle, what every face calls) in one process against the hostile
// bank and directory (hostile.ts, real TLS with mTLS): the decisions that only show when one context
// serves several calls (caches), or that are the lifecycle's own (signed answers, gone-ness), each
// proved on the wire rather than through a CLI run.
import { readFileSync } from "node:fs";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SignedAnswerClaimError } from "../../provider/core/errors.js";
import { forgetSecrets } from "../../provider/core/untrusted.js";
import {
  closeAgents,
  createContext,
  createRegistration,
  deleteRegistration,
  type RegistrationParamsInput,
  readRegistration,
} from "../../provider/index.js";
import { create, remove } from "../../provider/lifecycle/operations.js";
import { noteWords } from "../../provider/resource/messages.js";
import { BANK_ORG_ID, type Case, cliConfigFor, lifecycleProps, testLifecycle } from "./harness.js";
import { type Exchange, Hostile, jwtClaims, type Scenario, signAnswer } from "./hostile.js";
import { type SecurityPki, securityPki } from "./pki.js";

let h: Hostile;
let pki: SecurityPki;

beforeAll(async () => {
  pki = await securityPki();
  h = new Hostile(pki);
  await h.start();
}, 120_000);

afterAll(async () => {
  await closeAgents();
  await h?.close();
});

/** The case's CLI config with the material inline (the lifecycle reads no files). */
function paramsOf(id: string, scenario: Scenario, more: Partial<Case> = {}): RegistrationParamsInput {
  h.add(id, scenario);
  const cfg = cliConfigFor(h, pki, { id, cls: "keep", what: "", proves: "", scenario, steps: [], ...more });
  return {
    ...cfg,
    signing_key: { kid: pki.signing.kid, alg: "PS256", private_key: pki.signing.pem },
    transport: {
      cert: readFileSync(pki.transport.certFile, "utf8"),
      key: pki.transport.keyPem,
      ca: pki.caPem,
    },
  } as RegistrationParamsInput;
}

const routes = (id: string, route: string) => h.forCase(id).filter((r) => r.route === route).length;

describe("SSA reuse", () => {
  it("an SSA that fails verification is not kept: the next registration downloads a good one", async () => {
    let served = 0;
    const p = paramsOf("life-ssa-bad-then-good", {
      mgmt: "rat",
      // The first SSA is signed by a key the directory does not publish; later ones are honest.
      ssaSign: (claims, hh) =>
        served++ === 0
          ? new jose.SignJWT(claims as jose.JWTPayload)
              .setProtectedHeader({ alg: "ES256", kid: hh.attackerKey.jwk.kid as string })
              .sign(hh.attackerKey.privateKey)
          : new jose.SignJWT(claims as jose.JWTPayload)
              .setProtectedHeader({ alg: "PS256", kid: hh.directoryKey.jwk.kid as string, typ: "JWT" })
              .sign(hh.directoryKey.privateKey),
    });
    const ctx = createContext();
    await expect(createRegistration(p, ctx)).rejects.toMatchObject({ code: "OBDCR_SSA_INVALID" });
    expect(routes("life-ssa-bad-then-good", "register")).toBe(0);
    const r = await createRegistration(p, ctx);
    expect(r.client_id).toBeTruthy();
    expect(routes("life-ssa-bad-then-good", "ssa")).toBe(2);
    expect(ctx.stats.ssa_downloads).toBe(2);
  });
  it("a verified SSA is reused by the next registration of the same process", async () => {
    const id = "life-ssa-good-reused";
    const p = paramsOf(id, { mgmt: "rat" });
    const ctx = createContext();
    await createRegistration(p, ctx);
    await createRegistration(p, ctx);
    expect(routes(id, "register")).toBe(2);
    expect(routes(id, "ssa")).toBe(1);
  });
});

describe("signed registration answers: iss and aud", () => {
  /** A 201 signed by the bank's key with these claims over the honest body. */
  const signedWith = (claims: (x: Exchange) => Record<string, unknown>, jwks = true): Scenario => ({
    mgmt: "rat",
    on: {
      register: async (x) => {
        const { body } = x.create();
        x.send(201, await signAnswer({ ...body, ...claims(x) }, x.h.bankKey), {
          "content-type": "application/jwt",
        });
      },
    },
    // Without the bank's jwks_uri the answer can only be decoded: its claims are checked all the same.
    ...(jwks ? {} : { discovery: (d: Record<string, unknown>) => ({ ...d, jwks_uri: undefined }) }),
  });
  const rows: [string, Scenario, "iss" | "aud" | undefined][] = [
    ["life-signed-no-claims", signedWith(() => ({})), undefined],
    ["life-signed-ours", signedWith((x) => ({ iss: x.u.bank, aud: pki.softwareId })), undefined],
    [
      "life-signed-aud-list",
      signedWith((x) => ({ iss: x.u.bank, aud: ["someone", pki.softwareId] })),
      undefined,
    ],
    ["life-signed-aud-client", signedWith((x) => ({ iss: x.u.bank, aud: `cid-${x.id}-1` })), undefined],
    ["life-signed-echo", signedWith(() => ({ iss: pki.softwareId, aud: BANK_ORG_ID })), undefined],
    ["life-signed-other-iss", signedWith((x) => ({ iss: `${x.u.other}`, aud: pki.softwareId })), "iss"],
    ["life-signed-other-aud", signedWith((x) => ({ iss: x.u.bank, aud: "another-software" })), "aud"],
    ["life-signed-iss-object", signedWith(() => ({ iss: { a: 1 } })), "iss"],
    ["life-signed-unverified-other-iss", signedWith((x) => ({ iss: x.u.other }), false), "iss"],
  ];
  it.each(rows)("%s", async (id, scenario, claim) => {
    const p = paramsOf(id, scenario);
    const r = await createRegistration(p, createContext()).catch((e: unknown) => e);
    if (claim === undefined) {
      expect(r).toMatchObject({ client_id: `cid-${id}-1` });
      return;
    }
    // The bank said it created a client: the outcome is unknown, the client named, the cause typed.
    expect(r).toMatchObject({ code: "OBDCR_OUTCOME_UNKNOWN", client_id: `cid-${id}-1` });
    const cause = (r as Error).cause;
    expect(cause).toBeInstanceOf(SignedAnswerClaimError);
    expect(cause).toMatchObject({ code: "OBDCR_UNEXPECTED_RESPONSE", claim });
  });
  it("a signed GET answer for another software is refused (aud), typed", async () => {
    const id = "life-signed-read-other-aud";
    const p = paramsOf(id, {
      mgmt: "rat",
      on: {
        read: async (x) => {
          const c = x.authClient();
          if (!c) return x.json(401, { error: "invalid_token" });
          x.send(200, await signAnswer({ ...x.render(c), aud: "another-software" }, x.h.bankKey), {
            "content-type": "application/jwt",
          });
        },
      },
    });
    const seeded = h.seed(id, { rat: true });
    const state = {
      client_id: seeded.client_id,
      registration_client_uri: `${h.urls(id).register}/${seeded.client_id}`,
      secrets: { registration_access_token: seeded.rat },
    };
    const e = await readRegistration(p, state, createContext()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SignedAnswerClaimError);
    expect(e).toMatchObject({ code: "OBDCR_UNEXPECTED_RESPONSE", claim: "aud" });
  });
});

describe("DELETE answered 202 Accepted", () => {
  it("is counted as deleted and said so: accepted, not deleted", async () => {
    const id = "life-delete-202";
    const p = paramsOf(id, {
      mgmt: "rat",
      on: {
        delete: (x) => {
          const c = x.authClient();
          if (!c) return x.json(401, { error: "invalid_token" });
          c.deleted = true;
          x.send(202, "");
        },
      },
    });
    const seeded = h.seed(id, { rat: true });
    const state = {
      client_id: seeded.client_id,
      registration_client_uri: `${h.urls(id).register}/${seeded.client_id}`,
      secrets: { registration_access_token: seeded.rat },
    };
    expect(await deleteRegistration(p, state, createContext())).toBe("accepted");
    expect(routes(id, "delete")).toBe(1);
  });
  it("both Pulumi faces (lifecycle remove): dropped from state with a note that says HTTP 202", async () => {
    const id = "life-delete-202-pulumi";
    const scenario: Scenario = { mgmt: "rat", on: { delete: (x) => x.send(202, "") } };
    const props = lifecycleProps(h, pki, id, scenario);
    const c = await create(testLifecycle(), props);
    const r = await remove(testLifecycle(), c.id, c.outs);
    expect(r.notes).toEqual([{ kind: "delete_accepted", client_id: c.id }]);
    expect(noteWords(r.notes[0]!)).toMatch(/accepted the DELETE \(HTTP 202\) without saying it is done/);
  });
});

describe("a 404 under gone_statuses [401, 404] (RFC 7591/7592 banks)", () => {
  const html = (x: Exchange) =>
    x.send(404, "<html><body><h1>404 Not Found</h1>nginx</body></html>", { "content-type": "text/html" });
  const gatewayJson = (x: Exchange) => x.json(404, { message: "no Route matched with those values" });
  const empty = (x: Exchange) => x.send(404, "");
  const oauth = (x: Exchange) =>
    x.json(404, { error: "invalid_client_id", error_description: "unknown client" });
  const seeded = (id: string, route: "read" | "delete", answer: (x: Exchange) => void) => {
    const p = paramsOf(
      id,
      { mgmt: "rat", on: { [route]: answer } },
      { bankProfile: { management: { style: "rfc7592", gone_statuses: [401, 404] } } },
    );
    const c = h.seed(id, { rat: true });
    const state = {
      client_id: c.client_id,
      registration_client_uri: `${h.urls(id).register}/${c.client_id}`,
      secrets: { registration_access_token: c.rat },
    };
    return { p, state };
  };
  const rows: [string, "read" | "delete", (x: Exchange) => void, "gone" | "unconfirmed"][] = [
    ["life-404-get-html", "read", html, "unconfirmed"],
    ["life-404-get-gateway-json", "read", gatewayJson, "unconfirmed"],
    ["life-404-get-empty", "read", empty, "unconfirmed"],
    ["life-404-get-oauth", "read", oauth, "gone"],
    ["life-404-delete-html", "delete", html, "unconfirmed"],
    ["life-404-delete-oauth", "delete", oauth, "gone"],
  ];
  it("a lost POST whose hint lookup meets a gateway 404: outcome unknown, never a second POST", async () => {
    const id = "life-404-hint-lookup";
    const p = paramsOf(
      id,
      {
        mgmt: "obie",
        on: {
          // Committed under the proposed client_id, then the answer is lost.
          register: (x) => {
            x.create({ id: jwtClaims(x.text).client_id });
            x.req.socket.destroy();
          },
          read: html,
        },
      },
      {
        bankProfile: { client_id_hint: true, management: { style: "obie", gone_statuses: [401, 404] } },
      },
    );
    await expect(createRegistration(p, createContext())).rejects.toMatchObject({
      code: "OBDCR_OUTCOME_UNKNOWN",
    });
    expect(routes(id, "register")).toBe(1);
    expect(h.state(id).clients.filter((c) => !c.deleted)).toHaveLength(1);
  });
  it("a POST committed under the hint, then answered 502 by the bank's gateway: found by the hint in the same run, one POST", async () => {
    const id = "life-502-hint-lookup";
    const p = paramsOf(
      id,
      {
        mgmt: "obie",
        on: {
          register: (x) => {
            x.create({ id: jwtClaims(x.text).client_id });
            x.send(502, "<html><body>502 Bad Gateway</body></html>", { "content-type": "text/html" });
          },
        },
      },
      {
        bankProfile: { client_id_hint: true, management: { style: "obie", gone_statuses: [401, 404] } },
      },
    );
    const r = await createRegistration(p, createContext());
    expect(r.reconciled).toBe("lost_response");
    expect(routes(id, "register")).toBe(1);
    expect(
      h
        .state(id)
        .clients.filter((c) => !c.deleted)
        .map((c) => c.client_id),
    ).toEqual([r.client_id]);
  });
  it("a POST answered 502 by the gateway three times, never committed: each hint lookup says so, and the error says what happened", async () => {
    const id = "life-502-not-committed";
    const p = paramsOf(
      id,
      {
        mgmt: "obie",
        on: {
          register: (x) =>
            x.send(502, "<html><body>502 Bad Gateway</body></html>", { "content-type": "text/html" }),
          read: (x) => x.json(404, { error: "invalid_client" }),
        },
      },
      {
        bankProfile: { client_id_hint: true, management: { style: "obie", gone_statuses: [401, 404] } },
      },
    );
    const e = (await createRegistration(p, createContext()).catch((x: unknown) => x)) as Error;
    expect(routes(id, "register")).toBe(3);
    expect(e.message).toMatch(/HTTP 502/);
    expect(e.message).not.toMatch(/the connection failed/);
    expect(e.message).toMatch(/nothing was registered/);
  });
  it.each(rows)("%s", async (id, route, answer, verdict) => {
    const { p, state } = seeded(id, route, answer);
    const call = () =>
      route === "read"
        ? readRegistration(p, state, createContext())
        : deleteRegistration(p, state, createContext());
    if (verdict === "gone") {
      if (route === "read")
        await expect(call()).rejects.toMatchObject({ code: "OBDCR_REGISTRATION_GONE", status: 404 });
      else expect(await call()).toBe("gone");
      return;
    }
    // Nothing is assumed gone: the caller is told to confirm, with the client named.
    const e = await call().catch((x: unknown) => x);
    expect(e).toMatchObject({
      code: "OBDCR_GONE_UNCONFIRMED",
      client_id: state.client_id,
      ambiguity: "not_oauth_404",
      remedy: { kind: "confirm-gone", client_id: state.client_id },
    });
    // Confirmed by the operator, it is gone (404, as the bank answered).
    const confirmed =
      route === "read"
        ? readRegistration(p, state, createContext(), { confirm_gone: true })
        : deleteRegistration(p, state, createContext(), { confirm_gone: true });
    if (route === "read")
      await expect(confirmed).rejects.toMatchObject({ code: "OBDCR_REGISTRATION_GONE", status: 404 });
    else expect(await confirmed).toBe("gone");
  });
});

describe("secrets that come from state, in a new process", () => {
  it("a GET refusal quoting the client secret (kept, never sent: the RAT manages) prints neither", async () => {
    // A Pulumi refresh or destroy runs in a new provider process: the client secret comes from the
    // state only, and management (RFC 7592) never sends it, so only the state can say it is secret.
    const id = "life-state-secret-echo";
    const p = paramsOf(id, {
      mgmt: "rat",
      on: {
        read: (x) => {
          const c = x.authClient();
          x.json(400, {
            error: "invalid_client_metadata",
            error_description: `client ${c?.client_id} has secret ${c?.secret} and token ${c?.rat}`,
          });
        },
      },
    });
    const c = h.seed(id, { rat: true, secret: true });
    const state = {
      client_id: c.client_id,
      registration_client_uri: `${h.urls(id).register}/${c.client_id}`,
      secrets: { registration_access_token: c.rat, client_secret: c.secret },
    };
    forgetSecrets();
    const e = await readRegistration(p, state, createContext()).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "OBDCR_REGISTRATION_REJECTED", status: 400 });
    const text = `${(e as Error).message}\n${JSON.stringify(e)}`;
    expect(text).toContain(`client ${c.client_id} has secret [redacted]`);
    expect(text).not.toContain(c.secret!.slice(4, 20));
    expect(text).not.toContain(c.rat!.slice(4, 20));
  });
});
