// An unset optional list sent as `[]` (what the Go SDK sends for `pulumi.ToOutput` of a plain args
// struct): examples/yaml with `webhookUris: []`, `grantTypes: []` and `responseTypes: []` in its
// client, on the real CLI against the sandbox's obie-3.2 banks. `up` registers (the empties are
// "not given": no webhook_uris refused by the profile, the profile's default grant and response
// types sent), and the next `up` changes nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { copyExample, LANGUAGE_BANKS, type Project, sandboxConfig } from "./project.js";

describe("a YAML program that sends empty optional lists", () => {
  const work = mkdtempSync(join(tmpdir(), "obdcr-empty-lists-"));
  let sb: TestSandbox;
  let p: Project;

  beforeAll(async () => {
    sb = await startTestSandbox({
      dataDir: join(work, "sandbox"),
      banks: ["sandbox-bank", { name: "rfc7592-bank", management: "registration_access_token" }],
    });
    p = copyExample("yaml", work);
    const file = join(p.dir, "Pulumi.yaml");
    const yaml = readFileSync(file, "utf8");
    const client = "    tokenEndpointAuthMethod: private_key_jwt\n";
    expect(yaml).toContain(client);
    writeFileSync(
      file,
      yaml.replace(client, `${client}    webhookUris: []\n    grantTypes: []\n    responseTypes: []\n`),
    );
    await p.pulumi(["stack", "init", "dev"]);
    await sandboxConfig(p, sb);
  });

  afterAll(async () => {
    await sb?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("up registers at both obie-3.2 banks with the defaults; a second up changes nothing", async () => {
    const up = await p.pulumi(["up", "--yes", "--skip-preview"]);
    expect(up).toMatch(/3 created/);
    for (const bank of LANGUAGE_BANKS) {
      const [reg] = await sb.admin.registrations(bank);
      expect(reg).toBeDefined();
      const m = reg!.metadata;
      expect(m.webhook_uris).toBeUndefined();
      expect(m.grant_types).toEqual(expect.arrayContaining(["client_credentials"]));
      expect(m.response_types).toEqual(expect.any(Array));
      expect((m.response_types as unknown[]).length).toBeGreaterThan(0);
    }
    const again = await p.pulumi(["up", "--yes", "--expect-no-changes"]);
    expect(again).toMatch(/3 unchanged/);
    await p.pulumi(["destroy", "--yes", "--skip-preview"]);
    for (const bank of LANGUAGE_BANKS) expect(await sb.admin.registrations(bank)).toEqual([]);
  }, 300_000);
});
