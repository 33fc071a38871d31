/**
 * The BR directory stand-in on its own HTTPS port: discovery, the token endpoint
 * (directory_token.ts), the SSA assertion endpoint (directory_ssa.ts), the SSA keystore and each
 * software's JWKS (signing keys at `software_jwks_uri`, transport certificates at
 * `software_jwks_transport_uri`).
 */
import crypto from "node:crypto";
import * as jose from "jose";
import type { BankListStore } from "../bank_list.js";
import { type Reply, type Route, type RunningServer, SandboxHttpError, startServer } from "../http.js";
import {
  DIRECTORY_SCOPE,
  type DirectoryContext,
  type DirectoryStats,
  directoryUrls,
  findSoftware,
} from "./directory_context.js";
import { ssaHandler } from "./directory_ssa.js";
import { directoryTokenHandler } from "./directory_token.js";
import type { OfbBrSandboxOptions } from "./options.js";
import { participantsRoutes } from "./participants.js";
import type { OfbPki } from "./pki.js";

export interface OfbDirectory {
  origin: string;
  urls: ReturnType<typeof directoryUrls>;
  stats: DirectoryStats;
  setOrgStatus(orgId: string, status: "Active" | "Inactive"): void;
  /** The participants list (set once the servers it lists are up). */
  list: { store?: BankListStore | undefined };
  close(): Promise<void>;
}

const jwks = (keys: jose.JWK[]): Reply => ({ status: 200, json: { keys } });

function keystoreRoutes(ctx: DirectoryContext): Route[] {
  const software = (p: Record<string, string>) => {
    const found = findSoftware(ctx.opts.orgs, p.software_id!);
    if (!found || found.org.org_id !== p.org_id)
      throw new SandboxHttpError(404, "not_found", "unknown software statement");
    return ctx.pki.softwares.get(found.sw.software_id)!;
  };
  const transportKey = async (certPem: string, der: Uint8Array): Promise<jose.JWK> => {
    const pub = await jose.exportJWK(crypto.createPublicKey(certPem));
    return {
      ...pub,
      kid: await jose.calculateJwkThumbprint(pub),
      use: "tls",
      x5c: [Buffer.from(der).toString("base64")],
    };
  };
  return [
    {
      method: "GET",
      pattern: "/openbanking.jwks",
      handler: () => jwks([ctx.pki.directorySigning.public_jwk]),
    },
    {
      method: "GET",
      pattern: "/{org_id}/{software_id}/application.jwks",
      handler: (_r, p) => jwks([software(p).signing.public_jwk]),
    },
    {
      method: "GET",
      pattern: "/{org_id}/{software_id}/transport.jwks",
      handler: async (_r, p) => {
        const t = software(p).transport;
        return jwks([await transportKey(t.certPem, t.der)]);
      },
    },
    {
      method: "GET",
      pattern: "/{org_id}/{software_id}/inactive/application.jwks",
      handler: (_r, p) => {
        software(p);
        return jwks([]);
      },
    },
    {
      method: "GET",
      pattern: "/{org_id}/{software_id}/inactive/transport.jwks",
      handler: (_r, p) => {
        software(p);
        return jwks([]);
      },
    },
  ];
}

export async function startOfbDirectory(deps: {
  opts: OfbBrSandboxOptions;
  pki: OfbPki;
}): Promise<OfbDirectory> {
  const { opts, pki } = deps;
  let origin = "";
  const urls = directoryUrls(() => origin);
  const list: OfbDirectory["list"] = {};
  const ctx: DirectoryContext = {
    opts,
    pki,
    orgStatus: new Map(opts.orgs.map((o) => [o.org_id, o.org_status])),
    tokens: new Map(),
    stats: { token_requests: 0, ssa_requests: 0 },
    urls,
  };
  const server: RunningServer = await startServer({
    name: "ofb-directory",
    host: opts.host,
    port: opts.ports.directory,
    cert: pki.server.certPem,
    key: pki.server.keyPem,
    ca: pki.caPem,
    maxBodyBytes: () => 64 * 1024,
    log: opts.log,
    routes: [
      {
        method: "GET",
        pattern: "/.well-known/openid-configuration",
        handler: () => ({
          status: 200,
          json: {
            issuer: urls.issuer(),
            token_endpoint: urls.token(),
            jwks_uri: urls.jwks(),
            mtls_endpoint_aliases: { token_endpoint: urls.token() },
            token_endpoint_auth_methods_supported: ["tls_client_auth", "private_key_jwt"],
            grant_types_supported: ["client_credentials"],
            scopes_supported: [DIRECTORY_SCOPE],
            tls_client_certificate_bound_access_tokens: true,
          },
        }),
      },
      { method: "POST", pattern: "/token", handler: directoryTokenHandler(ctx) },
      {
        method: "GET",
        pattern: "/organisations/{org_id}/softwarestatements/{software_statement_id}/assertion",
        handler: ssaHandler(ctx),
      },
      ...keystoreRoutes(ctx),
      ...participantsRoutes(
        () => list.store,
        () => origin,
      ),
    ],
  });
  origin = server.origin;
  return {
    origin,
    urls,
    stats: ctx.stats,
    list,
    setOrgStatus: (orgId, status) => {
      if (!ctx.orgStatus.has(orgId)) throw new TypeError(`unknown org ${orgId}`);
      ctx.orgStatus.set(orgId, status);
    },
    close: () => server.close(),
  };
}
