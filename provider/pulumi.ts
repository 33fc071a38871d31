/** The Pulumi side of ob-dcr: `import { ObClientRegistration } from "ob-dcr/pulumi"`. */
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
export type { RegistrationComputed, RegistrationOutputs, Substitution } from "./resource/provider.js";
export { ObClientRegistration, SECRET_OUTPUTS } from "./resource/registration.js";
