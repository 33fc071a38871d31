// Open Finance Brasil: register one software with every authorisation server of the OFB
// emulator (a strict Directory and authorisation servers, real TLS/mTLS), on the real engine.
// In your own project, import from "ob-dcr/pulumi" instead, and point the args at the Directory
// (https://matls-auth.directory.openbankingbrasil.org.br/token, ...) and each server's discovery.
import { readFileSync } from "node:fs";
import { ObClientRegistration, type ObClientRegistrationArgs } from "../../provider/pulumi.js";
import type { OfbBrManifest } from "../../sandbox/ofb_br/manifest.js";

/**
 * The registration args for one authorisation server: profile `ofb-br`, the Directory with
 * tls_client_auth (client id = the SSA's software_client_id), `webhookUris` equal to the SSA's list,
 * and a `tls_client_auth` client whose subject DN is derived from the ICP-Brasil-style certificate.
 */
export function ofbBrArgs(
  manifest: OfbBrManifest,
  serverName = manifest.servers[0]?.name,
): ObClientRegistrationArgs {
  const org = manifest.orgs[0];
  const software = org?.softwares[0];
  const server = manifest.servers.find((s) => s.name === serverName);
  if (!org || !software || !server)
    throw new Error(`the BR manifest has no org, software or server ${serverName}`);
  return {
    profile: "ofb-br",
    bank: { discoveryUrl: server.discovery_url },
    directory: {
      tokenEndpoint: manifest.directory.token_endpoint,
      ssaEndpoint: manifest.directory.ssa_endpoint_template,
      jwksUri: manifest.directory.jwks_uri,
      clientId: software.software_client_id,
    },
    software: { softwareId: software.software_id, orgId: org.org_id },
    signingKey: {
      kid: software.signing.kid,
      alg: "PS256",
      privateKeyFile: software.signing.private_key_file,
    },
    transport: {
      certFile: software.transport.cert_file,
      keyFile: software.transport.key_file,
      caFile: manifest.ca_cert_file,
    },
    client: {
      redirectUris: software.software_redirect_uris.slice(0, 1),
      // Exactly the SSA's list (anything else is refused before it is sent); leave out for no webhooks.
      webhookUris: software.software_api_webhook_uris,
      tokenEndpointAuthMethod: "tls_client_auth",
    },
  };
}

export function readManifest(path: string): OfbBrManifest {
  return JSON.parse(readFileSync(path, "utf8")) as OfbBrManifest;
}

/** The stack: one registration per server; the registration access token is a secret output. */
export function program(manifest: OfbBrManifest) {
  const outputs: Record<string, unknown> = {};
  for (const server of manifest.servers) {
    const reg = new ObClientRegistration(server.name, ofbBrArgs(manifest, server.name));
    outputs[server.name] = { clientId: reg.clientId, managementUri: reg.managementUri };
    // Rotated by some servers on every management call: state always holds the newest (secret).
    outputs[`${server.name}-registrationAccessToken`] = reg.registrationAccessToken;
  }
  return outputs;
}
