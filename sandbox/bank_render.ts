/**
 * What a bank says about itself and its clients: the discovery document, and a registration as the
 * /register answers render it (the bank's quirks of shape, secrets only when just issued).
 */
import { type BankState, registerUrl, tokenUrl } from "./bank_state.js";
import { SIGNING_ALGS } from "./metadata_checks.js";
import type { StoredRegistration } from "./store.js";

/** `/.well-known/openid-configuration`. */
export function discovery(s: BankState) {
  const { config, origin } = s;
  return {
    issuer: origin,
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: tokenUrl(s),
    registration_endpoint: registerUrl(s),
    jwks_uri: `${origin}/jwks`,
    token_endpoint_auth_methods_supported: config.token_endpoint_auth_methods_supported,
    token_endpoint_auth_signing_alg_values_supported: [...SIGNING_ALGS],
    id_token_signing_alg_values_supported: [...SIGNING_ALGS],
    request_object_signing_alg_values_supported: [...SIGNING_ALGS],
    response_types_supported: ["code", "code id_token"],
    grant_types_supported: ["authorization_code", "client_credentials", "refresh_token"],
    scopes_supported: config.scopes_supported,
    tls_client_certificate_bound_access_tokens: true,
  };
}

/** Secrets issued by this very request: the only time they are shown (the store keeps hashes). */
export interface IssuedSecrets {
  client_secret?: string;
  rat?: string;
}

/** The body of a POST/GET/PUT /register answer. */
export function registrationResponse(s: BankState, reg: StoredRegistration, secrets: IssuedSecrets) {
  const { quirks } = s;
  const md: Record<string, unknown> = { ...reg.metadata };
  if (typeof md.scope === "string" && quirks.scope_format === "array")
    md.scope = md.scope.split(" ").filter(Boolean);
  const dnName = quirks.response_dn_claim ?? quirks.dn_claim;
  if (dnName !== "tls_client_auth_subject_dn" && md.tls_client_auth_subject_dn !== undefined) {
    md[dnName] = md.tls_client_auth_subject_dn;
    delete md.tls_client_auth_subject_dn;
  }
  const issuedAt = reg.client_id_issued_at;
  const body: Record<string, unknown> = {
    client_id: reg.client_id,
    client_id_issued_at:
      quirks.client_id_issued_at_unit === "ms"
        ? issuedAt * 1000
        : quirks.client_id_issued_at_unit === "string"
          ? new Date(issuedAt * 1000).toISOString()
          : issuedAt,
    ...md,
  };
  if (secrets.client_secret) {
    body.client_secret = secrets.client_secret;
    body.client_secret_expires_at = 0;
  }
  if (s.config.management === "registration_access_token") {
    if (secrets.rat) body.registration_access_token = secrets.rat;
    body.registration_client_uri = `${registerUrl(s)}/${reg.client_id}`;
  }
  return { ...body, ...quirks.extra_members };
}
