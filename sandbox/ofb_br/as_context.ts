/** One OFB authorization server's state and addresses, shared by as_register.ts and as_manage.ts. */
import crypto from "node:crypto";
import type * as jose from "jose";
import type { RegistrationStore } from "../store.js";
import type { OfbBrServerConfig } from "./options.js";

export const AS_REALM = "OFB Authorization Server";

export interface AsStats {
  registrations: number;
  gets: number;
  puts: number;
  deletes: number;
}

export interface AsContext {
  cfg: OfbBrServerConfig;
  store: RegistrationStore;
  stats: AsStats;
  /** Keys that verify SSAs (the directory's keystore). */
  directoryJwks: jose.JSONWebKeySet;
  ssaIssuer: string;
  urls: AsUrls;
}

export type AsUrls = ReturnType<typeof asUrls>;

/**
 * The server's URLs. Registration and DCM live under the MTLS alias (`/mtls/...`); the plain
 * `registration_endpoint` stands for the non-mTLS host of a real deployment and refuses.
 */
export function asUrls(origin: () => string, cfg: OfbBrServerConfig) {
  const mtlsRegister = () => `${origin()}/mtls/register`;
  return {
    issuer: () => origin(),
    discovery: () => `${origin()}/.well-known/openid-configuration`,
    register: () => `${origin()}/register`,
    mtlsRegister,
    token: () => `${origin()}/token`,
    mtlsToken: () => `${origin()}/mtls/token`,
    jwks: () => `${origin()}/jwks`,
    rcu: (clientId: string) =>
      cfg.rcu_style === "path"
        ? `${mtlsRegister()}/${encodeURIComponent(clientId)}`
        : `${mtlsRegister()}?client_id=${encodeURIComponent(clientId)}`,
  };
}

/** A new registration access token (opaque; only its SHA-256 is kept). */
export function newRat(): string {
  return crypto.randomBytes(32).toString("base64url");
}
