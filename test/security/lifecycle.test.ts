// The shared lifecycle (provider/lifecycle, what every face calls) in one process against the hostile
// bank and directory (hostile.ts, real TLS with mTLS): the decisions that only show when one context
// serves several calls (caches), or that are the lifecycle's own (signed answers, gone-ness), each
// proved on the wire rather than through a CLI run.
import { readFileSync } from "node:fs";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  closeAgents,
  createContext,
  createRegistration,
  type RegistrationParamsInput,
} from "../../provider/index.js";
import { type Case, cliConfigFor } from "./harness.js";
import { Hostile, type Scenario } from "./hostile.js";
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
