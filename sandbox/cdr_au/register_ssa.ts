/**
 * The Register's Get SSA (`GET /cdr-register/v1/{industry}/data-recipients/brands/{brand_id}/
 * software-products/{software_product_id}/ssa`, x-v 3 or 4): MTLS + a certificate-bound Bearer
 * token of the same product; refusals in the CDS error format (§1.1, §4 AU 4–6).
 */
import crypto from "node:crypto";
import * as jose from "jose";
import { bearerToken } from "../guards.js";
import type { Reply, Req } from "../http.js";
import { CdsError, cdsReply } from "./cds_errors.js";
import { certThumbprint } from "./mtls.js";
import type { BrandConfig, SoftwareProductConfig } from "./options.js";
import {
  findProduct,
  REGISTER_REALM,
  REGISTER_SCOPE,
  type RegisterState,
  type RegisterToken,
  registerUrls,
  SSA_ISSUER,
  SSA_LIFETIME_SECONDS,
} from "./register_state.js";

/** The versions served by default (the options' `ssa_versions`). */
export const SSA_VERSIONS = [3, 4] as const;
const INDUSTRIES_V3 = ["banking", "energy", "telco", "all"];
const POSITIVE_INT = /^[1-9][0-9]{0,8}$/;

/** The x-v to answer with: the highest supported version in [x-min-v, x-v] (CDS versioning rules). */
export function negotiateVersion(
  xv: string | undefined,
  xminv: string | undefined,
  versions: readonly number[] = SSA_VERSIONS,
): number {
  if (xv === undefined || xv.trim() === "")
    throw new CdsError(400, "headerMissing", "x-v header is required");
  if (!POSITIVE_INT.test(xv.trim()))
    throw new CdsError(400, "invalidVersion", "x-v must be a positive integer");
  const max = Number(xv.trim());
  let min = max;
  if (xminv !== undefined) {
    if (!POSITIVE_INT.test(xminv.trim()))
      throw new CdsError(400, "invalidVersion", "x-min-v must be a positive integer");
    // x-min-v equal to or above x-v is treated as absent.
    if (Number(xminv.trim()) < max) min = Number(xminv.trim());
  }
  const chosen = [...versions].sort((a, b) => b - a).find((v) => v >= min && v <= max);
  if (chosen === undefined)
    throw new CdsError(406, "unsupportedVersion", `supported versions: ${versions.join(", ")}`);
  return chosen;
}

const unauthorized = (description: string): Reply => ({
  status: 401,
  headers: {
    "www-authenticate": `Bearer realm="${REGISTER_REALM}", error="invalid_token", error_description="${description}"`,
  },
});

/**
 * The Register's protected APIs (GetSSA, GetDataHolderBrands): a client certificate, a live
 * `cdr-register:read` token bound to it. The token, or the 401 to answer.
 */
export function registerToken(s: RegisterState, req: Req): { token: RegisterToken } | { refused: Reply } {
  if (!req.peerCertDer || !req.peerAuthorized)
    return { refused: unauthorized("a client certificate is required") };
  const presented = bearerToken(req);
  const token = presented === undefined ? undefined : s.tokens.get(presented);
  if (!token || token.exp <= Math.floor(Date.now() / 1000))
    return { refused: unauthorized("the access token is missing, unknown or expired") };
  if (token.certThumbprint !== certThumbprint(req.peerCertDer))
    return { refused: unauthorized("the access token is bound to another client certificate") };
  if (!token.scope.includes(REGISTER_SCOPE))
    return { refused: unauthorized(`the access token lacks ${REGISTER_SCOPE}`) };
  return { token };
}

/** An SSA with every claim §1.2 lists, signed PS256 by the Register. */
export async function signSsa(
  s: RegisterState,
  brand: BrandConfig,
  product: SoftwareProductConfig,
): Promise<string> {
  const urls = registerUrls(s);
  const iat = Math.floor(Date.now() / 1000);
  const id = product.software_product_id;
  const claims: Record<string, unknown> = {
    iss: SSA_ISSUER,
    iat,
    exp: iat + SSA_LIFETIME_SECONDS,
    jti: crypto.randomUUID(),
    legal_entity_id: brand.legal_entity_id,
    legal_entity_name: brand.legal_entity_name,
    org_id: brand.brand_id,
    org_name: brand.org_name,
    client_name: product.client_name,
    client_description: product.client_description,
    client_uri: product.client_uri,
    redirect_uris: product.redirect_uris,
    logo_uri: product.logo_uri,
    tos_uri: product.tos_uri,
    policy_uri: product.policy_uri,
    jwks_uri: urls.productJwks(id),
    revocation_uri: urls.productRevocation(id),
    recipient_base_uri: urls.productBase(id),
    software_id: id,
    software_roles: "data-recipient-software-product",
    scope: product.scope,
  };
  if (product.sector_identifier_uri) claims.sector_identifier_uri = product.sector_identifier_uri;
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: "PS256", kid: s.pki.ssaSigning.kid, typ: "JWT" })
    .sign(s.pki.ssaSigning.privateKey);
}

export function ssaHandler(s: RegisterState): (req: Req, params: Record<string, string>) => Promise<Reply> {
  return async (req, params) => {
    const auth = registerToken(s, req);
    if ("refused" in auth) return auth.refused;
    const { token } = auth;
    try {
      const header = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const version = negotiateVersion(header("x-v"), header("x-min-v"), s.ssaVersions);
      const industry = decodeURIComponent(params.industry!);
      if (version >= 4 ? industry !== "all" : !INDUSTRIES_V3.includes(industry))
        throw new CdsError(400, "invalidField", `industry ${industry} is not valid for x-v ${version}`);
      const productId = decodeURIComponent(params.software_product_id!);
      const found = findProduct(s.brands, productId);
      if (!found || token.productId !== productId)
        throw new CdsError(
          404,
          "invalidSoftwareProduct",
          "the software product is unknown or not the token's client",
        );
      if (found.brand.brand_id !== decodeURIComponent(params.brand_id!))
        throw new CdsError(403, "invalidBrand", "the software product does not belong to this brand");
      if (s.status.get(productId) !== "ACTIVE")
        throw new CdsError(403, "adrStatusNotActive", "the software product is not active");
      const ssa = await signSsa(s, found.brand, found.product);
      return {
        status: 200,
        headers: { "x-v": String(version) },
        raw: { contentType: "application/jwt", body: ssa },
      };
    } catch (err) {
      if (err instanceof CdsError) return cdsReply(err);
      throw err;
    }
  };
}
