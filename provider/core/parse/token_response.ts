/**
 * A token endpoint's 200 answer (RFC 6749 §5.1), from the directory or from a bank's token endpoint
 * (OBIE-style management). Pure.
 */
import { UnexpectedResponseError } from "../errors.js";
import { TokenResponse } from "../schemas/responses.js";
import { rememberSecret } from "../untrusted.js";

/**
 * The token answer as ob-dcr relies on it. The access token is remembered as a secret before
 * anything is checked (whatever is wrong with the rest, no message may quote it).
 * @throws {UnexpectedResponseError} `OBDCR_UNEXPECTED_RESPONSE`, naming each member that is not
 *   usable (`access_token`, `token_type`, `expires_in`, `scope`), never its value.
 */
export function parseTokenResponse(body: unknown, label = "token request", status?: number): TokenResponse {
  const issued =
    body && typeof body === "object" ? (body as { access_token?: unknown }).access_token : undefined;
  if (typeof issued === "string") rememberSecret(issued);
  const t = TokenResponse.safeParse(body);
  if (!t.success)
    throw new UnexpectedResponseError(
      `${label}: token response is not usable: ${t.error.issues.map((i) => `${i.path.join(".") || "(root)"} ${i.message}`).join("; ")}`,
      { cause: t.error, status },
    );
  rememberSecret(t.data.access_token);
  return t.data;
}
