// The http suite's view of the test support: its banks, and the core parameters it registers with
// (the support's mapping, with the spec's grant and response types spelled out).
import type { ProfileName, RegistrationOutcome, RegistrationParamsInput } from "../../provider/index.js";
import { coreParams, type HasManifest, type Json, merge } from "../support/params.js";

export const HTTP_BANKS = ["sandbox-bank", "rat-bank", "json-bank", "secret-bank"];

export function paramsFor(
  sb: HasManifest,
  bank: string,
  profile: ProfileName,
  {
    es256,
    ...over
  }: { client?: Json; bank?: Json; bank_profile?: Json; directory?: Json; es256?: boolean } = {},
): RegistrationParamsInput {
  const client = {
    response_types: ["code id_token"],
    grant_types: ["authorization_code", "client_credentials", "refresh_token"],
  };
  return coreParams(sb, { bank, key: es256 ? "signing_es256" : "signing" }, merge({ profile, client }, over));
}

/** What a state file keeps of a registration: what read, update and delete take. */
export const stateOf = (r: RegistrationOutcome) => ({
  client_id: r.client_id,
  registration_client_uri: r.registration_client_uri,
  secrets: r.secrets,
});
