/**
 * The CDR Register stand-in on its own HTTPS port: discovery under `/idp`, the MTLS token endpoint,
 * the SSA JWKS and Get SSA, and (standing in for each ADR) every product's `jwks_uri`.
 */

import type { BankListStore } from "../bank_list.js";
import { type RunningServer, SandboxHttpError, startServer } from "../http.js";
import { JtiCache } from "../jwt.js";
import { brandsDiscoveryRoute, brandsRoutes } from "./brands.js";
import type { BrandConfig, ProductStatus } from "./options.js";
import type { CdrPki } from "./pki.js";
import { ssaHandler } from "./register_ssa.js";
import { productJwks, REGISTER_SCOPE, type RegisterState, registerUrls } from "./register_state.js";
import { ASSERTION_ALGS, registerTokenHandler } from "./register_token.js";

export interface RegisterServer {
  origin: string;
  urls: ReturnType<typeof registerUrls>;
  ssaVersions: number[];
  status(productId: string): ProductStatus | undefined;
  setStatus(productId: string, status: ProductStatus): void;
  requests(): Record<string, number>;
  resetRequests(): void;
  /** GetDataHolderBrands' list (set once the holders it lists are up). */
  list: { store?: BankListStore | undefined };
  close(): Promise<void>;
}

export async function startRegister(deps: {
  brands: BrandConfig[];
  pki: CdrPki;
  host: string;
  port: number;
  log: boolean;
  ssaVersions: readonly number[];
}): Promise<RegisterServer> {
  const s: RegisterState = {
    brands: deps.brands,
    pki: deps.pki,
    status: new Map(
      deps.brands.flatMap((b) => b.software_products.map((p) => [p.software_product_id, p.status])),
    ),
    tokens: new Map(),
    jtis: new JtiCache(),
    ssaVersions: [...deps.ssaVersions],
    origin: "",
  };
  const list: RegisterServer["list"] = {};
  const server: RunningServer = await startServer({
    name: "cdr-register",
    host: deps.host,
    port: deps.port,
    cert: deps.pki.server.certPem,
    key: deps.pki.server.keyPem,
    ca: deps.pki.caPem,
    maxBodyBytes: () => 64 * 1024,
    log: deps.log,
    routes: [
      {
        method: "GET",
        pattern: "/idp/.well-known/openid-configuration",
        handler: () => {
          const urls = registerUrls(s);
          return {
            status: 200,
            json: {
              issuer: urls.issuer,
              jwks_uri: urls.idpJwks,
              token_endpoint: urls.token,
              claims_supported: ["sub"],
              id_token_signing_alg_values_supported: ["PS256"],
              subject_types_supported: ["public"],
              scopes_supported: [REGISTER_SCOPE],
              response_types_supported: ["token"],
              grant_types_supported: ["client_credentials"],
              token_endpoint_auth_methods_supported: ["private_key_jwt"],
              token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
              tls_client_certificate_bound_access_tokens: true,
            },
          };
        },
      },
      {
        method: "GET",
        pattern: "/idp/.well-known/openid-configuration/jwks",
        handler: () => ({ status: 200, json: { keys: [deps.pki.idpSigning.public_jwk] } }),
      },
      { method: "POST", pattern: "/idp/connect/token", handler: registerTokenHandler(s) },
      {
        method: "GET",
        pattern: "/cdr-register/v1/jwks",
        handler: () => ({ status: 200, json: { keys: [deps.pki.ssaSigning.public_jwk] } }),
      },
      {
        method: "GET",
        pattern:
          "/cdr-register/v1/{industry}/data-recipients/brands/{brand_id}/software-products/{software_product_id}/ssa",
        handler: ssaHandler(s),
      },
      {
        method: "GET",
        pattern: "/adr/{software_product_id}/jwks",
        handler: (_req, p) => {
          const jwks = productJwks(deps.pki, p.software_product_id!);
          if (!jwks) throw new SandboxHttpError(404, "not_found", "unknown software product");
          return { status: 200, json: jwks };
        },
      },
      ...brandsRoutes(s, () => list.store),
      brandsDiscoveryRoute(() => s.origin),
    ],
  });
  s.origin = server.origin;
  return {
    origin: s.origin,
    urls: registerUrls(s),
    ssaVersions: [...deps.ssaVersions],
    status: (id) => s.status.get(id),
    setStatus: (id, status) => {
      if (!s.status.has(id)) throw new TypeError(`unknown software product ${id}`);
      s.status.set(id, status);
    },
    requests: () => server.requests(),
    resetRequests: () => server.resetRequests(),
    list,
    close: () => server.close(),
  };
}
