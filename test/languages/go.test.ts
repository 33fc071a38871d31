// examples/go (the generated Go SDK, sdk/go/obdcr, through go.mod's `replace`) on the real CLI and
// the Go language host that `npm run setup` builds, against the sandbox: two banks in one up, see
// lifecycle.ts. Then `pulumi import` of a registration made out of band (`--generate-code=false`:
// the v3.66 Go host has no program generation), declared by the program, no change, destroy.
//
// Nothing downloads: the Go host runs `go build` with GOPROXY=off and -mod=readonly, so every
// module must already be in the module cache (setup's `go mod download` of examples/go).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createContext } from "../../provider/http/context.js";
import { camelKeys } from "../../provider/lifecycle/inputs.js";
import { createRegistration } from "../../provider/lifecycle/registration.js";
import { coreParams, sandboxParams } from "../support/params.js";
import { startTestSandbox } from "../support/sandbox.js";
import { describeLanguage } from "./lifecycle.js";
import { copyExample, goEnv, type Project, sandboxConfig } from "./project.js";

/**
 * examples/go copied and configured for the real CLI, with the engine's environment for a Go
 * program: the Go host beside the CLI, `go` on PATH, no module download.
 */
function goProject(work: string): Project {
  return copyExample("go", work, goEnv());
}

describeLanguage({
  language: "go",
  async prepare(sb, work) {
    const p = goProject(work);
    await p.pulumi(["stack", "init", "dev"]);
    await sandboxConfig(p, sb);
    // A bank's bankProfile as a whole profile object, not a preset name (examples/go main.go): it
    // reaches the resource as it is. (Until the example read it as `any`, such a config failed to
    // unmarshal into a string.) Overrides that keep sandbox-bank's behaviour.
    const profile = { jtiCase: "lower", management: { style: "obie" } };
    await p.pulumi(["config", "set", "--path", "banks[0].bankProfile.jtiCase", "lower"]);
    await p.pulumi(["config", "set", "--path", "banks[0].bankProfile.management.style", "obie"]);
    const preview = JSON.parse(await p.pulumi(["preview", "--json"])) as {
      steps: { urn: string; newState?: { inputs?: Record<string, unknown> } }[];
    };
    const step = preview.steps.find((s) => s.urn.endsWith("::sandbox-bank"));
    expect(step?.newState?.inputs?.bankProfile).toEqual(profile);
    return p;
  },
  // Each `up` and `preview` compiles the program (linking only, once setup filled the build cache).
  bankKeys: {},
  timeoutMs: 300_000,
});

describe("examples/go: pulumi import of a registration made out of band", () => {
  it("imports by client_id (--generate-code=false), the program declares it with no change, destroy deletes it", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const work = mkdtempSync(join(tmpdir(), "obdcr-lang-go-import-"));
    const sb = await startTestSandbox({ dataDir: join(work, "sandbox"), banks: ["sandbox-bank"] });
    try {
      const p = goProject(work);
      await p.pulumi(["stack", "init", "dev"]);
      await sandboxConfig(p, sb);
      const setBanks = (banks: unknown[]) =>
        p.pulumi([
          "config",
          "set-all",
          "--json",
          JSON.stringify({
            "obdcr-go:banks": { value: JSON.stringify(banks), objectValue: banks, secret: false },
          }),
        ]);
      // The inputs the program declares for a bank (the key comes from obdcr:signingPrivateKey).
      const params = sandboxParams(sb.manifest, { bank: "sandbox-bank" });
      const inputs = camelKeys(params) as Record<string, Record<string, unknown>>;
      delete inputs.signingKey!.privateKeyFile;
      await p.pulumi(["config", "set", "obdcr:importInputs", JSON.stringify(inputs)]);
      await setBanks([]);
      // Records the provider config; declares nothing, registers nothing.
      expect(await p.pulumi(["up", "--yes", "--skip-preview"])).toMatch(/1 created/);

      const existing = await createRegistration(coreParams(sb, "sandbox-bank"), createContext());
      const held = async () => (await sb.admin.registrations("sandbox-bank")).map((r) => r.client_id);
      expect(await held()).toEqual([existing.client_id]);
      const imported = await p.pulumi([
        "import",
        "obdcr:index:ClientRegistration",
        "adopted",
        existing.client_id,
        "--yes",
        "--generate-code=false",
        "--protect=false",
      ]);
      expect(imported).toMatch(/1 imported/);
      expect(await held()).toEqual([existing.client_id]); // read, nothing registered

      // The program now declares it (the bank under the imported name): no change.
      const bank = sb.manifest.banks.find((b) => b.name === "sandbox-bank")!;
      await setBanks([{ name: "adopted", discoveryUrl: bank.discovery_url, orgId: bank.org_id }]);
      await p.pulumi(["preview", "--expect-no-changes"]);
      const outputs = JSON.parse(await p.pulumi(["stack", "output", "--json"])) as {
        clientIds: Record<string, string>;
      };
      expect(outputs.clientIds).toEqual({});
      const up = await p.pulumi(["up", "--yes", "--expect-no-changes"]);
      expect(up).toMatch(/2 unchanged/);
      expect(JSON.parse(await p.pulumi(["stack", "output", "--json"])).clientIds).toEqual({
        adopted: existing.client_id,
      });
      expect(p.log()).not.toContain(existing.secrets.client_secret ?? "no secret issued");

      await p.pulumi(["destroy", "--yes", "--skip-preview"]);
      expect(await held()).toEqual([]);
    } finally {
      await sb.close();
      rmSync(work, { recursive: true, force: true });
    }
  }, 600_000);
});
