import { z } from "zod";
import { BankQuirks } from "./quirks.js";

/**
 * The sandbox manifest: everything a client (CLI, examples, tests) needs to talk to the sandbox.
 * Written as JSON to `<dataDir>/manifest.json`. Every `*_file` is an absolute path.
 */
export const SigningKeyRef = z.object({
  kid: z.string(),
  alg: z.enum(["PS256", "ES256"]),
  /** PKCS#8 PEM private key. */
  private_key_file: z.string(),
  /** Public JWK (with kid, alg, use "sig"). */
  public_jwk: z.record(z.string(), z.unknown()),
});
export type SigningKeyRef = z.infer<typeof SigningKeyRef>;

export const TransportRef = z.object({
  cert_file: z.string(),
  key_file: z.string(),
  /** RFC 4514 subject DN of the transport certificate, in the default bank encoding (2.5.4.97=#<hex>). */
  subject_dn: z.string(),
  /** The same DN in every organizationIdentifier encoding a bank may require. */
  subject_dn_encodings: z.object({ hex: z.string(), name: z.string(), oid: z.string() }),
});
export type TransportRef = z.infer<typeof TransportRef>;

export const ManifestSoftware = z.object({
  software_id: z.string(),
  software_client_id: z.string(),
  software_client_name: z.string(),
  software_redirect_uris: z.array(z.string()),
  software_roles: z.array(z.string()),
  software_jwks_endpoint: z.string(),
  software_jwks_revoked_endpoint: z.string(),
  signing: SigningKeyRef.extend({ alg: z.literal("PS256") }),
  /** An extra ES256 key published in the same software JWKS. */
  signing_es256: SigningKeyRef.extend({ alg: z.literal("ES256") }),
  /** A second PS256 key in the same software JWKS (the "next" key of a same-alg rotation). */
  signing_next: SigningKeyRef.extend({ alg: z.literal("PS256") }),
  /** A key still published in the software JWKS but listed in the revoked JWKS: must be refused. */
  revoked_signing: SigningKeyRef.optional(),
  transport: TransportRef,
});
export type ManifestSoftware = z.infer<typeof ManifestSoftware>;

export const ManifestOrg = z.object({
  org_id: z.string(),
  org_name: z.string(),
  org_status: z.string(),
  softwares: z.array(ManifestSoftware),
});
export type ManifestOrg = z.infer<typeof ManifestOrg>;

export const ManifestBank = z.object({
  name: z.string(),
  issuer: z.string(),
  discovery_url: z.string(),
  registration_endpoint: z.string(),
  token_endpoint: z.string(),
  jwks_uri: z.string(),
  /** The bank's OB Directory org id: the expected request `aud` unless the `aud` quirk says otherwise. */
  org_id: z.string(),
  management: z.enum(["client_credentials", "registration_access_token"]),
  request_format: z.enum(["jwt", "json"]),
  quirks: BankQuirks,
});
export type ManifestBank = z.infer<typeof ManifestBank>;

export const SandboxManifest = z.object({
  /** PEM of the sandbox CA: trust it for every sandbox server, it signs every transport certificate. */
  ca_cert_file: z.string(),
  /** A second CA that no sandbox server trusts, with a client certificate from it (negative tests). */
  untrusted: z.object({
    ca_cert_file: z.string(),
    client_cert_file: z.string(),
    client_key_file: z.string(),
  }),
  directory: z.object({
    /** SSA `iss`. */
    issuer: z.literal("OpenBanking Ltd"),
    base_url: z.string(),
    token_endpoint: z.string(),
    jwks_uri: z.string(),
    /** `https://localhost:P/api/v2/tpp/{org_id}/ssa/{software_id}` */
    ssa_endpoint_template: z.string(),
    scope: z.string(),
    /** SCIM `OBAccountPaymentServiceProviders` (directories.md §3). */
    aspsps_url: z.string().optional(),
  }),
  orgs: z.array(ManifestOrg),
  banks: z.array(ManifestBank),
  /** Test-only admin API (HTTPS, sandbox server cert, no mTLS). */
  admin_url: z.string(),
});
export type SandboxManifest = z.infer<typeof SandboxManifest>;

/** Fills `{org_id}` and `{software_id}` in the manifest's SSA endpoint template. */
export function ssaUrl(manifest: SandboxManifest, orgId: string, softwareId: string): string {
  return manifest.directory.ssa_endpoint_template
    .replace("{org_id}", encodeURIComponent(orgId))
    .replace("{software_id}", encodeURIComponent(softwareId));
}
