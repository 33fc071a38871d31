// Many banks in one `pulumi up` (examples/multi-bank, driven by stack config): the provider host
// shares one directory token and one SSA download per software across every registration
// (counted at the sandbox), and the signing key comes from a secret stack config value.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { program } from "../../examples/multi-bank/program.js";
import type { Sandbox } from "../../sandbox/index.js";
import { localStack, stateFile } from "../../scripts/lib/pulumi_stack.js";
import { startTestSandbox } from "../support/sandbox.js";

const BANKS = ["bank-a", "bank-b", "bank-c", "bank-d", "bank-e", "bank-f"];

describe("many banks in one pulumi up", () => {
  const dir = mkdtempSync(join(tmpdir(), "ob-dcr-many-"));
  let sandbox: Sandbox;
  let stack: Stack;
  const backend = `file://${join(dir, "state")}`;
  let keyPem = "";

  beforeAll(async () => {
    sandbox = await startTestSandbox({ dataDir: join(dir, "sandbox"), banks: BANKS });
    stack = await localStack({
      projectName: "ob-dcr-many",
      stackName: "e2e",
      backend,
      program: async () => program(),
    });
    const m = sandbox.manifest;
    const org = m.orgs[0]!;
    const sw = org.softwares[0]!;
    keyPem = readFileSync(sw.signing.private_key_file, "utf8");
    const json = (v: unknown) => ({ value: JSON.stringify(v) });
    await stack.setAllConfig({
      "ob-dcr:software": json({ softwareId: sw.software_id, orgId: org.org_id, kid: sw.signing.kid }),
      "ob-dcr:directory": json({
        tokenEndpoint: m.directory.token_endpoint,
        ssaEndpoint: m.directory.ssa_endpoint_template,
        jwksUri: m.directory.jwks_uri,
      }),
      "ob-dcr:transport": json({
        certFile: sw.transport.cert_file,
        keyFile: sw.transport.key_file,
        caFile: m.ca_cert_file,
      }),
      "ob-dcr:banks": json(
        m.banks.map((b) => ({ name: b.name, discoveryUrl: b.discovery_url, orgId: b.org_id })),
      ),
      "ob-dcr:redirectUris": json(sw.software_redirect_uris.slice(0, 1)),
      "ob-dcr:signingPrivateKey": { value: keyPem, secret: true },
    });
  });

  afterAll(async () => {
    await stack?.workspace.removeStack("e2e", { force: true }).catch(() => undefined);
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("registers at every bank with one directory token and one SSA download", async () => {
    const up = await stack.up();
    expect(up.summary.resourceChanges?.create).toBe(BANKS.length + 1);
    const clientIds = up.outputs.clientIds?.value as Record<string, string>;
    const directory = await sandbox.admin.requests("directory");
    expect(directory["POST /as/token.oauth2"]).toBe(1);
    expect(directory["GET /api/v2/tpp/{org_id}/ssa/{software_id}"]).toBe(1);
    for (const b of BANKS) {
      expect((await sandbox.admin.requests(b))["POST /register"]).toBe(1);
      expect((await sandbox.admin.registrations(b)).map((r) => r.client_id)).toEqual([clientIds[b]]);
    }
    // The key reached the provider through secret config only: nowhere in state in plaintext.
    const state = readFileSync(stateFile(backend, "ob-dcr-many", "e2e"), "utf8");
    expect(state).not.toContain(keyPem.split("\n")[1]!);
    await stack.destroy();
    for (const b of BANKS) expect(await sandbox.admin.registrations(b)).toEqual([]);
  });
});
