/**
 * An empty optional list or object is "not given" (provider/lifecycle/inputs.ts `givenInputs`):
 * what the Go SDK sends for an unset list in some ways of building inputs. Check accepts it where
 * the member would be refused (webhookUris at an OBIE bank), records it as absent, and diff sees no
 * change between absent and empty, also against state that recorded `[]`. A required member that
 * is empty still fails, naming it. Against the sandbox over real mTLS.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createContext } from "../../provider/http/context.js";
import { closeAgents } from "../../provider/http/transport.js";
import { diffRegistration } from "../../provider/lifecycle/diff.js";
import * as lifecycle from "../../provider/lifecycle/operations.js";
import type { Props } from "../../provider/lifecycle/props.js";
import { sandboxForFile } from "../support/hooks.js";
import { pulumiArgs } from "../support/params.js";

const sb = sandboxForFile({ prefix: "lifecycle-empty", banks: ["sandbox-bank"] });
afterAll(() => closeAgents());

const lc = (): lifecycle.Lifecycle => ({
  ctx: createContext(),
  secrets: {},
  confirmedGone: () => false,
  configKey: (key) => `obdcr:${key}`,
  now: () => Math.floor(Date.now() / 1000),
});
const props = (over: Record<string, unknown> = {}) =>
  JSON.parse(JSON.stringify(pulumiArgs(sb, "sandbox-bank", over as never))) as Props;
const client = (p: Props) => p.client as Record<string, unknown>;
const empties = { webhookUris: [], grantTypes: [], responseTypes: [], extra: {} };

describe("empty optional lists and objects are not given", () => {
  it("check at an obie-3.2 bank accepts webhookUris: [] and records the empties as absent", async () => {
    const plain = props();
    expect(plain.profile).toBe("obie-3.2");
    const r = await lifecycle.check(lc(), {
      ...plain,
      client: { ...client(plain), ...empties },
      bankProfile: {},
    });
    expect(r.failures).toEqual([]);
    for (const k of Object.keys(empties)) expect(client(r.inputs)).not.toHaveProperty(k);
    expect(r.inputs).not.toHaveProperty("bankProfile");
    expect(client(r.inputs).redirectUris).toEqual(client(plain).redirectUris);
  });

  it("diff: no change between absent and empty, either way, nor against state that recorded []", async () => {
    const plain = props();
    const c = await lifecycle.create(lc(), (await lifecycle.check(lc(), plain)).inputs);
    const withEmpties = { ...plain, client: { ...client(plain), ...empties } };
    const checked = (await lifecycle.check(lc(), withEmpties)).inputs;
    expect(diffRegistration(c.outs, checked).changes).toBe(false);
    // State a version before this one recorded: the empties as given.
    const recorded = { ...c.outs, client: { ...client(c.outs), ...empties } };
    expect(diffRegistration(recorded, (await lifecycle.check(lc(), plain)).inputs).changes).toBe(false);
    expect(diffRegistration(recorded, checked).changes).toBe(false);
    // A list that is given still counts.
    const given = props({ client: { grantTypes: ["client_credentials"] } });
    expect(diffRegistration(recorded, (await lifecycle.check(lc(), given)).inputs).changes).toBe(true);
  });

  it("inside an object-form bankProfile too: the preset's settings stand, nothing is refused", async () => {
    // A Go program's plain BankProfile struct: every unset list and map sent empty.
    const r = await lifecycle.check(lc(), {
      ...props(),
      bankProfile: {
        requestTtlSeconds: 300,
        grantTypes: [],
        duplicateErrors: [],
        extraClaims: {},
        management: { goneStatuses: [] }, // at least one when given
        supports: {},
      },
    });
    expect(r.failures).toEqual([]);
    expect(r.inputs.bankProfile).toEqual({ requestTtlSeconds: 300 });
    // A preset by name is a string, untouched.
    const named = await lifecycle.check(lc(), { ...props(), bankProfile: "hsbc" });
    expect(named.inputs.bankProfile).toBe("hsbc");
  });

  it("a required member that is empty is still refused, naming it", async () => {
    const noKey = props();
    noKey.signingKey = {};
    const r = await lifecycle.check(lc(), noKey);
    expect(r.failures.map((f) => f.property)).toContain("signingKey.kid");
    // Optional in the schema, required by the profile: absent, and said so.
    const noSoftware = props();
    noSoftware.software = {};
    const s = await lifecycle.check(lc(), noSoftware);
    expect(s.failures).toEqual([{ property: "software", reason: "is required by obie-3.2" }]);
  });
});
