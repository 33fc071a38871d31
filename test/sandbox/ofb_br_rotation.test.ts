// RAT rotation modes of the BR emulator's authorization servers: every-call, on-put, none.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrHarness, dcm, fetchSsa, postJson, registrationBody, startBr } from "./ofb_br_support.js";

describe("OFB BR registration access token rotation", () => {
  let h: BrHarness;
  beforeAll(async () => {
    h = await startBr({
      servers: [
        { name: "as-none" },
        { name: "as-on-put", rat_rotation: "on-put" },
        { name: "as-every", rat_rotation: "every-call", rcu_style: "query" },
      ],
    });
  });
  afterAll(async () => h?.close());

  async function registerAt(name: string) {
    const sw = h.m.orgs[0]!.softwares[0]!;
    const server = h.m.servers.find((s) => s.name === name)!;
    const agent = h.agent(sw);
    const res = await postJson(
      agent,
      server.registration_endpoint,
      registrationBody(sw, await fetchSsa(h, sw)),
    );
    expect(res.status, res.text).toBe(201);
    return {
      sw,
      agent,
      clientId: res.json.client_id as string,
      rcu: res.json.registration_client_uri as string,
      rat: res.json.registration_access_token as string,
    };
  }

  it("every-call: three consecutive DCM calls each return a new RAT and the old one is refused at once", async () => {
    const { sw, agent, clientId, rcu, rat: first } = await registerAt("as-every");
    let rat = first;
    const seen = new Set([rat]);
    const steps: Array<"GET" | "PUT"> = ["GET", "PUT", "GET"];
    for (const method of steps) {
      const body =
        method === "PUT" ? registrationBody(sw, await fetchSsa(h, sw), { client_id: clientId }) : undefined;
      const res = await dcm(agent, method, rcu, rat, body);
      expect(res.status, res.text).toBe(200);
      const next: string = res.json.registration_access_token;
      expect(next).toEqual(expect.any(String));
      expect(seen.has(next)).toBe(false);
      seen.add(next);
      const old = await dcm(agent, "GET", rcu, rat);
      expect(old.status).toBe(401);
      expect(old.json.error).toBe("invalid_token");
      rat = next;
    }
    const del = await dcm(agent, "DELETE", rcu, rat);
    expect(del.status).toBe(204);
  });

  it("on-put: GET keeps the RAT, PUT replaces it", async () => {
    const { sw, agent, clientId, rcu, rat } = await registerAt("as-on-put");
    for (let i = 0; i < 2; i++) {
      const got = await dcm(agent, "GET", rcu, rat);
      expect(got.status).toBe(200);
      expect(got.json.registration_access_token).toBeUndefined();
    }
    const put = await dcm(
      agent,
      "PUT",
      rcu,
      rat,
      registrationBody(sw, await fetchSsa(h, sw), { client_id: clientId }),
    );
    expect(put.status, put.text).toBe(200);
    const next: string = put.json.registration_access_token;
    expect(next).not.toBe(rat);
    expect((await dcm(agent, "GET", rcu, rat)).status).toBe(401);
    expect((await dcm(agent, "GET", rcu, next)).status).toBe(200);
  });

  it("none: the RAT from registration works across GET, PUT and GET", async () => {
    const { sw, agent, clientId, rcu, rat } = await registerAt("as-none");
    expect((await dcm(agent, "GET", rcu, rat)).json.registration_access_token).toBeUndefined();
    const put = await dcm(
      agent,
      "PUT",
      rcu,
      rat,
      registrationBody(sw, await fetchSsa(h, sw), { client_id: clientId }),
    );
    expect(put.status).toBe(200);
    expect(put.json.registration_access_token).toBeUndefined();
    expect((await dcm(agent, "GET", rcu, rat)).status).toBe(200);
  });
});
