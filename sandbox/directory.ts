import crypto from "node:crypto";
import * as jose from "jose";
import { subjectAttributes } from "./dn.js";
import type { FaultSet } from "./faults.js";
import {
  badRequest,
  type Req,
  type RunningServer,
  SandboxHttpError,
  startServer,
  unauthorized,
} from "./http.js";
import {
  checkAudience,
  checkTimes,
  decodeUnverified,
  JtiCache,
  JwtCheckError,
  verifyWithJwks,
} from "./jwt.js";
import type { OrgConfig, SoftwareConfig } from "./options.js";
import type { Pki } from "./pki.js";

export const SSA_ISSUER = "OpenBanking Ltd";
export const DIRECTORY_SCOPES = ["ASPSPReadAccess", "TPPReadAccess", "AuthoritiesReadAccess"] as const;
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const REALM = "OpenBanking Directory";

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
  reset(): void;
  close(): Promise<void>;
}

interface Token {
  softwareId: string;
  orgId: string;
  scope: string[];
  exp: number;
}

function findSoftware(
  orgs: OrgConfig[],
  softwareId: string,
): { org: OrgConfig; sw: SoftwareConfig } | undefined {
  for (const org of orgs) {
    const sw = org.softwares.find((s) => s.software_id === softwareId);
    if (sw) return { org, sw };
  }
  return undefined;
}

/** Starts the OB Directory stand-in: JWKS, mTLS token endpoint (private_key_jwt), SSA API. */
export async function startDirectory(deps: DirectoryDeps): Promise<DirectoryServer> {
  const { pki, orgs, faults } = deps;
  const tokens = new Map<string, Token>();
  const jtis = new JtiCache();
  let origin = "";
  const urls = {
    token: () => `${origin}/as/token.oauth2`,
    jwks: () => `${origin}/keystore/openbanking.jwks`,
    swJwks: (o: string, s: string) => `${origin}/keystore/${o}/${s}.jwks`,
    swRevoked: (o: string, s: string) => `${origin}/keystore/${o}/revoked/${s}.jwks`,
    orgJwks: (o: string) => `${origin}/keystore/${o}/${o}.jwks`,
    orgRevoked: (o: string) => `${origin}/keystore/${o}/revoked/${o}.jwks`,
  };

  const softwarePki = (softwareId: string) => {
    const p = pki.softwares.get(softwareId);
    if (!p) throw new SandboxHttpError(404, "not_found", "unknown software");
    return p;
  };
  const softwareJwks = (softwareId: string): jose.JSONWebKeySet => {
    const p = softwarePki(softwareId);
    // Two PS256 keys (signing, signing_next) so a client can rotate keys without changing alg.
    const keys = [p.signing.public_jwk, p.signing_es256.public_jwk, p.signing_next.public_jwk];
    if (p.revoked_signing) keys.push(p.revoked_signing.public_jwk);
    return { keys };
  };
  const revokedKids = (softwareId: string) => {
    const r = softwarePki(softwareId).revoked_signing;
    return new Set(r ? [r.kid] : []);
  };
  const requireMtls = (req: Req) => {
    if (!req.peerCertDer)
      throw unauthorized(REALM, "invalid_client", "a client certificate is required (mTLS)");
    if (!req.peerAuthorized)
      throw unauthorized(REALM, "invalid_client", "the client certificate is not issued by a trusted CA");
  };
  const jwksReply = (jwks: jose.JSONWebKeySet) => ({ status: 200, json: jwks });

  const tokenHandler = async (req: Req) => {
    requireMtls(req);
    if (req.contentType !== "application/x-www-form-urlencoded")
      throw badRequest("invalid_request", "body must be application/x-www-form-urlencoded");
    const form = new URLSearchParams(req.body.toString("utf8"));
    if (form.get("grant_type") !== "client_credentials")
      throw badRequest("unsupported_grant_type", "only client_credentials is supported");
    if (form.get("client_assertion_type") !== ASSERTION_TYPE)
      throw unauthorized(REALM, "invalid_client", "private_key_jwt client authentication is required");
    const assertion = form.get("client_assertion") ?? "";
    const now = faults.nowSeconds();
    try {
      const { payload: unverified } = decodeUnverified(assertion);
      const clientId = form.get("client_id") ?? unverified.iss;
      if (typeof clientId !== "string") throw new JwtCheckError("client_id missing");
      const found = findSoftware(orgs, clientId);
      if (!found) throw new JwtCheckError("unknown client_id");
      const attrs = subjectAttributes(req.peerCertDer!);
      if (attrs.CN !== clientId) throw new JwtCheckError("client certificate CN does not match client_id");
      const { payload } = await verifyWithJwks(assertion, {
        algorithms: ["PS256", "ES256", "RS256"],
        jwks: softwareJwks(clientId),
        revokedKids: revokedKids(clientId),
      });
      if (payload.iss !== clientId) throw new JwtCheckError("iss must equal client_id");
      if (payload.sub !== clientId) throw new JwtCheckError("sub must equal client_id");
      checkAudience(payload, [urls.token()]);
      checkTimes(payload, { now, tolerance: 30, maxLifetime: 3600 });
      if (typeof payload.jti !== "string" || payload.jti.length === 0) throw new JwtCheckError("jti missing");
      if (!jtis.remember(payload.jti, (payload.exp as number) + 30, now))
        throw new JwtCheckError("jti has been used before (replay)");
      const requested = (form.get("scope") ?? DIRECTORY_SCOPES.join(" ")).split(" ").filter(Boolean);
      const bad = requested.filter((s) => !(DIRECTORY_SCOPES as readonly string[]).includes(s));
      if (bad.length > 0) throw badRequest("invalid_scope", `scope not allowed: ${bad.join(" ")}`);
      const accessToken = crypto.randomBytes(32).toString("base64url");
      tokens.set(accessToken, {
        softwareId: clientId,
        orgId: found.org.org_id,
        scope: requested,
        exp: now + 3600,
      });
      return {
        status: 200,
        json: {
          access_token: accessToken,
          token_type: "Bearer",
          expires_in: 3600,
          scope: requested.join(" "),
        },
      };
    } catch (err) {
      if (err instanceof JwtCheckError) throw unauthorized(REALM, "invalid_client", err.reason);
      throw err;
    }
  };

  const ssaHandler = async (req: Req, params: Record<string, string>) => {
    requireMtls(req);
    const auth = req.headers.authorization ?? "";
    const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(auth);
    if (!m) throw unauthorized(REALM, "invalid_token", "a Bearer access token is required");
    const token = tokens.get(m[1]!);
    if (!token || token.exp <= faults.nowSeconds())
      throw unauthorized(REALM, "invalid_token", "the access token is unknown or expired");
    if (!token.scope.includes("TPPReadAccess"))
      throw new SandboxHttpError(403, "insufficient_scope", "the token lacks TPPReadAccess");
    const orgId = decodeURIComponent(params.org_id!);
    const softwareId = decodeURIComponent(params.software_id!);
    const found = findSoftware(orgs, softwareId);
    if (!found || found.org.org_id !== orgId)
      throw new SandboxHttpError(404, "not_found", "no such software statement for this organisation");
    if (token.softwareId !== softwareId || token.orgId !== orgId)
      throw new SandboxHttpError(403, "access_denied", "the token does not belong to this software");
    const ssa = await signSsa(found.org, found.sw);
    return { status: 200, raw: { contentType: "application/jws", body: ssa } };
  };

  const signSsa = async (org: OrgConfig, sw: SoftwareConfig): Promise<string> => {
    const registrationId = org.organization_identifier.split("-").pop() ?? org.organization_identifier;
    const claims = {
      iss: SSA_ISSUER,
      iat: faults.nowSeconds(),
      jti: crypto.randomUUID(),
      software_environment: sw.software_environment,
      software_mode: sw.software_mode,
      software_id: sw.software_id,
      software_client_id: sw.software_client_id ?? sw.software_id,
      software_client_name: sw.software_client_name,
      software_client_description: sw.software_client_description,
      software_version: sw.software_version,
      software_client_uri: new URL(sw.software_redirect_uris[0]!).origin,
      software_redirect_uris: sw.software_redirect_uris,
      software_roles: sw.software_roles,
      organisation_competent_authority_claims: {
        authority_id: "FCAGBR",
        registration_id: registrationId,
        status: "Active",
        authorisations: sw.software_roles.map((role) => ({ member_state: "GB", roles: [role] })),
      },
      software_logo_uri: sw.software_logo_uri,
      org_status: org.org_status,
      org_id: org.org_id,
      org_name: org.org_name,
      org_contacts: [
        { name: "Technical", email: "tech@tpp.example.com", phone: "+440000000000", type: "Technical" },
        { name: "Business", email: "business@tpp.example.com", phone: "+440000000000", type: "Business" },
      ],
      org_jwks_endpoint: urls.orgJwks(org.org_id),
      org_jwks_revoked_endpoint: urls.orgRevoked(org.org_id),
      software_jwks_endpoint: urls.swJwks(org.org_id, sw.software_id),
      software_jwks_revoked_endpoint: urls.swRevoked(org.org_id, sw.software_id),
      software_policy_uri: sw.software_policy_uri,
      software_tos_uri: sw.software_tos_uri,
      software_on_behalf_of_org: null,
    };
    return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: "PS256", kid: pki.directorySigning.kid, typ: "JWT" })
      .sign(pki.directorySigning.privateKey);
  };

  const orgJwks = async (orgId: string): Promise<jose.JSONWebKeySet> => {
    const org = orgs.find((o) => o.org_id === orgId);
    if (!org) throw new SandboxHttpError(404, "not_found", "unknown organisation");
    const keys: jose.JWK[] = [];
    for (const sw of org.softwares) {
      const t = softwarePki(sw.software_id).transport;
      const pub = await jose.exportJWK(crypto.createPublicKey(t.certPem));
      const x5c = Buffer.from(t.der).toString("base64");
      keys.push({ ...pub, kid: await jose.calculateJwkThumbprint(pub), use: "tls", x5c: [x5c] });
    }
    return { keys };
  };

  const server: RunningServer = await startServer({
    name: "directory",
    host: deps.host,
    port: deps.port,
    cert: pki.server.certPem,
    key: pki.server.keyPem,
    ca: pki.caPem,
    faults,
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
            token_endpoint_auth_signing_alg_values_supported: ["PS256", "ES256", "RS256"],
            grant_types_supported: ["client_credentials"],
            scopes_supported: [...DIRECTORY_SCOPES],
          },
        }),
      },
      {
        method: "GET",
        pattern: "/keystore/openbanking.jwks",
        handler: () => jwksReply({ keys: [pki.directorySigning.public_jwk] }),
      },
      {
        method: "GET",
        pattern: "/keystore/{org_id}/revoked/{name}.jwks",
        handler: (_r, p) => {
          if (p.name === p.org_id) return jwksReply({ keys: [] });
          const found = findSoftware(orgs, p.name!);
          if (!found || found.org.org_id !== p.org_id)
            throw new SandboxHttpError(404, "not_found", "unknown software");
          const r = softwarePki(p.name!).revoked_signing;
          return jwksReply({ keys: r ? [r.public_jwk] : [] });
        },
      },
      {
        method: "GET",
        pattern: "/keystore/{org_id}/{name}.jwks",
        handler: async (_r, p) => {
          if (p.name === p.org_id) return jwksReply(await orgJwks(p.org_id!));
          const found = findSoftware(orgs, p.name!);
          if (!found || found.org.org_id !== p.org_id)
            throw new SandboxHttpError(404, "not_found", "unknown software");
          return jwksReply(softwareJwks(p.name!));
        },
      },
      { method: "POST", pattern: "/as/token.oauth2", handler: tokenHandler },
      { method: "GET", pattern: "/api/v2/tpp/{org_id}/ssa/{software_id}", handler: ssaHandler },
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
    reset: () => {
      server.resetRequests();
      tokens.clear();
      jtis.clear();
    },
    close: () => server.close(),
  };
}
