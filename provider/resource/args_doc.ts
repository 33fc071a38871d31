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
export type JwkArg = { kty: string; kid?: string; [member: string]: unknown };
export type JwksArg = { keys: JwkArg[]; [member: string]: unknown };

/** Where the bank is and who it is. Behaviour belongs in `bankProfile`. */
export interface BankArgs {
  /**
   * The bank's OpenID discovery document; gives the registration and token endpoints.
   * @example "https://ob.hsbc.co.uk/.well-known/openid-configuration"
   */
  discoveryUrl?: In<string>;
  /** The bank's issuer (for `bankProfile.aud = "issuer"`); default: the discovery `issuer`. */
  issuer?: In<string>;
  /** Default: the discovery `registration_endpoint`. @see RFC 7591 §3 */
  registrationEndpoint?: In<string>;
  /** Where OBIE-style management tokens come from; default: the discovery (mTLS alias) `token_endpoint`. */
  tokenEndpoint?: In<string>;
  /** The bank's JWKS, to verify signed registration responses; default: the discovery `jwks_uri`. */
  jwksUri?: In<string>;
  /**
   * The bank's Open Banking Directory organisation id: the request JWT `aud` (OBIE DCR).
   * @example "0015800000jfQ9aAAE"
   */
  orgId?: In<string>;
}

/** The Open Banking Directory: where the software statement (SSA) comes from. */
export interface DirectoryArgs {
  /** @example "https://matls-sso.openbanking.org.uk/as/token.oauth2" */
  tokenEndpoint?: In<string>;
  /**
   * The SSA API, with the regime's template variables: UK `{org_id}`, `{software_id}`; AU
   * `{brand_id}`, `{software_product_id}`; BR `{org_id}`, `{software_statement_id}`.
   * @example "https://matls-ssaapi.openbanking.org.uk/api/v2/tpp/{org_id}/ssa/{software_id}"
   */
  ssaEndpoint?: In<string>;
  /** An SSA given inline (no download). A new one is sent to the bank with a PUT. */
  softwareStatement?: In<string>;
  /** The directory's JWKS, to verify the SSA. @example "https://keystore.openbanking.org.uk/keystore/openbanking.jwks" */
  jwksUri?: In<string>;
  /** The directory's JWKS inline (offline verification). */
  jwks?: In<JwksArg>;
  /** Expected SSA `iss`. Default per regime: `"OpenBanking Ltd"`, `"cdr-register"`, the known OFB variants. */
  issuer?: In<string>;
  /**
   * Directory token scope. Default per regime: `ASPSPReadAccess TPPReadAccess AuthoritiesReadAccess`,
   * `cdr-register:read`, `directory:software`.
   */
  scope?: In<string | In<string>[]>;
  /** A downloaded SSA is reused for this long, seconds (default UK/AU 300, BR 60). */
  ssaMaxAgeSeconds?: In<number>;
  /** The client_id at the directory token endpoint (default: software.softwareId; BR: required, the SSA's software_client_id). */
  clientId?: In<string>;
  /** Client authentication at the directory (default BR `tls_client_auth`, else `private_key_jwt`). */
  tokenAuthMethod?: In<"private_key_jwt" | "tls_client_auth">;
  /** AU GetSSA `x-v` (default 4). */
  ssaVersion?: In<number>;
  /** AU GetSSA `x-min-v` (default 3 while below x-v: a v3-only Register answers v3). */
  ssaMinVersion?: In<number>;
  /** BR: an SSA older than this by `iat` is refused before sending, seconds (default 300). */
  ssaFreshSeconds?: In<number>;
}

/** The software (the SSA's `software_id` and its organisation). */
export interface SoftwareArgs {
  /** @example "2cfGqDWH4LgtDRHd5JtFp8" */
  softwareId: In<string>;
  /** @example "0015800001041RHAAY" */
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
  /** The kid the directory assigned to this key. */
  kid: In<string>;
  /** Default `PS256`. A key in an HSM or KMS signs PS256 or ES256. */
  alg?: In<SigningAlgArg>;
  /** PKCS#8 PEM or a private JWK. Or `privateKeyFile`, or the `ob-dcr:signingPrivateKey` config secret. */
  privateKey?: In<string | JwkArg>;
  /** A file holding the private key (read by the provider; only the path is in state). */
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
  /** PEM certificate (may include the chain). Or `certFile`. */
  cert?: In<string>;
  /** PEM private key of the certificate. Or `keyFile`, or the `ob-dcr:transportKey` config secret. */
  key?: In<string>;
  /** CA certificate(s) to trust for the servers; default Node's store. Verification is always on. */
  ca?: In<string | In<string>[]>;
  certFile?: In<string>;
  keyFile?: In<string>;
  caFile?: In<string>;
}

/** The client metadata to register. @see RFC 7591 §2, OBIE DCR "Data Model" */
export interface ClientArgs {
  /** Default: every redirect URI of the SSA. @example ["https://tpp.example.com/callback"] */
  redirectUris?: In<In<string>[]>;
  /** Default `openid accounts` (UK, rfc7591); none for cdr-au / ofb-br (the SSA's or roles' scopes). @example "openid accounts payments" */
  scope?: In<string | In<string>[]>;
  /** Default: the bank profile's. */
  grantTypes?: In<In<string>[]>;
  /** Default `["code id_token"]`; cdr-au `["code"]`. */
  responseTypes?: In<In<string>[]>;
  /** Default `private_key_jwt`. */
  tokenEndpointAuthMethod?: In<
    | "private_key_jwt"
    | "tls_client_auth"
    | "client_secret_basic"
    | "client_secret_post"
    | "client_secret_jwt"
    | "none"
  >;
  /** Default: the signing key's alg. */
  tokenEndpointAuthSigningAlg?: In<SigningAlgArg>;
  idTokenSignedResponseAlg?: In<SigningAlgArg>;
  requestObjectSigningAlg?: In<SigningAlgArg>;
  applicationType?: In<"web" | "mobile" | "native">;
  /** For `tls_client_auth`; default: derived from the transport certificate (and followed on renewal). */
  tlsClientAuthSubjectDn?: In<string>;
  /** Send `software_id` in the request (default true). */
  sendSoftwareId?: In<boolean>;
  backchannelTokenDeliveryMode?: In<"poll" | "ping" | "push">;
  backchannelClientNotificationEndpoint?: In<string>;
  backchannelAuthenticationRequestSigningAlg?: In<SigningAlgArg>;
  backchannelUserCodeParameterSupported?: In<boolean>;
  /**
   * Our public keys by reference (RFC 7591 §2). Default for an `rfc7591` `private_key_jwt` client:
   * the SSA's `software_jwks_endpoint`, else the signing key's public JWK as `jwks`.
   */
  jwksUri?: In<string>;
  /** Our public keys by value (must hold the signing key). */
  jwks?: In<JwksArg>;
  /** ofb-br: must equal the SSA's `software_api_webhook_uris` (absent: webhooks off). */
  webhookUris?: In<In<string>[]>;
  /** ID token encryption (cdr-au: only with `code id_token`; RSA-OAEP / RSA-OAEP-256). */
  idTokenEncryptedResponseAlg?: In<string>;
  /** ID token encryption `enc` (cdr-au: A256GCM / A128CBC-HS256). */
  idTokenEncryptedResponseEnc?: In<string>;
  /** JARM signing alg (cdr-au: sent whenever `code` is registered; default the signing key's alg). */
  authorizationSignedResponseAlg?: In<SigningAlgArg>;
  /** JARM encryption alg (cdr-au: RSA-OAEP / RSA-OAEP-256). */
  authorizationEncryptedResponseAlg?: In<string>;
  /** JARM encryption `enc` (cdr-au: A256GCM / A128CBC-HS256). */
  authorizationEncryptedResponseEnc?: In<string>;
  /** Further RFC 7591 metadata, sent as is. @example { client_name: "My TPP" } */
  extra?: In<Record<string, unknown>>;
}

/** A bank's known deviations: every behaviour setting, one name each (docs/bank-profiles.md). */
export interface BankProfileArgs {
  /** A preset to start from. @example "hsbc" */
  preset?: In<string>;
  contentType?: In<"application/jwt" | "application/jose" | "application/json">;
  aud?: In<"org_id" | "issuer" | { literal: In<string> }>;
  iss?: In<"software_id" | "org_id" | { literal: In<string> }>;
  jtiCase?: In<"lower" | "upper">;
  scopeFormat?: In<"string" | "array">;
  grantTypes?: In<In<string>[]>;
  /** Claims added to the request, passed as is. @example { subject_type: "pairwise" } */
  extraClaims?: In<Record<string, unknown>>;
  dnFormat?: In<"hex" | "name" | "oid">;
  management?: In<{
    style?: In<"obie" | "rfc7592">;
    scope?: In<string | null>;
    goneStatuses?: In<In<number>[]>;
    /** `invalid_client` at the token endpoint means deleted (off: it is ambiguous). */
    invalidClientIsGone?: In<boolean>;
    /** The bank may issue a new registration access token on any call, a GET included: a 401 is then ambiguous. */
    ratMayRotate?: In<boolean>;
    /**
     * Origins (`https://host[:port]`) besides the registration endpoint's where this bank's
     * `registration_client_uri` may point (RFC 7592 §2); the registration access token is sent
     * nowhere else. Default none.
     */
    allowedOrigins?: In<In<string>[]>;
  }>;
  supports?: In<{ read?: In<boolean>; update?: In<boolean>; delete?: In<boolean> }>;
  response?: In<{
    timestampUnit?: In<"s" | "ms" | "string">;
    scopeFormat?: In<"string" | "array">;
    createdStatus?: In<201 | 200>;
    dnClaim?: In<"tls_client_auth_subject_dn" | "tls_client_auth_dn">;
  }>;
  /** A second registration of the software is refused: a replacement deletes first. */
  refusesDuplicateRegistration?: In<boolean>;
  /** Codes with which the bank refuses a second registration (explained as a possible duplicate). */
  duplicateErrors?: In<In<string>[]>;
  /** The bank honours a proposed client_id: lost POST answers are reconciled by GET on it. */
  clientIdHint?: In<boolean>;
  /** Lifetime of the registration request JWT, seconds (default 300). */
  requestTtlSeconds?: In<number>;
  /** Skip the discovery capability checks (only for a bank that publishes wrong metadata). */
  skipDiscoveryChecks?: In<boolean>;
}

/** Take over a registration that exists already (GET, no POST). */
export interface AdoptArgs {
  clientId: In<string>;
  /** RFC 7592 management credential of the existing client. Secret. */
  registrationAccessToken?: In<string>;
  registrationClientUri?: In<string>;
  /** For `client_secret_*` auth methods. Secret. */
  clientSecret?: In<string>;
}

/** The arguments of `ObClientRegistration`: one client registration at one bank. */
export interface ObClientRegistrationArgs {
  /** The bank's DCR specification. A change registers anew (replace). */
  profile: In<ProfileNameArg>;
  /** The bank's known deviations: a preset name, or overrides on an optional preset. @example "hsbc" */
  bankProfile?: In<string | BankProfileArgs>;
  /** Where the bank is. A change of `discoveryUrl`, `registrationEndpoint` or `orgId` registers anew. */
  bank: In<BankArgs>;
  /** The directory (SSA source). Optional only for `rfc7591` without a software statement. */
  directory?: In<DirectoryArgs>;
  /** Optional only for `rfc7591` without a software statement. A change registers anew. */
  software?: In<SoftwareArgs>;
  /** Rotating it (a new kid, or a new key) keeps the client_id (docs/rotation.md). */
  signingKey: In<SigningKeyArgs>;
  /** Renewing the certificate keeps the client_id; a new subject DN is PUT where the bank holds it. */
  transport?: In<TransportArgs>;
  /** The metadata to register; a change is a PUT. */
  client?: In<ClientArgs>;
  /** Take over an existing registration at create (ignored afterwards). */
  adopt?: In<AdoptArgs>;
  /** Any change of this value forces a PUT (scheduled rotation of secrets the bank issues). */
  rotationTrigger?: In<string>;
  /** A preview warns when the transport certificate has fewer days left (default 30). */
  expiryWarningDays?: In<number>;
}
