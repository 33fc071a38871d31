/**
 * One bank (ASPSP authorization server) on its own HTTPS port: its state, its signing key and its
 * route table. The routes live in bank_register.ts (/register), bank_token.ts (/token) and
 * bank_render.ts (discovery).
 */
import crypto from "node:crypto";
import path from "node:path";
import * as jose from "jose";
import { Agent, fetch } from "undici";
import { registrationHandlers } from "./bank_register.js";
import { discovery } from "./bank_render.js";
import { type BankState, registerUrl, tokenUrl } from "./bank_state.js";
import { tokenHandler } from "./bank_token.js";
import { FaultSet } from "./faults.js";
import { type RunningServer, startServer, type TimelineEntry } from "./http.js";
import { JtiCache } from "./jwt.js";
import type { BankConfig } from "./options.js";
import type { Pki } from "./pki.js";
import { BankQuirks, type BankQuirksPatch } from "./quirks.js";
import { RegistrationStore } from "./store.js";

export interface BankDeps {
  config: BankConfig;
  pki: Pki;
  dataDir: string;
  directoryJwksUrl: string;
  /** The directory's current origin: stored JWKS URLs from an earlier run (other port) are re-pointed to it. */
  directoryOrigin: string;
  host: string;
  log: boolean;
}

/** What the admin API shows of a registration: never secrets. */
export interface AdminRegistration {
  client_id: string;
  software_id: string;
  org_id: string;
  client_id_issued_at: number;
  metadata: Record<string, unknown>;
}

export interface BankServer {
  name: string;
  origin: string;
  issuer: string;
  discoveryUrl: string;
  registrationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  faults: FaultSet;
  quirks(): BankQuirks;
  setQuirks(patch: BankQuirksPatch): BankQuirks;
  registrations(): AdminRegistration[];
  /** Requests received, by route. */
  requests(): Record<string, number>;
  /** Each request since start or reset: arrival, answer, route (sandbox/http.ts). */
  timeline(): TimelineEntry[];
  reset(): void;
  close(): Promise<void>;
}

/** Starts one bank (ASPSP authorization server): discovery, /register (+ RFC 7592 management), /token, /jwks. */
export async function startBank(deps: BankDeps): Promise<BankServer> {
  const { config, pki } = deps;
  const quirks = BankQuirks.parse(config.quirks);
  const store = new RegistrationStore(path.join(deps.dataDir, "banks", `${config.name}.json`));
  const agent = new Agent({ connect: { ca: pki.caPem }, headersTimeout: 5000, bodyTimeout: 5000 });
  const bankKey = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const bankJwk = await jose.exportJWK(bankKey.publicKey);
  bankJwk.kid = await jose.calculateJwkThumbprint(bankJwk);
  bankJwk.alg = "ES256";
  bankJwk.use = "sig";

  const s: BankState = {
    config,
    realm: config.name,
    faults: new FaultSet(),
    store,
    tokens: new Map(),
    registrationJtis: new JtiCache(),
    assertionJtis: new JtiCache(),
    directoryJwksUrl: deps.directoryJwksUrl,
    directoryUrl: (stored) => {
      const u = new URL(stored);
      const d = new URL(deps.directoryOrigin);
      if (u.hostname === d.hostname && u.port !== d.port) u.port = d.port;
      return u.toString();
    },
    fetchJwks: async (jwksUrl) => {
      if (!jwksUrl.startsWith("https://")) throw new Error("JWKS URL must be https");
      const res = await fetch(jwksUrl, { dispatcher: agent, signal: AbortSignal.timeout(5000) });
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      const body = (await res.json()) as { keys?: unknown };
      if (!Array.isArray(body.keys)) throw new Error("not a JWKS");
      return body as jose.JSONWebKeySet;
    },
    quirks,
    origin: "",
  };
  const register = registrationHandlers(s);

  const server: RunningServer = await startServer({
    name: config.name,
    host: deps.host,
    port: config.port,
    cert: pki.server.certPem,
    key: pki.server.keyPem,
    ca: pki.caPem,
    faults: s.faults,
    maxBodyBytes: () => s.quirks.max_body_bytes,
    log: deps.log,
    routes: [
      {
        method: "GET",
        pattern: "/.well-known/openid-configuration",
        handler: () => ({ status: 200, json: discovery(s) }),
      },
      { method: "GET", pattern: "/jwks", handler: () => ({ status: 200, json: { keys: [bankJwk] } }) },
      { method: "POST", pattern: "/token", handler: tokenHandler(s) },
      { method: "POST", pattern: "/register", handler: register.register },
      { method: "GET", pattern: "/register/{client_id}", handler: register.get },
      { method: "PUT", pattern: "/register/{client_id}", handler: register.put },
      { method: "DELETE", pattern: "/register/{client_id}", handler: register.delete },
    ],
  });
  s.origin = server.origin;
  const origin = s.origin;

  return {
    name: config.name,
    origin,
    issuer: origin,
    discoveryUrl: `${origin}/.well-known/openid-configuration`,
    registrationEndpoint: registerUrl(s),
    tokenEndpoint: tokenUrl(s),
    jwksUri: `${origin}/jwks`,
    faults: s.faults,
    quirks: () => s.quirks,
    setQuirks: (patch) => {
      s.quirks = BankQuirks.parse({ ...s.quirks, ...patch });
      return s.quirks;
    },
    registrations: () =>
      s.store.list().map((r) => ({
        client_id: r.client_id,
        software_id: r.software_id,
        org_id: r.org_id,
        client_id_issued_at: r.client_id_issued_at,
        metadata: r.metadata,
      })),
    requests: () => server.requests(),
    timeline: () => server.timeline(),
    reset: () => {
      server.resetRequests();
      s.store.clear();
      s.tokens.clear();
      s.registrationJtis.clear();
      s.assertionJtis.clear();
      s.faults.clear();
      s.quirks = BankQuirks.parse(config.quirks);
    },
    close: async () => {
      await server.close();
      await agent.close();
    },
  };
}
