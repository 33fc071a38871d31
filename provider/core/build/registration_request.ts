/** Build the registration request claims of a profile (pure; signing is separate). */
import { InvalidInputError } from "../errors.js";
import { clientResponseTypes, clientScope } from "../profiles/index.js";
import type { Profile } from "../profiles/types.js";
import type { SigningAlg } from "../schemas/common.js";
import type { ClientParams } from "../schemas/params.js";
import type { ClientKeys } from "./client_keys.js";

export interface RegistrationClaimsInput {
  profile: Profile;
  client: ClientParams;
  /** Request `iss` and `software_id` (the SSA's software_id). */
  software_id?: string | undefined;
  /** Request `iss` when it is not the software_id (bank profile `iss`). */
  iss?: string | undefined;
  /** Request `aud` (bank org id by default); required for JWT profiles. */
  aud?: string | undefined;
  software_statement?: string | undefined;
  /** The SSA's redirect URIs, used when `client.redirect_uris` is not given. */
  ssa_redirect_uris?: readonly string[] | undefined;
  /** Resolved subject DN for tls_client_auth. */
  subject_dn?: string | undefined;
  /** Default `token_endpoint_auth_signing_alg` (the signing key's alg). */
  default_auth_signing_alg: SigningAlg;
  now: number;
  jti: string;
  ttl_seconds?: number;
  jti_case?: "lower" | "upper";
  scope_format?: "string" | "array" | undefined;
  extra_claims?: Record<string, unknown>;
  /** `jwks_uri` or `jwks` (see `clientKeys`). */
  client_keys?: ClientKeys | undefined;
  /** For updates (RFC 7592 §2.2 / OBIE PUT). */
  client_id?: string | undefined;
}

export interface RegistrationClaims {
  /** Client metadata as sent (compared with the response for substitutions). */
  metadata: Record<string, unknown>;
  /** The full body: JWT claims (jwt profiles) or JSON object (rfc7591). */
  payload: Record<string, unknown>;
}

/** Sent when neither the client nor the bank profile names grant types. */
const DEFAULT_GRANT_TYPES = ["authorization_code", "client_credentials", "refresh_token"] as const;

const JWT_AUTH = new Set(["private_key_jwt", "client_secret_jwt"]);

/** OIDC/JARM encryption metadata, sent when given (CDR rules in validate/regime.ts). */
const OIDC_ENCRYPTION = [
  "id_token_encrypted_response_alg",
  "id_token_encrypted_response_enc",
  "authorization_encrypted_response_alg",
  "authorization_encrypted_response_enc",
] as const;

/** Map `mobile`/`native` to the name the profile knows. */
function applicationType(profile: Profile, t: string): string {
  if (profile.application_types.includes(t)) return t;
  if (t === "mobile" && profile.application_types.includes("native")) return "native";
  if (t === "native" && profile.application_types.includes("mobile")) return "mobile";
  return t;
}

/**
 * The registration request's claims (the JWT payload, or the JSON body) from params, profile and SSA.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT`: a claim the profile needs is missing (`bank.org_id` for
 *   the `aud`, an SSA for OBIE profiles) or a value it does not allow; `field` names the input.
 */
export function buildRegistrationClaims(input: RegistrationClaimsInput): RegistrationClaims {
  const { profile, client } = input;
  const m: Record<string, unknown> = {};
  const redirect = client.redirect_uris ?? input.ssa_redirect_uris;
  if (redirect) m.redirect_uris = [...redirect];
  m.token_endpoint_auth_method = client.token_endpoint_auth_method;
  const method = client.token_endpoint_auth_method;
  const signingAlg = client.token_endpoint_auth_signing_alg ?? input.default_auth_signing_alg;
  if (profile.auth_signing_alg_always || JWT_AUTH.has(method) || client.token_endpoint_auth_signing_alg)
    m.token_endpoint_auth_signing_alg = signingAlg;
  m.grant_types = [...(client.grant_types ?? DEFAULT_GRANT_TYPES)];
  const responseTypes = clientResponseTypes(profile, client);
  m.response_types = responseTypes;
  if (profile.software_id_claim && client.send_software_id && input.software_id)
    m.software_id = input.software_id;
  const scopeFormat = input.scope_format ?? profile.scope_format;
  const scope = clientScope(profile, client);
  if (scope.length > 0) m.scope = scopeFormat === "array" ? [...scope] : scope.join(" ");
  m.application_type = applicationType(profile, client.application_type);
  m.id_token_signed_response_alg = client.id_token_signed_response_alg;
  m.request_object_signing_alg = client.request_object_signing_alg;
  for (const k of OIDC_ENCRYPTION) if (client[k] !== undefined) m[k] = client[k];
  // CDR: JARM is required whenever `code` is registered; the signing key's alg unless given.
  const code = responseTypes.some((r) => r.split(" ").includes("code"));
  const jarm =
    client.authorization_signed_response_alg ?? (profile.cdr_claims && code ? signingAlg : undefined);
  if (jarm) m.authorization_signed_response_alg = jarm;
  if (client.webhook_uris !== undefined) m.webhook_uris = [...client.webhook_uris];
  if (method === "tls_client_auth") {
    const dn = client.tls_client_auth_subject_dn ?? input.subject_dn;
    if (!dn)
      throw new InvalidInputError(
        "client.tls_client_auth_subject_dn",
        "is required for tls_client_auth (give it or a transport certificate to derive it from)",
      );
    m[profile.dn_claim] = dn;
  }
  const ciba = [
    "backchannel_token_delivery_mode",
    "backchannel_client_notification_endpoint",
    "backchannel_authentication_request_signing_alg",
    "backchannel_user_code_parameter_supported",
  ] as const;
  for (const k of ciba) {
    if (client[k] !== undefined) m[k] = client[k];
  }
  if (input.client_keys) Object.assign(m, input.client_keys);
  if (input.client_id) m.client_id = input.client_id;
  Object.assign(m, client.extra, input.extra_claims ?? {});

  if (profile.format === "json") {
    const payload = { ...m };
    if (input.software_statement) payload.software_statement = input.software_statement;
    return { metadata: m, payload };
  }
  if (!input.aud)
    throw new InvalidInputError("bank.org_id", "is required for the request aud (or set bank_profile.aud)");
  const jti = input.jti_case === "upper" ? input.jti.toUpperCase() : input.jti.toLowerCase();
  const payload: Record<string, unknown> = {
    iss: input.iss ?? input.software_id,
    iat: input.now,
    exp: input.now + (input.ttl_seconds ?? 300),
    aud: input.aud,
    jti,
    ...m,
  };
  if (!input.software_statement)
    throw new InvalidInputError("directory.software_statement", "an SSA is required for OBIE profiles");
  payload.software_statement = input.software_statement;
  return { metadata: m, payload };
}
