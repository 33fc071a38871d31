/**
 * The client_id a create proposes to a bank that honours a hint (`bankProfile.clientIdHint`): stable
 * across runs, so a run that died after the bank committed the POST is found by the next one.
 */
import { createHash } from "node:crypto";
import { diffRegistration } from "./diff.js";
import { IDENTITY_PATHS } from "./fields.js";
import { at, type Props, stable, UNKNOWN } from "./props.js";

/** A name-based (v5-style) UUID from SHA-1, the shape UK banks accept for a client_id (Str(36)). */
export function uuidFrom(seed: string): string {
  const h = createHash("sha1").update(`ob-dcr client_id hint\n${seed}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * A new resource derives its hint from its seed (stack and name) and its identity. One that exists
 * keeps its hint while it is updated (a hint that changed on its own would read as drift), and a
 * replacement derives the next from it, so it never proposes the id it replaces; either way the
 * same inputs give the same hint, so a run after a lost POST answer proposes (and finds) the same.
 * `olds` are the recorded inputs, `news` the checked ones (with the bank's capabilities).
 */
export function nextClientIdHint(olds: Props, news: Props): string | undefined {
  if (typeof olds.clientIdHint === "string")
    return diffRegistration(olds, news).replaces.length === 0
      ? olds.clientIdHint
      : uuidFrom(`next:${olds.clientIdHint}`);
  if (typeof news.clientIdHintSeed !== "string" || news.clientIdHintSeed.includes(UNKNOWN)) return undefined;
  const identity = IDENTITY_PATHS.map((path) => at(news, path) ?? null);
  if (identity.includes(UNKNOWN)) return undefined;
  return uuidFrom(`${news.clientIdHintSeed}|${stable(identity)}`);
}
