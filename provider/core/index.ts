/**
 * `ob-dcr/core`: the pure protocol core: schemas, request builders and signers, validators, spec
 * and bank profiles, errors. No I/O, no Pulumi. Named exports only: what a caller building or
 * checking a registration request needs. Helpers of the lifecycle (scope and timestamp
 * normalisation, the SSA views of the AU/BR regimes, the CDR error advice, rejection-field
 * mapping, regime checks) stay behind the package boundary; docs/migration.md lists what moved.
 */

// Bank profiles: a bank's known deviations, presets, and their resolution.
export {
  BANK_PRESET_NAMES,
  BANK_PRESETS,
  BANK_PROFILE_FIELDS,
  type BankPreset,
  type BankPresetName,
  BankProfile,
  type BankProfileField,
  BankProfileInput,
  BankProfilePatch,
  describeBankProfile,
  isBankPresetName,
  type ResolvedBankProfile,
  resolveBankProfile,
  type SettingOrigin,
  validateProfileAgainstDiscovery,
} from "./bank_profiles/index.js";
// The registration request: claims, then the signed JWT; the directory's client assertion.
export {
  buildRegistrationClaims,
  type RegistrationClaims,
  type RegistrationClaimsInput,
} from "./build/registration_request.js";
// Directories (UK Open Banking Directory, CDR Register, OFB directory): defaults per regime.
export { DIRECTORY_PROFILES, type DirectoryProfile } from "./directory/profiles.js";
export { type ResolvedDirectory, resolveDirectory, ssaUrlFor } from "./directory/resolve.js";
export { escapeDnValue, subjectDnFromCertificate } from "./dn.js";
// Errors: one tree with stable codes (`code`); messages are not API.
export {
  type AnyObDcrError,
  DirectoryRejectedError,
  GoneUnconfirmedError,
  InterruptedError,
  InvalidInputError,
  isObDcrError,
  NotSupportedError,
  OBDCR_GONE_UNCONFIRMED,
  OBDCR_INTERRUPTED,
  OBDCR_INVALID_INPUT,
  OBDCR_NOT_SUPPORTED,
  OBDCR_OUTCOME_UNKNOWN,
  OBDCR_REGISTRATION_GONE,
  OBDCR_REGISTRATION_REJECTED,
  OBDCR_SIGNER,
  OBDCR_SSA_INVALID,
  OBDCR_TIMEOUT,
  OBDCR_TRANSPORT,
  OBDCR_UNEXPECTED_RESPONSE,
  ObDcrError,
  type ObDcrErrorCode,
  type ObDcrErrorOptions,
  OutcomeUnknownError,
  RegistrationGoneError,
  RegistrationRejectedError,
  type Remedy,
  SignedAnswerClaimError,
  SignerError,
  type SignerFailure,
  SsaInvalidError,
  TimeoutError,
  TransportError,
  UnexpectedResponseError,
} from "./errors.js";
export { importSigningKey, type SigningKey } from "./keys.js";
// Key and certificate identities (what a rotation compares).
export {
  CertificateIdentity,
  certificateIdentity,
  jwkThumbprint,
  MaterialIdentity,
  materialIdentity,
  publicJwk,
  SigningKeyIdentity,
  signingKeyIdentity,
} from "./material.js";
export {
  parseRegistrationResponse,
  type RegistrationResult,
  type RegistrationSecrets,
  type Substitution,
} from "./parse/registration_response.js";
// Spec profiles (obie-3.1 … obie-3.4, rfc7591, cdr-au, ofb-br).
export { CIBA_GRANT, type DirectoryKind, getProfile, PROFILES, type Profile } from "./profiles/index.js";
// Schemas (zod; each type is inferred from its schema).
export { Jwk, Jwks, ProfileName, SigningAlg, TokenEndpointAuthMethod } from "./schemas/common.js";
export {
  BankParams,
  ClientParams,
  DEFAULT_DIRECTORY_SCOPES,
  DirectoryParams,
  RegistrationParams,
  type RegistrationParamsInput,
  RegistrationState,
  type RegistrationStateInput,
  SigningKeyParams,
  SoftwareParams,
  TransportParams,
} from "./schemas/params.js";
export { DiscoveryDocument, RawRegistrationResponse, SsaClaims } from "./schemas/responses.js";
export { type ClientAssertionInput, signClientAssertion } from "./sign/client_assertion.js";
export { signRegistrationRequest } from "./sign/registration_jwt.js";
// Signers: every signature goes through one (an in-process key, a PKCS#11 token, AWS KMS).
export { derToJoseEcdsa, type Signer, type SignerBackend, signCompact } from "./sign/signer.js";
// Checks run before anything is sent (each throws InvalidInputError naming the field).
export { validateAuthMaterial, validateRedirectUris, validateSigningKid } from "./validate/client.js";
export { validateClientForProfile } from "./validate/client_profile.js";
export { validateAgainstDiscovery } from "./validate/discovery.js";
export { type SsaExpectations, validateSsaClaims } from "./validate/ssa_claims.js";
export { validateAgainstSsa } from "./validate/ssa_fit.js";
export { validateTransportMaterial } from "./validate/transport_material.js";
