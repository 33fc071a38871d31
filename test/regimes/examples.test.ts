// The regime examples (examples/cdr-au, examples/ofb-br) as written, on the real engine against
// the emulators: up registers at every holder / server with one directory token and one SSA, a
// second up changes nothing, destroy deletes everything.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as cdrExample from "../../examples/cdr-au/program.js";
import * as ofbExample from "../../examples/ofb-br/program.js";
import { localStack } from "../../scripts/lib/pulumi_stack.js";
import { startCdrAu, startOfbBr } from "../support/regimes.js";

const dir = mkdtempSync(join(tmpdir(), "ob-dcr-regime-examples-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("examples/cdr-au", () => {
  it("registers with every holder (one Register token, one SSA), then nothing to change, then destroy", async () => {
    const sb = await startCdrAu({
      dataDir: join(dir, "au"),
      holders: [
        { name: "holder-a" },
        { name: "holder-b" },
        { name: "holder-no-delete", delete_supported: false },
      ],
    });
    const stack = await localStack({
      projectName: "ob-dcr-example-cdr-au",
      stackName: "e2e",
      backend: `file://${join(dir, "au-state")}`,
      program: async () => cdrExample.program(cdrExample.readManifest(sb.manifestPath)),
    });
    try {
      const up = await stack.up();
      expect(up.summary.resourceChanges?.create).toBe(4);
      for (const h of sb.manifest.holders)
        expect(sb.admin.clients(h.name).map((c) => c.client_id)).toEqual([
          (up.outputs[h.name]!.value as { clientId: string }).clientId,
        ]);
      expect(sb.admin.stats()).toMatchObject({ register_token_requests: 1, ssa_requests: 1 });
      expect((await stack.up()).summary.resourceChanges?.same).toBe(4);
      // The holder without DELETE is declared (preset cdr-no-delete): destroy asks for the portal.
      let out = "";
      await expect(stack.destroy({ onOutput: (s) => (out += s) })).rejects.toThrow();
      expect(out).toMatch(/OBDCR_NOT_SUPPORTED: .*supports\.delete = false from preset cdr-no-delete/s);
      expect(sb.admin.stats().holders["holder-no-delete"]?.deletes).toBe(0);
      expect(sb.admin.clients("holder-a")).toEqual([]);
      expect(sb.admin.clients("holder-b")).toEqual([]);
    } finally {
      await stack.workspace.removeStack("e2e", { force: true }).catch(() => undefined);
      await sb.close();
    }
  });
});

describe("examples/ofb-br", () => {
  it("registers with every server (one directory token, one SSA), then nothing to change, then destroy", async () => {
    const sb = await startOfbBr({ dataDir: join(dir, "br") });
    const stack = await localStack({
      projectName: "ob-dcr-example-ofb-br",
      stackName: "e2e",
      backend: `file://${join(dir, "br-state")}`,
      program: async () => ofbExample.program(ofbExample.readManifest(sb.manifestPath)),
    });
    try {
      const up = await stack.up();
      expect(up.summary.resourceChanges?.create).toBe(1 + sb.manifest.servers.length);
      for (const s of sb.manifest.servers) {
        expect(sb.admin.clients(s.name)).toHaveLength(1);
        expect(sb.admin.clients(s.name)[0]!.metadata.webhook_uris).toEqual(
          sb.manifest.orgs[0]!.softwares[0]!.software_api_webhook_uris,
        );
        expect(up.outputs[`${s.name}-registrationAccessToken`]?.secret).toBe(true);
      }
      expect(sb.admin.stats()).toMatchObject({ directory_token_requests: 1, ssa_requests: 1 });
      expect((await stack.up()).summary.resourceChanges?.same).toBe(1 + sb.manifest.servers.length);
      expect((await stack.destroy()).summary.result).toBe("succeeded");
      for (const s of sb.manifest.servers) expect(sb.admin.clients(s.name)).toEqual([]);
    } finally {
      await stack.workspace.removeStack("e2e", { force: true }).catch(() => undefined);
      await sb.close();
    }
  });
});
