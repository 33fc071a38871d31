/**
 * The registration profiles, named once: the schema's enum, the Args type, the CLI's help and the
 * docs all read this list. A new regime is a new profile file and a name here.
 */
export const PROFILE_NAMES = [
  "obie-3.1",
  "obie-3.2",
  "obie-3.3",
  "obie-3.4",
  "rfc7591",
  /** Australia's Consumer Data Right (CDR Register, data holders). */
  "cdr-au",
  /** Open Finance Brasil (Directory, authorisation servers). */
  "ofb-br",
] as const;

export type ProfileNameLiteral = (typeof PROFILE_NAMES)[number];
