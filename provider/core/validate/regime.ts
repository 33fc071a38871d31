/**
 * Checks a regime makes of the parameters alone (no SSA needed), so `pulumi preview` and the CLI
 * refuse them before anything is sent: OFB's forbidden `jwks`, webhook URI format, the directory
 * client id; CDR's conditional claims. Each issue names its field. Checks against the SSA (redirect
 * URIs ⊆, `jwks_uri` = the SSA's, webhooks = the SSA's) are in `validateAgainstSsa`.
 */
import { clientResponseTypes, getProfile } from "../profiles/index.js";
import type { Profile } from "../profiles/types.js";
import type { ClientParams, RegistrationParams } from "../schemas/params.js";

export interface RegimeIssue {
  path: (string | number)[];
  message: string;
}

/** OFB webhook URI (regimes-au-br.md §2.3). */
const WEBHOOK = /^https:\/\/[^\s/?#]+(\/[^\s/?#]+)*$/;
const CDR_JWE_ALGS = ["RSA-OAEP", "RSA-OAEP-256"];
const CDR_JWE_ENCS = ["A256GCM", "A128CBC-HS256"];

type Client = Pick<
  ClientParams,
  | "jwks"
  | "extra"
  | "webhook_uris"
  | "redirect_uris"
  | "response_types"
  | "id_token_encrypted_response_alg"
  | "id_token_encrypted_response_enc"
  | "authorization_encrypted_response_alg"
  | "authorization_encrypted_response_enc"
>;

function ofbClientIssues(client: Client): RegimeIssue[] {
  const out: RegimeIssue[] = [];
  if (client.jwks)
    out.push({
      path: ["client", "jwks"],
      message:
        "is refused by ofb-br: the bank takes our keys from jwks_uri, which must be the SSA's software_jwks_uri (leave client.jwks out)",
    });
  for (const k of Object.keys(client.extra ?? {})) {
    if (k === "jwks" || k.startsWith("tls_client_auth_san_"))
      out.push({
        path: ["client", "extra", k],
        message: `is refused by ofb-br (${k === "jwks" ? "keys come from the SSA's software_jwks_uri" : "only tls_client_auth_subject_dn identifies a tls_client_auth client"})`,
      });
  }
  client.webhook_uris?.forEach((u, i) => {
    if (u.length > 255 || !WEBHOOK.test(u))
      out.push({
        path: ["client", "webhook_uris", i],
        message: `"${u}" must be an https URL of at most 255 characters without query or fragment (^https://[^\\s/?#]+(/[^\\s/?#]+)*$)`,
      });
  });
  client.redirect_uris?.forEach((u, i) => {
    if (u.length > 255)
      out.push({ path: ["client", "redirect_uris", i], message: "must be at most 255 characters (ofb-br)" });
  });
  return out;
}

function cdrClientIssues(profile: Profile, client: Client): RegimeIssue[] {
  const out: RegimeIssue[] = [];
  const rts = clientResponseTypes(profile, client);
  const hybrid = rts.some((r) => r.split(" ").includes("id_token"));
  const idAlg = client.id_token_encrypted_response_alg;
  const idEnc = client.id_token_encrypted_response_enc;
  if (hybrid) {
    if (!idAlg)
      out.push({
        path: ["client", "id_token_encrypted_response_alg"],
        message: `is required by cdr-au with response_types "code id_token" (${CDR_JWE_ALGS.join(" or ")})`,
      });
    if (!idEnc)
      out.push({
        path: ["client", "id_token_encrypted_response_enc"],
        message: `is required by cdr-au with response_types "code id_token" (${CDR_JWE_ENCS.join(" or ")})`,
      });
  } else {
    for (const [k, v] of [
      ["id_token_encrypted_response_alg", idAlg],
      ["id_token_encrypted_response_enc", idEnc],
    ] as const)
      if (v !== undefined)
        out.push({
          path: ["client", k],
          message: 'is forbidden by cdr-au without the hybrid flow (response_types "code"): leave it out',
        });
  }
  const jwe = [
    ["id_token_encrypted_response_alg", idAlg, CDR_JWE_ALGS],
    ["id_token_encrypted_response_enc", idEnc, CDR_JWE_ENCS],
    ["authorization_encrypted_response_alg", client.authorization_encrypted_response_alg, CDR_JWE_ALGS],
    ["authorization_encrypted_response_enc", client.authorization_encrypted_response_enc, CDR_JWE_ENCS],
  ] as const;
  for (const [k, v, allowed] of jwe)
    if (v !== undefined && !allowed.includes(v))
      out.push({
        path: ["client", k],
        message: `${v} is not allowed by cdr-au (use ${allowed.join(" or ")})`,
      });
  if (client.authorization_encrypted_response_enc && !client.authorization_encrypted_response_alg)
    out.push({
      path: ["client", "authorization_encrypted_response_alg"],
      message: "is required by cdr-au when authorization_encrypted_response_enc is given",
    });
  return out;
}

/** The regime's checks of the parameters alone; empty for the UK and rfc7591 profiles. */
export function regimeIssues(p: Pick<RegistrationParams, "profile" | "client" | "directory">): RegimeIssue[] {
  const profile = getProfile(p.profile);
  const out: RegimeIssue[] = [];
  if (!profile.webhooks && p.client.webhook_uris !== undefined)
    out.push({
      path: ["client", "webhook_uris"],
      message: `is not part of profile ${profile.name} (Open Finance Brasil only; give it in client.extra to send it as is)`,
    });
  if (profile.ofb_claims) {
    out.push(...ofbClientIssues(p.client));
    const d = p.directory;
    if (d && !d.software_statement && !d.client_id)
      out.push({
        path: ["directory", "client_id"],
        message:
          "is required by ofb-br to get a directory token: the software's client id at the directory (the SSA's software_client_id)",
      });
  }
  if (profile.cdr_claims) out.push(...cdrClientIssues(profile, p.client));
  return out;
}

/**
 * What a regime's 201 lacks for managing the client (OFB: both the registration client URI and the
 * registration access token); empty when nothing is missing. Pure.
 */
export function missingManagementCredentials(
  profile: Pick<Profile, "management_credentials">,
  r: {
    registration_client_uri?: string | undefined;
    secrets: { registration_access_token?: string | undefined };
  },
): string[] {
  if (profile.management_credentials !== "required") return [];
  const out: string[] = [];
  if (!r.registration_client_uri) out.push("registration_client_uri");
  if (!r.secrets.registration_access_token) out.push("registration_access_token");
  return out;
}

/**
 * Whether a 201 must carry the RFC 7592 pair both-or-neither: not where the regime checks for both
 * itself (OFB, `missingManagementCredentials`), nor where it defines neither (CDR). Pure.
 */
export function ratPairEnforced(profile: Pick<Profile, "management_credentials">): boolean {
  return profile.management_credentials === undefined;
}
