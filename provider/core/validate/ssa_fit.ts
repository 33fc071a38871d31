/**
 * The client against its SSA, before anything is sent: redirect URIs within the SSA's list, and
 * (OFB) `jwks_uri` equal to the SSA's `software_jwks_uri` and `webhook_uris` equal to its
 * `software_api_webhook_uris`. Each failure names the field to fix.
 */
import { DIRECTORY_PROFILES } from "../directory/profiles.js";
import type { SsaView } from "../directory/ssa_view.js";
import { InvalidInputError } from "../errors.js";
import type { Profile } from "../profiles/types.js";
import type { ClientParams } from "../schemas/params.js";
import { validateRedirectUris } from "./client.js";

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x) => b.includes(x)) && b.every((x) => a.includes(x));

/**
 * The client metadata against what the SSA allows (redirect URIs, webhook URIs).
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT`: a value outside the SSA's (`field` names it).
 */
export function validateAgainstSsa(
  profile: Profile,
  client: Pick<ClientParams, "redirect_uris" | "jwks_uri" | "webhook_uris">,
  view: SsaView | undefined,
): void {
  const claim = DIRECTORY_PROFILES[profile.directory].redirect_uris_claim;
  validateRedirectUris(profile, client.redirect_uris, view?.redirect_uris, claim);
  if (!view) return;
  if (profile.client_keys === "ssa_uri" && client.jwks_uri !== undefined && client.jwks_uri !== view.jwks_uri)
    throw new InvalidInputError(
      "client.jwks_uri",
      `"${client.jwks_uri}" must equal the SSA's software_jwks_uri "${view.jwks_uri ?? "(none)"}" (${profile.name}); leave it out to send the SSA's`,
    );
  if (profile.webhooks && client.webhook_uris !== undefined) {
    const ssa = view.webhook_uris ?? [];
    if (!sameSet(client.webhook_uris, ssa)) {
      const missing = ssa.filter((u) => !client.webhook_uris?.includes(u));
      const extra = client.webhook_uris.filter((u) => !ssa.includes(u));
      throw new InvalidInputError(
        "client.webhook_uris",
        `must equal the SSA's software_api_webhook_uris exactly (${profile.name}; the bank refuses anything else with invalid_webhook_uris):${
          extra.length ? ` not in the SSA: ${extra.join(", ")};` : ""
        }${missing.length ? ` missing: ${missing.join(", ")};` : ""} leave it out to register without webhooks`,
      );
    }
  }
}

/**
 * The client as sent: OFB `webhook_uris`, once checked equal to the SSA's as a set, in the SSA's own
 * order (an AS that compares the lists exactly must not see a reordering as a mismatch). Pure.
 */
export function fitToSsa<C extends Pick<ClientParams, "webhook_uris">>(
  profile: Pick<Profile, "webhooks">,
  client: C,
  view: Pick<SsaView, "webhook_uris"> | undefined,
): C {
  if (!profile.webhooks || client.webhook_uris === undefined || !view?.webhook_uris) return client;
  if (!sameSet(client.webhook_uris, view.webhook_uris)) return client;
  return { ...client, webhook_uris: [...view.webhook_uris] };
}
