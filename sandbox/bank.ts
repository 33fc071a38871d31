import crypto from "node:crypto";
import path from "node:path";
import * as jose from "jose";
import { Agent, fetch } from "undici";
import { verifyClientAssertion } from "./client_keys.js";
import { normalizeDn, subjectDn } from "./dn.js";
import { FaultSet } from "./faults.js";
import {
  badRequest,
  type Reply,
  type Req,
  type RunningServer,
  SandboxHttpError,
  startServer,
  unauthorized,
} from "./http.js";
import { JtiCache, JwtCheckError } from "./jwt.js";
import type { BankConfig } from "./options.js";
import type { Pki } from "./pki.js";
import { BankQuirks, type BankQuirksPatch } from "./quirks.js";
import {
  type CheckContext,
  checkSameSoftware,
  SIGNING_ALGS,
  validateRegistrationRequest,
} from "./registration_checks.js";
import { RegistrationStore, type StoredRegistration, sha256 } from "./store.js";

const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const SECRET_METHODS = ["client_secret_basic", "client_secret_post", "client_secret_jwt"];

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
  reset(): void;
  close(): Promise<void>;
}

interface AccessToken {
  clientId: string;
  scope: string[];
  exp: number;
}

/** Starts one bank (ASPSP authorization server): discovery, /register (+ RFC 7592 management), /token, /jwks. */
export async function startBank(deps: BankDeps): Promise<BankServer> {
  const { config, pki } = deps;
  const realm = config.name;
  const faults = new FaultSet();
  let quirks = BankQuirks.parse(config.quirks);
  const store = new RegistrationStore(path.join(deps.dataDir, "banks", `${config.name}.json`));
  const tokens = new Map<string, AccessToken>();
  const registrationJtis = new JtiCache();
  const assertionJtis = new JtiCache();
  const agent = new Agent({ connect: { ca: pki.caPem }, headersTimeout: 5000, bodyTimeout: 5000 });
  const bankKey = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const bankJwk = await jose.exportJWK(bankKey.publicKey);
  bankJwk.kid = await jose.calculateJwkThumbprint(bankJwk);
  bankJwk.alg = "ES256";
  bankJwk.use = "sig";
  let origin = "";
  const url = {
    register: () => `${origin}/register`,
    token: () => `${origin}/token`,
  };

  const currentDirectoryUrl = (stored: string): string => {
    const u = new URL(stored);
    const d = new URL(deps.directoryOrigin);
    if (u.hostname === d.hostname && u.port !== d.port) u.port = d.port;
    return u.toString();
  };

  const fetchJwks = async (jwksUrl: string): Promise<jose.JSONWebKeySet> => {
    if (!jwksUrl.startsWith("https://")) throw new Error("JWKS URL must be https");
    const res = await fetch(jwksUrl, { dispatcher: agent, signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) throw new Error(`status ${res.status}`);
    const body = (await res.json()) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error("not a JWKS");
    return body as jose.JSONWebKeySet;
  };

  const ctx = (): CheckContext => ({
    realm,
    bank: config,
    quirks,
    issuer: origin,
    now: faults.nowSeconds(),
    directoryJwksUrl: deps.directoryJwksUrl,
    fetchJwks,
    jtis: registrationJtis,
  });

  const requireMtls = (req: Req) => {
    if (!req.peerCertDer)
      throw unauthorized(realm, "invalid_client", "a client certificate is required (mTLS)");
    if (!req.peerAuthorized)
      throw unauthorized(realm, "invalid_client", "the client certificate is not issued by a trusted CA");
  };

  const applyQuirks = (metadata: Record<string, unknown>) => ({ ...metadata, ...quirks.substitute });

  const responseBody = (reg: StoredRegistration, secrets: { client_secret?: string; rat?: string }) => {
    const md: Record<string, unknown> = { ...reg.metadata };
    if (typeof md.scope === "string" && quirks.scope_format === "array")
      md.scope = md.scope.split(" ").filter(Boolean);
    const dnName = quirks.response_dn_claim ?? quirks.dn_claim;
    if (dnName !== "tls_client_auth_subject_dn" && md.tls_client_auth_subject_dn !== undefined) {
      md[dnName] = md.tls_client_auth_subject_dn;
      delete md.tls_client_auth_subject_dn;
    }
    const issuedAt = reg.client_id_issued_at;
    const body: Record<string, unknown> = {
      client_id: reg.client_id,
      client_id_issued_at:
        quirks.client_id_issued_at_unit === "ms"
          ? issuedAt * 1000
          : quirks.client_id_issued_at_unit === "string"
            ? new Date(issuedAt * 1000).toISOString()
            : issuedAt,
      ...md,
    };
    if (secrets.client_secret) {
      body.client_secret = secrets.client_secret;
      body.client_secret_expires_at = 0;
    }
    if (config.management === "registration_access_token") {
      if (secrets.rat) body.registration_access_token = secrets.rat;
      body.registration_client_uri = `${url.register()}/${reg.client_id}`;
    }
    return { ...body, ...quirks.extra_members };
  };

  const newSecret = () => crypto.randomBytes(24).toString("base64url");

  const registerHandler = async (req: Req): Promise<Reply> => {
    requireMtls(req);
    const { metadata, ssa, clientId: hint } = await validateRegistrationRequest(ctx(), req);
    const requestSoftwareId = typeof metadata.software_id === "string" ? metadata.software_id : undefined;
    const dupOf = ssa?.software_id ?? requestSoftwareId;
    if (quirks.reject_duplicate_software && dupOf && store.list().some((r) => r.software_id === dupOf))
      throw badRequest("invalid_client_metadata", "this software is already registered");
    let clientId: string = crypto.randomUUID();
    if (quirks.honour_client_id_hint && hint !== undefined) {
      if (!/^[A-Za-z0-9._-]{1,36}$/.test(hint))
        throw badRequest("invalid_client_metadata", "client_id must be 1 to 36 characters [A-Za-z0-9._-]");
      if (store.get(hint))
        throw badRequest("invalid_client_metadata", `client_id ${hint} is already registered`);
      clientId = hint;
    }
    const method = metadata.token_endpoint_auth_method as string;
    const clientSecret = SECRET_METHODS.includes(method) ? newSecret() : undefined;
    const rat = config.management === "registration_access_token" ? newSecret() : undefined;
    const reg: StoredRegistration = {
      client_id: clientId,
      // An open registration (no SSA): the request's software_id, else the client itself.
      software_id: ssa?.software_id ?? requestSoftwareId ?? clientId,
      org_id: ssa?.org_id ?? "",
      client_id_issued_at: faults.nowSeconds(),
      metadata: applyQuirks(metadata),
      software_jwks_endpoint: ssa?.software_jwks_endpoint,
      software_jwks_revoked_endpoint: ssa?.software_jwks_revoked_endpoint,
      client_secret_sha256: clientSecret ? sha256(clientSecret) : undefined,
      registration_access_token_sha256: rat ? sha256(rat) : undefined,
    };
    store.put(reg);
    return { status: quirks.created_status, json: responseBody(reg, { client_secret: clientSecret, rat }) };
  };

  const unknownClient = (): SandboxHttpError =>
    quirks.unknown_client_status === 404
      ? new SandboxHttpError(404, "not_found", "unknown client_id")
      : unauthorized(realm, "invalid_token", "unknown client_id");

  /** Management authentication (mTLS + Bearer): returns the registration. */
  const authorizeManagement = (req: Req, clientId: string): StoredRegistration => {
    requireMtls(req);
    const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(req.headers.authorization ?? "");
    if (!m) throw unauthorized(realm, "invalid_token", "a Bearer token is required");
    const presented = m[1]!;
    const reg = store.get(clientId);
    if (!reg) {
      // UK rule: unknown/deleted client => 401 and the bearer token is revoked.
      tokens.delete(presented);
      throw unknownClient();
    }
    if (config.management === "registration_access_token") {
      if (reg.registration_access_token_sha256 !== sha256(presented))
        throw unauthorized(
          realm,
          "invalid_token",
          "the registration access token is not valid for this client",
        );
      return reg;
    }
    const token = tokens.get(presented);
    if (!token || token.exp <= faults.nowSeconds())
      throw unauthorized(realm, "invalid_token", "the access token is unknown or expired");
    if (token.clientId !== clientId)
      throw new SandboxHttpError(403, "access_denied", "the access token was issued to another client");
    const required = quirks.management_scope_required;
    if (required && !token.scope.includes(required))
      throw new SandboxHttpError(403, "insufficient_scope", `the access token needs scope ${required}`, {
        "www-authenticate": `Bearer realm="${realm}", error="insufficient_scope", scope="${required}"`,
      });
    return reg;
  };

  const notOffered = (allow: string[]): Reply => ({
    status: 405,
    headers: { allow: allow.join(", ") },
    json: { error: "method_not_allowed", error_description: "this bank does not offer this operation" },
  });
  const offered = () =>
    [quirks.allow_get && "GET", quirks.allow_put && "PUT", quirks.allow_delete && "DELETE"].filter(
      (x): x is string => typeof x === "string",
    );

  const getHandler = (req: Req, p: Record<string, string>): Reply => {
    if (!quirks.allow_get) return notOffered(offered());
    const reg = authorizeManagement(req, p.client_id!);
    return { status: 200, json: responseBody(reg, {}) };
  };

  const putHandler = async (req: Req, p: Record<string, string>): Promise<Reply> => {
    if (!quirks.allow_put) return notOffered(offered());
    const reg = authorizeManagement(req, p.client_id!);
    // A client registered with an SSA keeps needing one, whatever ssa_required says.
    const bound = reg.software_jwks_endpoint !== undefined;
    const check = ctx();
    if (bound) check.quirks = { ...quirks, ssa_required: true };
    const { metadata, ssa, clientId } = await validateRegistrationRequest(check, req);
    if (clientId === undefined)
      throw badRequest("invalid_client_metadata", "client_id is required on update");
    if (clientId !== reg.client_id)
      throw badRequest("invalid_client_metadata", "client_id does not match the URL");
    checkSameSoftware(reg, metadata, ssa);
    const method = metadata.token_endpoint_auth_method as string;
    let clientSecret: string | undefined;
    let secretHash = reg.client_secret_sha256;
    if (SECRET_METHODS.includes(method) && (!secretHash || quirks.rotate_client_secret_on_put)) {
      clientSecret = newSecret();
      secretHash = sha256(clientSecret);
    }
    if (!SECRET_METHODS.includes(method)) secretHash = undefined;
    const rat = config.management === "registration_access_token" ? newSecret() : undefined;
    const updated: StoredRegistration = {
      ...reg,
      metadata: applyQuirks(metadata),
      software_jwks_endpoint: ssa?.software_jwks_endpoint,
      software_jwks_revoked_endpoint: ssa?.software_jwks_revoked_endpoint,
      client_secret_sha256: secretHash,
      registration_access_token_sha256: rat ? sha256(rat) : reg.registration_access_token_sha256,
    };
    store.put(updated);
    return { status: 200, json: responseBody(updated, { client_secret: clientSecret, rat }) };
  };

  const deleteHandler = (req: Req, p: Record<string, string>): Reply => {
    if (!quirks.allow_delete) return notOffered(offered());
    const reg = authorizeManagement(req, p.client_id!);
    store.delete(reg.client_id);
    for (const [t, v] of tokens) if (v.clientId === reg.client_id) tokens.delete(t);
    return { status: 204 };
  };

  /** client_credentials with the registered client's authentication method. */
  const tokenHandler = async (req: Req): Promise<Reply> => {
    requireMtls(req);
    if (req.contentType !== "application/x-www-form-urlencoded")
      throw badRequest("invalid_request", "body must be application/x-www-form-urlencoded");
    const form = new URLSearchParams(req.body.toString("utf8"));
    const invalidClient = (d: string) => unauthorized(realm, "invalid_client", d);
    let clientId: string | undefined;
    let usedMethod: string;
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? "");
    if (basic) {
      const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
      const i = decoded.indexOf(":");
      if (i < 0) throw invalidClient("malformed Basic credentials");
      clientId = decodeURIComponent(decoded.slice(0, i).replace(/\+/g, " "));
      const secret = decodeURIComponent(decoded.slice(i + 1).replace(/\+/g, " "));
      const reg = store.get(clientId);
      if (!reg?.client_secret_sha256 || reg.client_secret_sha256 !== sha256(secret))
        throw invalidClient("client authentication failed");
      usedMethod = "client_secret_basic";
    } else if (form.has("client_assertion")) {
      if (form.get("client_assertion_type") !== ASSERTION_TYPE)
        throw invalidClient("unsupported client_assertion_type");
      try {
        clientId = await verifyClientAssertion(
          {
            registration: (id) => store.get(id),
            fetchJwks,
            directoryUrl: currentDirectoryUrl,
            audiences: [url.token(), origin],
            now: faults.nowSeconds(),
            tolerance: quirks.clock_tolerance_seconds,
            jtis: assertionJtis,
            algorithms: SIGNING_ALGS,
          },
          form.get("client_assertion")!,
          form.get("client_id") ?? undefined,
        );
      } catch (err) {
        if (err instanceof JwtCheckError) throw invalidClient(`client assertion: ${err.reason}`);
        throw err;
      }
      usedMethod = "private_key_jwt";
    } else if (form.has("client_secret")) {
      clientId = form.get("client_id") ?? undefined;
      const reg = clientId ? store.get(clientId) : undefined;
      if (!reg?.client_secret_sha256 || reg.client_secret_sha256 !== sha256(form.get("client_secret")!))
        throw invalidClient("client authentication failed");
      usedMethod = "client_secret_post";
    } else {
      clientId = form.get("client_id") ?? undefined;
      const reg = clientId ? store.get(clientId) : undefined;
      if (!reg) throw invalidClient("unknown client");
      const registered = reg.metadata.tls_client_auth_subject_dn;
      const presented = subjectDn(req.peerCertDer!, quirks.subject_dn_encoding);
      if (typeof registered !== "string" || normalizeDn(registered) !== normalizeDn(presented))
        throw invalidClient("the client certificate does not match tls_client_auth_subject_dn");
      usedMethod = "tls_client_auth";
    }
    const reg = store.get(clientId!)!;
    if (reg.metadata.token_endpoint_auth_method !== usedMethod)
      throw invalidClient(`this client is registered for ${String(reg.metadata.token_endpoint_auth_method)}`);
    if (form.get("grant_type") !== "client_credentials")
      throw badRequest("unsupported_grant_type", "only client_credentials is supported");
    const grants = reg.metadata.grant_types;
    if (Array.isArray(grants) && !grants.includes("client_credentials"))
      throw badRequest("unauthorized_client", "client_credentials is not a registered grant type");
    const requested = (form.get("scope") ?? "").split(" ").filter(Boolean);
    const forbidden = requested.filter((s) => quirks.management_scope_forbidden.includes(s));
    if (forbidden.length > 0)
      throw badRequest("invalid_scope", `scope not allowed here: ${forbidden.join(" ")}`);
    const registeredScopes = typeof reg.metadata.scope === "string" ? reg.metadata.scope.split(" ") : [];
    const unknown = requested.filter((s) => !registeredScopes.includes(s));
    if (unknown.length > 0) throw badRequest("invalid_scope", `scope not registered: ${unknown.join(" ")}`);
    const accessToken = crypto.randomBytes(32).toString("base64url");
    tokens.set(accessToken, { clientId: reg.client_id, scope: requested, exp: faults.nowSeconds() + 3600 });
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: 3600,
    };
    if (requested.length > 0) body.scope = requested.join(" ");
    return { status: 200, json: body };
  };

  const discovery = () => ({
    issuer: origin,
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: url.token(),
    registration_endpoint: url.register(),
    jwks_uri: `${origin}/jwks`,
    token_endpoint_auth_methods_supported: config.token_endpoint_auth_methods_supported,
    token_endpoint_auth_signing_alg_values_supported: [...SIGNING_ALGS],
    id_token_signing_alg_values_supported: [...SIGNING_ALGS],
    request_object_signing_alg_values_supported: [...SIGNING_ALGS],
    response_types_supported: ["code", "code id_token"],
    grant_types_supported: ["authorization_code", "client_credentials", "refresh_token"],
    scopes_supported: config.scopes_supported,
    tls_client_certificate_bound_access_tokens: true,
  });

  const server: RunningServer = await startServer({
    name: config.name,
    host: deps.host,
    port: config.port,
    cert: pki.server.certPem,
    key: pki.server.keyPem,
    ca: pki.caPem,
    faults,
    maxBodyBytes: () => quirks.max_body_bytes,
    log: deps.log,
    routes: [
      {
        method: "GET",
        pattern: "/.well-known/openid-configuration",
        handler: () => ({ status: 200, json: discovery() }),
      },
      { method: "GET", pattern: "/jwks", handler: () => ({ status: 200, json: { keys: [bankJwk] } }) },
      { method: "POST", pattern: "/token", handler: tokenHandler },
      { method: "POST", pattern: "/register", handler: registerHandler },
      { method: "GET", pattern: "/register/{client_id}", handler: getHandler },
      { method: "PUT", pattern: "/register/{client_id}", handler: putHandler },
      { method: "DELETE", pattern: "/register/{client_id}", handler: deleteHandler },
    ],
  });
  origin = server.origin;

  return {
    name: config.name,
    origin,
    issuer: origin,
    discoveryUrl: `${origin}/.well-known/openid-configuration`,
    registrationEndpoint: url.register(),
    tokenEndpoint: url.token(),
    jwksUri: `${origin}/jwks`,
    faults,
    quirks: () => quirks,
    setQuirks: (patch) => {
      quirks = BankQuirks.parse({ ...quirks, ...patch });
      return quirks;
    },
    registrations: () =>
      store.list().map((r) => ({
        client_id: r.client_id,
        software_id: r.software_id,
        org_id: r.org_id,
        client_id_issued_at: r.client_id_issued_at,
        metadata: r.metadata,
      })),
    requests: () => server.requests(),
    reset: () => {
      server.resetRequests();
      store.clear();
      tokens.clear();
      registrationJtis.clear();
      assertionJtis.clear();
      faults.clear();
      quirks = BankQuirks.parse(config.quirks);
    },
    close: async () => {
      await server.close();
      await agent.close();
    },
  };
}
