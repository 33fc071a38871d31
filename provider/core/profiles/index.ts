import type { ProfileName } from "../schemas/common.js";
import { obie31 } from "./obie_3_1.js";
import { obie32 } from "./obie_3_2.js";
import { obie33 } from "./obie_3_3.js";
import { obie34 } from "./obie_3_4.js";
import { rfc7591 } from "./rfc7591.js";
import type { Profile } from "./types.js";

export { CIBA_GRANT } from "./obie_common.js";
export type { Profile } from "./types.js";

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  "obie-3.1": obie31,
  "obie-3.2": obie32,
  "obie-3.3": obie33,
  "obie-3.4": obie34,
  rfc7591,
};

export function getProfile(name: ProfileName): Profile {
  return PROFILES[name];
}
