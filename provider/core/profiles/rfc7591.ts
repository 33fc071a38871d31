import type { Profile } from "./types.js";

/** Plain RFC 7591 JSON metadata (optional software_statement), RFC 7592 management. */
export const rfc7591: Profile = {
  name: "rfc7591",
  format: "json",
  content_type: "application/json",
  management: "rfc7592",
  gone_statuses: [401, 404],
  software_id_max: undefined,
  dn_claim: "tls_client_auth_subject_dn",
  scope_format: "string",
  auth_signing_alg_always: false,
  ciba: true,
  application_types: ["web", "native"],
  auth_methods: [
    "private_key_jwt",
    "tls_client_auth",
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "none",
  ],
  algs: ["PS256", "ES256", "RS256"],
  grant_types: undefined,
  response_types: undefined,
  strict_redirect_uris: false,
};
