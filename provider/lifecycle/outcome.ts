/** What a registration call returns (`RegistrationOutcome`), and the options of the four verbs. */
import type { ResolvedBankProfile } from "../core/bank_profiles/resolve.js";
import {
  observeResponseShape,
  type ResponseDeviation,
  responseDeviations,
} from "../core/bank_profiles/response.js";
import { OutcomeUnknownError, UnexpectedResponseError } from "../core/errors.js";
import type { RegistrationResult } from "../core/parse/registration_response.js";
import { managementUri } from "../core/policy/plan.js";
import type { RegistrationState } from "../core/schemas/params.js";
import { answeredManagementUriProblem } from "../core/validate/url_policy.js";
import { peekBody } from "../http/dcr.js";
import type { HttpResponse } from "../http/transport_types.js";
import type { Prepared } from "./prepare.js";

export interface RegistrationOutcome extends RegistrationResult {
  profile: string;
  /** Where to manage the registration (RFC 7592 `registration_client_uri` or `{registration_endpoint}/{client_id}`). */
  management_uri: string;
  /** The bank profile used (spec → preset → overrides), with each setting's origin. */
  bank_profile: ResolvedBankProfile;
  /** Where the bank's response differed from what the bank profile declares (`response.*`). */
  response_deviations: ResponseDeviation[];
  /** The client_id proposed in the request (`bank_profile.client_id_hint`), and whether the bank used it. */
  client_id_hint?: { sent: string; honoured: boolean } | undefined;
  /**
   * Set when create did not get its own 201 but found the registration by its client_id hint:
   * `lost_response` (this POST's answer was lost after the bank committed it), `earlier_attempt`
   * (an earlier, interrupted run registered it; the bank refused the duplicate id).
   */
  reconciled?: "lost_response" | "earlier_attempt" | undefined;
  /** The SSA's `software_jwks_endpoint` (create/update): where the directory publishes our keys. */
  software_jwks_endpoint?: string | undefined;
  /**
   * Create: how many earlier POSTs the bank answered 503 before the one that registered (retried:
   * 503 says "not processed", but a broken bank may have created a client anyway, which then
   * nothing names). Unset when none, or when the bank honours the client_id hint (it would have
   * refused the second POST as a duplicate).
   */
  unavailable_before?: number | undefined;
  /**
   * The answer's `client_secret_expires_at` is past (non-zero): the secret it names has expired
   * already, and a bank refuses it (`secretExpired`). Set by create, read and update.
   */
  client_secret_expired?: true | undefined;
}

/** Options of GET/PUT/DELETE. */
export interface ManagementOptions {
  /**
   * The caller confirms that the bank deleted this client: an ambiguous answer (`invalid_client`
   * at the bank's token endpoint) then counts as gone. Never set by default.
   */
  confirm_gone?: boolean | undefined;
  /**
   * The registration access token was given for this call (an import or an adoption, no state
   * recorded yet), not stored: errors say "given" of it.
   */
  token_given?: boolean | undefined;
  /** Where the directory publishes our keys (recorded at registration): checked on an ambiguous answer. */
  software_jwks_endpoint?: string | undefined;
  /**
   * The `token_endpoint_auth_signing_alg` the bank last registered for this client (recorded): a
   * bank's token endpoint refuses a client assertion in another alg (OIDC Core §9), which a key
   * rotation that changes the alg runs into.
   */
  registered_auth_alg?: string | undefined;
  /**
   * An earlier update's answer was lost (`OBDCR_OUTCOME_UNKNOWN`) at a bank managed with a
   * registration access token: the bank may have applied it and handed out a new token in the
   * answer we never read (RFC 7592 §2.2), so a 401 for the stored token no longer means "deleted".
   * Recorded in state until a call succeeds with the stored token.
   */
  token_unconfirmed?: boolean | undefined;
  /**
   * The recorded `client_secret_expires_at` (seconds; 0 = never): an ambiguous refusal after it
   * names the expired secret as a likely cause.
   */
  client_secret_expires_at?: number | undefined;
}

/**
 * Has the client secret expired? RFC 7591 §3.2.1: `client_secret_expires_at` is the time (seconds)
 * at which it expires, 0 if it does not. A bank may answer with one already past (a clock, a
 * policy, a secret it will not renew): the secret is then refused at its token endpoint.
 */
export function secretExpired(expires_at: number | undefined, now: number): boolean {
  return expires_at !== undefined && expires_at !== 0 && expires_at <= now;
}

/** The outcome, marked when its secret has already expired. */
export function withSecretExpiry(o: RegistrationOutcome, now: number): RegistrationOutcome {
  return secretExpired(o.client_secret_expires_at, now) ? { ...o, client_secret_expired: true } : o;
}

export interface CreateOptions {
  /**
   * The client_id proposed when `bank_profile.client_id_hint` is on (default: a random UUIDv4). A hint that
   * is stable across runs lets a later run find a registration whose POST outcome was lost even
   * when the process died (the Pulumi resource derives one from its stack, name and identity).
   */
  client_id_hint?: string | undefined;
}

/**
 * After a failed update: may the bank have superseded the stored registration access token? Yes
 * when the PUT's answer was lost (`OBDCR_OUTCOME_UNKNOWN`) and the client is managed with one: the
 * bank may have applied the PUT and rotated the token in that answer (RFC 7592 §2.2).
 */
export function tokenUnconfirmedAfter(e: unknown, registration_access_token: string | undefined): boolean {
  return registration_access_token !== undefined && e instanceof OutcomeUnknownError;
}

export function deviations(p: Prepared, res: HttpResponse, created: boolean): ResponseDeviation[] {
  const shape = observeResponseShape(peekBody(res) ?? {}, created ? res.status : undefined);
  return responseDeviations(p.bank_profile.response, shape);
}

export function outcome(
  p: Prepared,
  r: RegistrationResult,
  response_deviations: ResponseDeviation[] = [],
): RegistrationOutcome {
  return {
    ...r,
    profile: p.profile.name,
    management_uri: managementUri(p, r.client_id, r.registration_client_uri),
    bank_profile: p.bank_profile,
    response_deviations,
    software_jwks_endpoint: p.ssa_claims?.jwks_uri,
  };
}

/** Carry forward secrets the bank did not return again (RAT kept unless rotated). */
export function keepSecrets(
  p: Prepared,
  state: RegistrationState,
  r: RegistrationResult,
  verb: "read" | "update" = "read",
): RegistrationOutcome {
  if (r.client_id !== state.client_id)
    throw new UnexpectedResponseError(
      verb === "update"
        ? // A broken bank may register the PUT anew: its client is named here, the only place it is.
          `the bank answered the update (PUT) of client ${state.client_id} with another client, ${r.client_id}; refusing to change identity: ${state.client_id} stays in state, unchanged. If the bank registered ${r.client_id} anew, it now holds a client that no state names: delete it in the bank's developer portal, and ask the bank why (each PUT may make one more)`
        : `the bank answered for client ${r.client_id} when asked about ${state.client_id}; refusing to take another client's registration (check the management URI and the bank)`,
      verb === "update" ? { client_id: r.client_id } : undefined,
    );
  const secrets = {
    ...state.secrets,
    ...Object.fromEntries(Object.entries(r.secrets).filter(([, v]) => v !== undefined)),
  };
  // An answer never moves management off the bank's own origins (nor to a URL the policy refuses).
  const moved = r.registration_client_uri;
  const allowed =
    moved !== undefined &&
    !answeredManagementUriProblem(
      moved,
      p.registration_endpoint,
      p.bank_profile.management.allowed_origins,
      p.url_policy,
    );
  return outcome(p, {
    ...r,
    secrets,
    registration_client_uri: allowed ? moved : state.registration_client_uri,
  });
}
