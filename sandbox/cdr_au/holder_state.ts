/** A running data holder's state and addresses, shared by its route modules (holder_*.ts). */
import type { JtiCache } from "../jwt.js";
import type { RegistrationStore } from "../store.js";
import type { HolderConfig, ProductStatus } from "./options.js";

/** The management scope a DH token must carry for /register/{clientId}. */
export const REGISTRATION_SCOPE = "cdr:registration";
export const HOLDER_TOKEN_SECONDS = 300;
export const SIGNING_ALGS = ["PS256", "ES256"] as const;
export const JWE_ALGS = ["RSA-OAEP", "RSA-OAEP-256"] as const;
export const JWE_ENCS = ["A256GCM", "A128CBC-HS256"] as const;
export const RESPONSE_TYPES = ["code", "code id_token"] as const;
export const GRANT_TYPES = ["client_credentials", "authorization_code", "refresh_token"] as const;

/** A DH access token (client_credentials): bound to its client and to the certificate it was issued to. */
export interface HolderToken {
  clientId: string;
  scope: string[];
  exp: number;
  certThumbprint: string;
}

export interface HolderState {
  readonly config: HolderConfig;
  readonly store: RegistrationStore;
  readonly tokens: Map<string, HolderToken>;
  /** Replay caches: registration request JWTs, and /connect/token client assertions. */
  readonly registrationJtis: JtiCache;
  readonly assertionJtis: JtiCache;
  /** The Register's SSA JWKS (fetched over HTTPS at every registration). */
  readonly registerJwksUrl: string;
  /** The product's status at the Register (in process: the DH "polls" it on every check). */
  productStatus(softwareId: string): ProductStatus | undefined;
  /** Re-points a stored Register-hosted URL (a product jwks_uri) to the Register's current port. */
  currentUrl(stored: string): string;
  /** GET an https URL trusting the sandbox CA; JSON body or an Error. */
  fetchJson(url: string): Promise<unknown>;
  /** Set once the server listens. */
  origin: string;
}

export const holderUrls = (s: Pick<HolderState, "origin">) => ({
  issuer: s.origin,
  discovery: `${s.origin}/.well-known/openid-configuration`,
  registration: `${s.origin}/connect/register`,
  token: `${s.origin}/connect/token`,
  jwks: `${s.origin}/jwks`,
  authorize: `${s.origin}/connect/authorize`,
});

/** Drops a client and every token issued to it. */
export function dropClient(s: HolderState, clientId: string): boolean {
  for (const [k, t] of s.tokens) if (t.clientId === clientId) s.tokens.delete(k);
  return s.store.delete(clientId);
}
