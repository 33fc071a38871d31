/** DCR request/process pairs: register (POST), read (GET), update (PUT), delete (DELETE). */
import * as jose from "jose";
import { RegistrationGoneError, UnexpectedResponseError } from "../core/errors.js";
import { parseRegistrationResponse, type RegistrationResult } from "../core/parse/registration_response.js";
import type { Jwks } from "../core/schemas/common.js";
import type { ObDcrContext } from "./context.js";
import { verifyWithJwks } from "./jwks.js";
import { contentType, parseJsonBody, throwForStatus } from "./response.js";
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
): Promise<HttpResponse> {
  return send(
    {
      method: "POST",
      url: endpoint,
      headers: { "content-type": content_type, accept, ...headers },
      body,
      idempotent: false,
      label: "registration (POST)",
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
) {
  return send(
    {
      method: "GET",
      url: uri,
      headers: { authorization: `Bearer ${token}`, accept },
      idempotent: true,
      label: "registration read (GET)",
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
) {
  return send(
    {
      method: "DELETE",
      url: uri,
      headers: { authorization: `Bearer ${token}`, accept },
      idempotent: true,
      label: "registration delete (DELETE)",
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
  gone_statuses?: readonly number[];
  /** Enforce RFC 7592 both-or-neither on a 201 (default true; off where the caller requires both). */
  rat_pair?: boolean;
}

/** Decode a JSON or signed-JWT response body (verified when the bank's JWKS is known). */
export async function decodeRegistrationBody(
  res: HttpResponse,
  label: string,
  source?: JwksSource,
): Promise<unknown> {
  const ct = contentType(res);
  const text = res.body.toString("utf8").trim();
  const looksJwt = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(text);
  if (ct === "application/jwt" || ct === "application/jose" || (looksJwt && ct !== "application/json")) {
    const jwks = typeof source === "function" ? await source() : source;
    try {
      if (jwks) return (await verifyWithJwks(text, jwks, ["PS256", "ES256"])).payload;
      return jose.decodeJwt(text);
    } catch (cause) {
      throw new UnexpectedResponseError(`${label}: signed response does not verify against the bank's JWKS`, {
        cause,
        status: res.status,
        content_type: ct,
      });
    }
  }
  return parseJsonBody(res, label);
}

function checkGone(res: HttpResponse, label: string, gone: readonly number[] | undefined): void {
  if (gone?.includes(res.status))
    throw new RegistrationGoneError(
      res.status,
      `${label}: the bank says the client is unknown or deleted (HTTP ${res.status})`,
    );
}

/** 201 (or 200, some banks) with a `client_id`. */
export async function processRegistrationResponse(
  res: HttpResponse,
  o: ProcessOptions = {},
): Promise<RegistrationResult> {
  const label = "registration (POST)";
  if (res.status !== 201 && res.status !== 200) throwForStatus(res, label);
  try {
    return parseRegistrationResponse(
      await decodeRegistrationBody(res, label, o.bank_jwks),
      o.requested,
      undefined,
      o.rat_pair ?? true,
    );
  } catch (e) {
    // The bank said it created a client: never lose its id, even when the rest is unusable.
    const client_id = clientIdHint(res);
    if (!client_id || !(e instanceof UnexpectedResponseError)) throw e;
    throw new UnexpectedResponseError(`${e.message} (the bank created client ${client_id})`, {
      cause: e,
      status: e.status ?? res.status,
      content_type: e.content_type,
      client_id,
    });
  }
}

/**
 * A response body as it came, JSON or an unverified JWT's claims; undefined when it is neither
 * (for reports and for salvaging a client_id, never for trusting content).
 */
export function peekBody(res: HttpResponse): Record<string, unknown> | undefined {
  const text = res.body.toString("utf8").trim();
  try {
    const v: unknown = text.startsWith("{") ? JSON.parse(text) : jose.decodeJwt(text);
    return v && typeof v === "object" ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Best-effort `client_id` of a success body that failed processing (JSON, or an unverified JWT). */
function clientIdHint(res: HttpResponse): string | undefined {
  const body = peekBody(res);
  if (!body) {
    // Cut-off JSON: the client_id may still be there, complete, near the start.
    const text = res.body.toString("utf8").trim();
    const m = /^\{[\s\S]*?"client_id"\s*:\s*"([A-Za-z0-9._~:@+=-]{1,255})"/.exec(text.slice(0, 4096));
    return m?.[1];
  }
  const id = body.client_id;
  return typeof id === "string" && id.length > 0 && id.length <= 255 ? id : undefined;
}

export async function processReadRegistrationResponse(
  res: HttpResponse,
  o: ProcessOptions = {},
): Promise<RegistrationResult> {
  const label = "registration read (GET)";
  checkGone(res, label, o.gone_statuses);
  if (res.status !== 200) throwForStatus(res, label);
  return parseRegistrationResponse(
    await decodeRegistrationBody(res, label, o.bank_jwks),
    o.requested,
    undefined,
    false,
  );
}

export async function processUpdateRegistrationResponse(
  res: HttpResponse,
  o: ProcessOptions = {},
): Promise<RegistrationResult> {
  const label = "registration update (PUT)";
  checkGone(res, label, o.gone_statuses);
  if (res.status !== 200 && res.status !== 201) throwForStatus(res, label);
  return parseRegistrationResponse(
    await decodeRegistrationBody(res, label, o.bank_jwks),
    o.requested,
    undefined,
    false,
  );
}

/** 204 (or 200/202). */
export function processDeleteRegistrationResponse(res: HttpResponse, o: ProcessOptions = {}): void {
  const label = "registration delete (DELETE)";
  checkGone(res, label, o.gone_statuses);
  if (res.status !== 204 && res.status !== 200 && res.status !== 202) throwForStatus(res, label);
}
