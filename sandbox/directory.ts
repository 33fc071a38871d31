/**
 * The OB Directory stand-in on its own HTTPS port: its state and route table. The routes live in
 * directory_token.ts (token endpoint), directory_ssa.ts (SSA API) and directory_keystore.ts (JWKS).
 */

import type { BankListStore } from "./bank_list.js";
import { type DirectoryContext, type DirectoryToken, directoryUrls } from "./directory_context.js";
import { keystoreRoutes } from "./directory_keystore.js";
import { scimRoutes } from "./directory_scim.js";
import { ssaHandler } from "./directory_ssa.js";
import { DIRECTORY_ALGS, DIRECTORY_SCOPES, directoryTokenHandler } from "./directory_token.js";
import type { FaultSet } from "./faults.js";
import { type RunningServer, startServer, type TimelineEntry } from "./http.js";
import { JtiCache } from "./jwt.js";
import type { OrgConfig } from "./options.js";
import type { Pki } from "./pki.js";

export { SSA_ISSUER } from "./directory_ssa.js";
export { DIRECTORY_SCOPES } from "./directory_token.js";

export interface DirectoryDeps {
  orgs: OrgConfig[];
  pki: Pki;
  faults: FaultSet;
  host: string;
  port: number;
  log: boolean;
}

export interface DirectoryServer {
  origin: string;
  tokenEndpoint: string;
  jwksUri: string;
  ssaEndpointTemplate: string;
  softwareJwksUrl(orgId: string, softwareId: string): string;
  softwareRevokedJwksUrl(orgId: string, softwareId: string): string;
  /** Requests received, by route. */
  requests(): Record<string, number>;
  /** Each request since start or reset: arrival, answer, route (sandbox/http.ts). */
  timeline(): TimelineEntry[];
  /** The SCIM list of ASPSPs (set once the banks it lists are up). */
  list: { store?: BankListStore | undefined };
  reset(): void;
  close(): Promise<void>;
}

/** Starts the OB Directory stand-in: JWKS, mTLS token endpoint (private_key_jwt), SSA API. */
export async function startDirectory(deps: DirectoryDeps): Promise<DirectoryServer> {
  const { pki } = deps;
  let origin = "";
  const urls = directoryUrls(() => origin);
  const list: DirectoryServer["list"] = {};
  const ctx: DirectoryContext = {
    orgs: deps.orgs,
    pki,
    faults: deps.faults,
    tokens: new Map<string, DirectoryToken>(),
    jtis: new JtiCache(),
    urls,
  };

  const server: RunningServer = await startServer({
    name: "directory",
    host: deps.host,
    port: deps.port,
    cert: pki.server.certPem,
    key: pki.server.keyPem,
    ca: pki.caPem,
    faults: deps.faults,
    maxBodyBytes: () => 64 * 1024,
    log: deps.log,
    routes: [
      {
        method: "GET",
        pattern: "/.well-known/openid-configuration",
        handler: () => ({
          status: 200,
          json: {
            issuer: origin,
            token_endpoint: urls.token(),
            jwks_uri: urls.jwks(),
            token_endpoint_auth_methods_supported: ["private_key_jwt"],
            token_endpoint_auth_signing_alg_values_supported: [...DIRECTORY_ALGS],
            grant_types_supported: ["client_credentials"],
            scopes_supported: [...DIRECTORY_SCOPES],
          },
        }),
      },
      ...keystoreRoutes(ctx),
      { method: "POST", pattern: "/as/token.oauth2", handler: directoryTokenHandler(ctx) },
      { method: "GET", pattern: "/api/v2/tpp/{org_id}/ssa/{software_id}", handler: ssaHandler(ctx) },
      ...scimRoutes(
        ctx,
        () => list.store,
        () => origin,
      ),
    ],
  });
  origin = server.origin;
  return {
    origin,
    tokenEndpoint: urls.token(),
    jwksUri: urls.jwks(),
    ssaEndpointTemplate: `${origin}/api/v2/tpp/{org_id}/ssa/{software_id}`,
    softwareJwksUrl: urls.swJwks,
    softwareRevokedJwksUrl: urls.swRevoked,
    requests: () => server.requests(),
    timeline: () => server.timeline(),
    list,
    reset: () => {
      server.resetRequests();
      ctx.tokens.clear();
      ctx.jtis.clear();
    },
    close: () => server.close(),
  };
}
