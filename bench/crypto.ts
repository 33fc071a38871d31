// CPU of the signing and verification a registration does (PS256, the sandbox software's key):
// the signed registration request, the directory client assertion and the SSA verification.
import { randomUUID } from "node:crypto";
import {
  importSigningKey,
  type SigningKey,
  signClientAssertion,
  signRegistrationRequest,
} from "../provider/core/index.js";
import { createContext, fetchJwks, getSsa, verifySsa } from "../provider/http/index.js";
import type { SandboxManifest } from "../sandbox/manifest.js";
import { software } from "../test/support/params.js";
import { coreParams } from "./flows.js";

export interface CryptoCpu {
  iterations: number;
  alg: string;
  /** CPU ms per operation (user + system, this process). */
  sign_registration_request_ms: number;
  sign_client_assertion_ms: number;
  verify_ssa_ms: number;
}

async function cpuPerOp(iterations: number, op: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(20, iterations); i++) await op(); // warm-up
  const c0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await op();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / iterations;
}

/** Needs the sandbox running (one SSA download and one JWKS fetch); the loops are offline. */
export async function cryptoCpu(iterations: number, m: SandboxManifest, bank: string): Promise<CryptoCpu> {
  const p = await coreParams(m, bank);
  const sk = p.signing_key as { kid: string; alg: "PS256"; private_key: string };
  const key: SigningKey = await importSigningKey(sk);
  const tls = p.transport as { cert: string; key: string; ca: string };
  const { org, sw } = software({ manifest: m });
  const ctx = createContext();
  const ssa = await getSsa(ctx, {
    token_endpoint: m.directory.token_endpoint,
    ssa_endpoint: m.directory.ssa_endpoint_template,
    org_id: org.org_id,
    software_id: sw.software_id,
    scope: m.directory.scope.split(" "),
    max_age_seconds: 600,
    key,
    tls,
  });
  const jwks = await fetchJwks(ctx, m.directory.jwks_uri, tls);
  const now = () => Math.floor(Date.now() / 1000);
  const claims = () => ({
    iss: sw.software_id,
    aud: "0015800000jfQ9aAAE",
    iat: now(),
    exp: now() + 300,
    jti: randomUUID(),
    software_statement: ssa,
    software_id: sw.software_id,
    redirect_uris: sw.software_redirect_uris.slice(0, 1),
    token_endpoint_auth_method: "private_key_jwt",
    grant_types: ["authorization_code", "client_credentials", "refresh_token"],
    response_types: ["code id_token"],
    scope: "openid accounts",
  });
  return {
    iterations,
    alg: key.alg,
    sign_registration_request_ms: await cpuPerOp(iterations, () => signRegistrationRequest(claims(), key)),
    sign_client_assertion_ms: await cpuPerOp(iterations, () =>
      signClientAssertion(key, {
        client_id: sw.software_id,
        audience: m.directory.token_endpoint,
        now: now(),
        jti: randomUUID(),
      }),
    ),
    verify_ssa_ms: await cpuPerOp(iterations, () =>
      verifySsa(ctx, ssa, {
        issuer: m.directory.issuer,
        software_id: sw.software_id,
        org_id: org.org_id,
        jwks,
        tls,
      }),
    ),
  };
}
