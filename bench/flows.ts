// The three clients the benchmark compares, each registering the sandbox software at N banks:
// - reference: the reference tool's flow run once per bank, sequentially (token + SSA + signed
//   request + POST, a new connection for every request), written with plain undici and jose;
// - minimal: the lower-bound flow (one token, one SSA, then every POST at once on keep-alive
//   connections), no validation: what the protocol allows at best;
// - core: ob-dcr's `createRegistration` for every bank at once with one shared context.
import { createPrivateKey, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import * as jose from "jose";
import { Agent, request } from "undici";
import { sandboxArgs } from "../examples/sandbox/program.js";
import {
  closeAgents,
  createContext,
  createRegistration,
  type RegistrationParamsInput,
} from "../provider/index.js";
import { toCoreParams } from "../provider/resource/args.js";
import type { ManifestBank, SandboxManifest } from "../sandbox/manifest.js";

const now = () => Math.floor(Date.now() / 1000);

export interface FlowResult {
  wall_ms: number;
  /** CPU of this process (user + system) over the run. */
  cpu_ms: number;
  client_ids: string[];
}

interface Material {
  m: SandboxManifest;
  softwareId: string;
  orgId: string;
  kid: string;
  keyPem: string;
  certPem: string;
  transportKeyPem: string;
  caPem: string;
  redirectUri: string;
}

function material(m: SandboxManifest): Material {
  const org = m.orgs[0]!;
  const sw = org.softwares[0]!;
  return {
    m,
    softwareId: sw.software_id,
    orgId: org.org_id,
    kid: sw.signing.kid,
    keyPem: readFileSync(sw.signing.private_key_file, "utf8"),
    certPem: readFileSync(sw.transport.cert_file, "utf8"),
    transportKeyPem: readFileSync(sw.transport.key_file, "utf8"),
    caPem: readFileSync(m.ca_cert_file, "utf8"),
    redirectUri: sw.software_redirect_uris[0]!,
  };
}

function banksOf(m: SandboxManifest, names: string[]): ManifestBank[] {
  return names.map((n) => {
    const b = m.banks.find((x) => x.name === n);
    if (!b) throw new Error(`no bank ${n} in the sandbox manifest`);
    return b;
  });
}

async function measure(run: () => Promise<string[]>): Promise<FlowResult> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const client_ids = await run();
  const wall_ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wall_ms, cpu_ms: (cpu.user + cpu.system) / 1000, client_ids };
}

async function call(
  agent: Agent,
  url: string,
  init: { method: "GET" | "POST"; headers: Record<string, string>; body?: string },
): Promise<{ status: number; text: string }> {
  const res = await request(url, {
    dispatcher: agent,
    method: init.method,
    headers: init.headers,
    body: init.body ?? null,
  });
  return { status: res.statusCode, text: await res.body.text() };
}

function mtls(x: Material): Agent {
  return new Agent({ connect: { cert: x.certPem, key: x.transportKeyPem, ca: x.caPem } });
}

/** One request on a connection of its own, closed afterwards (the reference tool's HTTP). */
async function oneShot(
  x: Material,
  url: string,
  init: { method: "GET" | "POST"; headers: Record<string, string>; body?: string },
): Promise<{ status: number; text: string }> {
  const agent = mtls(x);
  try {
    return await call(agent, url, init);
  } finally {
    await agent.close();
  }
}

function sign(x: Material, claims: Record<string, unknown>): Promise<string> {
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: "PS256", kid: x.kid, typ: "JWT" })
    .sign(createPrivateKey(x.keyPem));
}

async function directoryToken(x: Material, keepAlive?: Agent): Promise<string> {
  const assertion = await sign(x, {
    iss: x.softwareId,
    sub: x.softwareId,
    aud: x.m.directory.token_endpoint,
    iat: now(),
    exp: now() + 300,
    jti: randomUUID(),
  });
  const init = {
    method: "POST" as const,
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: x.softwareId,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion,
      scope: x.m.directory.scope,
    }).toString(),
  };
  const res = keepAlive
    ? await call(keepAlive, x.m.directory.token_endpoint, init)
    : await oneShot(x, x.m.directory.token_endpoint, init);
  if (res.status !== 200) throw new Error(`directory token: HTTP ${res.status}`);
  return (JSON.parse(res.text) as { access_token: string }).access_token;
}

async function downloadSsa(x: Material, token: string, keepAlive?: Agent): Promise<string> {
  const url = x.m.directory.ssa_endpoint_template
    .replace("{org_id}", x.orgId)
    .replace("{software_id}", x.softwareId);
  const init = {
    method: "GET" as const,
    headers: { authorization: `Bearer ${token}`, accept: "application/jws" },
  };
  const res = keepAlive ? await call(keepAlive, url, init) : await oneShot(x, url, init);
  if (res.status !== 200) throw new Error(`SSA download: HTTP ${res.status}`);
  return res.text.trim();
}

function registrationClaims(x: Material, bank: ManifestBank, ssa: string): Record<string, unknown> {
  return {
    iss: x.softwareId,
    aud: bank.org_id,
    iat: now(),
    exp: now() + 300,
    jti: randomUUID(),
    software_statement: ssa,
    software_id: x.softwareId,
    redirect_uris: [x.redirectUri],
    token_endpoint_auth_method: "private_key_jwt",
    token_endpoint_auth_signing_alg: "PS256",
    grant_types: ["authorization_code", "client_credentials", "refresh_token"],
    response_types: ["code id_token"],
    application_type: "web",
    id_token_signed_response_alg: "PS256",
    request_object_signing_alg: "PS256",
    scope: "openid accounts",
  };
}

async function postRegistration(x: Material, bank: ManifestBank, jwt: string, keepAlive?: Agent) {
  const init = {
    method: "POST" as const,
    headers: { "content-type": "application/jwt", accept: "application/json" },
    body: jwt,
  };
  const res = keepAlive
    ? await call(keepAlive, bank.registration_endpoint, init)
    : await oneShot(x, bank.registration_endpoint, init);
  if (res.status !== 201) throw new Error(`registration at ${bank.name}: HTTP ${res.status} ${res.text}`);
  return (JSON.parse(res.text) as { client_id: string }).client_id;
}

/** The reference tool run once per bank, one bank after the other, a new connection per request. */
export function runReference(m: SandboxManifest, names: string[]): Promise<FlowResult> {
  const x = material(m);
  const banks = banksOf(m, names);
  return measure(async () => {
    const ids: string[] = [];
    for (const bank of banks) {
      const token = await directoryToken(x);
      const ssa = await downloadSsa(x, token);
      const jwt = await sign(x, registrationClaims(x, bank, ssa));
      ids.push(await postRegistration(x, bank, jwt));
    }
    return ids;
  });
}

/** The lower-bound flow: one token, one SSA, every POST at once on keep-alive connections; no checks. */
export function runMinimal(m: SandboxManifest, names: string[]): Promise<FlowResult> {
  const x = material(m);
  const banks = banksOf(m, names);
  return measure(async () => {
    const agent = mtls(x);
    try {
      const token = await directoryToken(x, agent);
      const ssa = await downloadSsa(x, token, agent);
      return await Promise.all(
        banks.map(async (bank) =>
          postRegistration(x, bank, await sign(x, registrationClaims(x, bank, ssa)), agent),
        ),
      );
    } finally {
      await agent.close();
    }
  });
}

/** The core parameters the Pulumi resource would pass for a sandbox bank (examples/sandbox args). */
export async function coreParams(m: SandboxManifest, name: string): Promise<RegistrationParamsInput> {
  return toCoreParams(sandboxArgs(m, name) as Parameters<typeof toCoreParams>[0]);
}

/** ob-dcr's core library: every bank at once, one context (caches), cold connections at the start. */
export async function runCore(m: SandboxManifest, names: string[]): Promise<FlowResult & { stats: unknown }> {
  const params = await Promise.all(names.map((n) => coreParams(m, n)));
  await closeAgents();
  const ctx = createContext();
  const r = await measure(async () => {
    const outcomes = await Promise.all(params.map((p) => createRegistration(p, ctx)));
    return outcomes.map((o) => o.client_id);
  });
  await closeAgents();
  return { ...r, stats: { ...ctx.stats } };
}
