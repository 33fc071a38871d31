/** Full flow against the sandbox over real TLS/mTLS: directory token → SSA → register → get → update → delete. */
import * as jose from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import type { GoneUnconfirmedError } from "../../provider/core/errors.js";
import { fetchJwks } from "../../provider/http/jwks.js";
import {
  closeAgents,
  createContext,
  createRegistration,
  deleteRegistration,
  type ObDcrContext,
  type ProfileName,
  type RegistrationParamsInput,
  readRegistration,
  updateRegistration,
} from "../../provider/index.js";
import { sandboxForFile } from "../support/hooks.js";
import { HTTP_BANKS, paramsFor, stateOf } from "./sandbox_helpers.js";

const sb = sandboxForFile({ prefix: "http", banks: HTTP_BANKS }, closeAgents);
let ctx: ObDcrContext;

beforeEach(async () => {
  await sb.admin.reset();
  ctx = createContext();
});

/**
 * After a DELETE: a registration access token's 401 is the declared "gone"; an OBIE bank's
 * invalid_client at its token endpoint is ambiguous (a wrong key looks the same), so it is gone
 * only once the caller confirms, after our own side checked out.
 */
async function expectGoneAfterDelete(params: RegistrationParamsInput, state: ReturnType<typeof stateOf>) {
  if (state.secrets.registration_access_token) {
    await expect(readRegistration(params, state, ctx)).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_GONE",
    });
    return;
  }
  const e = await readRegistration(params, state, ctx).catch((x: unknown) => x);
  expect(e).toMatchObject({ code: "OBDCR_GONE_UNCONFIRMED", client_id: state.client_id, field: undefined });
  expect((e as GoneUnconfirmedError).checks.every((c) => c.ok)).toBe(true);
  await expect(readRegistration(params, state, ctx, { confirm_gone: true })).rejects.toMatchObject({
    code: "OBDCR_REGISTRATION_GONE",
  });
}

async function lifecycle(params: RegistrationParamsInput, bank: string) {
  const created = await createRegistration(params, ctx);
  expect(created.client_id).toBeTruthy();
  const regs = await sb.admin.registrations(bank);
  expect(regs.map((r) => r.client_id)).toContain(created.client_id);
  const read = await readRegistration(params, stateOf(created), ctx);
  expect(read.client_id).toBe(created.client_id);
  const p2 = { ...params, client: { ...params.client, scope: "openid payments" } } as RegistrationParamsInput;
  const updated = await updateRegistration(p2, stateOf(read), ctx);
  expect(updated.metadata.scope).toBe("openid payments");
  expect(await deleteRegistration(p2, stateOf(updated), ctx)).toBe("deleted");
  await expectGoneAfterDelete(p2, stateOf(updated));
  expect(await sb.admin.registrations(bank)).toHaveLength(0);
  return { created, updated };
}

describe.each(["obie-3.2", "obie-3.3", "obie-3.4"] as const)(
  "%s full flow (OBIE management)",
  (profile: ProfileName) => {
    it("private_key_jwt", async () => {
      const { created } = await lifecycle(paramsFor(sb, "sandbox-bank", profile), "sandbox-bank");
      expect(created.metadata.token_endpoint_auth_method).toBe("private_key_jwt");
      expect(created.substitutions).toEqual([]);
      expect(ctx.stats.ssa_downloads).toBe(1); // one download served create and update
    });
    it("tls_client_auth with a DN derived from the transport certificate", async () => {
      const p = paramsFor(sb, "sandbox-bank", profile, {
        client: { token_endpoint_auth_method: "tls_client_auth" },
      });
      const { created } = await lifecycle(p, "sandbox-bank");
      expect(created.metadata.tls_client_auth_subject_dn).toBe(
        sb.manifest.orgs[0]?.softwares[0]?.transport.subject_dn,
      );
    });
  },
);

describe("obie-3.1", () => {
  it("is refused pre-flight for a 22-char software_id (iss ≤ 18)", async () => {
    await expect(createRegistration(paramsFor(sb, "sandbox-bank", "obie-3.1"), ctx)).rejects.toMatchObject({
      code: "OBDCR_INVALID_INPUT",
      field: "software.software_id",
    });
  });
});

describe("ES256 signing", () => {
  it("registers with the ES256 key", async () => {
    const p = paramsFor(sb, "sandbox-bank", "obie-3.2", {
      es256: true,
      client: {
        token_endpoint_auth_signing_alg: "ES256",
        id_token_signed_response_alg: "ES256",
        request_object_signing_alg: "ES256",
      },
    });
    await lifecycle(p, "sandbox-bank");
  });
});

describe("RFC 7592 management", () => {
  it("obie-3.2 JWT request with registration access token (rotated on PUT)", async () => {
    const p = paramsFor(sb, "rat-bank", "obie-3.2", { bank_profile: { management: { style: "rfc7592" } } });
    const { created, updated } = await lifecycle(p, "rat-bank");
    expect(created.secrets.registration_access_token).toBeTruthy();
    expect(created.registration_client_uri).toBeTruthy();
    expect(updated.secrets.registration_access_token).not.toBe(created.secrets.registration_access_token);
  });
  it("rfc7591 JSON with a software statement", async () => {
    const p = paramsFor(sb, "json-bank", "rfc7591");
    const { created } = await lifecycle(p, "json-bank");
    expect(created.metadata.software_statement).toBeTruthy();
  });
});

describe("client_secret_basic management", () => {
  it("keeps the client_secret apart and uses it for the management token", async () => {
    const p = paramsFor(sb, "secret-bank", "obie-3.2", {
      client: { token_endpoint_auth_method: "client_secret_basic" },
    });
    const { created } = await lifecycle(p, "secret-bank");
    expect(created.secrets.client_secret).toBeTruthy();
    expect(JSON.stringify(created.metadata)).not.toContain(created.secrets.client_secret as string);
  });
});

describe("directory", () => {
  it("one SSA download and one token serve several banks; the SSA verifies against the directory JWKS", async () => {
    const a = await createRegistration(paramsFor(sb, "sandbox-bank", "obie-3.2"), ctx);
    const b = await createRegistration(
      paramsFor(sb, "rat-bank", "obie-3.3", { bank_profile: { management: { style: "rfc7592" } } }),
      ctx,
    );
    expect(a.client_id).not.toBe(b.client_id);
    expect(ctx.stats.ssa_downloads).toBe(1);
    const ssa = a.metadata.software_statement as string;
    // Verified here with the directory's published keys (fetched over the sandbox's TLS), not trusted.
    const ca = (paramsFor(sb, "sandbox-bank", "obie-3.2").transport as { ca?: string }).ca;
    const jwks = await fetchJwks(createContext(), sb.manifest.directory.jwks_uri, { ca });
    const verified = await jose.jwtVerify(ssa, jose.createLocalJWKSet(jwks as jose.JSONWebKeySet), {
      algorithms: ["PS256"],
      issuer: "OpenBanking Ltd",
    });
    expect(verified.payload.software_id).toBe(sb.manifest.orgs[0]!.softwares[0]!.software_id);
    const tampered = `${ssa.slice(0, ssa.lastIndexOf(".") + 1)}${"A".repeat(ssa.length - ssa.lastIndexOf(".") - 1)}`;
    await expect(
      jose.jwtVerify(tampered, jose.createLocalJWKSet(jwks as jose.JSONWebKeySet), { algorithms: ["PS256"] }),
    ).rejects.toMatchObject({ code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" });
  });
  it("an SSA older than ssa_max_age_seconds is downloaded again", async () => {
    let now = Math.floor(Date.now() / 1000);
    ctx = createContext({ now: () => now });
    const p = paramsFor(sb, "sandbox-bank", "obie-3.2", { directory: { ssa_max_age_seconds: 60 } });
    await createRegistration(p, ctx);
    now += 61;
    // The clock moved past the bank's tolerance: the bank refuses the request (not a transport
    // or SSA failure: the fresh SSA was downloaded and verified).
    await expect(createRegistration(p, ctx)).rejects.toMatchObject({
      code: "OBDCR_REGISTRATION_REJECTED",
      status: 400,
    });
    expect(ctx.stats.ssa_downloads).toBe(2);
  });
  it("an inline SSA works without directory endpoints", async () => {
    const first = await createRegistration(paramsFor(sb, "sandbox-bank", "obie-3.2"), ctx);
    const ssa = first.metadata.software_statement as string;
    await sb.admin.reset();
    const p = paramsFor(sb, "sandbox-bank", "obie-3.2");
    const inline = {
      ...p,
      directory: { software_statement: ssa, jwks_uri: sb.manifest.directory.jwks_uri },
    } as RegistrationParamsInput;
    const r = await createRegistration(inline, createContext());
    expect(r.client_id).toBeTruthy();
  });
});
