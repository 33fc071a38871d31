/** A running bank's state, shared by its route modules (bank_register.ts, bank_token.ts, bank_render.ts). */
import type * as jose from "jose";
import type { FaultSet } from "./faults.js";
import type { JtiCache } from "./jwt.js";
import type { BankConfig } from "./options.js";
import type { BankQuirks } from "./quirks.js";
import type { RegistrationStore } from "./store.js";

/** An access token from the bank's /token (client_credentials); it authorizes RFC 7592 management. */
export interface AccessToken {
  clientId: string;
  scope: string[];
  exp: number;
}

export interface BankState {
  readonly config: BankConfig;
  /** The `WWW-Authenticate` realm: the bank's name. */
  readonly realm: string;
  readonly faults: FaultSet;
  readonly store: RegistrationStore;
  readonly tokens: Map<string, AccessToken>;
  /** Replay caches: registration request JWTs, and /token client assertions. */
  readonly registrationJtis: JtiCache;
  readonly assertionJtis: JtiCache;
  readonly directoryJwksUrl: string;
  /** Re-points a stored directory URL to the directory's current origin (registrations from an earlier run). */
  directoryUrl(stored: string): string;
  /** An https JWKS, fetched trusting the sandbox CA. */
  fetchJwks(url: string): Promise<jose.JSONWebKeySet>;
  /** The admin API may replace them at any time: handlers read them where they use them. */
  quirks: BankQuirks;
  /** Set once the server listens (the port may be ephemeral). */
  origin: string;
}

export const registerUrl = (s: BankState): string => `${s.origin}/register`;
export const tokenUrl = (s: BankState): string => `${s.origin}/token`;
