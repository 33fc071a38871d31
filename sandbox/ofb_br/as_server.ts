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

interface AsDeps {
  pki: OfbPki;
  dataDir: string;
  host: "127.0.0.1" | "localhost";
  directoryJwks: jose.JSONWebKeySet;
  ssaIssuer: string;
  log: boolean;
}

/** One server's state; `base` is its issuer (an origin, or an origin and a path for a virtual one). */
function asContext(cfg: OfbBrServerConfig, deps: AsDeps, base: () => string): AsContext {
  return {
    cfg,
    store: new RegistrationStore(path.join(deps.dataDir, "servers", `${cfg.name}.json`)),
    stats: { registrations: 0, gets: 0, puts: 0, deletes: 0 },
    directoryJwks: deps.directoryJwks,
    ssaIssuer: deps.ssaIssuer,
    urls: asUrls(base, cfg),
  };
}

/** Discovery, registration and DCM of one server, its patterns under `prefix` ("" on its own origin). */
function asRoutes(ctx: AsContext, prefix: string, base: () => string): Route[] {
  const { cfg, urls } = ctx;
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
  const routes: Route[] = [
    {
      method: "GET",
      pattern: "/.well-known/openid-configuration",
      handler: () => ({
        status: 200,
        json: {
          issuer: urls.issuer(),
          authorization_endpoint: `${base()}/auth`,
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
  ];
  return routes.map((r) => ({ ...r, pattern: `${prefix}${r.pattern}` }));
}

const serverOf = (ctx: AsContext, close: () => Promise<void>): OfbAuthServer => ({
  name: ctx.cfg.name,
  cfg: ctx.cfg,
  issuer: ctx.urls.issuer(),
  discoveryUrl: ctx.urls.discovery(),
  registrationEndpoint: ctx.urls.mtlsRegister(),
  stats: ctx.stats,
  store: ctx.store,
  close,
});

export async function startOfbAuthServer(deps: AsDeps & { cfg: OfbBrServerConfig }): Promise<OfbAuthServer> {
  const { cfg, pki } = deps;
  let origin = "";
  const base = () => origin;
  const ctx = asContext(cfg, deps, base);
  const server: RunningServer = await startServer({
    name: cfg.name,
    host: deps.host,
    port: cfg.port,
    cert: pki.server.certPem,
    key: pki.server.keyPem,
    ca: pki.caPem,
    maxBodyBytes: () => 256 * 1024,
    log: deps.log,
    routes: asRoutes(ctx, "", base),
  });
  origin = server.origin;
  return serverOf(ctx, () => server.close());
}

/**
 * Many servers on one HTTPS origin (for scale: hundreds of banks without hundreds of listeners),
 * each under `/v/<name>` with its own issuer, discovery, registration, DCM and store.
 */
export async function startOfbVirtualAuthServers(
  deps: AsDeps & { cfgs: OfbBrServerConfig[] },
): Promise<OfbAuthServer[]> {
  if (deps.cfgs.length === 0) return [];
  let origin = "";
  const ctxs = deps.cfgs.map((cfg) => {
    const base = () => `${origin}/v/${cfg.name}`;
    return { ctx: asContext(cfg, deps, base), base };
  });
  const server: RunningServer = await startServer({
    name: "virtual-servers",
    host: deps.host,
    port: 0,
    cert: deps.pki.server.certPem,
    key: deps.pki.server.keyPem,
    ca: deps.pki.caPem,
    maxBodyBytes: () => 256 * 1024,
    log: deps.log,
    routes: ctxs.flatMap(({ ctx, base }) => asRoutes(ctx, `/v/${ctx.cfg.name}`, base)),
  });
  origin = server.origin;
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= server.close();
    return closed;
  };
  return ctxs.map(({ ctx }) => serverOf(ctx, close));
}
