/**
 * What can be kept of a registration answer (a 2xx to our POST) that cannot be used as a whole: a
 * body nested too deep, with duplicate members, a client_id of the wrong type or length, HTML, a
 * JWT that does not verify, a management URI that the URL policy refuses. The bank probably
 * created a client: its id (and the credentials to manage it, when they are well-formed) must
 * reach the state or the error, never be lost. Pure; nothing here is trusted for anything else.
 */
import * as jose from "jose";
import type { SalvagedRegistration } from "../errors.js";
import { isDotSegment } from "../schemas/common.js";
import { rememberSecret, untrustedText } from "../untrusted.js";
import { answeredManagementUriProblem, type UrlPolicy } from "../validate/url_policy.js";
import { stripBom, topLevelMembers } from "./json.js";

/** RFC 6749 Appendix A.1/A.2: client_id and client_secret are VSCHARs (%x20-7E). */
export const VSCHAR = /^[\x20-\x7e]+$/;

/** A well-formed client identifier (what we keep in state and put in URLs). */
export function isClientId(v: unknown): v is string {
  return typeof v === "string" && v.length >= 1 && v.length <= 255 && VSCHAR.test(v) && !isDotSegment(v);
}

/** A bearer credential we may put in an Authorization header (RFC 6750 b64token, loosely: VSCHAR). */
export function isCredential(v: unknown): v is string {
  return typeof v === "string" && v.length >= 1 && v.length <= 8192 && /^[\x21-\x7e]+$/.test(v);
}

export interface Salvage {
  /** For messages: the client_id(s) the answer named, printable. */
  shown: string[];
  /** Set when exactly one well-formed client_id was named: enough to keep the client. */
  salvaged: SalvagedRegistration | undefined;
}

function topLevel(text: string): Record<string, unknown> | undefined {
  const t = stripBom(text).trim();
  try {
    // JSON.parse is iterative in V8: a deep body parses; only its top level is read here.
    const v: unknown = t.startsWith("{") ? JSON.parse(t) : jose.decodeJwt(t);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Every top-level `client_id` member the answer names, in a JSON body or a JWT's payload. */
function clientIdsInText(text: string): unknown[] {
  const t = stripBom(text).trim();
  if (t.startsWith("{")) return topLevelMembers(t, "client_id");
  const payload = /^[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\./.exec(t)?.[1];
  return payload ? topLevelMembers(Buffer.from(payload, "base64url").toString("utf8"), "client_id") : [];
}

/**
 * The client of an unusable 2xx registration answer. A client_id given as a number is kept as its
 * decimal string (the bank's id either way); a RAT, client secret or management URI is kept only
 * when well-formed (and the URI only when the policy allows it).
 */
export function salvageRegistration(
  body: string,
  o: { registration_endpoint: string; allowed_origins?: readonly string[]; policy?: UrlPolicy },
): Salvage {
  const top = topLevel(body);
  // In the order the text names them (a duplicate member shows both), then the parsed value.
  const named = [
    ...new Set([...clientIdsInText(body), ...(top ? [top.client_id] : [])].filter((v) => v !== undefined)),
  ];
  const ids = named
    .map((v) => (typeof v === "number" && Number.isSafeInteger(v) ? String(v) : v))
    .filter((v): v is string => typeof v === "string");
  const distinct = [...new Set(ids)];
  const shown = distinct.map((id) => untrustedText(id, 255));
  if (distinct.length !== 1 || !isClientId(distinct[0])) return { shown, salvaged: undefined };
  const salvaged: SalvagedRegistration = { client_id: distinct[0] };
  if (top) {
    rememberSecret(
      typeof top.registration_access_token === "string" ? top.registration_access_token : undefined,
    );
    rememberSecret(typeof top.client_secret === "string" ? top.client_secret : undefined);
    if (isCredential(top.registration_access_token))
      salvaged.registration_access_token = top.registration_access_token;
    if (isCredential(top.client_secret)) salvaged.client_secret = top.client_secret;
    const rcu = top.registration_client_uri;
    if (
      typeof rcu === "string" &&
      !answeredManagementUriProblem(rcu, o.registration_endpoint, o.allowed_origins, o.policy)
    )
      salvaged.registration_client_uri = rcu;
  }
  return { shown, salvaged };
}

/**
 * A new registration access token in an unusable 2xx to our PUT or GET of `client_id` (RFC 7592
 * §2.2: the bank may rotate it on any call, and the one before may stop working at once). Kept
 * when well-formed and the answer names no other client; nothing else of the answer is trusted.
 */
export function rotatedToken(body: string, client_id: string): string | undefined {
  const top = topLevel(body);
  const rat = top?.registration_access_token;
  if (typeof rat !== "string") return undefined;
  rememberSecret(rat);
  const named = clientIdsInText(body).map((v) => (typeof v === "number" ? String(v) : v));
  if (named.some((v) => v !== client_id) || !isCredential(rat)) return undefined;
  return rat;
}
