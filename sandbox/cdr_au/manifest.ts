/**
 * The AU CDR emulator's manifest (`<dataDir>/manifest.json`): everything a client or test needs to
 * talk to the Register and the data holders. Every `*_file` is an absolute path.
 */
import { z } from "zod";

const KeyRef = <A extends "PS256" | "ES256">(alg: A) =>
  z.object({
    kid: z.string(),
    alg: z.literal(alg),
    /** PKCS#8 PEM private key. */
    private_key_file: z.string(),
    /** Public JWK (kid, alg, use "sig"), as published at the product's jwks_uri. */
    public_jwk: z.record(z.string(), z.unknown()),
  });

export const CdrAuManifestProduct = z.object({
  software_product_id: z.string(),
  /** The status configured at start (the admin API can change it later). */
  status: z.enum(["ACTIVE", "INACTIVE", "REMOVED"]),
  redirect_uris: z.array(z.string()),
  jwks_uri: z.string(),
  revocation_uri: z.string(),
  recipient_base_uri: z.string(),
  scope: z.string(),
  signing: KeyRef("PS256"),
  signing_es256: KeyRef("ES256"),
  /** Client certificate (CN = software_product_id) from the sandbox CA, for every mTLS call. */
  transport: z.object({ cert_file: z.string(), key_file: z.string() }),
});
export type CdrAuManifestProduct = z.infer<typeof CdrAuManifestProduct>;

export const CdrAuManifestHolder = z.object({
  name: z.string(),
  issuer: z.string(),
  discovery_url: z.string(),
  registration_endpoint: z.string(),
  token_endpoint: z.string(),
  delete_supported: z.boolean(),
});
export type CdrAuManifestHolder = z.infer<typeof CdrAuManifestHolder>;

export const CdrAuManifest = z.object({
  regime: z.literal("cdr-au"),
  ca_cert_file: z.string(),
  register: z.object({
    issuer: z.string(),
    discovery_url: z.string(),
    token_endpoint: z.string(),
    /** Keys that verify SSAs (not the idp's jwks_uri, which verifies Register access tokens). */
    jwks_uri: z.string(),
    ssa_endpoint_template: z.string(),
    /** GetDataHolderBrands, industry `all` (directories.md §2). */
    brands_url: z.string().optional(),
    ssa_versions: z.array(z.number().int()),
  }),
  brands: z.array(
    z.object({
      brand_id: z.string(),
      legal_entity_id: z.string(),
      org_name: z.string(),
      software_products: z.array(CdrAuManifestProduct),
    }),
  ),
  holders: z.array(CdrAuManifestHolder),
});
export type CdrAuManifest = z.infer<typeof CdrAuManifest>;

/** The Get SSA URL of a product (industry `all`, the only value of x-v 4). */
export function cdrSsaUrl(
  manifest: CdrAuManifest,
  brandId: string,
  softwareProductId: string,
  industry = "all",
): string {
  return manifest.register.ssa_endpoint_template
    .replace("{brand_id}", encodeURIComponent(brandId))
    .replace("{software_product_id}", encodeURIComponent(softwareProductId))
    .replace("/all/", `/${encodeURIComponent(industry)}/`);
}
