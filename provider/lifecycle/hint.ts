/**
 * The client_id a create proposes to a bank that honours a hint (`bankProfile.clientIdHint`): stable
 * across runs, so a run that died after the bank committed the POST is found by the next one.
 */
import { createHash } from "node:crypto";
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
 * A new resource derives its hint from its seed (stack and name) and its identity; one that exists
 * derives the next from its last, so a replacement never proposes the id it replaces.
 */
export function nextClientIdHint(olds: Props, news: Props): string | undefined {
  if (typeof olds.clientIdHint === "string") return uuidFrom(`next:${olds.clientIdHint}`);
  if (typeof news.clientIdHintSeed !== "string" || news.clientIdHintSeed.includes(UNKNOWN)) return undefined;
  const identity = IDENTITY_PATHS.map((path) => at(news, path) ?? null);
  if (identity.includes(UNKNOWN)) return undefined;
  return uuidFrom(`${news.clientIdHintSeed}|${stable(identity)}`);
}
