import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ManifestBank } from "../../sandbox/manifest.js";
import {
  basicToken,
  call,
  fetchSsa,
  form,
  register,
  registrationClaims,
  signRegistration,
} from "../support/reference_client.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

const SECRET_BASIC = {
  token_endpoint_auth_method: "client_secret_basic",
  token_endpoint_auth_signing_alg: undefined,
};

describe("client_secret rotation on PUT, registration access token rotation", () => {
  let sb: TestSandbox;
  let ssa: string;
  let rat: ManifestBank;
  beforeAll(async () => {
    sb = await startTestSandbox({
      banks: [
        { name: "sandbox-bank" },
        {
          name: "rat-bank",
          management: "registration_access_token",
          token_endpoint_auth_methods_supported: ["private_key_jwt", "client_secret_post"],
          quirks: { aud: "issuer" },
        },
      ],
    });
    rat = sb.manifest.banks.find((b) => b.name === "rat-bank")!;
    ssa = await fetchSsa(sb);
  });
  afterEach(async () => sb.admin.reset());
  afterAll(async () => sb?.close());

  /** PUT /register/{id} at the UK bank (client_credentials management token from the client's secret). */
  const ukPut = async (id: string, secret: string, over: Record<string, unknown> = SECRET_BASIC) => {
    const token = (await basicToken(sb.agent, sb.bank, id, secret)).json.access_token as string;
    return call(sb.agent, `${sb.bank.registration_endpoint}/${id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/jwt" },
      body: await signRegistration(sb, { ...registrationClaims(sb, ssa), ...over, client_id: id }),
    });
  };
  const postToken = (clientId: string, secret: string) =>
    call(sb.agent, rat.token_endpoint, {
      method: "POST",
      ...form({ grant_type: "client_credentials", client_id: clientId, client_secret: secret }),
    });

  it("default: a PUT keeps the client_secret (none in the response; the old one still works)", async () => {
    const created = await register(sb, SECRET_BASIC, { ssa });
    const { client_id: id, client_secret: secret } = created.json;
    const put = await ukPut(id, secret);
    expect(put.status, put.text).toBe(200);
    expect(put.json.client_secret).toBeUndefined();
    expect((await basicToken(sb.agent, sb.bank, id, secret)).status).toBe(200);
  });

  it("rotate_client_secret_on_put: every PUT returns a new client_secret; the previous one is refused at /token", async () => {
    await sb.admin.setQuirks("sandbox-bank", { rotate_client_secret_on_put: true });
    const created = await register(sb, SECRET_BASIC, { ssa });
    const id = created.json.client_id as string;
    const first = created.json.client_secret as string;
    const put1 = await ukPut(id, first);
    expect(put1.status, put1.text).toBe(200);
    const second = put1.json.client_secret as string;
    expect(second).toEqual(expect.any(String));
    expect(second).not.toBe(first);
    expect(put1.json.client_secret_expires_at).toBe(0);
    const old = await basicToken(sb.agent, sb.bank, id, first);
    expect(old.status).toBe(401);
    expect(old.json.error).toBe("invalid_client");
    expect((await basicToken(sb.agent, sb.bank, id, second)).status).toBe(200);

    const put2 = await ukPut(id, second);
    expect(put2.status, put2.text).toBe(200);
    expect(put2.json.client_secret).not.toBe(second);
    expect((await basicToken(sb.agent, sb.bank, id, second)).status).toBe(401);
    expect((await basicToken(sb.agent, sb.bank, id, put2.json.client_secret)).status).toBe(200);
  });

  it("rotate_client_secret_on_put: a PUT that moves the client to private_key_jwt returns no secret", async () => {
    await sb.admin.setQuirks("sandbox-bank", { rotate_client_secret_on_put: true });
    const created = await register(sb, SECRET_BASIC, { ssa });
    const put = await ukPut(created.json.client_id, created.json.client_secret, {});
    expect(put.status, put.text).toBe(200);
    expect(put.json.client_secret).toBeUndefined();
    expect(
      (await basicToken(sb.agent, sb.bank, created.json.client_id, created.json.client_secret)).status,
    ).toBe(401);
  });

  it("RFC 7592: each PUT rotates the registration access token (the old one refused for GET, PUT and DELETE) and, with the quirk, the client_secret", async () => {
    await sb.admin.setQuirks("rat-bank", { rotate_client_secret_on_put: true });
    const claims = {
      ...registrationClaims(sb, ssa, rat),
      aud: rat.issuer,
      token_endpoint_auth_method: "client_secret_post",
      token_endpoint_auth_signing_alg: undefined,
    };
    const created = await register(sb, claims, { bank: rat, ssa });
    expect(created.status, created.text).toBe(201);
    const { client_id: id, registration_client_uri: rcu, registration_access_token: rat1 } = created.json;
    const secret1 = created.json.client_secret as string;
    const putWith = async (token: string) =>
      call(sb.agent, rcu, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/jwt" },
        body: await signRegistration(sb, { ...claims, jti: crypto.randomUUID(), client_id: id }),
      });
    const put = await putWith(rat1);
    expect(put.status, put.text).toBe(200);
    const rat2 = put.json.registration_access_token as string;
    const secret2 = put.json.client_secret as string;
    expect(rat2).toEqual(expect.any(String));
    expect(rat2).not.toBe(rat1);
    expect(secret2).toEqual(expect.any(String));
    expect(secret2).not.toBe(secret1);

    for (const [method, res] of [
      ["GET", await call(sb.agent, rcu, { headers: { authorization: `Bearer ${rat1}` } })],
      ["PUT", await putWith(rat1)],
      [
        "DELETE",
        await call(sb.agent, rcu, { method: "DELETE", headers: { authorization: `Bearer ${rat1}` } }),
      ],
    ] as const) {
      expect(res.status, `${method} with the old token`).toBe(401);
      expect(res.json.error).toBe("invalid_token");
    }
    expect((await postToken(id, secret1)).status).toBe(401);
    expect((await postToken(id, secret2)).status).toBe(200);
    expect((await call(sb.agent, rcu, { headers: { authorization: `Bearer ${rat2}` } })).status).toBe(200);
  });
});
