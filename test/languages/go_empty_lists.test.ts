// A Go program that builds its inputs the common way the Go SDK allows: a JSON file decoded into
// the SDK's plain types and converted with `pulumi.ToOutput`, which sends every list the file
// lacks (`client.webhookUris`, `grantTypes`, `responseTypes`, ...) as `[]`. Against an obie-3.2
// sandbox bank through the real CLI: `up` registers (no `webhookUris` refused by the profile) and
// the next `up` changes nothing. Nothing downloads: GOPROXY=off, as go.test.ts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { pulumiArgs } from "../support/params.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { goEnv, goModule, openProject, type Project, shellIn } from "./project.js";

const MAIN_GO = `package main

import (
	"encoding/json"
	"os"

	"github.com/ob-dcr/ob-dcr/sdk/go/obdcr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		b, err := os.ReadFile("inputs.json")
		if err != nil {
			return err
		}
		var in struct {
			Profile    string
			Bank       obdcr.Bank
			Directory  *obdcr.Directory
			Software   *obdcr.Software
			SigningKey obdcr.SigningKey
			Transport  *obdcr.Transport
			Client     *obdcr.Client
		}
		if err := json.Unmarshal(b, &in); err != nil {
			return err
		}
		reg, err := obdcr.NewClientRegistration(ctx, "bank", &obdcr.ClientRegistrationArgs{
			Profile:    pulumi.String(in.Profile),
			Bank:       pulumi.ToOutput(in.Bank).(obdcr.BankOutput),
			Directory:  pulumi.ToOutput(in.Directory).(obdcr.DirectoryPtrOutput),
			Software:   pulumi.ToOutput(in.Software).(obdcr.SoftwarePtrOutput),
			SigningKey: pulumi.ToOutput(in.SigningKey).(obdcr.SigningKeyOutput),
			Transport:  pulumi.ToOutput(in.Transport).(obdcr.TransportPtrOutput),
			Client:     pulumi.ToOutput(in.Client).(obdcr.ClientPtrOutput),
		})
		if err != nil {
			return err
		}
		ctx.Export("clientId", reg.ClientId)
		return nil
	})
}
`;

describe("a Go program whose unset lists reach the plugin as [] (pulumi.ToOutput of plain types)", () => {
  const work = mkdtempSync(join(tmpdir(), "obdcr-go-empty-"));
  const dir = join(work, "project");
  const bank = "sandbox-bank";
  let sb: TestSandbox;
  let p: Project;

  beforeAll(async () => {
    const go = goEnv();
    sb = await startTestSandbox({ dataDir: join(work, "sandbox"), banks: [bank] });
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "Pulumi.yaml"),
      `name: go-empty\nruntime: go\nplugins: { providers: [{ name: obdcr, path: ${join(repoRoot, "bin")} }] }\n`,
    );
    goModule(dir);
    writeFileSync(join(dir, "main.go"), MAIN_GO);
    // The inputs as a file, no list in client: each one is sent as [] by ToOutput.
    const inputs = pulumiArgs(sb, bank, { client: { scope: "openid accounts" } }) as unknown as Record<
      string,
      unknown
    >;
    expect(inputs.profile).toBe("obie-3.2");
    expect(Object.keys(inputs.client as object)).not.toContain("webhookUris");
    writeFileSync(join(dir, "inputs.json"), JSON.stringify(inputs));
    p = openProject(dir, work, { ...go, PULUMI_CONFIG_PASSPHRASE: "go-empty-test" });
  }, 300_000);

  afterAll(async () => {
    await sb?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const sh = (line: string) => shellIn(p, 300_000)(line);

  it("up registers at the obie-3.2 bank; the next up changes nothing", async () => {
    await sh("pulumi --non-interactive stack init dev");
    expect(await sh("pulumi --non-interactive up --yes --skip-preview")).toMatch(/2 created/);
    const [reg] = await sb.admin.registrations(bank);
    expect(reg!.metadata.webhook_uris).toBeUndefined();
    expect((reg!.metadata.grant_types as unknown[]).length).toBeGreaterThan(0);
    expect(await sh("pulumi --non-interactive up --yes --expect-no-changes")).toMatch(/2 unchanged/);
    await sh("pulumi --non-interactive destroy --yes --skip-preview");
    expect(await sb.admin.registrations(bank)).toEqual([]);
  }, 900_000);
});
