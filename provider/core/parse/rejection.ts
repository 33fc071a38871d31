/**
 * Which of our inputs a bank's refusal of a registration request is about: by the RFC 7591 error
 * code where it says (invalid_redirect_uri, OFB's invalid_webhook_uris), else by the first claim
 * the description names (invalid_client_metadata: "grant_types must include …"). Pure.
 */

/** Request claims → the input that sets them (snake_case paths). */
const CLAIM_FIELDS: Readonly<Record<string, string>> = {
  redirect_uris: "client.redirect_uris",
  webhook_uris: "client.webhook_uris",
  grant_types: "client.grant_types",
  response_types: "client.response_types",
  application_type: "client.application_type",
  token_endpoint_auth_method: "client.token_endpoint_auth_method",
  token_endpoint_auth_signing_alg: "client.token_endpoint_auth_signing_alg",
  id_token_signed_response_alg: "client.id_token_signed_response_alg",
  id_token_encrypted_response_alg: "client.id_token_encrypted_response_alg",
  id_token_encrypted_response_enc: "client.id_token_encrypted_response_enc",
  authorization_signed_response_alg: "client.authorization_signed_response_alg",
  authorization_encrypted_response_alg: "client.authorization_encrypted_response_alg",
  authorization_encrypted_response_enc: "client.authorization_encrypted_response_enc",
  request_object_signing_alg: "client.request_object_signing_alg",
  scope: "client.scope",
  jwks_uri: "client.jwks_uri",
  jwks: "client.jwks",
  tls_client_auth_subject_dn: "client.tls_client_auth_subject_dn",
  // CDR: an SSA claim (fixed at the Register, not in our request).
  sector_identifier_uri: "directory",
  aud: "bank_profile.aud",
  iss: "bank_profile.iss",
  software_id: "software.software_id",
  software_statement: "directory",
  // RFC 7592 PUT: the body's client_id is the recorded one.
  client_id: "state.client_id",
};

const BY_ERROR: Readonly<Record<string, string | undefined>> = {
  invalid_redirect_uri: "client.redirect_uris",
  invalid_webhook_uris: "client.webhook_uris",
  invalid_software_statement: "directory",
  // The directory's status of the software (not an input of ours).
  unapproved_software_statement: undefined,
};

/** The input a refusal names, or undefined when it names none we set. */
export function rejectionField(
  error: string | undefined,
  description: string | undefined,
): string | undefined {
  if (error !== undefined && Object.hasOwn(BY_ERROR, error)) return BY_ERROR[error];
  if (!description) return undefined;
  let best: { at: number; field: string } | undefined;
  for (const [claim, field] of Object.entries(CLAIM_FIELDS)) {
    const m = new RegExp(`(^|[^a-z_])${claim}([^a-z_]|$)`).exec(description);
    if (m && (!best || m.index < best.at)) best = { at: m.index, field };
  }
  // OFB: the certificate ↔ SSA binding ("the client certificate's UID is not the SSA software_id").
  const cert = /certificate/i.exec(description);
  if (cert && (!best || cert.index < best.at)) return "transport.cert";
  return best?.field;
}

/**
 * Which input a directory (register) token refusal is about, from its description: the scope, the
 * client id (`client_id_field`: `software.software_id` or `directory.client_id`), the transport
 * certificate, or the signing key behind the client assertion. Undefined when it names none.
 */
export function directoryTokenField(
  description: string | undefined,
  client_id_field: string,
): string | undefined {
  if (!description) return undefined;
  const d = description.toLowerCase();
  if (/\bscope\b/.test(d)) return "directory.scope";
  if (/certificate/.test(d)) return "transport.cert";
  if (/client_assertion|signature|\bkid\b|jwks|\bkey\b/.test(d)) return "signing_key";
  if (/\bclient_id\b|software product/.test(d)) return client_id_field;
  return undefined;
}
