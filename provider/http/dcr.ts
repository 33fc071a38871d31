/** DCR request/process pairs: register (POST), read (GET), update (PUT), delete (DELETE). */
import * as jose from "jose";
import {
  GoneUnconfirmedError,
  ObDcrError,
  OutcomeUnknownError,
  RegistrationGoneError,
  type Remedy,
  SignedAnswerClaimError,
  UnexpectedResponseError,
} from "../core/errors.js";
import { parseUntrustedJson } from "../core/parse/json.js";
import { parseRegistrationResponse, type RegistrationResult } from "../core/parse/registration_response.js";
import { rotatedToken, salvageRegistration } from "../core/parse/salvage.js";
import { goneVerdict } from "../core/policy/gone.js";
import type { Jwks } from "../core/schemas/common.js";
import { OAuthErrorBody } from "../core/schemas/responses.js";
import { untrustedText } from "../core/untrusted.js";
import { type SignedAnswerExpectation, signedAnswerProblem } from "../core/validate/signed_answer.js";
import {
  answeredManagementUriProblem,
  UnsafeUrlError,
  type UrlPolicy,
  type UrlSource,
} from "../core/validate/url_policy.js";
import type { ObDcrContext } from "./context.js";
import { verifyWithJwks } from "./jwks.js";
import { contentType, parseJsonBody, peekJson, throwForStatus } from "./response.js";
import { send } from "./send.js";
import type { HttpResponse, TlsMaterial } from "./transport_types.js";

/** Default Accept: JSON, or a signed answer (UK banks); a regime answering JSON only says so (`Profile.accept`). */
export const ACCEPT = "application/json, application/jwt;q=0.9, application/jose;q=0.8";

export function registrationRequest(
  ctx: ObDcrContext,
  endpoint: string,
  body: string,
  content_type: string,
  tls: TlsMaterial,
  headers: Record<string, string> = {},
  accept = ACCEPT,
  /** The body of a retry (after a 503 or 429): a request JWT with a fresh jti (used once). */
  renew?: () => Promise<string>,
  /** Where the endpoint came from when a bank gave it (its discovery document): checked at connect. */
  source?: UrlSource,
): Promise<HttpResponse> {
  return send(
    {
      method: "POST",
      url: endpoint,
      headers: { "content-type": content_type, accept, ...headers },
      body,
      idempotent: false,
      label: "registration (POST)",
      renew,
      source,
    },
    tls,
    ctx.transport,
  );
}

export function readRegistrationRequest(
  ctx: ObDcrContext,
  uri: string,
  token: string,
  tls: TlsMaterial,
  accept = ACCEPT,
  /** Where the management URI's host came from when a bank gave it: checked at connect. */
  source?: UrlSource,
) {
  return send(
    {
      method: "GET",
      url: uri,
      headers: { authorization: `Bearer ${token}`, accept },
      idempotent: true,
      label: "registration read (GET)",
      source,
    },
    tls,
    ctx.transport,
  );
}

export function updateRegistrationRequest(
  ctx: ObDcrContext,
  uri: string,
  token: string,
  body: string,
  content_type: string,
  tls: TlsMaterial,
  accept = ACCEPT,
  /** The body of a retry (after a 503 or 429): a request JWT with a fresh jti (used once). */
  renew?: () => Promise<string>,
  /** Where the management URI's host came from when a bank gave it: checked at connect. */
  source?: UrlSource,
) {
  return send(
    {
      method: "PUT",
      url: uri,
      headers: { authorization: `Bearer ${token}`, "content-type": content_type, accept },
      body,
      // A full-replace PUT is idempotent, but a reset still leaves the outcome unknown to the caller.
      idempotent: false,
      label: "registration update (PUT)",
      renew,
      source,
    },
    tls,
    ctx.transport,
  );
}

export function deleteRegistrationRequest(
  ctx: ObDcrContext,
  uri: string,
  token: string,
  tls: TlsMaterial,
  accept = ACCEPT,
  /** Earlier DELETEs of this client whose answer a Cancel lost (the one sent again to settle it). */
  lost_before = 0,
  /** Where the management URI's host came from when a bank gave it: checked at connect. */
  source?: UrlSource,
) {
  return send(
    {
      method: "DELETE",
      url: uri,
      headers: { authorization: `Bearer ${token}`, accept },
      idempotent: true,
      label: "registration delete (DELETE)",
      lost_before,
      source,
    },
    tls,
    ctx.transport,
  );
}

/** The bank's JWKS, or how to fetch it when a signed response needs it (most banks answer JSON). */
export type JwksSource = Jwks | (() => Promise<Jwks | undefined>) | undefined;

export interface ProcessOptions {
  /** The metadata sent, to report substitutions. */
  requested?: Record<string, unknown>;
  /** The bank's JWKS, to verify signed (JWT) responses. */
  bank_jwks?: JwksSource;
  /** Whose a signed answer must be (`iss`) and for whom (`aud`); unchecked without it. */
  signed?: SignedAnswerExpectation | undefined;
  gone_statuses?: readonly number[];
  /** Enforce RFC 7592 both-or-neither on a 201 (default true; off where the caller requires both). */
  rat_pair?: boolean;
  /**
   * Where management may go: a `registration_client_uri` must be on this endpoint's origin or one
   * of `allowed_origins`, and pass the URL policy.
   */
  registration_endpoint?: string | undefined;
  allowed_origins?: readonly string[] | undefined;
  policy?: UrlPolicy | undefined;
  /** Who registered what where, for the messages of an unusable answer ("software X at bank Y"). */
  subject?: string | undefined;
  /** What to do when the bank answers 405 (PUT: change it in the portal; DELETE: revoke it there). */
  not_supported?: Remedy | undefined;
  /** The client a GET or PUT is about: a new registration access token for it is never dropped. */
  client_id?: string | undefined;
}

/** Seconds a signed answer's `nbf` and `exp` may be off our clock (as for the SSA). */
const CLOCK_TOLERANCE_SECONDS = 60;

/**
 * Decode a JSON or signed-JWT response body (verified when the bank's JWKS is known; its `iss` and
 * `aud`, when present, checked against `expected` whether verified or only decoded).
 */
export async function decodeRegistrationBody(
  res: HttpResponse,
  label: string,
  source?: JwksSource,
  expected?: SignedAnswerExpectation,
): Promise<unknown> {
  const ct = contentType(res);
  const text = res.body.toString("utf8").trim();
  const looksJwt = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(text);
  if (ct === "application/jwt" || ct === "application/jose" || (looksJwt && ct !== "application/json")) {
    let jwks: Jwks | undefined;
    try {
      jwks = typeof source === "function" ? await source() : source;
    } catch (cause) {
      // Fail closed: a signed answer whose keys cannot be had (unreachable, over the cap) is refused.
      throw new UnexpectedResponseError(
        `${label}: the answer is signed and the bank's JWKS to verify it could not be fetched (${untrustedText((cause as Error).message, 200)})`,
        { cause, status: res.status, content_type: ct },
      );
    }
    try {
      // A bank's clock a little ahead (an nbf or iat of its "now") is not a forgery: the SSA's tolerance.
      if (jwks)
        await verifyWithJwks(text, jwks, ["PS256", "ES256"], { clockTolerance: CLOCK_TOLERANCE_SECONDS });
      else jose.decodeJwt(text);
    } catch (cause) {
      throw new UnexpectedResponseError(`${label}: signed response does not verify against the bank's JWKS`, {
        cause,
        status: res.status,
        content_type: ct,
      });
    }
    // The claims, read as untrusted JSON (depth, duplicate members), not as jose parsed them.
    let claims: unknown;
    try {
      claims = parseUntrustedJson(Buffer.from(text.split(".")[1] ?? "", "base64url").toString("utf8"));
    } catch (cause) {
      throw new UnexpectedResponseError(
        `${label}: signed response claims are not usable JSON: ${(cause as Error).message}`,
        {
          cause,
          status: res.status,
          content_type: ct,
        },
      );
    }
    const problem = expected && signedAnswerProblem(claims, expected);
    if (problem) {
      const said = (claims as Record<string, unknown>)[problem.claim];
      throw new SignedAnswerClaimError(
        problem.claim,
        `${label}: the signed answer's ${problem.claim} ${untrustedText(JSON.stringify(said) ?? "", 120)} ${problem.problem}: not this bank's answer for this client`,
        { status: res.status, content_type: ct },
      );
    }
    return claims;
  }
  return parseJsonBody(res, label);
}

function checkGone(res: HttpResponse, label: string, o: ProcessOptions): void {
  if (!o.gone_statuses?.includes(res.status)) return;
  if (goneVerdict(res.status, peekJson(res)) === "gone")
    throw new RegistrationGoneError(
      res.status,
      `${label}: the bank says the client is unknown or deleted (HTTP ${res.status})`,
      { lost_attempts: res.lost_attempts },
    );
  const ct = contentType(res) || "no content type";
  throw new GoneUnconfirmedError(
    o.client_id ?? "(unknown)",
    `${label}: HTTP ${res.status} without an OAuth error body (${ct}, ${res.body.length} bytes): a gateway or a misrouted path answers so as readily as the registration endpoint, so it does not say that the client is gone`,
    { ambiguity: "not_oauth_404" },
  );
}

/**
 * Gateway failures of a POST: a 502 or 504 says that the server behind the gateway failed to answer
 * or did not answer in time (RFC 9110 §15.6.3, §15.6.5), not that it did nothing. The answer was
 * lost after the request was sent, as after a reset (send.ts): the bank may hold the client.
 */
const UNSETTLED_STATUSES: readonly number[] = [502, 504];

/** What a gateway's failure said (an OAuth error, or the size and type of its page). */
function gatewaySaid(res: HttpResponse): string {
  const said = OAuthErrorBody.safeParse(peekJson(res));
  return said.success
    ? `${untrustedText(said.data.error, 100)}${said.data.error_description === undefined ? "" : `: ${untrustedText(said.data.error_description, 200)}`}`
    : `${contentType(res) || "no content type"}, ${res.body.length} bytes`;
}

/** 201 (or 200, some banks) with a `client_id`. */
export async function processRegistrationResponse(
  res: HttpResponse,
  o: ProcessOptions = {},
): Promise<RegistrationResult> {
  const label = "registration (POST)";
  if (UNSETTLED_STATUSES.includes(res.status))
    throw new OutcomeUnknownError(
      `${o.subject ? `registration of ${o.subject}` : label}: the bank answered HTTP ${res.status} (${gatewaySaid(res)}), which does not say that no client was created: the bank may hold one whose answer was lost. Check at the bank (its developer portal or support) before registering again: adopt the client if it exists`,
      { status: res.status, remedy: { kind: "adopt" } },
    );
  if (res.status < 200 || res.status > 299) throwForStatus(res, label);
  try {
    if (res.status !== 201 && res.status !== 200)
      throw new UnexpectedResponseError(`${label}: HTTP ${res.status} is not a registration answer (201)`);
    const r = parseRegistrationResponse(
      await decodeRegistrationBody(res, label, o.bank_jwks, o.signed),
      o.requested,
      undefined,
      o.rat_pair ?? true,
    );
    checkManagementUri(r.registration_client_uri, o);
    return r;
  } catch (e) {
    // The bank said it created a client: never lose it, even when the rest is unusable.
    throw unusableCreated(res, e, o);
  }
}

function checkManagementUri(rcu: string | undefined, o: ProcessOptions): void {
  if (rcu === undefined || o.registration_endpoint === undefined) return;
  const problem = answeredManagementUriProblem(rcu, o.registration_endpoint, o.allowed_origins, o.policy);
  if (problem)
    throw new UnsafeUrlError(
      "registration_client_uri",
      `the bank's registration_client_uri ${problem}; nothing was sent to it`,
    );
}

/**
 * A 2xx to our POST that cannot be used: the outcome is unknown to the caller (a client probably
 * exists), with whatever identifies it and, when well-formed, what manages it.
 */
export function unusableCreated(res: HttpResponse, e: unknown, o: ProcessOptions = {}): OutcomeUnknownError {
  const s = salvageRegistration(res.body.toString("utf8"), {
    registration_endpoint: o.registration_endpoint ?? res.url,
    allowed_origins: o.allowed_origins,
    policy: o.policy,
  });
  const why =
    e instanceof ObDcrError
      ? e.message
      : e instanceof RangeError
        ? "its structure is too deep to process"
        : `it could not be processed (${e instanceof Error ? e.name : "error"})`;
  const named =
    s.shown.length === 0
      ? "no client_id could be read from it"
      : s.salvaged
        ? `it names client ${s.salvaged.client_id}, which is kept${s.salvaged.registration_access_token ? " with its registration access token" : ""}`
        : `it names ${s.shown.length > 1 ? `more than one client_id (${s.shown.join(", ")})` : `the client_id ${s.shown[0]}, which is not a well-formed client_id`}`;
  return new OutcomeUnknownError(
    `${o.subject ? `registration of ${o.subject}` : "registration (POST)"}: the bank answered HTTP ${res.status}, so it probably created a client, but the answer is not usable (${why}); ${named}`,
    {
      cause: e,
      status: res.status,
      client_id: s.salvaged?.client_id ?? s.shown[0],
      salvaged: s.salvaged,
      remedy: { kind: "adopt", client_id: s.salvaged?.client_id ?? s.shown[0] },
    },
  );
}

/**
 * A response body as it came, JSON or an unverified JWT's claims; undefined when it is neither
 * (for reports and for salvaging a client_id, never for trusting content).
 */
export function peekBody(res: HttpResponse): Record<string, unknown> | undefined {
  const text = res.body.toString("utf8").trim();
  try {
    const v: unknown = text.startsWith("{")
      ? parseUntrustedJson(text)
      : parseUntrustedJson(Buffer.from(text.split(".")[1] ?? "", "base64url").toString("utf8"));
    return v && typeof v === "object" ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A 2xx to our GET or PUT that cannot be used whole but hands out a new registration access token
 * (the bank may have retired the old one): the error carries the new one, to be kept in state.
 */
function keepRotated(res: HttpResponse, e: unknown, label: string, client_id: string | undefined): unknown {
  const rat = client_id === undefined ? undefined : rotatedToken(res.body.toString("utf8"), client_id);
  if (rat === undefined || client_id === undefined) return e;
  const why = e instanceof ObDcrError ? e.message : `it could not be processed (${(e as Error).name})`;
  return new UnexpectedResponseError(
    `${label}: the bank answered HTTP ${res.status} with a new registration access token for client ${client_id}, which is kept (the one before may no longer work), but the rest of its answer is not usable (${why})`,
    { cause: e, status: res.status, client_id, salvaged: { client_id, registration_access_token: rat } },
  );
}

/** A management answer (GET, PUT): the client, or an error that keeps a rotated token. */
async function processManagedAnswer(
  res: HttpResponse,
  o: ProcessOptions,
  label: string,
  ok: readonly number[],
  method: "GET" | "PUT",
): Promise<RegistrationResult> {
  checkGone(res, label, o);
  // A PUT may have been applied (and the token rotated in the answer, RFC 7592 §2.2); a GET is read again.
  if (method === "PUT" && UNSETTLED_STATUSES.includes(res.status))
    throw new OutcomeUnknownError(
      `${label}: the bank answered HTTP ${res.status} (${gatewaySaid(res)}), which does not say that the update was not applied: the bank may have applied it, and replaced the registration access token in the answer that was lost. Read the registration (get) before updating again`,
      { status: res.status, ...(o.client_id ? { client_id: o.client_id } : {}) },
    );
  if (!ok.includes(res.status)) throwForStatus(res, label, o);
  try {
    return parseRegistrationResponse(
      await decodeRegistrationBody(res, label, o.bank_jwks, o.signed),
      o.requested,
      undefined,
      false,
    );
  } catch (e) {
    throw keepRotated(res, e, label, o.client_id);
  }
}

export function processReadRegistrationResponse(
  res: HttpResponse,
  o: ProcessOptions = {},
): Promise<RegistrationResult> {
  return processManagedAnswer(res, o, "registration read (GET)", [200], "GET");
}

export function processUpdateRegistrationResponse(
  res: HttpResponse,
  o: ProcessOptions = {},
): Promise<RegistrationResult> {
  return processManagedAnswer(res, o, "registration update (PUT)", [200, 201], "PUT");
}

/** 204 (or 200/202). */
/**
 * 204 (RFC 7592 §2.3) or 200 (real banks): deleted. 202 Accepted (RFC 9110 §15.3.3: accepted for
 * processing, not done): "accepted", for the lifecycle to say so.
 */
export function processDeleteRegistrationResponse(
  res: HttpResponse,
  o: ProcessOptions = {},
): "deleted" | "accepted" {
  const label = "registration delete (DELETE)";
  checkGone(res, label, o);
  if (res.status !== 204 && res.status !== 200 && res.status !== 202) throwForStatus(res, label, o);
  // A success status over an OAuth error body (a gateway that answers 200 to everything) says
  // both "done" and "failed": not a deletion, or the client would leave state while the bank holds it.
  const said = res.status === 204 ? undefined : OAuthErrorBody.safeParse(peekJson(res));
  if (said?.success)
    throw new UnexpectedResponseError(
      `${label}: the bank answered HTTP ${res.status} with an OAuth error (${untrustedText(said.data.error, 100)}${
        said.data.error_description === undefined
          ? ""
          : `: ${untrustedText(said.data.error_description, 200)}`
      }), so it did not say the client is deleted${o.client_id ? `; client ${o.client_id} stays in state` : ""}. Check the client with a read (get) or in the bank's portal, then delete again`,
      { status: res.status, content_type: contentType(res), remedy: { kind: "retry" } },
    );
  return res.status === 202 ? "accepted" : "deleted";
}
