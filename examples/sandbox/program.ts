// The demo: register the sandbox TPP's software with the sandbox bank.
// In your own project, import from "ob-dcr/pulumi" and "ob-dcr/sandbox" instead.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ObClientRegistration, type ObClientRegistrationArgs } from "../../provider/pulumi.js";
import type { SandboxManifest } from "../../sandbox/manifest.js";

/**
 * The registration args for one sandbox bank, with key material referenced by file (the tests'
 * mapping in test/support/params.ts is pinned equal to it).
 */
export function sandboxArgs(
  manifest: SandboxManifest,
  bankName = manifest.banks[0]?.name,
): ObClientRegistrationArgs {
  const org = manifest.orgs[0];
  const software = org?.softwares[0];
  const bank = manifest.banks.find((b) => b.name === bankName);
  if (!org || !software || !bank)
    throw new Error(`the sandbox manifest has no org, software or bank ${bankName}`);
  return {
    profile: "obie-3.2",
    bank: { discoveryUrl: bank.discovery_url, orgId: bank.org_id },
    directory: {
      tokenEndpoint: manifest.directory.token_endpoint,
      ssaEndpoint: manifest.directory.ssa_endpoint_template,
      jwksUri: manifest.directory.jwks_uri,
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
      scope: "openid accounts",
      tokenEndpointAuthMethod: "private_key_jwt",
    },
  };
}

/** `.sandbox/manifest.json` in the nearest folder above `from` that has one (the repo root). */
export function findManifest(from = process.cwd()): string {
  for (let d = from; ; d = dirname(d)) {
    const candidate = join(d, ".sandbox", "manifest.json");
    if (existsSync(candidate)) return candidate;
    if (d === dirname(d))
      throw new Error(`no .sandbox/manifest.json above ${from}: start the sandbox (npm run sandbox)`);
  }
}

export function readManifest(path: string): SandboxManifest {
  return JSON.parse(readFileSync(path, "utf8")) as SandboxManifest;
}

/** The stack: one registration per sandbox bank. */
export function program(manifest: SandboxManifest) {
  const outputs: Record<string, unknown> = {};
  for (const bank of manifest.banks) {
    const reg = new ObClientRegistration(bank.name, sandboxArgs(manifest, bank.name));
    outputs[bank.name] = {
      clientId: reg.clientId,
      managementUri: reg.managementUri,
      registeredScope: reg.registeredMetadata.apply((m) => m.scope),
    };
    // An RFC 7592 bank issues a registration access token: a secret output, stored encrypted.
    if (bank.management === "registration_access_token") {
      outputs[`${bank.name}-registrationAccessToken`] = reg.registrationAccessToken;
    }
  }
  return outputs;
}
