/** The Pulumi side of ob-dcr: `import { ObClientRegistration } from "ob-dcr/pulumi"`. */
// First: on a Node too old for undici, stop with the fix.
import "./resource/runtime_guard.js";

export type {
  AdoptArgs,
  BankArgs,
  BankProfileArgs,
  ClientArgs,
  DirectoryArgs,
  ObClientRegistrationArgs,
  SigningKeyArgs,
  SoftwareArgs,
  TransportArgs,
} from "./resource/args_doc.js";
export {
  type BankFilterArgs,
  type BankPolicyArgs,
  type BanksList,
  type GetBanksArgs,
  getBanks,
  ObBankRegistrations,
  type ObBankRegistrationsArgs,
  type RegisterBanksArgs,
  registerBanks,
} from "./resource/banks.js";
export type { RegistrationComputed, RegistrationOutputs, Substitution } from "./resource/provider.js";
export { ObClientRegistration, SECRET_OUTPUTS } from "./resource/registration.js";
