/**
 * One small error tree with stable codes. Callers branch on `code`, never on `message`.
 * Messages say what to fix and never carry secrets (keys, tokens, client_secret, SSAs).
 */
import type { z } from "zod";
import { escapeControls, scrubSecrets, untrustedText } from "./untrusted.js";

export const OBDCR_INVALID_INPUT = "OBDCR_INVALID_INPUT";
export const OBDCR_SSA_INVALID = "OBDCR_SSA_INVALID";
export const OBDCR_REGISTRATION_REJECTED = "OBDCR_REGISTRATION_REJECTED";
export const OBDCR_UNEXPECTED_RESPONSE = "OBDCR_UNEXPECTED_RESPONSE";
export const OBDCR_TRANSPORT = "OBDCR_TRANSPORT";
export const OBDCR_TIMEOUT = "OBDCR_TIMEOUT";
export const OBDCR_OUTCOME_UNKNOWN = "OBDCR_OUTCOME_UNKNOWN";
export const OBDCR_REGISTRATION_GONE = "OBDCR_REGISTRATION_GONE";
export const OBDCR_NOT_SUPPORTED = "OBDCR_NOT_SUPPORTED";
export const OBDCR_GONE_UNCONFIRMED = "OBDCR_GONE_UNCONFIRMED";
export const OBDCR_DIRECTORY_LIST = "OBDCR_DIRECTORY_LIST";
export const OBDCR_SIGNER = "OBDCR_SIGNER";
export const OBDCR_INTERRUPTED = "OBDCR_INTERRUPTED";

export type ObDcrErrorCode =
  | typeof OBDCR_INVALID_INPUT
  | typeof OBDCR_SSA_INVALID
  | typeof OBDCR_REGISTRATION_REJECTED
  | typeof OBDCR_UNEXPECTED_RESPONSE
  | typeof OBDCR_TRANSPORT
  | typeof OBDCR_TIMEOUT
  | typeof OBDCR_OUTCOME_UNKNOWN
  | typeof OBDCR_REGISTRATION_GONE
  | typeof OBDCR_NOT_SUPPORTED
  | typeof OBDCR_GONE_UNCONFIRMED
  | typeof OBDCR_DIRECTORY_LIST
  | typeof OBDCR_SIGNER
  | typeof OBDCR_INTERRUPTED;

/**
 * What the caller can do about an error, as data: each adapter (resource, CLI) words it in its own
 * terms (`adopt:` on the resource, `--client-id` on the CLI), so shared layers carry no wording
 * that only one of them can act on.
 */
export type Remedy =
  /** The bank may hold a registration of ours (`client_id` when known): take it over, or delete it there. */
  | { kind: "adopt"; client_id?: string | undefined }
  /** Fix this input (snake_case path) and run again. */
  | { kind: "fix-input"; field: string }
  /** The bank may have deleted the client: drop it deliberately once confirmed. */
  | { kind: "confirm-gone"; client_id: string }
  /** The bank offers no PUT: change the client in its developer portal. */
  | { kind: "update-in-portal"; client_id: string }
  /** The bank offers no DELETE: revoke the client in its developer portal, then forget it. */
  | { kind: "revoke-in-portal"; client_id: string }
  /** The client secret has expired (`client_secret_expires_at` past): get a new one from the bank. */
  | { kind: "renew-secret"; client_id: string }
  /**
   * The bank refused the stored registration access token but still authenticates the client: get
   * the client's current token from the bank and manage the client with it.
   */
  | {
      kind: "adopt-current-token";
      client_id: string;
      /**
       * What is known of a deletion: `possible` (the refusal may also mean the bank deleted the
       * client: confirm-gone is the other way out), `refuted` (the caller confirmed a deletion, but
       * the bank's token endpoint still authenticates the client, so the confirmation was not applied:
       * dropping it would leave a live client at the bank). Absent: the client lives.
       */
      deletion?: "possible" | "refuted" | undefined;
    }
  /** Nothing was committed (or the outcome is reconciled next time): run again. */
  | { kind: "retry" };

export interface ObDcrErrorOptions {
  cause?: unknown;
  remedy?: Remedy | undefined;
}

/** Base of every error ob-dcr throws on purpose. */
export class ObDcrError extends Error {
  readonly code: ObDcrErrorCode;
  /** What the caller can do (worded by each adapter), decided where the error is made. */
  readonly remedy: Remedy | undefined;
  constructor(code: ObDcrErrorCode, message: string, options?: ObDcrErrorOptions) {
    // Bank- and directory-supplied text may be part of it: never a secret, never a control character.
    super(
      escapeControls(scrubSecrets(message)),
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.name = new.target.name;
    this.remedy = options?.remedy;
  }
}

/** A caller-supplied value is wrong; `field` names it (dotted path). */
export class InvalidInputError extends ObDcrError {
  override readonly code = OBDCR_INVALID_INPUT;
  readonly field: string;
  readonly issues: z.core.$ZodIssue[];
  constructor(field: string, message: string, options?: ObDcrErrorOptions & { issues?: z.core.$ZodIssue[] }) {
    super(OBDCR_INVALID_INPUT, message.startsWith(field) ? message : `${field}: ${message}`, options);
    this.field = field;
    this.issues = options?.issues ?? [];
  }
}

/** Why a signer (PKCS#11 token, KMS key) could not be used; stable, branch on it. */
export type SignerFailure =
  /** The optional package the backend needs (`pkcs11js`, `@aws-sdk/client-kms`) is not installed or not built. */
  | "backend_missing"
  /** The PKCS#11 module cannot be loaded, or the KMS endpoint/credentials cannot be used. */
  | "unavailable"
  /** No token with that label (PKCS#11). */
  | "token_not_found"
  /** No PIN given, or the token refused it. */
  | "login_failed"
  /** No key with that label/id (PKCS#11), or the KMS key does not exist. */
  | "key_not_found"
  /** The key cannot sign with the configured alg (wrong type, curve, usage, or no CKA_SIGN). */
  | "key_unusable"
  /** The key store refused to sign (permissions, disabled key, device error). */
  | "sign_failed"
  /** A signature came back that does not verify with the key's public part (e.g. a PSS salt other than 32). */
  | "bad_signature";

/**
 * A remote signer (HSM, KMS) failed. `field` names the input to fix (`signing_key.pkcs11.pin_env`,
 * `signing_key.aws_kms.key_id`, ...); `reason` says why. No PIN, handle or key material in it.
 */
export class SignerError extends ObDcrError {
  override readonly code = OBDCR_SIGNER;
  readonly field: string;
  readonly reason: SignerFailure;
  constructor(field: string, reason: SignerFailure, message: string, options?: ObDcrErrorOptions) {
    super(OBDCR_SIGNER, `${field}: ${message}`, {
      ...options,
      remedy: options?.remedy ?? { kind: "fix-input", field },
    });
    this.field = field;
    this.reason = reason;
  }
}

/** The software statement is malformed, unverifiable, stale or does not match the software. */
export class SsaInvalidError extends ObDcrError {
  override readonly code = OBDCR_SSA_INVALID;
  readonly claim: string | undefined;
  constructor(message: string, options?: ObDcrErrorOptions & { claim?: string }) {
    super(OBDCR_SSA_INVALID, message, options);
    this.claim = options?.claim;
  }
}

/** The bank (or directory) answered with an RFC 6749/7591 error body. */
export class RegistrationRejectedError extends ObDcrError {
  override readonly code = OBDCR_REGISTRATION_REJECTED;
  readonly status: number;
  readonly error: string | undefined;
  readonly error_description: string | undefined;
  /** The input the refusal is about (snake_case path), when it can be told (see `rejectionField`). */
  readonly field: string | undefined;
  /** Other inputs the message names as worth checking (snake_case paths; each face spells them its way). */
  readonly checks: readonly string[];
  constructor(
    status: number,
    error: string | undefined,
    error_description: string | undefined,
    context: string,
    options?: ObDcrErrorOptions & { field?: string | undefined; checks?: readonly string[] | undefined },
  ) {
    const code = error === undefined ? undefined : untrustedText(error, 100);
    const description = error_description === undefined ? undefined : untrustedText(error_description, 1000);
    super(
      OBDCR_REGISTRATION_REJECTED,
      `${context} was rejected with HTTP ${status}${code ? ` ${code}` : ""}${
        description ? `: ${truncate(description, 300)}` : ""
      }`,
      options,
    );
    this.status = status;
    this.error = code;
    this.error_description = description;
    this.field = options?.field;
    this.checks = options?.checks ?? [];
  }
}

/**
 * A directory (register) refused a request with a coded error list (the CDR Register's
 * `{"errors":[…]}` with `urn:au-cds:error:` codes). `error` is the code; `field` names the input
 * to fix when one is at fault (else the status is the directory's business).
 */
export class DirectoryRejectedError extends RegistrationRejectedError {
  readonly fix: string;
  constructor(
    status: number,
    code: string,
    detail: string | undefined,
    context: string,
    advice: { field: string | undefined; fix: string },
    options?: ObDcrErrorOptions,
  ) {
    super(status, code, `${advice.fix}${detail ? ` (the directory says: ${detail})` : ""}`, context, {
      ...options,
      field: advice.field,
      remedy: options?.remedy ?? (advice.field ? { kind: "fix-input", field: advice.field } : undefined),
    });
    this.fix = advice.fix;
  }
}

/** The peer answered with a status, content type or body shape we cannot use. */
export class UnexpectedResponseError extends ObDcrError {
  override readonly code = OBDCR_UNEXPECTED_RESPONSE;
  readonly status: number | undefined;
  readonly content_type: string | undefined;
  /** Set when a successful registration response was unusable but named the client it created. */
  readonly client_id: string | undefined;
  /**
   * The credentials that answer did carry (a registration access token without its URI): kept with
   * the client. Not enumerable, as in OutcomeUnknownError: never in a log of the error.
   */
  declare readonly salvaged: SalvagedRegistration | undefined;
  constructor(
    message: string,
    options?: ObDcrErrorOptions & {
      status?: number | undefined;
      content_type?: string | undefined;
      client_id?: string | undefined;
      salvaged?: SalvagedRegistration | undefined;
    },
  ) {
    super(OBDCR_UNEXPECTED_RESPONSE, message, options);
    this.status = options?.status;
    this.content_type = options?.content_type;
    this.client_id = options?.client_id;
    Object.defineProperty(this, "salvaged", { value: options?.salvaged, enumerable: false });
  }
}

/**
 * A signed answer (`application/jwt`) whose `iss` is not the bank's issuer or whose `aud` names
 * none of ours: not an answer from this bank for this client, whatever its signature.
 */
export class SignedAnswerClaimError extends UnexpectedResponseError {
  readonly claim: "iss" | "aud";
  constructor(
    claim: "iss" | "aud",
    message: string,
    options?: ObDcrErrorOptions & { status?: number | undefined; content_type?: string | undefined },
  ) {
    super(message, options);
    this.claim = claim;
  }
}

/** Connection, TLS or protocol failure below HTTP semantics. */
export class TransportError extends ObDcrError {
  override readonly code = OBDCR_TRANSPORT;
  constructor(message: string, options?: ObDcrErrorOptions) {
    super(OBDCR_TRANSPORT, message, options);
  }
}

/** A connect, header or body timeout elapsed. */
export class TimeoutError extends ObDcrError {
  override readonly code = OBDCR_TIMEOUT;
  constructor(message: string, options?: ObDcrErrorOptions) {
    super(OBDCR_TIMEOUT, message, options);
  }
}

/**
 * The run was stopped (the engine's Cancel, a signal) before this work could end. The message says
 * whether anything that changes a registration was left unanswered (`core/interrupted.ts`).
 */
export class InterruptedError extends ObDcrError {
  override readonly code = OBDCR_INTERRUPTED;
  /** The request the stop cut short after it was sent (its answer lost); undefined: nothing was. */
  readonly in_flight: { method: string; url: string } | undefined;
  constructor(
    message: string,
    options?: ObDcrErrorOptions & { in_flight?: { method: string; url: string } | undefined },
  ) {
    super(OBDCR_INTERRUPTED, message, options);
    this.in_flight = options?.in_flight;
  }
}

/** A non-idempotent request may have reached the bank and been committed; reconcile before retrying. */
export class OutcomeUnknownError extends ObDcrError {
  override readonly code = OBDCR_OUTCOME_UNKNOWN;
  /** The answer's status, when one began to arrive (a 201 cut off: a client probably exists). */
  readonly status: number | undefined;
  /**
   * The client the bank named in an answer that could not be used (printable: controls escaped,
   * at most 255 characters shown). Exact, and usable to manage the client, only with `salvaged`.
   */
  readonly client_id: string | undefined;
  /**
   * What could be kept of an unusable 2xx: enough to manage or delete the client later. Holds
   * credentials, so it is not enumerable: never in `JSON.stringify(error)` or a log of the error.
   */
  declare readonly salvaged: SalvagedRegistration | undefined;
  constructor(
    message: string,
    options?: ObDcrErrorOptions & {
      status?: number | undefined;
      client_id?: string | undefined;
      salvaged?: SalvagedRegistration | undefined;
    },
  ) {
    super(OBDCR_OUTCOME_UNKNOWN, message, options);
    this.status = options?.status;
    this.client_id = options?.client_id;
    Object.defineProperty(this, "salvaged", { value: options?.salvaged, enumerable: false });
  }
}

/**
 * The parts of an unusable registration answer that are well-formed: a client_id of RFC 6749
 * VSCHARs, a registration access token of the same, a management URI that passed the URL policy.
 */
export interface SalvagedRegistration {
  client_id: string;
  registration_access_token?: string | undefined;
  registration_client_uri?: string | undefined;
  client_secret?: string | undefined;
}

/** The registration no longer exists at the bank (deleted or unknown client). */
export class RegistrationGoneError extends ObDcrError {
  override readonly code = OBDCR_REGISTRATION_GONE;
  /** The bank's HTTP status; undefined when no request was sent (a state file records the deletion). */
  readonly status: number | undefined;
  /**
   * Earlier attempts of the refused call that reached the bank but whose answer was lost (the
   * transport retried): the bank may have acted on one (rotated a credential) before this answer.
   */
  readonly lost_attempts: number;
  constructor(
    status: number | undefined,
    message: string,
    options?: ObDcrErrorOptions & { lost_attempts?: number | undefined },
  ) {
    super(OBDCR_REGISTRATION_GONE, message, options);
    this.status = status;
    this.lost_attempts = options?.lost_attempts ?? 0;
  }
}

/** The bank (405) or the profile says the operation or value is not supported. */
export class NotSupportedError extends ObDcrError {
  override readonly code = OBDCR_NOT_SUPPORTED;
  constructor(message: string, options?: ObDcrErrorOptions) {
    super(OBDCR_NOT_SUPPORTED, message, options);
  }
}

/** One check of our own side (key, certificate) made to explain an ambiguous answer. */
export interface OwnSideCheck {
  /** The input it concerns (snake_case path), e.g. `signing_key`. */
  field: string;
  ok: boolean;
  detail: string;
}

export type GoneAmbiguity = "invalid_client" | "not_oauth_404" | "superseded_token" | "rotated_token";

/**
 * The bank refused us in a way that can mean "this client was deleted" or "we could not
 * authenticate" (`invalid_client` at its token endpoint): nothing is dropped on such an answer.
 * `field` names our input at fault when a check of our own side found one.
 */
export class GoneUnconfirmedError extends ObDcrError {
  override readonly code = OBDCR_GONE_UNCONFIRMED;
  readonly client_id: string;
  readonly field: string | undefined;
  readonly checks: readonly OwnSideCheck[];
  /**
   * Why the answer is ambiguous: `invalid_client` (a deleted client and an authentication the bank
   * cannot verify look alike), or `not_oauth_404` (a 404 that is not an OAuth error: a gateway's
   * as likely as the registration endpoint's), or `superseded_token` (the bank refused the stored
   * registration access token, yet its token endpoint still authenticates the client: the client
   * lives, and the token was superseded by one no state holds), or `rotated_token` (the bank refused
   * the stored registration access token where it may have rotated it in an answer we lost: an
   * earlier attempt, an update or a call at a bank declared `rat_may_rotate`; or it deleted the client).
   */
  readonly ambiguity: GoneAmbiguity;
  constructor(
    client_id: string,
    message: string,
    options?: ObDcrErrorOptions & {
      field?: string | undefined;
      checks?: readonly OwnSideCheck[];
      ambiguity?: GoneAmbiguity | undefined;
    },
  ) {
    super(OBDCR_GONE_UNCONFIRMED, message, options);
    this.client_id = client_id;
    this.field = options?.field;
    this.checks = options?.checks ?? [];
    this.ambiguity = options?.ambiguity ?? "invalid_client";
  }
}

/**
 * A directory's bank list cannot be trusted for this run (directories.md): unreachable, an error
 * status, a body that is no list, a list that shrank beyond the threshold or grew beyond the
 * ceiling, or a bank asked for by id that the list does not have. Raised before any bank is touched.
 */
export class BankListError extends ObDcrError {
  override readonly code = OBDCR_DIRECTORY_LIST;
  readonly reason: "unreachable" | "status" | "malformed" | "shrunk" | "grew" | "unknown_bank";
  /** The setting that decides it (`policy.max_new_banks`), when one does. */
  readonly field: string | undefined;
  constructor(
    reason: BankListError["reason"],
    message: string,
    options?: ObDcrErrorOptions & { field?: string | undefined },
  ) {
    super(OBDCR_DIRECTORY_LIST, message, options);
    this.reason = reason;
    this.field = options?.field;
  }
}

export type AnyObDcrError =
  | BankListError
  | InvalidInputError
  | SsaInvalidError
  | RegistrationRejectedError
  | UnexpectedResponseError
  | TransportError
  | TimeoutError
  | OutcomeUnknownError
  | RegistrationGoneError
  | NotSupportedError
  | GoneUnconfirmedError
  | SignerError
  | InterruptedError;

export function isObDcrError(e: unknown): e is AnyObDcrError {
  return e instanceof ObDcrError;
}

/** Build an InvalidInputError from zod issues, naming the first failing field. */
export function invalidInputFromZod(prefix: string, error: z.ZodError): InvalidInputError {
  const first = error.issues[0];
  const path = [prefix, ...(first?.path ?? []).map(String)].filter(Boolean).join(".");
  const msg = error.issues
    .slice(0, 5)
    .map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join(".") || "(root)"}: ${i.message}`)
    .join("; ");
  return new InvalidInputError(path, `invalid input (${msg})`, { cause: error, issues: error.issues });
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/**
 * The same error in other words, as a new object (the original is its `cause`): an adapter's
 * wording (`camelCase` field names, a remedy said for Pulumi or the CLI) or a context prefix.
 * The remedy is kept unless `remedy` says otherwise (`null`: none applies where it is reported).
 */
export function restated<E extends Error>(e: E, o: { message?: string; remedy?: Remedy | null } = {}): E {
  const copy = Object.create(Object.getPrototypeOf(e)) as E;
  Object.defineProperties(copy, Object.getOwnPropertyDescriptors(e));
  const set = (k: string, value: unknown, enumerable = false) =>
    Object.defineProperty(copy, k, { value, writable: true, configurable: true, enumerable });
  if (o.message !== undefined) set("message", escapeControls(scrubSecrets(o.message)));
  if (o.remedy !== undefined) set("remedy", o.remedy ?? undefined, true);
  set("cause", e);
  if (e.stack) set("stack", `${copy.name}: ${copy.message}\n${e.stack.split("\n").slice(1).join("\n")}`);
  return copy;
}
