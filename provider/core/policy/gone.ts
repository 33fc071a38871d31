/**
 * Whether a management answer whose status the bank profile declares "gone"
 * (`bank_profile.management.gone_statuses`) says the client is gone. RFC 7592 §2.1-2.3 answers an
 * unknown client or a revoked registration access token with 401 (RFC 6750 `invalid_token`); a 404
 * is some servers' word for an unknown client, but also what every gateway, load balancer or
 * misrouted path answers before the registration endpoint sees the request. So a 404 is "gone"
 * only when it speaks OAuth: a JSON object with an `error` string (RFC 6749 §5.2, RFC 7591 §3.2.2).
 * An HTML page, an empty body, or a gateway's `{"message":"Not Found"}` is "unconfirmed": the
 * client may well still exist, and dropping it from state would orphan it at the bank.
 * Other declared statuses (401, or what a user declares) are the bank's word as configured.
 * Pure: `body` is the answer parsed as untrusted JSON, or undefined when it is not JSON.
 */
export type GoneVerdict = "gone" | "unconfirmed";

export const isOAuthError = (body: unknown): boolean =>
  !!body &&
  typeof body === "object" &&
  !Array.isArray(body) &&
  typeof (body as { error?: unknown }).error === "string" &&
  (body as { error: string }).error !== "";

export function goneVerdict(status: number, body: unknown): GoneVerdict {
  if (status !== 404) return "gone";
  return isOAuthError(body) ? "gone" : "unconfirmed";
}
