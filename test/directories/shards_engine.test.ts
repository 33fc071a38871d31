// One BR list split across two stacks by `filter.shard` (a stable hash of the id), through the
// real engine: together the stacks register every matching bank exactly once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shardOf } from "../../provider/core/directory/listing.js";
import { type RegisterBanksArgs, registerBanks } from "../../provider/resource/banks.js";
import type { OfbBrSandbox } from "../../sandbox/ofb_br/index.js";
import { localStack } from "../../scripts/lib/pulumi_stack.js";
import { ofbParams, regimePulumiArgs, startOfbBr } from "../support/regimes.js";

const SERVERS = ["ofb-as-a", "ofb-as-b", "ofb-as-c", "ofb-as-d"];

describe("a BR list split across two stacks by shard", () => {
  const dir = mkdtempSync(join(tmpdir(), "ob-dcr-shards-"));
  let sb: OfbBrSandbox;
  const stacks: Stack[] = [];

  beforeAll(async () => {
    sb = await startOfbBr({ dataDir: join(dir, "sandbox"), servers: SERVERS.map((name) => ({ name })) });
    for (const index of [0, 1]) {
      const args: RegisterBanksArgs = {
        registration: regimePulumiArgs(ofbParams(sb.manifest)) as RegisterBanksArgs["registration"],
        listUrl: sb.manifest.directory.participants_url!,
        filter: { families: [{ family: "payments-consents", major: 4 }], shard: { count: 2, index } },
        knownListFile: join(dir, `known-${index}.json`),
      };
      stacks.push(
        await localStack({
          projectName: "ob-dcr-shards",
          stackName: `shard-${index}`,
          backend: `file://${join(dir, "state")}`,
          program: async () => ({ banks: (await registerBanks("br", args)).banks }),
        }),
      );
    }
  });
  afterAll(async () => {
    for (const s of stacks) await s.workspace.removeStack(s.name, { force: true }).catch(() => undefined);
    await sb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("each stack registers its shard; every bank once, none twice", async () => {
    const created: string[][] = [];
    for (const s of stacks) {
      const up = await s.up();
      created.push((up.outputs.banks!.value as { id: string }[]).map((b) => b.id));
    }
    const ids = SERVERS.map((n) => sb.admin.listEntryFor(n).id);
    expect(created.flat().sort()).toEqual([...ids].sort());
    for (const [i, shard] of created.entries()) for (const id of shard) expect(shardOf(id, 2)).toBe(i);
    for (const n of SERVERS) expect(sb.admin.clients(n)).toHaveLength(1);
    for (const s of stacks) await s.destroy();
    for (const n of SERVERS) expect(sb.admin.clients(n)).toHaveLength(0);
  });
});
