/** What every lifecycle operation shares: the adapter's context, the notes it reports, small helpers. */

import { InterruptedError } from "../core/errors.js";
import { interruptedBeforeSending } from "../core/interrupted.js";
import type { RegistrationParamsInput } from "../core/schemas/params.js";
import { isCancelled, type ObDcrContext } from "../http/context.js";
import { type TlsMaterial, tlsMaterialOf } from "../http/transport_types.js";
import type { ConfigSecrets } from "./inputs.js";
import type { Substitution } from "./outputs.js";
import type { Props } from "./props.js";

/** What an adapter hands every operation: the shared context and its secrets, created in `configure`. */
export interface Lifecycle {
  ctx: ObDcrContext;
  secrets: ConfigSecrets;
  /** The operator confirmed that the bank deleted this client (`OBDCR_CONFIRM_GONE`). */
  confirmedGone(client_id: string): boolean;
  now(): number;
  /** A provider config key as this face's users set it (`obdcr:signingPrivateKey` in the plugin). */
  configKey(key: keyof ConfigSecrets): string;
}

/**
 * After the run's Cancel (the native plugin's; http/cancel.ts) no operation starts: a Check or
 * Create the engine sends after it fails at once, before anything is sent.
 */
export function refuseAfterCancel(lc: Lifecycle, what: string): void {
  if (isCancelled(lc.ctx)) throw new InterruptedError(interruptedBeforeSending("Cancel", `${what} started`));
}

/** What happened, for the adapter to say (no secrets in any of them). */
export type Note =
  | { kind: "substitution"; where: string; substitution: Substitution }
  | { kind: "reconciled"; where: string; client_id: string; how: "lost_response" | "earlier_attempt" }
  | { kind: "hint_ignored"; where: string; client_id: string }
  | { kind: "unavailable_before"; where: string; client_id: string; count: number }
  | { kind: "expiring"; where: string; days_left: number; not_after: string; subject_dn: string }
  | { kind: "gone"; client_id: string; detail: string }
  | { kind: "no_get"; client_id: string }
  /** `detail`: the bank's answer that said so (and what was checked). */
  | { kind: "already_gone"; client_id: string; detail?: string | undefined }
  /** The bank answered the DELETE 202 Accepted: taken on, not said to be done; dropped from state. */
  | { kind: "delete_accepted"; client_id: string }
  | { kind: "other_kid"; client_id: string; kid: string; recorded_kid: string }
  /** The answer's `client_secret_expires_at` is already past (non-zero): the secret is dead. */
  | { kind: "secret_expired"; where: string; client_id: string; expires_at: number }
  /** A refresh whose answer was refused but handed out a new registration access token (kept). */
  | { kind: "token_kept"; client_id: string; detail: string }
  /** An import whose GET answer was refused but handed out a new registration access token (kept). */
  | { kind: "import_token_kept"; client_id: string; detail: string };

/** The bank created the registration but it could not be completed: keep it (never orphan it). */
export class PartiallyCreated extends Error {
  constructor(
    readonly client_id: string,
    readonly outputs: Props,
    readonly error: unknown,
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

/**
 * The bank answered our PUT with a new registration access token but the rest of its answer could
 * not be used: the recorded state with only the token replaced (the update is not recorded as
 * applied, so the next run sends it again), to be kept with the error.
 */
export class PartiallyUpdated extends Error {
  constructor(
    readonly client_id: string,
    readonly outputs: Props,
    readonly error: unknown,
    /**
     * `token_kept`: an unusable answer carried a new registration access token, now in `outputs`;
     * `token_unconfirmed`: the answer was lost, so the stored token may be superseded (`outputs`
     * say so, and a later 401 is not taken for a deletion).
     */
    readonly why: "token_kept" | "token_unconfirmed" = "token_kept",
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

/** Where a registration is sent, for messages (no secrets). */
export { describe as where } from "./props.js";

export const tlsOf = (params: RegistrationParamsInput): TlsMaterial => {
  const t = params.transport ?? {};
  return tlsMaterialOf(t);
};

export const jwksUriOf = (props: Props) =>
  typeof props.softwareJwksEndpoint === "string" ? props.softwareJwksEndpoint : undefined;

/**
 * What recorded props say that explains a bank's refusal of a management call: where the directory
 * publishes our keys, and the assertion alg the bank registered (else the last key's).
 */
export function recordedOf(props: Props): {
  software_jwks_endpoint?: string;
  registered_auth_alg?: string;
  token_unconfirmed?: boolean;
  client_secret_expires_at?: number;
} {
  const registered = (props.registeredMetadata as Props | undefined)?.token_endpoint_auth_signing_alg;
  const last = (props.signingKeyIdentity as Props | undefined)?.alg;
  const alg = typeof registered === "string" ? registered : typeof last === "string" ? last : undefined;
  const jwks = jwksUriOf(props);
  return {
    ...(jwks ? { software_jwks_endpoint: jwks } : {}),
    ...(alg ? { registered_auth_alg: alg } : {}),
    ...(props.tokenUnconfirmed === true ? { token_unconfirmed: true } : {}),
    ...(typeof props.clientSecretExpiresAt === "number"
      ? { client_secret_expires_at: props.clientSecretExpiresAt }
      : {}),
  };
}
