/** Options of the AU CDR emulator (CDR Register + data holders): one zod schema, types inferred. */
import { z } from "zod";

const Uuid = z.uuid();

export const ProductStatus = z.enum(["ACTIVE", "INACTIVE", "REMOVED"]);
export type ProductStatus = z.infer<typeof ProductStatus>;

/** A data recipient software product as the Register knows it (its SSA is built from this). */
export const SoftwareProductConfig = z.strictObject({
  software_product_id: Uuid,
  status: ProductStatus.default("ACTIVE"),
  client_name: z.string().min(1).default("Sandbox ADR App"),
  client_description: z.string().min(1).default("A sandbox accredited data recipient application"),
  client_uri: z.url().default("https://adr.example.com"),
  logo_uri: z.url().default("https://adr.example.com/logo.png"),
  tos_uri: z.url().default("https://adr.example.com/tos"),
  policy_uri: z.url().default("https://adr.example.com/policy"),
  redirect_uris: z
    .array(z.url())
    .min(1)
    .default(["https://adr.example.com/callback", "https://adr.example.com/callback2"]),
  /** Space-separated; holders drop the scopes they do not support (energy:* by default). */
  scope: z
    .string()
    .default(
      "openid profile bank:accounts.basic:read bank:transactions:read common:customer.basic:read energy:accounts.basic:read cdr:registration",
    ),
  /** Optional SSA claim; a holder fetches it at registration (unreachable ⇒ invalid_client_metadata). */
  sector_identifier_uri: z.url().optional(),
});
export type SoftwareProductConfig = z.infer<typeof SoftwareProductConfig>;

/** An ADR brand (SSA `org_id`) with its legal entity and software products. */
export const BrandConfig = z.strictObject({
  brand_id: Uuid,
  legal_entity_id: Uuid,
  legal_entity_name: z.string().min(1).default("Sandbox ADR Pty Ltd"),
  org_name: z.string().min(1).default("Sandbox ADR Brand"),
  software_products: z.array(SoftwareProductConfig).min(1),
});
export type BrandConfig = z.infer<typeof BrandConfig>;

export const HolderConfig = z.strictObject({
  /** URL-safe name, unique. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/),
  port: z.number().int().min(0).max(65535).default(0),
  /** DELETE /register/{id}: 204 (true) or 405 (false; DELETE is optional in CDR). */
  delete_supported: z.boolean().default(true),
  /**
   * Code for a second active registration of one software_id. Unconfirmed: the spec example uses
   * invalid_software_statement, the Register text and the mock invalid_client_metadata.
   */
  duplicate_error: z
    .enum(["invalid_client_metadata", "invalid_software_statement"])
    .default("invalid_client_metadata"),
  /** The mock DH refuses grant_types without authorization_code (not a spec rule). */
  require_authorization_code_grant: z.boolean().default(false),
  /** 415 for a body that is not application/jwt. Unconfirmed as a spec rule (mock framework behaviour). */
  content_type_strict: z.boolean().default(true),
  /**
   * Code for a registration (POST/PUT) of an INACTIVE or REMOVED product. Unconfirmed: the spec defines
   * no code for a status check at registration time.
   */
  inactive_product_error: z
    .enum(["unapproved_software_statement", "invalid_software_statement"])
    .default("unapproved_software_statement"),
  /** Scopes the holder supports; SSA scopes outside this set are dropped silently from the registration. */
  scopes_supported: z
    .array(z.string())
    .default([
      "openid",
      "profile",
      "bank:accounts.basic:read",
      "bank:accounts.detail:read",
      "bank:transactions:read",
      "bank:payees:read",
      "bank:regular_payments:read",
      "common:customer.basic:read",
      "common:customer.detail:read",
      "cdr:registration",
    ]),
});
export type HolderConfig = z.infer<typeof HolderConfig>;
export type HolderConfigInput = z.input<typeof HolderConfig>;

export const DEFAULT_BRAND_ID = "8c6f2c4e-2b1a-4d3e-9f5a-1b2c3d4e5f60";
export const DEFAULT_LEGAL_ENTITY_ID = "3b9d1e7a-6c4f-4a2b-8e1d-7f6a5b4c3d21";
export const DEFAULT_PRODUCT_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
export const DEFAULT_PRODUCT_ID_2 = "f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f";

export const CdrAuSandboxOptions = z.strictObject({
  /** PKI (reused when present), registrations and manifest.json. */
  dataDir: z.string().min(1),
  host: z.string().default("127.0.0.1"),
  ports: z
    .strictObject({
      register: z.number().int().min(0).max(65535).default(0),
      admin: z.number().int().min(0).max(65535).default(0),
    })
    .default({ register: 0, admin: 0 }),
  holders: z
    .array(HolderConfig)
    .min(1)
    .default(() => [
      HolderConfig.parse({ name: "cdr-holder-a" }),
      HolderConfig.parse({ name: "cdr-holder-b" }),
    ]),
  brands: z
    .array(BrandConfig)
    .min(1)
    .default(() => [
      BrandConfig.parse({
        brand_id: DEFAULT_BRAND_ID,
        legal_entity_id: DEFAULT_LEGAL_ENTITY_ID,
        software_products: [
          { software_product_id: DEFAULT_PRODUCT_ID },
          {
            software_product_id: DEFAULT_PRODUCT_ID_2,
            client_name: "Sandbox ADR App 2",
            redirect_uris: ["https://adr2.example.com/callback"],
          },
        ],
      }),
    ]),
  /**
   * GetSSA versions the Register serves (x-v negotiation): the standards' current is 4 (3 is
   * deprecated); the ConsumerDataRight mock register serves 3 only.
   */
  ssa_versions: z.array(z.number().int().positive()).min(1).default([3, 4]),
  /** One line per request on stderr (never bodies, keys or tokens). */
  /**
   * GetDataHolderBrands (directories.md §2.7): which holders are listed at start (default all; the
   * admin adds the others), the spec's pitfall brands, and `size` synthetic active brands for scale.
   */
  listing: z
    .strictObject({
      holders: z.array(z.string()).optional(),
      fixtures: z.boolean().default(true),
      size: z.number().int().min(0).max(5000).default(0),
    })
    .default({ fixtures: true, size: 0 }),
  log: z.boolean().default(false),
});
export type CdrAuSandboxOptions = z.infer<typeof CdrAuSandboxOptions>;
export type CdrAuSandboxOptionsInput = z.input<typeof CdrAuSandboxOptions>;

/** Names unique: holders by name, brands and products by id. */
export function checkUnique(opts: CdrAuSandboxOptions): void {
  const seen = new Set<string>();
  const once = (kind: string, v: string) => {
    if (seen.has(`${kind}:${v}`)) throw new TypeError(`duplicate ${kind} ${v}`);
    seen.add(`${kind}:${v}`);
  };
  for (const h of opts.holders) once("holder", h.name);
  for (const b of opts.brands) {
    once("brand", b.brand_id);
    for (const p of b.software_products) once("software product", p.software_product_id);
  }
}
