/** The BR directory's state and addresses, shared by its route modules (directory_*.ts). */
import type { OfbBrOrgConfig, OfbBrSandboxOptions, OfbBrSoftwareConfig } from "./options.js";
import type { OfbPki } from "./pki.js";

/** The `WWW-Authenticate` realm of the directory's refusals. */
export const DIRECTORY_REALM = "OFB Directory";
/** The only scope the directory grants a software statement client (digest §2.1). */
export const DIRECTORY_SCOPE = "directory:software";
/** Lifetime of a directory access token (digest §2.1). */
export const DIRECTORY_TOKEN_TTL = 600;

/** An access token from the directory's token endpoint, bound to the certificate that got it. */
export interface DirectoryToken {
  softwareId: string;
  orgId: string;
  exp: number;
  certDer: Buffer;
}

export interface OfbFound {
  org: OfbBrOrgConfig;
  sw: OfbBrSoftwareConfig;
}

export interface DirectoryStats {
  token_requests: number;
  ssa_requests: number;
}

export interface DirectoryContext {
  opts: OfbBrSandboxOptions;
  pki: OfbPki;
  /** Current org status (admin setOrgStatus changes it; the next SSA carries it). */
  orgStatus: Map<string, "Active" | "Inactive">;
  tokens: Map<string, DirectoryToken>;
  stats: DirectoryStats;
  urls: DirectoryUrls;
}

export type DirectoryUrls = ReturnType<typeof directoryUrls>;

/** The directory's URLs (one origin here; separate hosts on the real directory, digest §2.1). */
export function directoryUrls(origin: () => string) {
  return {
    issuer: () => origin(),
    discovery: () => `${origin()}/.well-known/openid-configuration`,
    token: () => `${origin()}/token`,
    jwks: () => `${origin()}/openbanking.jwks`,
    ssaTemplate: () =>
      `${origin()}/organisations/{org_id}/softwarestatements/{software_statement_id}/assertion`,
    swJwks: (o: string, s: string) => `${origin()}/${o}/${s}/application.jwks`,
    swJwksInactive: (o: string, s: string) => `${origin()}/${o}/${s}/inactive/application.jwks`,
    swTransport: (o: string, s: string) => `${origin()}/${o}/${s}/transport.jwks`,
    swTransportInactive: (o: string, s: string) => `${origin()}/${o}/${s}/inactive/transport.jwks`,
  };
}

/** The software's own web addresses, derived from its certificate CN. */
export function softwareUris(sw: OfbBrSoftwareConfig) {
  const base = `https://${sw.cn}`;
  return {
    client_uri: base,
    redirect_uris: [`${base}/callback`, `${base}/callback-alt`],
    webhook_uris: [`${base}/webhook`],
    logo_uri: `${base}/logo.png`,
    tos_uri: `${base}/tos`,
    policy_uri: `${base}/policy`,
  };
}

export function findSoftware(orgs: OfbBrOrgConfig[], softwareId: string): OfbFound | undefined {
  for (const org of orgs) {
    const sw = org.softwares.find((s) => s.software_id === softwareId);
    if (sw) return { org, sw };
  }
  return undefined;
}

export function findByClientId(orgs: OfbBrOrgConfig[], clientId: string): OfbFound | undefined {
  for (const org of orgs) {
    const sw = org.softwares.find((s) => s.software_client_id === clientId);
    if (sw) return { org, sw };
  }
  return undefined;
}
