// Bring a registration that already exists at a bank under Pulumi, without registering again.
// `pulumi import` cannot work for dynamic resources (the engine reads them with no provider
// code), so ObClientRegistration takes an `adopt` input instead: on create it GETs the client
// with the credentials given and takes it over; no POST is sent. Later runs manage it as usual
// (PUT on metadata changes, DELETE on destroy); changing or removing `adopt` afterwards is no-op.
//
//   pulumi config set ob-dcr:adoptClientId 5f0c…               # the existing client_id
//   pulumi config set --secret ob-dcr:adoptRegistrationAccessToken < rat.txt   # RFC 7592 banks only (stdin: never on a command line)
//
// For a client the `ob-dcr` CLI made, both are in its state file (`export STATE=ob-dcr-state/<bank>_<client_id>.json`):
//
//   pulumi config set ob-dcr:adoptClientId "$(node -p 'require(require("path").resolve(process.env.STATE)).client_id')"
//   node -p 'require(require("path").resolve(process.env.STATE)).secrets.registration_access_token' |
//     pulumi config set --secret ob-dcr:adoptRegistrationAccessToken
//
// The token must be set with --secret even though it is read with getSecret: the engine records the
// stack config in the dynamic provider's state as given, so ObClientRegistration refuses it in
// plain text (OBDCR_INVALID_INPUT naming the key) before anything is adopted.
//
// Declare the metadata the registration should have: if it differs from what the bank holds,
// the first `pulumi up` after adoption shows a diff and a PUT puts the declared values in place.
// In your own project, import from "ob-dcr/pulumi".
import * as pulumi from "@pulumi/pulumi";
import { ObClientRegistration, type ObClientRegistrationArgs } from "../../provider/pulumi.js";

export function adopt(name: string, base: ObClientRegistrationArgs) {
  const config = new pulumi.Config("ob-dcr");
  const rat = config.getSecret("adoptRegistrationAccessToken");
  const reg = new ObClientRegistration(name, {
    ...base,
    adopt: {
      clientId: config.require("adoptClientId"),
      ...(rat ? { registrationAccessToken: rat } : {}),
    },
  });
  return { clientId: reg.clientId, registeredMetadata: reg.registeredMetadata };
}
