/**
 * One CDR data holder on its own HTTPS port: discovery, /jwks, /connect/token and the registration
 * endpoint (/connect/register, like the mock DH). Registrations persist in `<dataDir>/holders/<name>.json`.
 */
import crypto from "node:crypto";
import path from "node:path";
import * as jose from "jose";
import { Agent, fetch } from "undici";
import { type Route, type RunningServer, startServer } from "../http.js";
import { JtiCache } from "../jwt.js";
import { RegistrationStore } from "../store.js";
import { registrationHandlers } from "./holder_register.js";
import {
  dropClient,
  GRANT_TYPES,
  type HolderState,
  holderUrls,
  JWE_ALGS,
  JWE_ENCS,
  RESPONSE_TYPES,
  SIGNING_ALGS,
} from "./holder_state.js";
import { holderTokenHandler } from "./holder_token.js";
import type { HolderConfig, ProductStatus } from "./options.js";
import type { CdrPki } from "./pki.js";

export interface HolderServer {
  name: string;
  config: HolderConfig;
  urls: ReturnType<typeof holderUrls>;
  clients(): Array<{ client_id: string; software_id: string; metadata: Record<string, unknown> }>;
  /** Out-of-band deletion (and token revocation); false when unknown. */
  deleteClient(clientId: string): boolean;
  /** Drops every registration of a software product (REMOVED at the Register). */
  dropSoftware(softwareId: string): void;
  requests(): Record<string, number>;
  resetRequests(): void;
  close(): Promise<void>;
}

/** OIDC discovery of a CDR DH (§1.3): what a client reads before registering. */
function discovery(s: HolderState) {
  const u = holderUrls(s);
  return {
    issuer: u.issuer,
    authorization_endpoint: u.authorize,
    token_endpoint: u.token,
    jwks_uri: u.jwks,
    registration_endpoint: u.registration,
    scopes_supported: s.config.scopes_supported,
    response_types_supported: [...RESPONSE_TYPES],
    response_modes_supported: ["jwt"],
    grant_types_supported: [...GRANT_TYPES],
    subject_types_supported: ["pairwise"],
    acr_values_supported: ["urn:cds.au:cdr:2", "urn:cds.au:cdr:3"],
    token_endpoint_auth_methods_supported: ["private_key_jwt"],
    token_endpoint_auth_signing_alg_values_supported: [...SIGNING_ALGS],
    id_token_signing_alg_values_supported: [...SIGNING_ALGS],
    id_token_encryption_alg_values_supported: [...JWE_ALGS],
    id_token_encryption_enc_values_supported: [...JWE_ENCS],
    request_object_signing_alg_values_supported: [...SIGNING_ALGS],
    authorization_signing_alg_values_supported: [...SIGNING_ALGS],
    authorization_encryption_alg_values_supported: [...JWE_ALGS],
    authorization_encryption_enc_values_supported: [...JWE_ENCS],
    require_pushed_authorization_requests: true,
    tls_client_certificate_bound_access_tokens: true,
    claims_supported: ["sub", "acr", "auth_time", "name", "given_name", "family_name", "updated_at"],
  };
}

export async function startHolder(deps: {
  config: HolderConfig;
  pki: CdrPki;
  dataDir: string;
  registerJwksUrl: string;
  /** The Register's current origin: stored product URLs from an earlier run (other port) are re-pointed to it. */
  registerOrigin: string;
  productStatus: (softwareId: string) => ProductStatus | undefined;
  host: string;
  log: boolean;
}): Promise<HolderServer> {
  const { config, pki } = deps;
  const agent = new Agent({ connect: { ca: pki.caPem }, headersTimeout: 5000, bodyTimeout: 5000 });
  const key = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = await jose.exportJWK(key.publicKey);
  jwk.kid = await jose.calculateJwkThumbprint(jwk);
  const s: HolderState = {
    config,
    store: new RegistrationStore(path.join(deps.dataDir, "holders", `${config.name}.json`)),
    tokens: new Map(),
    registrationJtis: new JtiCache(),
    assertionJtis: new JtiCache(),
    registerJwksUrl: deps.registerJwksUrl,
    productStatus: deps.productStatus,
    currentUrl: (stored) => {
      const u = new URL(stored);
      const r = new URL(deps.registerOrigin);
      if (u.hostname === r.hostname && u.port !== r.port) u.port = r.port;
      return u.toString();
    },
    fetchJson: async (url) => {
      if (!url.startsWith("https://")) throw new Error("only https URLs are fetched");
      const res = await fetch(url, { dispatcher: agent, signal: AbortSignal.timeout(5000) });
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      return res.json();
    },
    origin: "",
  };
  const reg = registrationHandlers(s);
  const routes: Route[] = [
    {
      method: "GET",
      pattern: "/.well-known/openid-configuration",
      handler: () => ({ status: 200, json: discovery(s) }),
    },
    {
      method: "GET",
      pattern: "/jwks",
      handler: () => ({ status: 200, json: { keys: [{ ...jwk, alg: "ES256", use: "sig" }] } }),
    },
    { method: "POST", pattern: "/connect/token", handler: holderTokenHandler(s) },
    { method: "POST", pattern: "/connect/register", handler: reg.register },
    { method: "GET", pattern: "/connect/register/{client_id}", handler: reg.get },
    { method: "PUT", pattern: "/connect/register/{client_id}", handler: reg.put },
  ];
  // Without DELETE the route table answers 405 + Allow (DELETE is optional in CDR).
  if (config.delete_supported)
    routes.push({ method: "DELETE", pattern: "/connect/register/{client_id}", handler: reg.delete });
  const server: RunningServer = await startServer({
    name: config.name,
    host: deps.host,
    port: config.port,
    cert: pki.server.certPem,
    key: pki.server.keyPem,
    ca: pki.caPem,
    maxBodyBytes: () => 64 * 1024,
    log: deps.log,
    routes,
  });
  s.origin = server.origin;
  return {
    name: config.name,
    config,
    urls: holderUrls(s),
    clients: () =>
      s.store
        .list()
        .map((r) => ({ client_id: r.client_id, software_id: r.software_id, metadata: r.metadata })),
    deleteClient: (clientId) => dropClient(s, clientId),
    dropSoftware: (softwareId) => {
      for (const r of s.store.list()) if (r.software_id === softwareId) dropClient(s, r.client_id);
    },
    requests: () => server.requests(),
    resetRequests: () => server.resetRequests(),
    close: async () => {
      await server.close();
      await agent.close();
    },
  };
}
