/** The CDR Register stand-in's state and addresses, shared by its route modules (register_*.ts). */
import type * as jose from "jose";
import type { JtiCache } from "../jwt.js";
import type { BrandConfig, ProductStatus, SoftwareProductConfig } from "./options.js";
import type { CdrPki } from "./pki.js";

/** The only scope the Register's token endpoint grants. */
export const REGISTER_SCOPE = "cdr-register:read";
/** The mock Register's token lifetime (the spec says 7200). */
export const REGISTER_TOKEN_SECONDS = 300;
/** `iss` of every SSA. */
export const SSA_ISSUER = "cdr-register";
/** Mock `SSA:ExpiryInSeconds`. */
export const SSA_LIFETIME_SECONDS = 600;
export const REGISTER_REALM = "cdr-register";

/** An access token of the Register: bound to the product and to the client certificate it was issued to. */
export interface RegisterToken {
  productId: string;
  scope: string[];
  exp: number;
  certThumbprint: string;
}

export interface RegisterState {
  readonly brands: BrandConfig[];
  readonly pki: CdrPki;
  /** Current product status (the admin API changes it). */
  readonly status: Map<string, ProductStatus>;
  readonly tokens: Map<string, RegisterToken>;
  /** Replay cache of client assertions. */
  readonly jtis: JtiCache;
  /** GetSSA versions served. */
  readonly ssaVersions: readonly number[];
  /** Set once the server listens. */
  origin: string;
}

export const registerUrls = (s: Pick<RegisterState, "origin">) => ({
  issuer: `${s.origin}/idp`,
  discovery: `${s.origin}/idp/.well-known/openid-configuration`,
  idpJwks: `${s.origin}/idp/.well-known/openid-configuration/jwks`,
  token: `${s.origin}/idp/connect/token`,
  ssaJwks: `${s.origin}/cdr-register/v1/jwks`,
  ssaTemplate: `${s.origin}/cdr-register/v1/all/data-recipients/brands/{brand_id}/software-products/{software_product_id}/ssa`,
  /** The ADR's own endpoints; the emulator serves only jwks_uri (holders fetch it). */
  productJwks: (id: string) => `${s.origin}/adr/${id}/jwks`,
  productRevocation: (id: string) => `${s.origin}/adr/${id}/revoke`,
  productBase: (id: string) => `${s.origin}/adr/${id}`,
});

export function findProduct(
  brands: BrandConfig[],
  productId: string,
): { brand: BrandConfig; product: SoftwareProductConfig } | undefined {
  for (const brand of brands) {
    const product = brand.software_products.find((p) => p.software_product_id === productId);
    if (product) return { brand, product };
  }
  return undefined;
}

/** The keys a product signs with (published at its jwks_uri). */
export function productJwks(pki: CdrPki, productId: string): jose.JSONWebKeySet | undefined {
  const p = pki.products.get(productId);
  return p ? { keys: [p.signing.public_jwk, p.signing_es256.public_jwk] } : undefined;
}
