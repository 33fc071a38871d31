import { OBIE_BASE, OBIE_GRANTS } from "./obie_common.js";
import type { Profile } from "./types.js";

/** UK OBIE DCR 3.1: iss ≤18, scope as array, `tls_client_auth_dn`, signing alg always sent. */
export const obie31: Profile = {
  ...OBIE_BASE,
  name: "obie-3.1",
  software_id_max: 18,
  dn_claim: "tls_client_auth_dn",
  scope_format: "array",
  auth_signing_alg_always: true,
  ciba: false,
  application_types: ["web", "mobile"],
  auth_methods: ["private_key_jwt", "tls_client_auth", "client_secret_basic", "client_secret_post"],
  grant_types: OBIE_GRANTS,
};
