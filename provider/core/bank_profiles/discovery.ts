/**
 * The last resolution step: what the bank's discovery document says it supports. A conflict is an
 * `InvalidInputError` naming the field and both sides, raised before anything is sent.
 */
import { InvalidInputError } from "../errors.js";
import type { ClientParams } from "../schemas/params.js";
import type { DiscoveryDocument } from "../schemas/responses.js";
import { validateAgainstDiscovery } from "../validate/discovery.js";
import type { ResolvedBankProfile } from "./resolve.js";

/**
 * Check the resolved profile and the client (with the profile's grant types) against discovery.
 * `discovery_url` is only used in messages.
 */
export function validateProfileAgainstDiscovery(
  r: ResolvedBankProfile,
  d: DiscoveryDocument,
  client: ClientParams,
  signingAlg: string,
  discovery_url = "the discovery document",
): void {
  const side = (what: string) => `the bank's ${what} (${discovery_url})`;
  const grants = d.grant_types_supported;
  if (grants) {
    for (const g of r.grant_types)
      if (!grants.includes(g)) {
        const o = r.origins.grant_types;
        throw new InvalidInputError(
          o.source === "override" ? o.from : "bank_profile.grant_types",
          `${g} (from ${o.from}) is not in ${side("grant_types_supported")}: ${grants.join(", ")}`,
        );
      }
  }
  const scopes = d.scopes_supported;
  if (scopes && r.management.style === "obie" && r.management.scope) {
    const o = r.origins["management.scope"];
    for (const s of r.management.scope.split(" ").filter(Boolean))
      if (!scopes.includes(s))
        throw new InvalidInputError(
          o.source === "override" ? o.from : "bank_profile.management.scope",
          `${s} (from ${o.from}) is not in ${side("scopes_supported")}: ${scopes.join(", ")}`,
        );
  }
  if (r.aud === "issuer" && !d.issuer)
    throw new InvalidInputError(
      r.origins.aud.source === "override" ? r.origins.aud.from : "bank_profile.aud",
      `aud = issuer (from ${r.origins.aud.from}) but ${side("discovery document")} has no issuer`,
    );
  try {
    validateAgainstDiscovery(d, { ...client, grant_types: r.grant_types }, signingAlg);
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    throw new InvalidInputError(
      e.field,
      `${e.message.replace(/^[^:]+: /, "")} (the value is from the parameters ${e.field}; the list is ${side("metadata")})`,
      { cause: e },
    );
  }
}
