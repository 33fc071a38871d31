/**
 * The BR emulator's manifest (see sandbox/README.md, BR section): what a client needs to
 * talk to it, written to `<dataDir>/manifest.json`. Every `*_file` is an absolute path. `untrusted`
 * is an addition (a client certificate from a CA no server trusts, for negative tests).
 */
import { z } from "zod";

export const OfbBrSigningRef = z.object({
  kid: z.string(),
  alg: z.literal("PS256"),
  /** PKCS#8 PEM. */
  private_key_file: z.string(),
  public_jwk: z.record(z.string(), z.unknown()),
});

export const OfbBrManifestSoftware = z.object({
  software_id: z.string(),
  software_client_id: z.string(),
  software_redirect_uris: z.array(z.string()),
  software_api_webhook_uris: z.array(z.string()),
  software_jwks_uri: z.string(),
  software_jwks_transport_uri: z.string(),
  software_roles: z.array(z.string()),
  signing: OfbBrSigningRef,
  transport: z.object({
    cert_file: z.string(),
    key_file: z.string(),
    /** §2.5 DN string of this certificate (reverse certificate order, OFB OIDs as `#<DER hex>`). */
    subject_dn: z.string(),
  }),
});
export type OfbBrManifestSoftware = z.infer<typeof OfbBrManifestSoftware>;

export const OfbBrManifestOrg = z.object({
  org_id: z.string(),
  org_name: z.string(),
  org_number: z.string(),
  softwares: z.array(OfbBrManifestSoftware),
});
export type OfbBrManifestOrg = z.infer<typeof OfbBrManifestOrg>;

export const OfbBrManifestServer = z.object({
  name: z.string(),
  issuer: z.string(),
  discovery_url: z.string(),
  /** The endpoint to POST to: the discovery document's `mtls_endpoint_aliases.registration_endpoint`. */
  registration_endpoint: z.string(),
  rat_rotation: z.enum(["none", "on-put", "every-call"]),
  rcu_style: z.enum(["path", "query"]),
});
export type OfbBrManifestServer = z.infer<typeof OfbBrManifestServer>;

export const OfbBrManifest = z.object({
  regime: z.literal("ofb-br"),
  /** Trust this CA for every server below; it also issued every transport certificate. */
  ca_cert_file: z.string(),
  directory: z.object({
    issuer: z.string(),
    discovery_url: z.string(),
    /** MTLS, tls_client_auth, scope directory:software. */
    token_endpoint: z.string(),
    /** `<origin>/organisations/{org_id}/softwarestatements/{software_statement_id}/assertion` */
    ssa_endpoint_template: z.string(),
    /** Keys that verify SSAs. */
    jwks_uri: z.string(),
    /** The SSA `iss` the directory writes. */
    ssa_issuer: z.string(),
    /** The public participants list (directories.md §1). */
    participants_url: z.string().optional(),
  }),
  orgs: z.array(OfbBrManifestOrg),
  servers: z.array(OfbBrManifestServer),
  untrusted: z
    .object({ ca_cert_file: z.string(), client_cert_file: z.string(), client_key_file: z.string() })
    .optional(),
  /** HTTPS admin API, when `ports.admin` was given. */
  admin_url: z.string().optional(),
});
export type OfbBrManifest = z.infer<typeof OfbBrManifest>;

/** Fills `{org_id}` and `{software_statement_id}` in the directory's assertion template. */
export function ofbSsaUrl(manifest: OfbBrManifest, orgId: string, softwareId: string): string {
  return manifest.directory.ssa_endpoint_template
    .replace("{org_id}", encodeURIComponent(orgId))
    .replace("{software_statement_id}", encodeURIComponent(softwareId));
}
