// SSA reuse per regime, in one process (one `pulumi up`): one download serves every bank while it
// is fresh; an OFB SSA (no exp, the AS refuses iat older than 5 minutes) is fetched again after
// 60 s, also for an update; a CDR SSA (exp = iat + 600) is reused up to directory.ssa_max_age_seconds.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext } from "../../provider/http/context.js";
import {
  createRegistration,
  deleteRegistration,
  updateRegistration,
} from "../../provider/lifecycle/registration.js";
import type { CdrAuSandbox } from "../../sandbox/cdr_au/index.js";
import type { OfbBrSandbox } from "../../sandbox/ofb_br/index.js";
import { cdrParams, ofbParams, regimeCoreParams, startCdrAu, startOfbBr } from "../support/regimes.js";

describe("SSA reuse and freshness", () => {
  let au: CdrAuSandbox;
  let br: OfbBrSandbox;
  beforeAll(async () => {
    [au, br] = await Promise.all([startCdrAu(), startOfbBr()]);
  });
  afterAll(async () => {
    await au?.close();
    await br?.close();
  });

  it("ofb-br: one SSA for two servers; 61 s later the update fetches a fresh one (and is accepted)", async () => {
    let offset = 0;
    const ctx = createContext({ now: () => Math.floor(Date.now() / 1000) + offset });
    const pa = regimeCoreParams(ofbParams(br.manifest, { server: "ofb-as-a" }));
    const pb = regimeCoreParams(ofbParams(br.manifest, { server: "ofb-as-b" }));
    br.admin.resetStats();
    const [a, b] = await Promise.all([createRegistration(pa, ctx), createRegistration(pb, ctx)]);
    expect(br.admin.stats()).toMatchObject({ directory_token_requests: 1, ssa_requests: 1 });
    offset = 30;
    const stateA = {
      client_id: a.client_id,
      registration_client_uri: a.registration_client_uri,
      secrets: a.secrets,
    };
    const u1 = await updateRegistration(pa, stateA, ctx);
    expect(br.admin.stats().ssa_requests).toBe(1); // 30 s old: still reused
    offset = 61;
    const u2 = await updateRegistration(pa, { ...stateA, secrets: u1.secrets }, ctx);
    expect(br.admin.stats().ssa_requests).toBe(2); // fetched just in time for the PUT
    expect(await deleteRegistration(pa, { ...stateA, secrets: u2.secrets }, ctx)).toBe("deleted");
    const stateB = {
      client_id: b.client_id,
      registration_client_uri: b.registration_client_uri,
      secrets: b.secrets,
    };
    const rb = await updateRegistration(pb, stateB, ctx).catch(() => undefined); // ofb-as-b rotates
    expect(await deleteRegistration(pb, { ...stateB, secrets: rb?.secrets ?? stateB.secrets }, ctx)).toBe(
      "deleted",
    );
  });

  it("cdr-au: one SSA for two holders, reused within directory.ssa_max_age_seconds, then fetched again", async () => {
    // The Register and holders check our assertions' iat: real time here, a 2 s reuse window.
    const ctx = createContext();
    const over = { directory: { ssa_max_age_seconds: 2 } };
    const pa = regimeCoreParams(cdrParams(au.manifest, { holder: "cdr-holder-a" }), over);
    const pb = regimeCoreParams(cdrParams(au.manifest, { holder: "cdr-holder-b" }), over);
    au.admin.resetStats();
    const [a, b] = await Promise.all([createRegistration(pa, ctx), createRegistration(pb, ctx)]);
    expect(au.admin.stats()).toMatchObject({ register_token_requests: 1, ssa_requests: 1 });
    await sleep(2100);
    await updateRegistration(pa, { client_id: a.client_id }, ctx);
    // A fresh SSA, with the Register token from the cache (valid for its expires_in).
    expect(au.admin.stats()).toMatchObject({ register_token_requests: 1, ssa_requests: 2 });
    expect(await deleteRegistration(pa, { client_id: a.client_id }, ctx)).toBe("deleted");
    expect(await deleteRegistration(pb, { client_id: b.client_id }, ctx)).toBe("deleted");
  });
});
