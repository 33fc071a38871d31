// The three clients the benchmark compares, each registering the sandbox software at N banks:
// - reference: the reference tool's flow run once per bank, sequentially (token + SSA + signed
//   request + POST, a new connection for every request), written with plain undici and jose;
// - minimal: the lower-bound flow (one token, one SSA, then every POST at once on keep-alive
//   connections), no validation: what the protocol allows at best;
// - core: ob-dcr's `createRegistration` for every bank at once with one shared context.
import { Agent } from "undici";
import {
  closeAgents,
  createContext,
  createRegistration,
  type RegistrationParamsInput,
} from "../provider/index.js";
import { toCoreParams } from "../provider/resource/args.js";
import type { ManifestBank, SandboxManifest } from "../sandbox/manifest.js";
import { bankOf, pulumiArgs, software } from "../test/support/params.js";
import {
  directoryToken,
  downloadSsa,
  type Party,
  postRegister,
  registrationClaims,
  signRegistration,
  tlsOptions,
} from "../test/support/reference_client.js";

export interface FlowResult {
  wall_ms: number;
  /** CPU of this process (user + system) over the run. */
  cpu_ms: number;
  client_ids: string[];
}

type Client = Party & { tls: ReturnType<typeof tlsOptions> };

/** The reference client for the sandbox software: its TLS material read once, a keep-alive agent. */
function client(m: SandboxManifest): Client {
  const { org, sw } = software({ manifest: m });
  const tls = tlsOptions(m, sw);
  return { manifest: m, sw, orgId: org.org_id, bank: m.banks[0]!, agent: new Agent({ connect: tls }), tls };
}

async function measure(run: () => Promise<string[]>): Promise<FlowResult> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const client_ids = await run();
  const wall_ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wall_ms, cpu_ms: (cpu.user + cpu.system) / 1000, client_ids };
}

/** One request on a connection of its own, closed afterwards (the reference tool's HTTP). */
async function oneShot<T>(x: Client, send: (agent: Agent) => Promise<T>): Promise<T> {
  const agent = new Agent({ connect: x.tls });
  try {
    return await send(agent);
  } finally {
    await agent.close();
  }
}

/** The request the core sends too: the software's first redirect URI, scope "openid accounts". */
function claims(x: Client, bank: ManifestBank, ssa: string): Record<string, unknown> {
  return {
    ...registrationClaims(x, ssa, bank),
    redirect_uris: x.sw.software_redirect_uris.slice(0, 1),
    scope: "openid accounts",
  };
}

async function registered(x: Client, bank: ManifestBank, ssa: string, agent: Agent) {
  const jwt = await signRegistration(x, claims(x, bank, ssa));
  const res = await postRegister(x, jwt, { bank, agent, contentType: "application/jwt" });
  if (res.status !== 201) throw new Error(`registration at ${bank.name}: HTTP ${res.status} ${res.text}`);
  return res.json.client_id as string;
}

/** The reference tool run once per bank, one bank after the other, a new connection per request. */
export async function runReference(m: SandboxManifest, names: string[]): Promise<FlowResult> {
  const x = client(m);
  const banks = names.map((n) => bankOf({ manifest: m }, n));
  try {
    return await measure(async () => {
      const ids: string[] = [];
      for (const bank of banks) {
        const token = await oneShot(x, (agent) => directoryToken(x, x.sw, agent));
        const ssa = await oneShot(x, (agent) => downloadSsa(x, token, x.sw, x.orgId, agent));
        ids.push(await oneShot(x, (agent) => registered(x, bank, ssa, agent)));
      }
      return ids;
    });
  } finally {
    await x.agent.close();
  }
}

/** The lower-bound flow: one token, one SSA, every POST at once on keep-alive connections; no checks. */
export async function runMinimal(m: SandboxManifest, names: string[]): Promise<FlowResult> {
  const x = client(m);
  const banks = names.map((n) => bankOf({ manifest: m }, n));
  try {
    return await measure(async () => {
      const ssa = await downloadSsa(x, await directoryToken(x));
      return await Promise.all(banks.map((bank) => registered(x, bank, ssa, x.agent)));
    });
  } finally {
    await x.agent.close();
  }
}

/** The core parameters the Pulumi resource would pass for a sandbox bank. */
export async function coreParams(m: SandboxManifest, name: string): Promise<RegistrationParamsInput> {
  return toCoreParams(pulumiArgs({ manifest: m }, name) as Parameters<typeof toCoreParams>[0]);
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
