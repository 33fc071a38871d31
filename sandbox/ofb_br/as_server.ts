/**
 * One OFB authorization server on its own HTTPS origin: discovery, registration (as_register.ts) and
 * DCM (as_manage.ts) under the MTLS alias, in the configured RCU style.
 */
import path from "node:path";
import type * as jose from "jose";
import { type Route, type RunningServer, startServer, unauthorized } from "../http.js";
import { RegistrationStore } from "../store.js";
import { ALGS, AUTH_METHODS, ENC_ALGS, ENC_ENCS, GRANT_TYPES } from "./as_checks.js";
import { AS_REALM, type AsContext, type AsStats, asUrls } from "./as_context.js";
import { manageHandlers } from "./as_manage.js";
import { registerHandler } from "./as_register.js";
import { ROLE_SCOPES } from "./directory_ssa.js";
import type { OfbBrServerConfig } from "./options.js";
import type { OfbPki } from "./pki.js";

export interface OfbAuthServer {
  name: string;
  cfg: OfbBrServerConfig;
  issuer: string;
  discoveryUrl: string;
  /** The MTLS alias: where to POST. */
  registrationEndpoint: string;
  stats: AsStats;
  store: RegistrationStore;
  close(): Promise<void>;
}

export async function startOfbAuthServer(deps: {
  cfg: OfbBrServerConfig;
  pki: OfbPki;
  dataDir: string;
  host: "127.0.0.1" | "localhost";
  directoryJwks: jose.JSONWebKeySet;
  ssaIssuer: string;
  log: boolean;
}): Promise<OfbAuthServer> {
  const { cfg, pki } = deps;
  let origin = "";
  const urls = asUrls(() => origin, cfg);
  const ctx: AsContext = {
    cfg,
    store: new RegistrationStore(path.join(deps.dataDir, "servers", `${cfg.name}.json`)),
    stats: { registrations: 0, gets: 0, puts: 0, deletes: 0 },
    directoryJwks: deps.directoryJwks,
    ssaIssuer: deps.ssaIssuer,
    urls,
  };
  const manage = manageHandlers(ctx);
  const rcuRoutes: Route[] =
    cfg.rcu_style === "path"
      ? [
          {
            method: "GET",
            pattern: "/mtls/register/{client_id}",
            handler: (r, p) => manage.get(r, p.client_id),
          },
          {
            method: "PUT",
            pattern: "/mtls/register/{client_id}",
            handler: (r, p) => manage.put(r, p.client_id),
          },
          {
            method: "DELETE",
            pattern: "/mtls/register/{client_id}",
            handler: (r, p) => manage.delete(r, p.client_id),
          },
        ]
      : (["GET", "PUT", "DELETE"] as const).map((method) => ({
          method,
          pattern: "/mtls/register",
          handler: (r) => {
            const id = r.url.searchParams.get("client_id") ?? undefined;
            return method === "GET"
              ? manage.get(r, id)
              : method === "PUT"
                ? manage.put(r, id)
                : manage.delete(r, id);
          },
        }));
  const server: RunningServer = await startServer({
    name: cfg.name,
    host: deps.host,
    port: cfg.port,
    cert: pki.server.certPem,
    key: pki.server.keyPem,
    ca: pki.caPem,
    maxBodyBytes: () => 256 * 1024,
    log: deps.log,
    routes: [
      {
        method: "GET",
        pattern: "/.well-known/openid-configuration",
        handler: () => ({
          status: 200,
          json: {
            issuer: urls.issuer(),
            authorization_endpoint: `${origin}/auth`,
            token_endpoint: urls.token(),
            jwks_uri: urls.jwks(),
            registration_endpoint: urls.register(),
            mtls_endpoint_aliases: {
              registration_endpoint: urls.mtlsRegister(),
              token_endpoint: urls.mtlsToken(),
            },
            token_endpoint_auth_methods_supported: [...AUTH_METHODS],
            token_endpoint_auth_signing_alg_values_supported: [...ALGS],
            id_token_signing_alg_values_supported: [...ALGS],
            request_object_signing_alg_values_supported: [...ALGS],
            authorization_signing_alg_values_supported: [...ALGS],
            id_token_encryption_alg_values_supported: [...ENC_ALGS],
            id_token_encryption_enc_values_supported: [...ENC_ENCS],
            request_object_encryption_alg_values_supported: [...ENC_ALGS],
            request_object_encryption_enc_values_supported: [...ENC_ENCS],
            response_types_supported: cfg.response_types_supported,
            grant_types_supported: [...GRANT_TYPES],
            scopes_supported: [...new Set(Object.values(ROLE_SCOPES).flat())],
            subject_types_supported: ["public"],
            tls_client_certificate_bound_access_tokens: true,
            require_pushed_authorization_requests: true,
          },
        }),
      },
      { method: "GET", pattern: "/jwks", handler: () => ({ status: 200, json: { keys: [] } }) },
      {
        // The plain registration endpoint stands for the non-mTLS host: registrations go to the alias.
        method: "POST",
        pattern: "/register",
        handler: () => {
          throw unauthorized(
            AS_REALM,
            "invalid_client",
            "registration needs mTLS: use mtls_endpoint_aliases.registration_endpoint",
          );
        },
      },
      { method: "POST", pattern: "/mtls/register", handler: registerHandler(ctx) },
      ...rcuRoutes,
    ],
  });
  origin = server.origin;
  return {
    name: cfg.name,
    cfg,
    issuer: urls.issuer(),
    discoveryUrl: urls.discovery(),
    registrationEndpoint: urls.mtlsRegister(),
    stats: ctx.stats,
    store: ctx.store,
    close: () => server.close(),
  };
}
