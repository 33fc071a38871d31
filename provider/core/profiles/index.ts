import type { ProfileName } from "../schemas/common.js";
import { cdrAu } from "./cdr_au.js";
import { obie31 } from "./obie_3_1.js";
import { obie32 } from "./obie_3_2.js";
import { obie33 } from "./obie_3_3.js";
import { obie34 } from "./obie_3_4.js";
import { ofbBr } from "./ofb_br.js";
import { rfc7591 } from "./rfc7591.js";
import type { Profile } from "./types.js";

export { CIBA_GRANT } from "./obie_common.js";
export type { DirectoryKind, Profile } from "./types.js";

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  "obie-3.1": obie31,
  "obie-3.2": obie32,
  "obie-3.3": obie33,
  "obie-3.4": obie34,
  rfc7591,
  "cdr-au": cdrAu,
  "ofb-br": ofbBr,
};

export function getProfile(name: ProfileName): Profile {
  return PROFILES[name];
}

/** `client.scope` as sent: the given one, else the profile's default (`[]`: no scope claim). */
export function clientScope(profile: Profile, client: { scope?: string[] | undefined }): string[] {
  return client.scope ?? [...profile.default_scope];
}

/** `client.response_types` as sent: the given ones, else the profile's default. */
export function clientResponseTypes(
  profile: Profile,
  client: { response_types?: string[] | undefined },
): string[] {
  return client.response_types ?? [...profile.default_response_types];
}
