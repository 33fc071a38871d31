import type { ProfileName, SigningAlg } from "../schemas/common.js";

/** What a registration profile declares: claims, limits, content type and management style. */
export interface Profile {
  readonly name: ProfileName;
  /** `jwt`: the body is a signed request JWT; `json`: plain RFC 7591 metadata. */
  readonly format: "jwt" | "json";
  readonly content_type: string;
  readonly management: "obie" | "rfc7592";
  /** Statuses meaning the client is unknown or deleted. */
  readonly gone_statuses: readonly number[];
  /** Max length of `iss` / `software_id` (Base62). */
  readonly software_id_max: number | undefined;
  /** Name of the subject-DN claim. */
  readonly dn_claim: "tls_client_auth_dn" | "tls_client_auth_subject_dn";
  readonly scope_format: "array" | "string";
  /** Whether `token_endpoint_auth_signing_alg` is always sent (3.1) or only for JWT auth methods. */
  readonly auth_signing_alg_always: boolean;
  readonly ciba: boolean;
  readonly application_types: readonly string[];
  readonly auth_methods: readonly string[];
  readonly algs: readonly SigningAlg[];
  readonly grant_types: readonly string[] | undefined;
  readonly response_types: readonly string[] | undefined;
  /** https redirect URIs only, no localhost, no fragment. */
  readonly strict_redirect_uris: boolean;
}
