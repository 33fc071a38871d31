/**
 * The directory's SSA assertion endpoint (`GET /organisations/{org_id}/softwarestatements/{id}/assertion`,
 * digest §2.1–2.2, checklist BR 2): MTLS + the Bearer token of that software, `Accept: application/jwt`,
 * answered with the raw JWS of a fresh SSA (PS256, `iat` = now, no `exp`).
 */
import crypto from "node:crypto";
import * as jose from "jose";
import { bearerToken, requireMtls } from "../guards.js";
import { type Reply, type Req, SandboxHttpError, unauthorized } from "../http.js";
import {
  DIRECTORY_REALM,
  type DirectoryContext,
  findSoftware,
  type OfbFound,
  softwareUris,
} from "./directory_context.js";
import { OID, subjectValues } from "./dn.js";

/** Scopes each role allows (digest §2.2; the newer DADOS list). */
export const ROLE_SCOPES: Record<string, string[]> = {
  DADOS: [
    "openid",
    "accounts",
    "credit-cards-accounts",
    "consents",
    "customers",
    "invoice-financings",
    "financings",
    "loans",
    "unarranged-accounts-overdraft",
    "resources",
    "credit-fixed-incomes",
    "exchanges",
  ],
  PAGTO: ["openid", "payments"],
  CONTA: ["openid"],
  CCORR: ["openid"],
};

/** The claims of a software statement, as §2.2 lists them. */
export function ssaClaims(
  ctx: DirectoryContext,
  { org, sw }: OfbFound,
  iat: number,
): Record<string, unknown> {
  const { urls } = ctx;
  const u = softwareUris(sw);
  const orgStatus = ctx.orgStatus.get(org.org_id) ?? org.org_status;
  return {
    iss: ctx.opts.ssa_issuer,
    iat,
    jti: crypto.randomUUID(),
    software_mode: "Live",
    software_environment: "sandbox",
    software_status: "Active",
    software_id: sw.software_id,
    software_client_id: sw.software_client_id,
    software_client_name: sw.software_client_name,
    software_client_description: `${sw.software_client_name} (ob-dcr sandbox)`,
    software_client_uri: u.client_uri,
    software_version: "1.0",
    software_logo_uri: u.logo_uri,
    software_tos_uri: u.tos_uri,
    software_policy_uri: u.policy_uri,
    software_origin_uris: [u.client_uri],
    software_redirect_uris: u.redirect_uris,
    software_api_webhook_uris: u.webhook_uris,
    software_jwks_uri: urls.swJwks(org.org_id, sw.software_id),
    software_jwks_inactive_uri: urls.swJwksInactive(org.org_id, sw.software_id),
    software_jwks_transport_uri: urls.swTransport(org.org_id, sw.software_id),
    software_jwks_transport_inactive_uri: urls.swTransportInactive(org.org_id, sw.software_id),
    software_roles: sw.software_roles,
    software_statement_roles: sw.software_roles.map((role) => ({
      role,
      authorisation_domain: "Open Banking",
      status: sw.roles_status,
    })),
    org_id: org.org_id,
    org_name: org.org_name,
    org_number: org.org_number,
    org_status: orgStatus,
    organisation_competent_authority_claims: sw.software_roles.map((role) => ({
      authority_id: "f5e8e2c8-7f27-4d3b-8c3d-3a0c1b3c0b1a",
      authority_name: "Banco Central do Brasil",
      authority_code: "BCB",
      authorisation_domain: "Open Banking",
      authorisation_role: role,
      registration_id: org.org_number,
      status: "Active",
    })),
  };
}

/** Signs an SSA with the directory key: PS256, `typ: JWT`, the directory `kid`, no `exp`. */
export async function signSsa(ctx: DirectoryContext, claims: Record<string, unknown>): Promise<string> {
  const key = ctx.pki.directorySigning;
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: "PS256", kid: key.kid, typ: "JWT" })
    .sign(key.privateKey);
}

function acceptsJwt(accept: string | undefined): boolean {
  return (accept ?? "")
    .split(",")
    .map((p) => p.split(";")[0]!.trim().toLowerCase())
    .includes("application/jwt");
}

export function ssaHandler(
  ctx: DirectoryContext,
): (req: Req, params: Record<string, string>) => Promise<Reply> {
  return async (req, params) => {
    ctx.stats.ssa_requests++;
    requireMtls(req, DIRECTORY_REALM);
    const presented = bearerToken(req);
    if (presented === undefined)
      throw unauthorized(DIRECTORY_REALM, "invalid_token", "a Bearer access token is required");
    const token = ctx.tokens.get(presented);
    const cert = Buffer.from(req.peerCertDer!);
    if (!token || token.exp <= Math.floor(Date.now() / 1000))
      throw unauthorized(DIRECTORY_REALM, "invalid_token", "the access token is unknown or expired");
    if (!token.certDer.equals(cert))
      throw unauthorized(
        DIRECTORY_REALM,
        "invalid_token",
        "the access token is bound to another certificate",
      );
    // The body is the raw JWS only; a client that does not ask for it gets nothing else (strict).
    if (!acceptsJwt(req.headers.accept))
      throw new SandboxHttpError(
        406,
        "not_acceptable",
        "send Accept: application/jwt (the SSA is a raw JWS)",
      );
    const orgId = decodeURIComponent(params.org_id!);
    const softwareId = decodeURIComponent(params.software_statement_id!);
    const found = findSoftware(ctx.opts.orgs, softwareId);
    if (!found || found.org.org_id !== orgId)
      throw new SandboxHttpError(404, "not_found", "no such software statement for this organisation");
    // Unconfirmed status (BR 2): the path must name the token's software and the certificate's org/UID.
    const values = subjectValues(cert);
    const mismatch =
      token.softwareId !== softwareId ||
      token.orgId !== orgId ||
      values.get(OID.UID) !== softwareId ||
      (values.get(OID.organizationIdentifier) !== `OFBBR-${orgId}` && values.get(OID.OU) !== orgId);
    if (mismatch)
      throw new SandboxHttpError(
        ctx.opts.ssa_mismatch_status,
        ctx.opts.ssa_mismatch_status === 403 ? "access_denied" : "not_found",
        "the path does not name the software statement of this token and certificate",
      );
    const ssa = await signSsa(ctx, ssaClaims(ctx, found, Math.floor(Date.now() / 1000)));
    return { status: 200, raw: { contentType: "application/jwt", body: ssa } };
  };
}
