import type { SandboxManifest } from "./manifest.js";

/**
 * A ready `ob-dcr` CLI config (the core's RegistrationParams with file references) for one bank
 * and the first software, so `ob-dcr run -c .sandbox/cli/<bank>.json` works against the sandbox.
 */
export function cliConfig(manifest: SandboxManifest, bankName: string): Record<string, unknown> {
  const org = manifest.orgs[0];
  const sw = org?.softwares[0];
  const bank = manifest.banks.find((b) => b.name === bankName);
  if (!org || !sw || !bank) throw new Error(`no org, software or bank ${bankName} in the manifest`);
  const rfc7592 = bank.management === "registration_access_token";
  return {
    profile: bank.request_format === "json" ? "rfc7591" : "obie-3.2",
    bank: { discovery_url: bank.discovery_url, org_id: bank.org_id },
    ...(rfc7592 ? { bank_profile: { management: { style: "rfc7592" } } } : {}),
    directory: {
      token_endpoint: manifest.directory.token_endpoint,
      ssa_endpoint: manifest.directory.ssa_endpoint_template,
      jwks_uri: manifest.directory.jwks_uri,
    },
    software: { software_id: sw.software_id, org_id: org.org_id },
    signing_key: { kid: sw.signing.kid, alg: sw.signing.alg, private_key_file: sw.signing.private_key_file },
    transport: {
      cert_file: sw.transport.cert_file,
      key_file: sw.transport.key_file,
      ca_file: manifest.ca_cert_file,
    },
    client: {
      redirect_uris: sw.software_redirect_uris.slice(0, 1),
      scope: "openid accounts",
      token_endpoint_auth_method: "private_key_jwt",
    },
  };
}
