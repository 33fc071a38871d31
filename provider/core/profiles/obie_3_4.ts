import { obie33 } from "./obie_3_3.js";
import type { Profile } from "./types.js";

/** UK OBIE DCR 3.4: 3.3 with `application_type` `native` instead of `mobile`. */
export const obie34: Profile = {
  ...obie33,
  name: "obie-3.4",
  application_types: ["web", "native"],
};
