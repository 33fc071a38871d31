/**
 * rfc7591 profile against oidc-provider (npm) on 127.0.0.1 with registration and RFC 7592
 * registration management enabled: register, read, update with token rotation, delete.
 */

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  closeAgents,
  createContext,
  createRegistration,
  deleteRegistration,
  type RegistrationParamsInput,
  readRegistration,
  updateRegistration,
} from "../../provider/index.js";
import { testKey } from "../core/helpers.js";

let server: Server;
let issuer: string;

beforeAll(async () => {
  const pkg = "oidc-provider"; // untyped package: loaded by name
  const { default: Provider } = await import(pkg);
  server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const jose = await import("jose");
  const rsa = await jose.generateKeyPair("PS256", { extractable: true });
  const ec = await jose.generateKeyPair("ES256", { extractable: true });
  const provider = new Provider(issuer, {
    jwks: { keys: [await jose.exportJWK(rsa.privateKey), await jose.exportJWK(ec.privateKey)] },
    enabledJWA: { idTokenSigningAlgValues: ["PS256", "ES256", "RS256"] },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
    },
  });
  server.on("request", provider.callback());
});

afterAll(async () => {
  await closeAgents();
  await new Promise((r) => server.close(r));
});

describe("rfc7591 ↔ oidc-provider", () => {
  it("register, read, update (RAT rotated), delete, then gone", async () => {
    const k = await testKey("PS256");
    const params: RegistrationParamsInput = {
      profile: "rfc7591",
      bank: { discovery_url: `${issuer}/.well-known/openid-configuration` },
      signing_key: { kid: "kid-1", alg: "PS256", private_key: k.pem },
      client: {
        redirect_uris: ["https://tpp.example.com/cb"],
        response_types: ["code"],
        grant_types: ["authorization_code", "refresh_token"],
        token_endpoint_auth_method: "client_secret_basic",
        id_token_signed_response_alg: "PS256",
        request_object_signing_alg: "PS256",
        scope: [],
        send_software_id: false,
        extra: { client_name: "ob-dcr interop" },
      },
    };
    const ctx = createContext({ transport: { allow_http_loopback: true } });
    const created = await createRegistration(params, ctx);
    expect(created.client_id).toBeTruthy();
    expect(created.secrets.client_secret).toBeTruthy();
    expect(created.secrets.registration_access_token).toBeTruthy();
    expect(created.registration_client_uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/reg\//);
    expect(created.metadata).not.toHaveProperty("registration_access_token");
    expect(created.metadata.client_name).toBe("ob-dcr interop");
    const state = {
      client_id: created.client_id,
      registration_client_uri: created.registration_client_uri,
      secrets: created.secrets,
    };

    const read = await readRegistration(params, state, ctx);
    expect(read.client_id).toBe(created.client_id);
    expect(read.metadata.redirect_uris).toEqual(["https://tpp.example.com/cb"]);

    const updated = await updateRegistration(
      { ...params, client: { ...params.client, extra: { client_name: "renamed" } } },
      { ...state, secrets: read.secrets },
      ctx,
    );
    expect(updated.metadata.client_name).toBe("renamed");
    expect(updated.secrets.registration_access_token).toBeTruthy();
    expect(updated.secrets.registration_access_token).not.toBe(read.secrets.registration_access_token);

    // the old token no longer works
    await expect(readRegistration(params, { ...state, secrets: read.secrets }, ctx)).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_GONE",
    });
    const newState = { ...state, secrets: updated.secrets };
    expect(await deleteRegistration(params, newState, ctx)).toBe("deleted");
    await expect(readRegistration(params, newState, ctx)).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_GONE",
    });
    expect(await deleteRegistration(params, newState, ctx)).toBe("gone");
  });

  it("a rejected registration surfaces the RFC 7591 error; pre-flight names the field", async () => {
    const k = await testKey("ES256");
    const bad = (redirect: string) =>
      createRegistration(
        {
          profile: "rfc7591",
          bank: { discovery_url: `${issuer}/.well-known/openid-configuration` },
          signing_key: { kid: "k", alg: "ES256", private_key: k.pem },
          client: {
            redirect_uris: [redirect],
            response_types: ["code"],
            grant_types: ["authorization_code"],
            token_endpoint_auth_method: "client_secret_basic",
            id_token_signed_response_alg: "ES256",
            request_object_signing_alg: "ES256",
            scope: [],
          },
        },
        createContext({ transport: { allow_http_loopback: true } }),
      );
    await expect(bad("not a url")).rejects.toMatchObject({
      code: "OBDCR_INVALID_INPUT",
      field: "client.redirect_uris.0",
    });
    await expect(bad("https://tpp.example.com/cb#fragment")).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_REJECTED",
      status: 400,
      error: "invalid_redirect_uri",
    });
  });
});
