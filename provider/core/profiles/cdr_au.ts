import type { Profile } from "./types.js";

/**
 * Australia's Consumer Data Right (CDS "Dynamic Client Registration", regimes-au-br.md §1): a
 * PS256/ES256 request JWT (`application/jwt`) whose `iss` is the software product id and `aud` the
 * data holder's issuer; `private_key_jwt` only; `application_type` web; id_token encryption only
 * with the hybrid flow and JARM algorithms whenever `code` is registered. Management with a
 * `client_credentials` token of scope `cdr:registration`; one registration per software product.
 */
export const cdrAu: Profile = {
  name: "cdr-au",
  format: "jwt",
  content_type: "application/jwt",
  management: { style: "obie", scope: "cdr:registration", gone_statuses: [401] },
  software_id_max: undefined,
  dn_claim: "tls_client_auth_subject_dn",
  dn_max: undefined,
  scope_format: "string",
  auth_signing_alg_always: true,
  ciba: false,
  application_types: ["web"],
  auth_methods: ["private_key_jwt"],
  algs: ["PS256", "ES256"],
  grant_types: ["client_credentials", "authorization_code", "refresh_token"],
  // From 2025-05-12 ADRs register `code` only; `code id_token` stays valid at data holders.
  response_types: ["code", "code id_token"],
  strict_redirect_uris: true,
  directory: "cdr-register",
  // The request carries no scope by default: the data holder takes the SSA's (and drops what it lacks).
  default_scope: [],
  default_response_types: ["code"],
  software_id_claim: false,
  aud: "issuer",
  refuses_duplicate_registration: true,
  // The spec example says invalid_software_statement, the Register text and the mock invalid_client_metadata.
  duplicate_errors: ["invalid_client_metadata", "invalid_software_statement"],
  client_keys: "ssa",
  webhooks: false,
  cdr_claims: true,
  ofb_claims: false,
  requires_ssa: true,
  // §1.3: `Accept: application/json`; the holder answers JSON.
  accept: "application/json",
  // §1.3: no RAT or RCU; management by the cdr:registration token at /register/{client_id}.
  management_credentials: "unused",
};
