/**
 * The directory's SSA API (`GET /api/v2/tpp/{org_id}/ssa/{software_id}`): a software statement,
 * signed by the directory, for the software whose access token asks (and for no other).
 */

import crypto from "node:crypto";
import * as jose from "jose";
import { type DirectoryContext, findOrgSoftware, requireDirectoryToken } from "./directory_context.js";
import { type Reply, type Req, SandboxHttpError } from "./http.js";
import type { OrgConfig, SoftwareConfig } from "./options.js";

export const SSA_ISSUER = "OpenBanking Ltd";

/** An SSA with the claims the OB Directory puts in one, for a sandbox org and software. */
async function signSsa(ctx: DirectoryContext, org: OrgConfig, sw: SoftwareConfig): Promise<string> {
  const { urls, pki } = ctx;
  const registrationId = org.organization_identifier.split("-").pop() ?? org.organization_identifier;
  const claims = {
    iss: SSA_ISSUER,
    iat: ctx.faults.nowSeconds(),
    jti: crypto.randomUUID(),
    software_environment: sw.software_environment,
    software_mode: sw.software_mode,
    software_id: sw.software_id,
    software_client_id: sw.software_client_id ?? sw.software_id,
    software_client_name: sw.software_client_name,
    software_client_description: sw.software_client_description,
    software_version: sw.software_version,
    software_client_uri: new URL(sw.software_redirect_uris[0]!).origin,
    software_redirect_uris: sw.software_redirect_uris,
    software_roles: sw.software_roles,
    organisation_competent_authority_claims: {
      authority_id: "FCAGBR",
      registration_id: registrationId,
      status: "Active",
      authorisations: sw.software_roles.map((role) => ({ member_state: "GB", roles: [role] })),
    },
    software_logo_uri: sw.software_logo_uri,
    org_status: org.org_status,
    org_id: org.org_id,
    org_name: org.org_name,
    org_contacts: [
      { name: "Technical", email: "tech@tpp.example.com", phone: "+440000000000", type: "Technical" },
      { name: "Business", email: "business@tpp.example.com", phone: "+440000000000", type: "Business" },
    ],
    org_jwks_endpoint: urls.orgJwks(org.org_id),
    org_jwks_revoked_endpoint: urls.orgRevoked(org.org_id),
    software_jwks_endpoint: urls.swJwks(org.org_id, sw.software_id),
    software_jwks_revoked_endpoint: urls.swRevoked(org.org_id, sw.software_id),
    software_policy_uri: sw.software_policy_uri,
    software_tos_uri: sw.software_tos_uri,
    software_on_behalf_of_org: null,
  };
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: "PS256", kid: pki.directorySigning.kid, typ: "JWT" })
    .sign(pki.directorySigning.privateKey);
}

export function ssaHandler(
  ctx: DirectoryContext,
): (req: Req, params: Record<string, string>) => Promise<Reply> {
  return async (req, params) => {
    const token = requireDirectoryToken(ctx, req, "TPPReadAccess");
    const orgId = decodeURIComponent(params.org_id!);
    const softwareId = decodeURIComponent(params.software_id!);
    const found = findOrgSoftware(ctx.orgs, orgId, softwareId);
    if (!found)
      throw new SandboxHttpError(404, "not_found", "no such software statement for this organisation");
    if (token.softwareId !== softwareId || token.orgId !== orgId)
      throw new SandboxHttpError(403, "access_denied", "the token does not belong to this software");
    const ssa = await signSsa(ctx, found.org, found.sw);
    return { status: 200, raw: { contentType: "application/jws", body: ssa } };
  };
}
