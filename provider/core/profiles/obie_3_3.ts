import { obie32 } from "./obie_3_2.js";
import { CIBA_GRANT, OBIE_GRANTS } from "./obie_common.js";
import type { Profile } from "./types.js";

/** UK OBIE DCR 3.3: 3.2 plus the CIBA grant and `backchannel_*` claims. */
export const obie33: Profile = {
  ...obie32,
  name: "obie-3.3",
  ciba: true,
  grant_types: [...OBIE_GRANTS, CIBA_GRANT],
};
