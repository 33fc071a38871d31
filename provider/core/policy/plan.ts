/**
 * The registration plan: what the request and the management calls look like for one bank, decided
 * from the parameters, the resolved bank profile and the discovery document. Pure: the HTTP verbs
 * (`lifecycle/registration.ts`) carry these decisions out.
 */
import type { ResolvedBankProfile } from "../bank_profiles/resolve.js";
import { InvalidInputError } from "../errors.js";
import type { RegistrationParams, RegistrationState } from "../schemas/params.js";

/** What the policy below needs to know about one bank and one registration. */
export interface RegistrationPlan {
  params: RegistrationParams;
  bank_profile: ResolvedBankProfile;
  /** The bank's issuer from discovery (for `aud = issuer`). */
  discovery?: { issuer?: string | undefined } | undefined;
  registration_endpoint: string;
  token_endpoint: string | undefined;
}

/** Request `aud` per the bank profile: the bank's org id, its issuer URL, or a literal. */
export function requestAud(p: RegistrationPlan): string | undefined {
  const aud = p.bank_profile.aud;
  if (typeof aud === "object") return aud.literal;
  if (aud === "issuer") {
    const issuer = p.params.bank.issuer ?? p.discovery?.issuer;
    if (!issuer)
      throw new InvalidInputError(
        "bank.issuer",
        `is needed for aud = issuer (from ${p.bank_profile.origins.aud.from}); give it or a discovery_url`,
      );
    return issuer;
  }
  return p.params.bank.org_id;
}

/** Request `iss` per the bank profile (undefined: the software_id). */
export function requestIss(p: RegistrationPlan): string | undefined {
  const iss = p.bank_profile.iss;
  if (typeof iss === "object") return iss.literal;
  if (iss === "org_id") return p.params.software?.org_id;
  return undefined;
}

/** Where GET/PUT/DELETE go: RFC 7592 `registration_client_uri`, else `{registration_endpoint}/{client_id}`. */
export function managementUri(
  p: Pick<RegistrationPlan, "registration_endpoint">,
  client_id: string,
  rcu?: string,
): string {
  if (rcu) return rcu;
  return `${p.registration_endpoint.replace(/\/+$/, "")}/${encodeURIComponent(client_id)}`;
}

/** Why a registration cannot be read by its hinted client_id alone (undefined: it can). */
export function canReadByHint(p: RegistrationPlan): string | undefined {
  if (!p.bank_profile.supports.read) return "the bank does not offer GET /register/{client_id}";
  if (p.bank_profile.management.style === "rfc7592")
    return "the bank manages clients with a registration access token, which only its lost answer carried";
  const method = p.params.client.token_endpoint_auth_method;
  if (method !== "private_key_jwt" && method !== "tls_client_auth")
    return `the client authenticates with ${method}, whose secret only the bank's lost answer carried`;
  if (!p.token_endpoint) return "no bank token endpoint is known (bank.token_endpoint)";
  return undefined;
}

/**
 * How this registration is managed. A bank that issued a registration access token expects it
 * (RFC 7592 §3), so the token decides unless a preset or the user set the style explicitly.
 */
export function managementStyle(p: RegistrationPlan, state: RegistrationState): "obie" | "rfc7592" {
  const explicit = p.bank_profile.origins["management.style"]?.source !== "spec";
  if (!explicit && state.secrets.registration_access_token) return "rfc7592";
  return p.bank_profile.management.style;
}
