/**
 * ob-dcr's public API (`import … from "ob-dcr"`): register, read, update and delete a client at a
 * bank, check a configuration, and the schemas, profiles and errors that go with them. Named
 * exports only; lower levels are `ob-dcr/core` (pure) and `ob-dcr/http` (request/process pairs).
 * No Pulumi here: `ob-dcr/pulumi` has the resource.
 */

import "./library_guard.js";

export {
  BANK_PRESET_NAMES,
  BANK_PRESETS,
  type BankPresetName,
  BankProfile,
  BankProfileInput,
  describeBankProfile,
  type ResolvedBankProfile,
  resolveBankProfile,
} from "./core/bank_profiles/index.js";
// Errors: one tree with stable codes; `errors` has every class and code.
export * as errors from "./core/errors.js";
export {
  type AnyObDcrError,
  isObDcrError,
  ObDcrError,
  type ObDcrErrorCode,
  type Remedy,
  SignerError,
  type SignerFailure,
} from "./core/errors.js";
// Day 2: what material a registration uses, and what a rotation sends to the bank.
export {
  CertificateIdentity,
  certificateIdentity,
  MaterialIdentity,
  materialIdentity,
  SigningKeyIdentity,
  signingKeyIdentity,
} from "./core/material.js";
export type { RegistrationResult } from "./core/parse/registration_response.js";
export { planRotation, type RotationPlan } from "./core/policy/rotation.js";
// Spec profiles and bank profiles.
export { getProfile, PROFILES, type Profile } from "./core/profiles/index.js";
export { ProfileName, SigningAlg, TokenEndpointAuthMethod } from "./core/schemas/common.js";
// Inputs and state (zod schemas; each type is inferred from its schema).
export {
  AwsKmsKeyParams,
  BankParams,
  ClientParams,
  DirectoryParams,
  Pkcs11KeyParams,
  RegistrationParams,
  type RegistrationParamsInput,
  RegistrationState,
  type RegistrationStateInput,
  SigningKeyParams,
  SoftwareParams,
  TransportParams,
} from "./core/schemas/params.js";
// Signers: the in-process key, a PKCS#11 token or an AWS KMS key (docs/signing.md).
export { type Signer, type SignerBackend, signCompact } from "./core/sign/signer.js";
// The registration lifecycle (DCR POST / GET / PUT / DELETE) and its context.
export { type ContextOptions, createContext, type ObDcrContext } from "./http/context.js";
export { runDoctor } from "./http/doctor.js";
export type { DoctorCheck } from "./http/doctor_lines.js";
export { type LoadedMaterial, type LoadOptions, loadMaterialFiles } from "./http/files.js";
export { closeAgents } from "./http/transport.js";
export type { TlsMaterial, TransportOptions } from "./http/transport_types.js";
export {
  type CreateOptions,
  checkSigningKeyPublished,
  createRegistration,
  deleteRegistration,
  type ManagementOptions,
  parseRegistrationParams,
  type RegistrationOutcome,
  readRegistration,
  updateRegistration,
} from "./lifecycle/registration.js";
export { openSigner, type SignerEnv, type SignerSecrets } from "./signers/index.js";
