/** The OB Directory stand-in's state and addresses, shared by its route modules (directory_*.ts). */
import type { FaultSet } from "./faults.js";
import { bearerToken, requireMtls } from "./guards.js";
import { type Req, SandboxHttpError, unauthorized } from "./http.js";
import type { JtiCache } from "./jwt.js";
import type { OrgConfig, SoftwareConfig } from "./options.js";
import type { Pki } from "./pki.js";

/** The `WWW-Authenticate` realm of the directory's refusals. */
export const REALM = "OpenBanking Directory";

/** An access token from the directory's token endpoint: it lets its software download its own SSA. */
export interface DirectoryToken {
  softwareId: string;
  orgId: string;
  scope: string[];
  exp: number;
}

export type DirectoryUrls = ReturnType<typeof directoryUrls>;

/** The directory's URLs, as on the real directory; `origin` is known once the server listens. */
export function directoryUrls(origin: () => string) {
  return {
    token: () => `${origin()}/as/token.oauth2`,
    jwks: () => `${origin()}/keystore/openbanking.jwks`,
    swJwks: (o: string, s: string) => `${origin()}/keystore/${o}/${s}.jwks`,
    swRevoked: (o: string, s: string) => `${origin()}/keystore/${o}/revoked/${s}.jwks`,
    orgJwks: (o: string) => `${origin()}/keystore/${o}/${o}.jwks`,
    orgRevoked: (o: string) => `${origin()}/keystore/${o}/revoked/${o}.jwks`,
  };
}

export interface DirectoryContext {
  orgs: OrgConfig[];
  pki: Pki;
  faults: FaultSet;
  tokens: Map<string, DirectoryToken>;
  /** Replay cache of client assertions at the token endpoint. */
  jtis: JtiCache;
  urls: DirectoryUrls;
}

export function findSoftware(
  orgs: OrgConfig[],
  softwareId: string,
): { org: OrgConfig; sw: SoftwareConfig } | undefined {
  for (const org of orgs) {
    const sw = org.softwares.find((s) => s.software_id === softwareId);
    if (sw) return { org, sw };
  }
  return undefined;
}

/** A software by the org and software ids of a URL: both must name it (an org sees only its own). */
export function findOrgSoftware(
  orgs: OrgConfig[],
  orgId: string | undefined,
  softwareId: string,
): { org: OrgConfig; sw: SoftwareConfig } | undefined {
  const found = findSoftware(orgs, softwareId);
  return found && found.org.org_id === orgId ? found : undefined;
}

/** A software's keys and certificates (404 for one the sandbox has none for). */
export function softwarePki(pki: Pki, softwareId: string) {
  const p = pki.softwares.get(softwareId);
  if (!p) throw new SandboxHttpError(404, "not_found", "unknown software");
  return p;
}

/**
 * The directory's resource APIs (SSA, SCIM list): mTLS, then a live Bearer access token of this
 * directory carrying `scope` (returned); 401 invalid_token or 403 insufficient_scope otherwise.
 */
export function requireDirectoryToken(ctx: DirectoryContext, req: Req, scope: string): DirectoryToken {
  requireMtls(req, REALM);
  const presented = bearerToken(req);
  if (presented === undefined)
    throw unauthorized(REALM, "invalid_token", "a Bearer access token is required");
  const token = ctx.tokens.get(presented);
  if (!token || token.exp <= ctx.faults.nowSeconds())
    throw unauthorized(REALM, "invalid_token", "the access token is unknown or expired");
  if (!token.scope.includes(scope))
    throw new SandboxHttpError(403, "insufficient_scope", `the token lacks ${scope}`);
  return token;
}
