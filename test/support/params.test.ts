// The examples' `sandboxArgs` (user-facing) and the test support's mapping cannot drift apart, and
// the support's three renderings are the one mapping in three shapes.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sandboxArgs } from "../../examples/sandbox/program.js";
import { SandboxManifest } from "../../sandbox/index.js";
import { cliConfig, coreParams, pulumiArgs, sandboxParams } from "./params.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "obdcr-params-"));
const file = (name: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, `contents of ${name}\n`);
  return f;
};
const key = (kid: string, alg: "PS256" | "ES256") => ({
  kid,
  alg,
  private_key_file: file(`${kid}.key.pem`),
  public_jwk: { kid },
});
const bank = (name: string, org_id: string) => ({
  name,
  issuer: `https://${name}.localhost`,
  discovery_url: `https://${name}.localhost/.well-known/openid-configuration`,
  registration_endpoint: `https://${name}.localhost/register`,
  token_endpoint: `https://${name}.localhost/token`,
  jwks_uri: `https://${name}.localhost/jwks`,
  org_id,
  management: "client_credentials",
  request_format: "jwt",
  quirks: {},
});
const software = (id: string) => ({
  software_id: id,
  software_client_id: id,
  software_client_name: "App",
  software_redirect_uris: [`https://${id}.example.com/cb`, `https://${id}.example.com/other`],
  software_roles: ["AISP"],
  software_jwks_endpoint: `https://keystore.localhost/${id}.jwks`,
  software_jwks_revoked_endpoint: `https://keystore.localhost/${id}.revoked.jwks`,
  signing: key(`${id}-ps`, "PS256"),
  signing_es256: key(`${id}-es`, "ES256"),
  signing_next: key(`${id}-next`, "PS256"),
  transport: {
    cert_file: file(`${id}.cert.pem`),
    key_file: file(`${id}.transport.key.pem`),
    subject_dn: "CN=x",
    subject_dn_encodings: { hex: "CN=x", name: "CN=x", oid: "CN=x" },
  },
});
const manifest = SandboxManifest.parse({
  ca_cert_file: file("ca.cert.pem"),
  untrusted: { ca_cert_file: "u-ca", client_cert_file: "u-cert", client_key_file: "u-key" },
  directory: {
    issuer: "OpenBanking Ltd",
    base_url: "https://directory.localhost",
    token_endpoint: "https://directory.localhost/token",
    jwks_uri: "https://directory.localhost/jwks",
    ssa_endpoint_template: "https://directory.localhost/ssa/{org_id}/{software_id}",
    scope: "ASPSPReadAccess TPPReadAccess",
  },
  orgs: [
    { org_id: "org1", org_name: "Org", org_status: "Active", softwares: [software("sw1"), software("sw2")] },
  ],
  banks: [bank("first-bank", "bankorg1"), bank("second-bank", "bankorg2")],
  admin_url: "https://admin.localhost",
});
const sb = { manifest };

describe("the sandbox parameters", () => {
  it.each([undefined, "first-bank", "second-bank"])(
    "examples' sandboxArgs is the support's camelCase rendering (bank %s)",
    (b) => {
      expect(sandboxArgs(manifest, b)).toEqual(pulumiArgs(sb, b));
    },
  );

  it("the CLI rendering is the mapping; the core rendering the same with the files read", () => {
    const files = sandboxParams(manifest, { bank: "second-bank" });
    expect(cliConfig(sb, "second-bank")).toEqual(files);
    expect(coreParams(sb, "second-bank")).toEqual({
      ...files,
      signing_key: { kid: "sw1-ps", alg: "PS256", private_key: "contents of sw1-ps.key.pem\n" },
      transport: {
        cert: "contents of sw1.cert.pem\n",
        key: "contents of sw1.transport.key.pem\n",
        ca: "contents of ca.cert.pem\n",
      },
    });
  });

  it("picks the software and the signing key; overrides merge member by member, undefined removes", () => {
    const p = coreParams(
      sb,
      { bank: "first-bank", software: "sw2", key: "signing_es256" },
      { profile: "obie-3.1", client: { scope: "openid", token_endpoint_auth_method: undefined } },
    );
    expect(p.profile).toBe("obie-3.1");
    expect(p.software).toEqual({ software_id: "sw2", org_id: "org1" });
    expect(p.signing_key).toMatchObject({ kid: "sw2-es", alg: "ES256" });
    expect(p.client).toEqual({ redirect_uris: ["https://sw2.example.com/cb"], scope: "openid" });
    expect(pulumiArgs(sb, "first-bank", { transport: { caFile: undefined } }).transport).toEqual({
      certFile: manifest.orgs[0]!.softwares[0]!.transport.cert_file,
      keyFile: manifest.orgs[0]!.softwares[0]!.transport.key_file,
    });
  });

  it("an unknown bank or software is an error naming it", () => {
    expect(() => cliConfig(sb, "nope")).toThrow(/nope/);
    expect(() => cliConfig(sb, { software: "sw9" })).toThrow(/sw9/);
  });
});
