/**
 * Preflight check of a client against its profile's limits, before anything is sent. Each failure
 * names the field to fix.
 */
import { InvalidInputError } from "../errors.js";
import { clientResponseTypes, clientScope } from "../profiles/index.js";
import { CIBA_GRANT } from "../profiles/obie_common.js";
import type { Profile } from "../profiles/types.js";
import type { ClientParams, SigningKeyParams } from "../schemas/params.js";

const BASE62 = /^[0-9a-zA-Z]+$/;

/**
 * Profile limits: algorithms, auth methods, application_type, CIBA, iss/software_id, scope length.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT`: the first value the spec profile does not allow (`field` names it).
 */
export function validateClientForProfile(
  profile: Profile,
  client: ClientParams,
  signing: Pick<SigningKeyParams, "alg">,
  software_id: string | undefined,
): void {
  const algs = profile.algs as readonly string[];
  const algFields = [
    ["signing_key.alg", signing.alg],
    ["client.token_endpoint_auth_signing_alg", client.token_endpoint_auth_signing_alg],
    ["client.id_token_signed_response_alg", client.id_token_signed_response_alg],
    ["client.request_object_signing_alg", client.request_object_signing_alg],
    [
      "client.backchannel_authentication_request_signing_alg",
      client.backchannel_authentication_request_signing_alg,
    ],
  ] as const;
  for (const [field, alg] of algFields) {
    if (alg !== undefined && !algs.includes(alg))
      throw new InvalidInputError(
        field,
        `${alg} is not allowed by profile ${profile.name} (use ${algs.join(" or ")})`,
      );
  }
  if (!profile.auth_methods.includes(client.token_endpoint_auth_method))
    throw new InvalidInputError(
      "client.token_endpoint_auth_method",
      `${client.token_endpoint_auth_method} is not allowed by profile ${profile.name} (use one of ${profile.auth_methods.join(", ")})`,
    );
  const app = client.application_type;
  const appOk =
    profile.application_types.includes(app) ||
    (app === "mobile" && profile.application_types.includes("native")) ||
    (app === "native" && profile.application_types.includes("mobile"));
  if (!appOk)
    throw new InvalidInputError(
      "client.application_type",
      `${app} is not allowed by profile ${profile.name} (use ${profile.application_types.join(" or ")})`,
    );
  if (profile.software_id_max !== undefined && software_id !== undefined) {
    if (!BASE62.test(software_id) || software_id.length > profile.software_id_max)
      throw new InvalidInputError(
        "software.software_id",
        `must be 1..${profile.software_id_max} Base62 characters for ${profile.name} (it is the request iss)`,
      );
  }
  if (profile.response_types) {
    for (const [i, r] of clientResponseTypes(profile, client).entries()) {
      if (!profile.response_types.includes(r))
        throw new InvalidInputError(
          `client.response_types.${i}`,
          `"${r}" is not allowed by profile ${profile.name} (use ${profile.response_types.map((x) => `"${x}"`).join(" or ")})`,
        );
    }
  }
  const scope = clientScope(profile, client).join(" ");
  const dn = client.tls_client_auth_subject_dn;
  if (dn !== undefined && profile.dn_max !== undefined && dn.length > profile.dn_max)
    throw new InvalidInputError(
      "client.tls_client_auth_subject_dn",
      `must be at most ${profile.dn_max} characters for ${profile.name}`,
    );
  if (
    profile.format === "jwt" &&
    profile.scope_format === "string" &&
    profile.default_scope.length > 0 &&
    scope.length === 0
  )
    throw new InvalidInputError("client.scope", `is required by profile ${profile.name}`);
  if (profile.format === "jwt" && scope.length > 256)
    throw new InvalidInputError("client.scope", "must be at most 256 characters");

  const cibaFields = [
    "backchannel_token_delivery_mode",
    "backchannel_client_notification_endpoint",
    "backchannel_authentication_request_signing_alg",
    "backchannel_user_code_parameter_supported",
  ] as const;
  const grantTypes = client.grant_types ?? [];
  const hasCibaGrant = grantTypes.includes(CIBA_GRANT);
  const cibaSet = cibaFields.filter((f) => client[f] !== undefined);
  if (!profile.ciba && (hasCibaGrant || cibaSet.length > 0))
    throw new InvalidInputError(
      hasCibaGrant ? "client.grant_types" : `client.${cibaSet[0]}`,
      `CIBA is not part of profile ${profile.name} (CIBA fields start at obie-3.3)`,
    );
  if (profile.ciba && profile.format === "jwt") {
    if (!hasCibaGrant && cibaSet.length > 0)
      throw new InvalidInputError(`client.${cibaSet[0]}`, `is only allowed with the ${CIBA_GRANT} grant`);
    if (hasCibaGrant) {
      const mode = client.backchannel_token_delivery_mode;
      if (!mode)
        throw new InvalidInputError(
          "client.backchannel_token_delivery_mode",
          "is required with the CIBA grant",
        );
      if (mode !== "poll" && !client.backchannel_client_notification_endpoint)
        throw new InvalidInputError(
          "client.backchannel_client_notification_endpoint",
          `is required with backchannel_token_delivery_mode ${mode}`,
        );
      if (client.backchannel_user_code_parameter_supported === true)
        throw new InvalidInputError("client.backchannel_user_code_parameter_supported", "must be false");
    }
  }
  if (profile.grant_types) {
    for (const [i, g] of grantTypes.entries()) {
      if (!profile.grant_types.includes(g))
        throw new InvalidInputError(
          `client.grant_types.${i}`,
          `${g} is not allowed by profile ${profile.name} (use ${profile.grant_types.join(", ")})`,
        );
    }
  }
  if (client.grant_types !== undefined) {
    // RFC 7591 §2.1: the code and hybrid response types are used with the authorization_code grant.
    const responseTypes = clientResponseTypes(profile, client);
    if (responseTypes.length > 0 && !grantTypes.includes("authorization_code"))
      throw new InvalidInputError(
        "client.grant_types",
        `lacks authorization_code, which response_types ${responseTypes.join(", ")} need (add it, or send no response_types)`,
      );
    // UK: consents and registration management use client_credentials tokens.
    if (
      profile.format === "jwt" &&
      profile.management.style === "obie" &&
      !grantTypes.includes("client_credentials")
    )
      throw new InvalidInputError(
        "client.grant_types",
        `lacks client_credentials, which profile ${profile.name} needs (consents and registration management use client_credentials tokens); add it`,
      );
  }
}
