/** Response schemas: loose, checking only the fields ob-dcr relies on; unknown members pass through. */
import { z } from "zod";
import { ClientId } from "./common.js";

export const TokenResponse = z.looseObject({
  // Sent back as `Authorization: Bearer …`: a value with CR/LF, spaces or non-ASCII cannot be
  // (RFC 6750 §2.1); taken anyway, it failed later as a "connection failed" of the next request.
  access_token: z
    .string()
    .min(1)
    .max(8192)
    .regex(/^[\x21-\x7e]+$/, { error: "must be a bearer token (RFC 6750 §2.1)" }),
  token_type: z.string().refine((t) => t.toLowerCase() === "bearer", { error: "must be Bearer" }),
  expires_in: z.coerce.number().nonnegative().optional(),
  scope: z.string().optional(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

export const OAuthErrorBody = z.looseObject({
  error: z.string(),
  error_description: z.string().optional(),
});

const StrArr = z.array(z.string()).optional();

export const DiscoveryDocument = z.looseObject({
  issuer: z.string().optional(),
  token_endpoint: z.string().optional(),
  registration_endpoint: z.string().optional(),
  jwks_uri: z.string().optional(),
  token_endpoint_auth_methods_supported: StrArr,
  token_endpoint_auth_signing_alg_values_supported: StrArr,
  id_token_signing_alg_values_supported: StrArr,
  request_object_signing_alg_values_supported: StrArr,
  response_types_supported: StrArr,
  grant_types_supported: StrArr,
  scopes_supported: StrArr,
  mtls_endpoint_aliases: z
    .looseObject({ token_endpoint: z.string().optional(), registration_endpoint: z.string().optional() })
    .optional(),
});
export type DiscoveryDocument = z.infer<typeof DiscoveryDocument>;

/** Claims of an OB Directory software statement that ob-dcr relies on. */
export const SsaClaims = z.looseObject({
  iss: z.string(),
  iat: z.number().optional(),
  exp: z.number().optional(),
  jti: z.string().optional(),
  software_id: z.string(),
  org_id: z.string().optional(),
  software_redirect_uris: z.array(z.string()).optional(),
  software_jwks_endpoint: z.string().optional(),
  software_jwks_revoked_endpoint: z.string().optional(),
  software_roles: z.array(z.string()).optional(),
  org_status: z.string().optional(),
});
export type SsaClaims = z.infer<typeof SsaClaims>;

/** Raw registration response: only `client_id` is required. */
export const RawRegistrationResponse = z.looseObject({
  // RFC 6749 Appendix A: VSCHARs; anything else is not an identifier we can keep or put in a URL.
  client_id: ClientId.max(255).regex(/^[\x20-\x7e]+$/, {
    error: "must be printable ASCII (RFC 6749 Appendix A.1)",
  }),
  client_secret: z
    .string()
    .regex(/^[\x20-\x7e]*$/, { error: "must be printable ASCII (RFC 6749 Appendix A.2)" })
    .optional(),
  registration_access_token: z
    .string()
    .min(1)
    .max(8192)
    .regex(/^[\x21-\x7e]+$/, { error: "must be a bearer token (RFC 6750 §2.1)" })
    .optional(),
  registration_client_uri: z.string().min(1).optional(),
});
