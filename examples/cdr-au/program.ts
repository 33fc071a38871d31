// Australia's Consumer Data Right: register one software product with every data holder of the
// AU CDR emulator (a strict CDR Register and data holders, real TLS/mTLS), on the real engine.
// In your own project, import from "ob-dcr/pulumi" instead, and point the args at the CDR Register
// (https://secure.api.cdr.gov.au/...) and each data holder's discovery document.
import { readFileSync } from "node:fs";
import { ObClientRegistration, type ObClientRegistrationArgs } from "../../provider/pulumi.js";
import type { CdrAuManifest } from "../../sandbox/cdr_au/manifest.js";

/**
 * The registration args for one data holder: profile `cdr-au`, the Register as the directory
 * (GetSSA with `{brand_id}` / `{software_product_id}`; x-v 4 by default), the product's signing key
 * and transport certificate by file.
 */
export function cdrAuArgs(
  manifest: CdrAuManifest,
  holderName = manifest.holders[0]?.name,
  productId?: string,
): ObClientRegistrationArgs {
  const brand = manifest.brands[0];
  const product = productId
    ? brand?.software_products.find((p) => p.software_product_id === productId)
    : brand?.software_products[0];
  const holder = manifest.holders.find((h) => h.name === holderName);
  if (!brand || !product || !holder)
    throw new Error(`the AU manifest has no brand, software product or holder ${holderName}`);
  return {
    profile: "cdr-au",
    // DELETE /register is optional in the CDS: declare a holder without it (destroy then asks you
    // to revoke the client in the holder's portal instead of sending a DELETE that fails with 405).
    ...(holder.delete_supported ? {} : { bankProfile: "cdr-no-delete" }),
    bank: { discoveryUrl: holder.discovery_url },
    directory: {
      tokenEndpoint: manifest.register.token_endpoint,
      ssaEndpoint: manifest.register.ssa_endpoint_template,
      jwksUri: manifest.register.jwks_uri,
    },
    // software_id = the software product id (the Register token's client_id); orgId = the brand id.
    software: { softwareId: product.software_product_id, orgId: brand.brand_id },
    signingKey: { kid: product.signing.kid, alg: "PS256", privateKeyFile: product.signing.private_key_file },
    transport: {
      certFile: product.transport.cert_file,
      keyFile: product.transport.key_file,
      caFile: manifest.ca_cert_file,
    },
    // A subset of the SSA's redirect URIs; response_types default to ["code"] (with JARM).
    client: { redirectUris: product.redirect_uris.slice(0, 1) },
  };
}

export function readManifest(path: string): CdrAuManifest {
  return JSON.parse(readFileSync(path, "utf8")) as CdrAuManifest;
}

/** The stack: one registration per data holder (one Register token and one SSA serve them all). */
export function program(manifest: CdrAuManifest) {
  const outputs: Record<string, unknown> = {};
  for (const holder of manifest.holders) {
    const reg = new ObClientRegistration(holder.name, cdrAuArgs(manifest, holder.name));
    outputs[holder.name] = {
      clientId: reg.clientId,
      managementUri: reg.managementUri,
      registeredScope: reg.registeredMetadata.apply((m) => m.scope),
    };
  }
  return outputs;
}
