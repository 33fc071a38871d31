import type { Profile } from "./types.js";

/** Shared OBIE declarations; each version module overrides what changed. */
export const OBIE_BASE = {
  format: "jwt",
  content_type: "application/jwt",
  management: { style: "obie", scope: null, gone_statuses: [401] },
  algs: ["PS256", "ES256"],
  response_types: ["code", "code id_token"],
  strict_redirect_uris: true,
  dn_max: 128,
  directory: "ob-directory",
  default_scope: ["openid", "accounts"],
  default_response_types: ["code id_token"],
  software_id_claim: true,
  aud: "org_id",
  refuses_duplicate_registration: false,
  duplicate_errors: [],
  client_keys: "ssa",
  webhooks: false,
  cdr_claims: false,
  ofb_claims: false,
  requires_ssa: true,
} as const satisfies Partial<Profile>;

export const OBIE_GRANTS = ["authorization_code", "client_credentials", "refresh_token"] as const;
export const CIBA_GRANT = "urn:openid:params:grant-type:ciba";
