// One software registered with several banks, all declared in stack config (namespace ob-dcr):
//
//   pulumi config set ob-dcr:software '{"softwareId":"…","orgId":"…","kid":"…"}'
//   pulumi config set ob-dcr:directory '{"tokenEndpoint":"…","ssaEndpoint":"…/tpp/{org_id}/ssa/{software_id}","jwksUri":"…"}'
//   pulumi config set ob-dcr:transport '{"certFile":"transport.pem","keyFile":"transport.key","caFile":"ca.pem"}'
//   pulumi config set ob-dcr:banks '[{"name":"hsbc","discoveryUrl":"…","orgId":"…","bankProfile":"hsbc"}, …]'
//   pulumi config set --secret ob-dcr:signingPrivateKey < signing.key
//
// A bank's `bankProfile` is a preset name ("hsbc") or a whole profile object, passed to the resource
// as it is (camelCase keys, docs/bank-profiles.md): a preset plus overrides, or overrides alone:
//
//   {"name":"other","discoveryUrl":"…","orgId":"…",
//    "bankProfile":{"preset":"hsbc","management":{"scope":null}}}
//   {"name":"third","discoveryUrl":"…","orgId":"…",
//    "bankProfile":{"contentType":"application/jose","response":{"timestampUnit":"ms"}}}
//
// An unknown preset or key is refused at `pulumi preview`, naming `bankProfile`.
//
// The signing key is read by the provider from the secret config, so it never becomes a
// resource input. One directory token and one SSA download serve every bank in a `pulumi up`.
// In your own project, import from "ob-dcr/pulumi".
import * as pulumi from "@pulumi/pulumi";
import { ObClientRegistration, type ObClientRegistrationArgs } from "../../provider/pulumi.js";

export interface BankEntry {
  name: string;
  discoveryUrl: string;
  orgId: string;
  /** A preset name, or a profile object (a preset plus overrides, or overrides alone). */
  bankProfile?: ObClientRegistrationArgs["bankProfile"];
  scope?: string;
}

export function program() {
  const config = new pulumi.Config("ob-dcr");
  const software = config.requireObject<{
    softwareId: string;
    orgId: string;
    kid: string;
    alg?: "PS256" | "ES256";
  }>("software");
  const directory = config.requireObject<{ tokenEndpoint: string; ssaEndpoint: string; jwksUri: string }>(
    "directory",
  );
  const transport = config.requireObject<{ certFile: string; keyFile: string; caFile?: string }>("transport");
  const banks = config.requireObject<BankEntry[]>("banks");
  const redirectUris = config.getObject<string[]>("redirectUris");

  const clientIds: Record<string, pulumi.Output<string>> = {};
  for (const bank of banks) {
    const reg = new ObClientRegistration(bank.name, {
      profile: "obie-3.2",
      ...(bank.bankProfile ? { bankProfile: bank.bankProfile } : {}),
      bank: { discoveryUrl: bank.discoveryUrl, orgId: bank.orgId },
      directory,
      software: { softwareId: software.softwareId, orgId: software.orgId },
      signingKey: { kid: software.kid, alg: software.alg ?? "PS256" },
      transport,
      client: {
        ...(redirectUris ? { redirectUris } : {}),
        scope: bank.scope ?? "openid accounts",
        tokenEndpointAuthMethod: "private_key_jwt",
      },
    });
    clientIds[bank.name] = reg.clientId;
  }
  return { clientIds };
}
