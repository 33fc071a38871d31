import { OBIE_BASE, OBIE_GRANTS } from "./obie_common.js";
import type { Profile } from "./types.js";

/** UK OBIE DCR 3.2: iss ≤22, scope string, `tls_client_auth_subject_dn`, client_secret_jwt added. */
export const obie32: Profile = {
  ...OBIE_BASE,
  name: "obie-3.2",
  software_id_max: 22,
  dn_claim: "tls_client_auth_subject_dn",
  scope_format: "string",
  auth_signing_alg_always: false,
  ciba: false,
  application_types: ["web", "mobile"],
  auth_methods: [
    "private_key_jwt",
    "tls_client_auth",
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
  ],
  grant_types: OBIE_GRANTS,
};
