import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ProfileName, RegistrationParamsInput } from "../../provider/index.js";
import { type Sandbox, startSandbox } from "../../sandbox/index.js";

export const read = (f: string) => readFileSync(f, "utf8");

export async function startTestSandbox(): Promise<Sandbox> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "obdcr-http-"));
  return startSandbox({
    dataDir,
    banks: [
      { name: "sandbox-bank" },
      { name: "rat-bank", management: "registration_access_token" },
      { name: "json-bank", management: "registration_access_token", request_format: "json" },
      {
        name: "secret-bank",
        token_endpoint_auth_methods_supported: [
          "private_key_jwt",
          "tls_client_auth",
          "client_secret_basic",
          "client_secret_post",
        ],
      },
    ],
  });
}

export function paramsFor(
  sb: Sandbox,
  bankName: string,
  profile: ProfileName,
  over: {
    client?: Record<string, unknown>;
    bank?: Record<string, unknown>;
    directory?: Record<string, unknown>;
    es256?: boolean;
  } = {},
): RegistrationParamsInput {
  const m = sb.manifest;
  const bank = m.banks.find((b) => b.name === bankName);
  const org = m.orgs[0];
  const sw = org?.softwares[0];
  if (!bank || !org || !sw) throw new Error(`no bank ${bankName} in manifest`);
  const signing = over.es256 ? sw.signing_es256 : sw.signing;
  return {
    profile,
    bank: { discovery_url: bank.discovery_url, org_id: bank.org_id, ...over.bank },
    directory: {
      token_endpoint: m.directory.token_endpoint,
      ssa_endpoint: m.directory.ssa_endpoint_template,
      jwks_uri: m.directory.jwks_uri,
      issuer: m.directory.issuer,
      ...over.directory,
    },
    software: { software_id: sw.software_id, org_id: org.org_id },
    signing_key: { kid: signing.kid, alg: signing.alg, private_key: read(signing.private_key_file) },
    transport: {
      cert: read(sw.transport.cert_file),
      key: read(sw.transport.key_file),
      ca: read(m.ca_cert_file),
    },
    client: {
      redirect_uris: [sw.software_redirect_uris[0]],
      scope: "openid accounts",
      response_types: ["code id_token"],
      grant_types: ["authorization_code", "client_credentials", "refresh_token"],
      ...over.client,
    },
  } as RegistrationParamsInput;
}
