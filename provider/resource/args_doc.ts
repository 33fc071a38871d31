/**
 * `ObClientRegistrationArgs`, field by field, as an editor shows it on hover. The zod schemas in
 * `provider/core/schemas/params.ts` and `provider/lifecycle/inputs.ts` stay the source of truth:
 * `test/types/args.test.ts` checks that this interface and the schemas' camelCase type accept the
 * same values, so neither can drift.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ProfileNameLiteral } from "../core/profiles/names.js";

type In<T> = pulumi.Input<T>;

/**
 * The DCR specification a bank implements: `obie-3.1` … `obie-3.4` (UK), `rfc7591`, `cdr-au`
 * (Australia's Consumer Data Right, docs/regime-cdr-au.md), `ofb-br` (Open Finance Brasil,
 * docs/regime-ofb-br.md). The list is `PROFILE_NAMES` (core/profiles/names.ts).
 */
export type ProfileNameArg = ProfileNameLiteral;
export type SigningAlgArg = "PS256" | "ES256" | "RS256";
/** A JSON Web Key (RFC 7517), passed as is. */
export type JwkArg = {
  /** The key type: `RSA`, `EC`, `OKP`, `oct`. @see RFC 7517 §4.1 */
  kty: string;
  /** The key id, matched against a JWT's `kid` header. @see RFC 7517 §4.5 */
  kid?: string;
  [member: string]: unknown;
};
/** A JWK Set (RFC 7517 §5). */
export type JwksArg = {
  /** The keys of the set, each a JWK passed as is. @see RFC 7517 §5.1 */
  keys: JwkArg[];
  [member: string]: unknown;
};

/** Where the bank is and who it is. Behaviour belongs in `bankProfile`. */
export interface BankArgs {
  /**
   * The bank's OpenID discovery document; gives the registration and token endpoints. A change
   * registers anew (replace).
   * @example "https://ob.hsbc.co.uk/.well-known/openid-configuration"
   * @see OpenID Connect Discovery 1.0 §4 (the `/.well-known/openid-configuration` document)
   */
  discoveryUrl?: In<string>;
  /**
   * The bank's issuer (for `bankProfile.aud = "issuer"`); default: the discovery `issuer`.
   * @see OpenID Connect Discovery 1.0 §3 (`issuer`)
   */
  issuer?: In<string>;
  /**
   * The URL the registration is POSTed to. Default: the discovery `registration_endpoint`, or its
   * mTLS alias. A change registers anew (replace).
   * @see RFC 7591 §3; RFC 8705 §5 (`mtls_endpoint_aliases`)
   */
  registrationEndpoint?: In<string>;
  /**
   * Where OBIE-style management tokens come from; default: the discovery (mTLS alias) `token_endpoint`.
   * @see OBIE DCR 3.2 "Client Management" (client_credentials token); RFC 8705 §5
   */
  tokenEndpoint?: In<string>;
  /**
   * The bank's JWKS, to verify signed registration responses; default: the discovery `jwks_uri`.
   * @see OpenID Connect Discovery 1.0 §3 (`jwks_uri`)
   */
  jwksUri?: In<string>;
  /**
   * The bank's Open Banking Directory organisation id: the request JWT `aud` (OBIE DCR). A change
   * registers anew (replace).
   * @example "0015800000jfQ9aAAE"
   * @see OBIE DCR 3.2 "Data Model" (`aud`: the ASPSP's organisation id)
   */
  orgId?: In<string>;
}

/** The Open Banking Directory: where the software statement (SSA) comes from. */
export interface DirectoryArgs {
  /**
   * The directory's token endpoint: a client_credentials token for the SSA download, the client
   * authenticated by `tokenAuthMethod`.
   * @example "https://matls-sso.openbanking.org.uk/as/token.oauth2"
   * @see OBIE Directory "Obtain an access token" (RFC 6749 §4.4, RFC 7523 §2.2); CDR Register "Get Access Token"; docs/regime-ofb-br.md
   */
  tokenEndpoint?: In<string>;
  /**
   * The SSA API, with the regime's template variables: UK `{org_id}`, `{software_id}`; AU
   * `{brand_id}`, `{software_product_id}`; BR `{org_id}`, `{software_statement_id}`.
   * @example "https://matls-ssaapi.openbanking.org.uk/api/v2/tpp/{org_id}/ssa/{software_id}"
   * @see OBIE Directory "Software Statement Assertion"; CDR Register "GetSoftwareStatementAssertion"; docs/regime-ofb-br.md
   */
  ssaEndpoint?: In<string>;
  /**
   * An SSA given inline (no download). A new one is sent to the bank with a PUT.
   * @see RFC 7591 §2.3 (software statement); OBIE DCR 3.2 "Data Model" (`software_statement`)
   */
  softwareStatement?: In<string>;
  /**
   * The directory's JWKS, to verify the SSA's signature (AU: the Register's SSA JWKS, not the IdP's).
   * @example "https://keystore.openbanking.org.uk/keystore/openbanking.jwks"
   * @see RFC 7591 §2.3 (the software statement is a signed JWT); docs/regime-cdr-au.md
   */
  jwksUri?: In<string>;
  /**
   * Where the directory publishes this software's public keys (the SSA's `software_jwks_endpoint`;
   * AU: the software product's `jwks_uri`). When given, the signing key is checked against it before
   * the directory token request: a key the directory does not publish is refused before any request.
   * @example "https://keystore.openbanking.org.uk/0015800001041REAAY/2P3vBHSMV8R6FiWdqE3GyI.jwks"
   * @see OBIE Directory "Software Statement Assertion" (`software_jwks_endpoint`); docs/signing.md
   */
  softwareJwksEndpoint?: In<string>;
  /**
   * The directory's JWKS inline (offline verification).
   * @see RFC 7517 §5; RFC 7591 §2.3
   */
  jwks?: In<JwksArg>;
  /**
   * Expected SSA `iss`. Default per regime: `"OpenBanking Ltd"`, `"cdr-register"`, the known OFB variants.
   * @see RFC 7591 §2.3 (`iss` of the software statement); OBIE Directory "SSA claims"
   */
  issuer?: In<string>;
  /**
   * Directory token scope. Default per regime: `ASPSPReadAccess TPPReadAccess AuthoritiesReadAccess`,
   * `cdr-register:read`, `directory:software`.
   * @see RFC 6749 §3.3; OBIE Directory "Obtain an access token"; CDR Register "Get Access Token"
   */
  scope?: In<string | In<string>[]>;
  /**
   * A downloaded SSA is reused for this long, seconds (default UK/AU 300, BR 60), and never past
   * half its lifetime before `exp`.
   * @see RFC 7519 §4.1.4 (`exp`); docs/regime-cdr-au.md, docs/regime-ofb-br.md ("SSA freshness")
   */
  ssaMaxAgeSeconds?: In<number>;
  /**
   * The client_id at the directory token endpoint (default: software.softwareId; BR: required, the SSA's software_client_id).
   * @see RFC 7523 §3 (`sub`/`iss` of the client assertion); docs/regime-ofb-br.md
   */
  clientId?: In<string>;
  /**
   * Client authentication at the directory (default BR `tls_client_auth`, else `private_key_jwt`).
   * @see RFC 7523 §2.2 (`private_key_jwt`); RFC 8705 §2.1 (`tls_client_auth`)
   */
  tokenAuthMethod?: In<"private_key_jwt" | "tls_client_auth">;
  /**
   * AU GetSSA `x-v` (default 4).
   * @see CDR Register "GetSoftwareStatementAssertion" (`x-v` header); docs/regime-cdr-au.md
   */
  ssaVersion?: In<number>;
  /**
   * AU GetSSA `x-min-v` (default 3 while below x-v: a v3-only Register answers v3).
   * @see CDR Register "GetSoftwareStatementAssertion" (`x-min-v` header); docs/regime-cdr-au.md
   */
  ssaMinVersion?: In<number>;
  /**
   * BR: an SSA older than this by `iat` is refused before sending, seconds (default 300).
   * @see Open Finance Brasil DCR (the SSA must be at most 5 minutes old); docs/regime-ofb-br.md
   */
  ssaFreshSeconds?: In<number>;
}

/** The software (the SSA's `software_id` and its organisation). */
export interface SoftwareArgs {
  /**
   * The software's id at the directory (AU: the software product id; BR: the software statement
   * id). A change registers anew (replace).
   * @example "2cfGqDWH4LgtDRHd5JtFp8"
   * @see RFC 7591 §2 (`software_id`); OBIE DCR 3.2 "Data Model"
   */
  softwareId: In<string>;
  /**
   * The TPP's organisation id at the directory (AU: the brand id). A change registers anew (replace).
   * @example "0015800001041RHAAY"
   * @see OBIE Directory "Software Statement Assertion" (`org_id`); docs/regime-cdr-au.md
   */
  orgId: In<string>;
}

/**
 * A signing key in a PKCS#11 token (HSM, cloud HSM, SoftHSM); it signs there. The PIN is not an
 * input: the environment variable `pinEnv` (default `OBDCR_PKCS11_PIN`) or the `ob-dcr:pkcs11Pin`
 * (dynamic resource) / `obdcr:pkcs11Pin` (plugin) config secret.
 */
export interface Pkcs11KeyArgs {
  /**
   * Path of the token vendor's PKCS#11 module, e.g. `/usr/lib/softhsm/libsofthsm2.so`.
   * @see PKCS#11 v2.40 §5.4 (C_Initialize); docs/signing.md "PKCS#11"
   */
  module: In<string>;
  /**
   * The token's label.
   * @see PKCS#11 v2.40 §3.2 (CK_TOKEN_INFO `label`); docs/signing.md "PKCS#11"
   */
  tokenLabel: In<string>;
  /**
   * CKA_LABEL of the private key (or `keyId`).
   * @see PKCS#11 v2.40 §4.4 (CKA_LABEL); docs/signing.md "PKCS#11"
   */
  keyLabel?: In<string>;
  /**
   * CKA_ID of the private key, hex (or `keyLabel`).
   * @see PKCS#11 v2.40 §4.7 (CKA_ID); docs/signing.md "PKCS#11"
   */
  keyId?: In<string>;
  /**
   * The environment variable holding the user PIN (default `OBDCR_PKCS11_PIN`).
   * @see PKCS#11 v2.40 §5.6 (C_Login, CKU_USER); docs/signing.md "PKCS#11"
   */
  pinEnv?: In<string>;
}

/** A signing key in AWS KMS (SIGN_VERIFY; RSA for PS256, ECC_NIST_P256 for ES256); it signs there. */
export interface AwsKmsKeyArgs {
  /**
   * Key id, key ARN, alias name or alias ARN. The principal needs kms:Sign and kms:GetPublicKey.
   * @see AWS KMS API Reference "Sign" and "GetPublicKey" (`KeyId`); docs/signing.md "AWS KMS"
   */
  keyId: In<string>;
  /**
   * Default: the AWS SDK's (AWS_REGION, profile).
   * @see docs/signing.md "AWS KMS"
   */
  region?: In<string>;
  /**
   * Another KMS endpoint (VPC endpoint, emulator); https, or http on 127.0.0.1 only.
   * @see docs/signing.md "AWS KMS"
   */
  endpoint?: In<string>;
}

/**
 * The key that signs the registration request and client assertions; its public part is published
 * by the directory under `kid`. Give the private key (secret however it is given), or where it is
 * kept: `pkcs11` or `awsKms` (the key never reaches this machine).
 */
export interface SigningKeyArgs {
  /**
   * The kid the directory assigned to this key: the `kid` header of every JWT signed with it.
   * A new kid keeps the client_id (docs/rotation.md).
   * @see RFC 7515 §4.1.4 (`kid`); OBIE DCR 3.2 "Data Model" (request JWT header)
   */
  kid: In<string>;
  /**
   * Default `PS256`. A key in an HSM or KMS signs PS256 or ES256.
   * @see RFC 7518 §3.1 (`alg`); OBIE DCR 3.2 "Data Model" (PS256, ES256)
   */
  alg?: In<SigningAlgArg>;
  /**
   * PKCS#8 PEM or a private JWK. Or `privateKeyFile`, or the `ob-dcr:signingPrivateKey` config
   * secret. Secret however it is given; kept out of state's plain inputs.
   * @see RFC 5208 (PKCS#8); RFC 7517 §4 (JWK); README "Secrets"
   */
  privateKey?: In<string | JwkArg>;
  /**
   * A file holding the private key (read by the provider; only the path is in state).
   * @see README "Secrets"
   */
  privateKeyFile?: In<string>;
  /**
   * The key is in a PKCS#11 token (not with `privateKey` or `awsKms`).
   * @see docs/signing.md "PKCS#11"
   */
  pkcs11?: In<Pkcs11KeyArgs>;
  /**
   * The key is in AWS KMS (not with `privateKey` or `pkcs11`).
   * @see docs/signing.md "AWS KMS"
   */
  awsKms?: In<AwsKmsKeyArgs>;
}

/** mTLS material (OBWAC/QWAC transport certificate). Required by the OBIE profiles. */
export interface TransportArgs {
  /**
   * PEM certificate (may include the chain). Or `certFile`. Renewing it keeps the client_id.
   * @see RFC 8705 §2 (mutual TLS client authentication); OBIE "Certificate Profile" (OBWAC)
   */
  cert?: In<string>;
  /**
   * PEM private key of the certificate. Or `keyFile`, or the `ob-dcr:transportKey` config secret.
   * Secret however it is given.
   * @see RFC 8705 §2; README "Secrets"
   */
  key?: In<string>;
  /**
   * CA certificate(s) to trust for the servers; default Node's store. Verification is always on.
   * @see RFC 5280 (certificate path validation)
   */
  ca?: In<string | In<string>[]>;
  /**
   * A file holding the PEM certificate (read by the provider; compared by its SHA-256, not its path).
   * @see RFC 8705 §2; docs/rotation.md
   */
  certFile?: In<string>;
  /**
   * A file holding the certificate's PEM private key (read by the provider; only the path is in state).
   * @see RFC 8705 §2; README "Secrets"
   */
  keyFile?: In<string>;
  /**
   * A file holding the CA certificate(s) to trust for the servers.
   * @see RFC 5280
   */
  caFile?: In<string>;
}

/** The client metadata to register. @see RFC 7591 §2, OBIE DCR "Data Model" */
export interface ClientArgs {
  /**
   * Default: every redirect URI of the SSA; each must be one of the SSA's `software_redirect_uris`.
   * @example ["https://tpp.example.com/callback"]
   * @see RFC 7591 §2 (`redirect_uris`); OBIE DCR 3.2 "Data Model"
   */
  redirectUris?: In<In<string>[]>;
  /**
   * Default `openid accounts` (UK, rfc7591); none for cdr-au / ofb-br (the SSA's or roles' scopes).
   * @example "openid accounts payments"
   * @see RFC 7591 §2 (`scope`); OBIE DCR 3.2 "Data Model"
   */
  scope?: In<string | In<string>[]>;
  /**
   * Default: the bank profile's (`bankProfile.grantTypes`); this wins over it.
   * @see RFC 7591 §2 (`grant_types`); docs/bank-profiles.md
   */
  grantTypes?: In<In<string>[]>;
  /**
   * Default `["code id_token"]`; cdr-au `["code"]`.
   * @see RFC 7591 §2 (`response_types`); OBIE DCR 3.2 "Data Model"
   */
  responseTypes?: In<In<string>[]>;
  /**
   * How the client authenticates at the bank's token endpoint. Default `private_key_jwt`.
   * @see RFC 7591 §2 (`token_endpoint_auth_method`); RFC 8705 §2.1 (`tls_client_auth`); OBIE DCR 3.2 "Data Model"
   */
  tokenEndpointAuthMethod?: In<
    | "private_key_jwt"
    | "tls_client_auth"
    | "client_secret_basic"
    | "client_secret_post"
    | "client_secret_jwt"
    | "none"
  >;
  /**
   * The alg of the client assertion at the token endpoint. Default: the signing key's alg.
   * @see OpenID Connect Registration 1.0 §2 (`token_endpoint_auth_signing_alg`); OBIE DCR 3.2 "Data Model"
   */
  tokenEndpointAuthSigningAlg?: In<SigningAlgArg>;
  /**
   * The alg the bank signs ID tokens with.
   * @see OpenID Connect Registration 1.0 §2 (`id_token_signed_response_alg`); OBIE DCR 3.2 "Data Model"
   */
  idTokenSignedResponseAlg?: In<SigningAlgArg>;
  /**
   * The alg of our request objects (JAR).
   * @see OpenID Connect Registration 1.0 §2 (`request_object_signing_alg`); OBIE DCR 3.2 "Data Model"
   */
  requestObjectSigningAlg?: In<SigningAlgArg>;
  /**
   * The kind of client: `web` (default at most banks), `mobile` (OBIE), `native`.
   * @see OpenID Connect Registration 1.0 §2 (`application_type`); OBIE DCR 3.2 "Data Model"
   */
  applicationType?: In<"web" | "mobile" | "native">;
  /**
   * For `tls_client_auth`; default: derived from the transport certificate (and followed on renewal).
   * @see RFC 8705 §2.1.2 (`tls_client_auth_subject_dn`); OBIE DCR 3.2 "Data Model"; `bankProfile.dnFormat`
   */
  tlsClientAuthSubjectDn?: In<string>;
  /**
   * Send `software_id` in the request (default true).
   * @see RFC 7591 §2 (`software_id`)
   */
  sendSoftwareId?: In<boolean>;
  /**
   * CIBA: how the bank delivers tokens (`poll`, `ping`, `push`).
   * @see OpenID CIBA Core 1.0 §4 (`backchannel_token_delivery_mode`)
   */
  backchannelTokenDeliveryMode?: In<"poll" | "ping" | "push">;
  /**
   * CIBA: where the bank notifies us (modes `ping` and `push`).
   * @see OpenID CIBA Core 1.0 §4 (`backchannel_client_notification_endpoint`)
   */
  backchannelClientNotificationEndpoint?: In<string>;
  /**
   * CIBA: the alg of our signed authentication requests.
   * @see OpenID CIBA Core 1.0 §4 (`backchannel_authentication_request_signing_alg`)
   */
  backchannelAuthenticationRequestSigningAlg?: In<SigningAlgArg>;
  /**
   * CIBA: whether we send a `user_code`.
   * @see OpenID CIBA Core 1.0 §4 (`backchannel_user_code_parameter`)
   */
  backchannelUserCodeParameterSupported?: In<boolean>;
  /**
   * Our public keys by reference. Default for an `rfc7591` `private_key_jwt` client:
   * the SSA's `software_jwks_endpoint`, else the signing key's public JWK as `jwks`.
   * @see RFC 7591 §2 (`jwks_uri`)
   */
  jwksUri?: In<string>;
  /**
   * Our public keys by value (must hold the signing key).
   * @see RFC 7591 §2 (`jwks`); RFC 7517 §5
   */
  jwks?: In<JwksArg>;
  /**
   * ofb-br: must equal the SSA's `software_api_webhook_uris` (absent: webhooks off).
   * @see Open Finance Brasil DCR (`webhook_uris`); docs/regime-ofb-br.md
   */
  webhookUris?: In<In<string>[]>;
  /**
   * ID token encryption (cdr-au: only with `code id_token`; RSA-OAEP / RSA-OAEP-256).
   * @see OpenID Connect Registration 1.0 §2 (`id_token_encrypted_response_alg`); docs/regime-cdr-au.md
   */
  idTokenEncryptedResponseAlg?: In<string>;
  /**
   * ID token encryption `enc` (cdr-au: A256GCM / A128CBC-HS256).
   * @see OpenID Connect Registration 1.0 §2 (`id_token_encrypted_response_enc`); docs/regime-cdr-au.md
   */
  idTokenEncryptedResponseEnc?: In<string>;
  /**
   * JARM signing alg (cdr-au: sent whenever `code` is registered; default the signing key's alg).
   * @see OpenID JARM §3 (`authorization_signed_response_alg`); docs/regime-cdr-au.md
   */
  authorizationSignedResponseAlg?: In<SigningAlgArg>;
  /**
   * JARM encryption alg (cdr-au: RSA-OAEP / RSA-OAEP-256).
   * @see OpenID JARM §3 (`authorization_encrypted_response_alg`); docs/regime-cdr-au.md
   */
  authorizationEncryptedResponseAlg?: In<string>;
  /**
   * JARM encryption `enc` (cdr-au: A256GCM / A128CBC-HS256).
   * @see OpenID JARM §3 (`authorization_encrypted_response_enc`); docs/regime-cdr-au.md
   */
  authorizationEncryptedResponseEnc?: In<string>;
  /**
   * Further RFC 7591 metadata, sent as is.
   * @example { client_name: "My TPP" }
   * @see RFC 7591 §2 (client metadata; extensions are allowed)
   */
  extra?: In<Record<string, unknown>>;
}

/** A bank's known deviations: every behaviour setting, one name each (docs/bank-profiles.md). */
export interface BankProfileArgs {
  /**
   * A preset to start from; the other fields override it.
   * @example "hsbc"
   * @see docs/bank-profiles.md "Presets"
   */
  preset?: In<string>;
  /**
   * The media type of POST/PUT /register: `application/jwt` (OBIE default), `application/jose`,
   * `application/json` (rfc7591, ofb-br).
   * @see OBIE DCR 3.2 "Register a client" (Content-Type); RFC 7591 §3.1; docs/bank-profiles.md
   */
  contentType?: In<"application/jwt" | "application/jose" | "application/json">;
  /**
   * The request JWT's `aud`: the bank's `org_id` (OBIE default), its `issuer` (cdr-au), or a literal.
   * @see OBIE DCR 3.2 "Data Model" (`aud`); RFC 7519 §4.1.3; docs/bank-profiles.md
   */
  aud?: In<
    | "org_id"
    | "issuer"
    | {
        /** The `aud` value to send as it is. @see RFC 7519 §4.1.3 */
        literal: In<string>;
      }
  >;
  /**
   * The request JWT's `iss`: the `software_id` (default), the TPP's `org_id`, or a literal.
   * @see OBIE DCR 3.2 "Data Model" (`iss`); RFC 7519 §4.1.1; docs/bank-profiles.md
   */
  iss?: In<
    | "software_id"
    | "org_id"
    | {
        /** The `iss` value to send as it is. @see RFC 7519 §4.1.1 */
        literal: In<string>;
      }
  >;
  /**
   * The case of the request's `jti` UUID (default `lower`).
   * @see RFC 7519 §4.1.7 (`jti`); docs/bank-profiles.md
   */
  jtiCase?: In<"lower" | "upper">;
  /**
   * The shape of `scope` in requests: a space-separated `string` (OBIE 3.2+) or an `array` (OBIE 3.1).
   * @see OBIE DCR 3.1 / 3.2 "Data Model" (`scope`); docs/bank-profiles.md
   */
  scopeFormat?: In<"string" | "array">;
  /**
   * The `grant_types` sent (default authorization_code, client_credentials, refresh_token);
   * `client.grantTypes` wins.
   * @see RFC 7591 §2 (`grant_types`); docs/bank-profiles.md
   */
  grantTypes?: In<In<string>[]>;
  /**
   * Claims added to the request, passed as is.
   * @example { subject_type: "pairwise" }
   * @see RFC 7591 §2 (extension metadata); docs/bank-profiles.md
   */
  extraClaims?: In<Record<string, unknown>>;
  /**
   * How a derived `tls_client_auth_subject_dn` writes the organizationIdentifier: `hex`
   * (`2.5.4.97=#<BER hex>`, default), `name` (`organizationIdentifier=`), `oid` (`2.5.4.97=<text>`).
   * @see RFC 4514 §2.4 (hex string values); RFC 8705 §2.1.2; docs/bank-profiles.md
   */
  dnFormat?: In<"hex" | "name" | "oid">;
  /**
   * How the registration is managed after the POST (GET/PUT/DELETE /register/{client_id}).
   * @see RFC 7592 §2; OBIE DCR 3.2 "Client Management"; docs/bank-profiles.md
   */
  management?: In<{
    /**
     * The bearer of GET/PUT/DELETE: `obie` (a client_credentials token) or `rfc7592` (the
     * registration access token). Default per spec profile.
     * @see RFC 7592 §2 (`registration_access_token`); OBIE DCR 3.2 "Client Management"
     */
    style?: In<"obie" | "rfc7592">;
    /**
     * The scope of the OBIE management token, or `null` for no scope parameter (default `null`;
     * cdr-au `cdr:registration`).
     * @see RFC 6749 §4.4.2; CDS "Dynamic Client Registration" (`cdr:registration`); docs/bank-profiles.md
     */
    scope?: In<string | null>;
    /**
     * HTTP 4xx statuses that mean "deleted/unknown" (default UK `[401]`, rfc7591 `[401, 404]`).
     * @see RFC 7592 §2.1 (401 for an unknown client); docs/bank-profiles.md
     */
    goneStatuses?: In<In<number>[]>;
    /**
     * `invalid_client` at the token endpoint means deleted (off: it is ambiguous).
     * @see RFC 6749 §5.2 (`invalid_client`); docs/bank-profiles.md, docs/rotation.md
     */
    invalidClientIsGone?: In<boolean>;
    /**
     * The bank may issue a new registration access token on any call, a GET included: a 401 is then ambiguous.
     * @see RFC 7592 §2.1, §3 (the token may be rotated); docs/regime-ofb-br.md
     */
    ratMayRotate?: In<boolean>;
    /**
     * Origins (`https://host[:port]`) besides the registration endpoint's where this bank's
     * `registration_client_uri` may point (RFC 7592 §2); the registration access token is sent
     * nowhere else. Default none.
     * @see RFC 7592 §2 (`registration_client_uri`); docs/SECURITY.md, docs/bank-profiles.md
     */
    allowedOrigins?: In<In<string>[]>;
  }>;
  /**
   * Which management calls the bank offers; one that is off is refused up front with
   * `OBDCR_NOT_SUPPORTED` naming the field.
   * @see RFC 7592 §2.1-2.3 (each is optional at a bank); docs/bank-profiles.md
   */
  supports?: In<{
    /** GET /register/{client_id} (refresh, import). Default true. @see RFC 7592 §2.1 */
    read?: In<boolean>;
    /** PUT /register/{client_id} (update). Default true. @see RFC 7592 §2.2 */
    update?: In<boolean>;
    /** DELETE /register/{client_id} (destroy, replace). Default true. @see RFC 7592 §2.3 */
    delete?: In<boolean>;
  }>;
  /**
   * What the bank's responses look like. A difference never fails a registration: it is reported
   * as a response deviation.
   * @see RFC 7591 §3.2.1 (the client information response); docs/bank-profiles.md
   */
  response?: In<{
    /**
     * The unit of `client_id_issued_at`: seconds (default), milliseconds, or a date string.
     * @see RFC 7591 §3.2.1 (`client_id_issued_at`: seconds since the epoch)
     */
    timestampUnit?: In<"s" | "ms" | "string">;
    /**
     * The shape of `scope` in responses (default per spec profile).
     * @see RFC 7591 §2 (`scope`: a space-separated string)
     */
    scopeFormat?: In<"string" | "array">;
    /**
     * The status of a successful POST (default 201).
     * @see RFC 7591 §3.2.1 (201 Created)
     */
    createdStatus?: In<201 | 200>;
    /**
     * The DN claim's name in responses (default per spec profile; OBIE 3.1 `tls_client_auth_dn`).
     * @see RFC 8705 §2.1.2; OBIE DCR 3.1 "Data Model"
     */
    dnClaim?: In<"tls_client_auth_subject_dn" | "tls_client_auth_dn">;
  }>;
  /**
   * A second registration of the software is refused: a replacement deletes first.
   * @see CDS "Dynamic Client Registration"; Open Finance Brasil DCR; docs/bank-profiles.md
   */
  refusesDuplicateRegistration?: In<boolean>;
  /**
   * Codes with which the bank refuses a second registration (explained as a possible duplicate).
   * @see RFC 7591 §3.2.2 (error codes); docs/bank-profiles.md
   */
  duplicateErrors?: In<In<string>[]>;
  /**
   * The bank honours a proposed client_id: lost POST answers are reconciled by GET on it.
   * @see RFC 7591 §3.1 (the server may ignore or accept client-proposed values); docs/RELIABILITY.md
   */
  clientIdHint?: In<boolean>;
  /**
   * Lifetime of the registration request JWT, seconds (default 300).
   * @see OBIE DCR 3.2 "Data Model" (`iat`, `exp`); RFC 7519 §4.1.4
   */
  requestTtlSeconds?: In<number>;
  /**
   * Skip the discovery capability checks (only for a bank that publishes wrong metadata).
   * @see OpenID Connect Discovery 1.0 §3 (the `*_supported` lists); docs/bank-profiles.md "Resolution order"
   */
  skipDiscoveryChecks?: In<boolean>;
}

/** Take over a registration that exists already (GET, no POST). */
export interface AdoptArgs {
  /**
   * The client_id the bank issued to the existing registration.
   * @see RFC 7591 §3.2.1 (`client_id`); README "ObClientRegistration" (adopt)
   */
  clientId: In<string>;
  /**
   * RFC 7592 management credential of the existing client. Secret.
   * @see RFC 7592 §3 (`registration_access_token`)
   */
  registrationAccessToken?: In<string>;
  /**
   * The existing client's configuration endpoint; default: the registration endpoint + `/{client_id}`.
   * @see RFC 7592 §3 (`registration_client_uri`)
   */
  registrationClientUri?: In<string>;
  /**
   * For `client_secret_*` auth methods. Secret.
   * @see RFC 7591 §3.2.1 (`client_secret`)
   */
  clientSecret?: In<string>;
}

/** The arguments of `ObClientRegistration`: one client registration at one bank. */
export interface ObClientRegistrationArgs {
  /**
   * The bank's DCR specification. A change registers anew (replace).
   * @see OBIE DCR 3.1-3.4; RFC 7591; CDS "Dynamic Client Registration" (cdr-au); Open Finance Brasil DCR (ofb-br)
   */
  profile: In<ProfileNameArg>;
  /**
   * The bank's known deviations: a preset name, or overrides on an optional preset.
   * @example "hsbc"
   * @see docs/bank-profiles.md
   */
  bankProfile?: In<string | BankProfileArgs>;
  /**
   * Where the bank is. A change of `discoveryUrl`, `registrationEndpoint` or `orgId` registers anew.
   * @see OpenID Connect Discovery 1.0; RFC 7591 §3
   */
  bank: In<BankArgs>;
  /**
   * The directory (SSA source). Optional only for `rfc7591` without a software statement.
   * @see RFC 7591 §2.3 (software statement); OBIE Directory
   */
  directory?: In<DirectoryArgs>;
  /**
   * Optional only for `rfc7591` without a software statement. A change registers anew.
   * @see RFC 7591 §2 (`software_id`)
   */
  software?: In<SoftwareArgs>;
  /**
   * Rotating it (a new kid, or a new key) keeps the client_id (docs/rotation.md).
   * @see OBIE DCR 3.2 "Data Model" (the request JWT's signature); RFC 7523 §3 (client assertions)
   */
  signingKey: In<SigningKeyArgs>;
  /**
   * Renewing the certificate keeps the client_id; a new subject DN is PUT where the bank holds it.
   * @see RFC 8705 §2 (mutual TLS); docs/rotation.md
   */
  transport?: In<TransportArgs>;
  /**
   * The metadata to register; a change is a PUT.
   * @see RFC 7591 §2; RFC 7592 §2.2 (update)
   */
  client?: In<ClientArgs>;
  /**
   * Take over an existing registration at create (ignored afterwards).
   * @see RFC 7592 §2.1 (read); README "ObClientRegistration"
   */
  adopt?: In<AdoptArgs>;
  /**
   * Any change of this value forces a PUT (scheduled rotation of secrets the bank issues).
   * @see RFC 7592 §2.2 (the server may issue a new `client_secret`); docs/rotation.md
   */
  rotationTrigger?: In<string>;
  /**
   * A preview warns when the transport certificate has fewer days left (default 30).
   * @see RFC 5280 §4.1.2.5 (validity); docs/rotation.md
   */
  expiryWarningDays?: In<number>;
}
