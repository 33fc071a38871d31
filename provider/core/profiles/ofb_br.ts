import type { Profile } from "./types.js";

/**
 * Open Finance Brasil DCR/DCM (regimes-au-br.md §2): a plain JSON body carrying the directory's
 * `software_statement`; `jwks_uri` must equal the SSA's `software_jwks_uri` (inline `jwks` refused);
 * `webhook_uris` must equal the SSA's `software_api_webhook_uris`; `tls_client_auth_subject_dn`
 * written per the ICP-Brasil rules (§2.5); RFC 7592 management whose registration access token may
 * rotate on any call; one registration per software.
 */
export const ofbBr: Profile = {
  name: "ofb-br",
  format: "json",
  content_type: "application/json",
  management: { style: "rfc7592", scope: null, gone_statuses: [401], rat_may_rotate: true },
  software_id_max: undefined,
  dn_claim: "tls_client_auth_subject_dn",
  dn_max: undefined,
  scope_format: "string",
  auth_signing_alg_always: false,
  ciba: false,
  application_types: ["web", "native"],
  auth_methods: ["private_key_jwt", "tls_client_auth"],
  // RS256 and `none` are refused (§4 BR 13).
  algs: ["PS256"],
  grant_types: ["client_credentials", "authorization_code", "refresh_token"],
  // The swagger says `code id_token`; newer FAPI-BR versions use `code` + JARM (unconfirmed per version).
  response_types: ["code", "code id_token"],
  strict_redirect_uris: true,
  directory: "ofb-directory",
  // Omitted, the AS grants every scope the software's roles allow.
  default_scope: [],
  default_response_types: ["code id_token"],
  software_id_claim: false,
  aud: "org_id",
  refuses_duplicate_registration: true,
  duplicate_errors: ["invalid_client_metadata", "invalid_request"],
  client_keys: "ssa_uri",
  webhooks: true,
  cdr_claims: false,
  ofb_claims: true,
  requires_ssa: true,
  // §2.3: client_id, registration_client_uri and registration_access_token are required in the 201.
  management_credentials: "required",
  // §2.3: the AS answers JSON.
  accept: "application/json",
};
