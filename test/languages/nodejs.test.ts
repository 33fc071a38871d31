// The generated Node SDK (sdk/nodejs, compiled with tsc as a user builds it) in a TypeScript program
// on the real engine (Automation API, inline program, file backend) with the obdcr plugin, against
// the sandbox: two banks in one up (one directory token, one SSA download), destroy deletes both.
import { execFile } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, type ProjectSettings, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliInfo, repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { LANGUAGE_BANKS } from "./project.js";

const exec = promisify(execFile);

type Sdk = {
  ClientRegistration: new (
    name: string,
    args: Record<string, unknown>,
  ) => pulumi.CustomResource & { clientId: pulumi.Output<string> };
};

describe("sdk/nodejs: a TypeScript program through the obdcr plugin", () => {
  const work = mkdtempSync(join(tmpdir(), "obdcr-lang-nodejs-"));
  let sb: TestSandbox;
  let stack: Stack;

  beforeAll(async () => {
    sb = await startTestSandbox({
      dataDir: join(work, "sandbox"),
      banks: ["sandbox-bank", { name: "rfc7592-bank", management: "registration_access_token" }],
    });
    // Build the SDK as its package.json says (tsc to bin/; the version is read from package.json).
    const sdk = join(work, "sdk");
    cpSync(join(repoRoot, "sdk", "nodejs"), sdk, { recursive: true });
    symlinkSync(join(repoRoot, "node_modules"), join(sdk, "node_modules"));
    await exec(join(repoRoot, "node_modules", ".bin", "tsc"), ["-p", sdk]);
    copyFileSync(join(sdk, "package.json"), join(sdk, "bin", "package.json"));
    const obdcr = createRequire(join(sdk, "bin", "index.js"))(join(sdk, "bin", "index.js")) as Sdk;

    const m = sb.manifest;
    const org = m.orgs[0]!;
    const sw = org.softwares[0]!;
    const program = async () => {
      const ids: Record<string, pulumi.Output<string>> = {};
      for (const bank of m.banks) {
        ids[bank.name] = new obdcr.ClientRegistration(bank.name, {
          profile: "obie-3.2",
          bank: { discoveryUrl: bank.discovery_url, orgId: bank.org_id },
          directory: {
            tokenEndpoint: m.directory.token_endpoint,
            ssaEndpoint: m.directory.ssa_endpoint_template,
            jwksUri: m.directory.jwks_uri,
          },
          software: { softwareId: sw.software_id, orgId: org.org_id },
          signingKey: { kid: sw.signing.kid, alg: "PS256", privateKeyFile: sw.signing.private_key_file },
          transport: {
            certFile: sw.transport.cert_file,
            keyFile: sw.transport.key_file,
            caFile: m.ca_cert_file,
          },
          client: { redirectUris: sw.software_redirect_uris.slice(0, 1), scope: "openid accounts" },
        }).clientId;
      }
      return { clientIds: ids };
    };
    const backend = `file://${join(work, "backend")}`;
    mkdirSync(join(work, "backend"));
    stack = await LocalWorkspace.createOrSelectStack(
      { projectName: "obdcr-nodejs", stackName: "dev", program },
      {
        pulumiCommand: await PulumiCommand.get({ root: cliInfo().root }),
        secretsProvider: "passphrase",
        projectSettings: {
          name: "obdcr-nodejs",
          runtime: "nodejs",
          backend: { url: backend },
          plugins: { providers: [{ name: "obdcr", path: join(repoRoot, "bin") }] },
        } as ProjectSettings,
        envVars: {
          PULUMI_CONFIG_PASSPHRASE: "languages-test",
          PULUMI_SKIP_UPDATE_CHECK: "true",
          PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
          PULUMI_BACKEND_URL: backend,
        },
      },
    );
  });

  afterAll(async () => {
    await stack?.workspace.removeStack("dev", { force: true }).catch(() => undefined);
    await sb?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("up registers at both banks with one directory token and one SSA download; destroy deletes both", async () => {
    const up = await stack.up();
    expect(up.summary.resourceChanges?.create).toBe(3);
    const ids = up.outputs.clientIds?.value as Record<string, string>;
    for (const bank of LANGUAGE_BANKS)
      expect(await sb.admin.registrations(bank)).toMatchObject([{ client_id: ids[bank] }]);
    const directory = await sb.admin.requests("directory");
    expect(directory["POST /as/token.oauth2"]).toBe(1);
    expect(directory["GET /api/v2/tpp/{org_id}/ssa/{software_id}"]).toBe(1);
    expect((await stack.preview()).changeSummary.same).toBe(3);
    await stack.destroy();
    for (const bank of LANGUAGE_BANKS) expect(await sb.admin.registrations(bank)).toEqual([]);
  });
});
