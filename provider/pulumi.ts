/** The Pulumi side of ob-dcr: `import { ObClientRegistration } from "ob-dcr/pulumi"`. */
export type { Camelize, RegistrationInputs } from "./resource/args.js";
export type { RegistrationComputed, RegistrationOutputs, Substitution } from "./resource/provider.js";
export {
  type DeepInput,
  ObClientRegistration,
  type ObClientRegistrationArgs,
  SECRET_OUTPUTS,
} from "./resource/registration.js";
