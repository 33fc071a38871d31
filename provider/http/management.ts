/** OBIE-style management token: client_credentials at the bank with the registered client's auth method. */
import { randomUUID } from "node:crypto";
import {
  GoneUnconfirmedError,
  InvalidInputError,
  RegistrationGoneError,
  RegistrationRejectedError,
} from "../core/errors.js";
import type { SigningKey } from "../core/keys.js";
import { signClientAssertion } from "../core/sign/client_assertion.js";
import type { UrlSource } from "../core/validate/url_policy.js";
import type { ObDcrContext } from "./context.js";
import {
  cachedToken,
  cacheToken,
  JWT_BEARER_ASSERTION,
  processTokenResponse,
  tokenCacheKey,
  tokenRequest,
} from "./directory.js";
import type { TlsMaterial } from "./transport_types.js";

export interface ManagementTokenInput {
  token_endpoint: string;
  /** Where `token_endpoint` came from when the bank gave it (discovery): checked at connect. */
  token_endpoint_source?: UrlSource | undefined;
  client_id: string;
  auth_method: string;
  /** `null`: no scope parameter. */
  scope: string | null;
  key: SigningKey;
  client_secret?: string | undefined;
  tls: TlsMaterial;
  /** `invalid_client` at this token endpoint means the client is gone (bank profile). */
  invalid_client_is_gone: boolean;
}

export function managementTokenKey(
  i: Pick<ManagementTokenInput, "token_endpoint" | "client_id" | "scope">,
): string {
  return tokenCacheKey(i.token_endpoint, `bank:${i.client_id}`, i.scope === null ? null : i.scope.split(" "));
}

export async function getManagementToken(ctx: ObDcrContext, i: ManagementTokenInput): Promise<string> {
  const cacheKey = managementTokenKey(i);
  const hit = cachedToken(ctx, cacheKey);
  if (hit) return hit;
  const form: Record<string, string> = { grant_type: "client_credentials" };
  if (i.scope !== null && i.scope !== "") form.scope = i.scope;
  const headers: Record<string, string> = {};
  const assertion = () =>
    signClientAssertion(i.key, {
      client_id: i.client_id,
      audience: i.token_endpoint,
      now: ctx.now(),
      jti: randomUUID(),
    });
  switch (i.auth_method) {
    case "private_key_jwt":
      form.client_id = i.client_id;
      form.client_assertion_type = JWT_BEARER_ASSERTION;
      form.client_assertion = await assertion();
      break;
    case "tls_client_auth":
      form.client_id = i.client_id;
      break;
    case "client_secret_basic":
    case "client_secret_post": {
      if (!i.client_secret)
        throw new InvalidInputError(
          "state.secrets.client_secret",
          `is required to authenticate with ${i.auth_method} (keep the client_secret returned at registration)`,
        );
      if (i.auth_method === "client_secret_basic") {
        const enc = (s: string) => encodeURIComponent(s);
        headers.authorization = `Basic ${Buffer.from(`${enc(i.client_id)}:${enc(i.client_secret)}`).toString("base64")}`;
      } else {
        form.client_id = i.client_id;
        form.client_secret = i.client_secret;
      }
      break;
    }
    default:
      throw new InvalidInputError(
        "client.token_endpoint_auth_method",
        `${i.auth_method} cannot be used for the management token`,
      );
  }
  ctx.stats.token_requests++;
  // Each retry with its own assertion (used once): a replay refused as invalid_client would read
  // as a deleted client.
  const renew =
    i.auth_method === "private_key_jwt"
      ? async () => ({ ...form, client_assertion: await assertion() })
      : undefined;
  const res = await tokenRequest(
    ctx,
    i.token_endpoint,
    form,
    i.tls,
    headers,
    "management token request",
    renew,
    i.token_endpoint_source,
  );
  try {
    const t = processTokenResponse(res, "management token request");
    cacheToken(ctx, cacheKey, t);
    return t.access_token;
  } catch (e) {
    if (e instanceof RegistrationRejectedError && e.error === "invalid_scope")
      throw new RegistrationRejectedError(
        e.status,
        e.error,
        `${e.error_description ?? "scope refused"}; the management token asks for scope ${i.scope ?? "(none)"}: set bank_profile.management.scope to what this bank grants for registration management`,
        "management token request",
        {
          cause: e,
          field: "bank_profile.management.scope",
          remedy: { kind: "fix-input", field: "bank_profile.management.scope" },
        },
      );
    if (e instanceof RegistrationRejectedError && e.error === "invalid_client") {
      if (i.invalid_client_is_gone)
        throw new RegistrationGoneError(
          e.status,
          `the bank's token endpoint does not know client ${i.client_id} (invalid_client; this bank's profile declares that as deleted)`,
          { cause: e },
        );
      // A deleted client and an assertion the bank cannot verify look the same here.
      throw new GoneUnconfirmedError(
        i.client_id,
        `the bank's token endpoint refused client ${i.client_id} with invalid_client: either the bank deleted it, or it cannot verify our client authentication (${i.auth_method})`,
        { cause: e },
      );
    }
    throw e;
  }
}

export function evictManagementToken(
  ctx: ObDcrContext,
  i: Pick<ManagementTokenInput, "token_endpoint" | "client_id" | "scope">,
) {
  ctx.tokens.delete(managementTokenKey(i));
}
