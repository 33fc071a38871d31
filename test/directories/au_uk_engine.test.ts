// Banks from the AU Register and the UK directory through the real engine (registerBanks in an
// inline program, real CLI, file backend) against the emulators over real mTLS: the exact
// matching set, a no-op second up, an added bank, a retired bank kept (warning) then deleted
// under the policy, and a failing directory that touches no bank. Counted at the emulators.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegisterBanksArgs, registerBanks } from "../../provider/resource/banks.js";
import type { BankListAdmin } from "../../sandbox/bank_list.js";
import type { CdrAuSandbox } from "../../sandbox/cdr_au/index.js";
import { localStack } from "../../scripts/lib/pulumi_stack.js";
import { pulumiArgs } from "../support/params.js";
import { cdrParams, regimePulumiArgs, startCdrAu } from "../support/regimes.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

interface Regime {
  name: string;
  banks: [string, string, string];
  start(dir: string): Promise<void>;
  args(): RegisterBanksArgs;
  list(): BankListAdmin;
  entryId(bank: string): string;
  addEntry(bank: string): void;
  /** The bank stops being selected: AU retires the brand; UK (no server status) drops the server. */
  retire(bank: string): void;
  /** What the warning says about it. */
  retiredWhy: string;
  held(bank: string): Promise<number>;
  /** Requests that change a registration, at every bank. */
  changes(): Promise<number>;
  /** Directory tokens and SSAs issued. */
  directory(): Promise<{ tokens: number; ssas: number }>;
  close(): Promise<void>;
}

function au(): Regime {
  let sb: CdrAuSandbox;
  const banks: [string, string, string] = ["dh-a", "dh-b", "dh-c"];
  return {
    name: "cdr-au",
    banks,
    start: async (dir) => {
      sb = await startCdrAu({
        dataDir: join(dir, "au"),
        holders: banks.map((name) => ({ name })),
        listing: { holders: ["dh-a", "dh-b"] },
      });
    },
    args: () => ({
      registration: regimePulumiArgs(cdrParams(sb.manifest)) as RegisterBanksArgs["registration"],
      listUrl: sb.manifest.register.brands_url!,
      filter: { industries: ["banking"] },
    }),
    list: () => sb.admin.list,
    entryId: (b) => sb.admin.listEntryFor(b).id,
    addEntry: (b) => sb.admin.list.add(sb.admin.listEntryFor(b)),
    retire: (b) => sb.admin.list.retire(sb.admin.listEntryFor(b).id),
    retiredWhy: "status: inactive",
    held: async (b) => sb.admin.clients(b).length,
    changes: async () =>
      Object.values(sb.admin.stats().holders).reduce((n, h) => n + h.registrations + h.puts + h.deletes, 0),
    directory: async () => {
      const s = sb.admin.stats();
      return { tokens: s.register_token_requests, ssas: s.ssa_requests };
    },
    close: async () => sb?.close(),
  };
}

function uk(): Regime {
  let sb: TestSandbox;
  const banks: [string, string, string] = ["sandbox-bank", "rat-bank", "secret-bank"];
  return {
    name: "obie",
    banks,
    start: async (dir) => {
      sb = await startTestSandbox({
        dataDir: join(dir, "uk"),
        banks,
        listing: { banks: ["sandbox-bank", "rat-bank"] },
      });
    },
    args: () => {
      const { bank: _bank, ...registration } = pulumiArgs(sb) as unknown as Record<string, unknown>;
      return {
        registration: registration as RegisterBanksArgs["registration"],
        listUrl: sb.manifest.directory.aspsps_url!,
        filter: { roles: ["ASPSP"] },
      };
    },
    list: () => sb.bankList,
    entryId: (b) => sb.bankListEntryFor(b).id,
    addEntry: (b) => sb.bankList.add(sb.bankListEntryFor(b)),
    retire: (b) => sb.bankList.remove(sb.bankListEntryFor(b).id),
    retiredWhy: "no longer in the directory list",
    held: async (b) => (await sb.admin.registrations(b)).length,
    changes: async () => {
      let n = 0;
      for (const b of banks) {
        const r = await sb.admin.requests(b);
        n +=
          (r["POST /register"] ?? 0) +
          (r["PUT /register/{client_id}"] ?? 0) +
          (r["DELETE /register/{client_id}"] ?? 0);
      }
      return n;
    },
    directory: async () => {
      const r = await sb.admin.requests("directory");
      return {
        tokens: r["POST /as/token.oauth2"] ?? 0,
        ssas: r["GET /api/v2/tpp/{org_id}/ssa/{software_id}"] ?? 0,
      };
    },
    close: async () => sb?.close(),
  };
}

for (const make of [au, uk]) {
  const r = make();
  describe(`${r.name} banks from the directory on the real engine`, () => {
    const dir = mkdtempSync(join(tmpdir(), `ob-dcr-banks-${r.name}-`));
    let stack: Stack;
    let args: RegisterBanksArgs;
    const [a, b, c] = r.banks;
    const held = async () => [await r.held(a), await r.held(b), await r.held(c)];

    beforeAll(async () => {
      await r.start(dir);
      args = { ...r.args(), knownListFile: join(dir, "known.json") };
      stack = await localStack({
        projectName: `ob-dcr-banks-${r.name}`,
        stackName: "e2e",
        backend: `file://${join(dir, "state")}`,
        program: async () => {
          const banks = await registerBanks("dir", args);
          return { banks: banks.banks };
        },
      });
    });
    afterAll(async () => {
      await stack?.workspace.removeStack("e2e", { force: true }).catch(() => undefined);
      await r.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("one up registers exactly the listed matching banks; the registrations share one token and one SSA", async () => {
      const before = await r.directory();
      const up = await stack.up();
      expect(up.summary.resourceChanges?.create).toBe(4);
      expect(await held()).toEqual([1, 1, 0]);
      const after = await r.directory();
      // One token for the list (the program) and one for the SSA (the provider), one SSA.
      expect(after.tokens - before.tokens).toBe(2);
      expect(after.ssas - before.ssas).toBe(1);
    });

    it("a second up changes nothing; an added bank is the only one created", async () => {
      const c0 = await r.changes();
      const same = await stack.up();
      expect(same.summary.resourceChanges?.same).toBe(4);
      expect(await r.changes()).toBe(c0);
      r.addEntry(c);
      const up = await stack.up();
      expect(up.summary.resourceChanges?.create).toBe(1);
      expect(await held()).toEqual([1, 1, 1]);
      expect(await r.changes()).toBe(c0 + 1);
    });

    it("a failing directory: the up fails saying why and no bank receives a change", async () => {
      const c0 = await r.changes();
      r.list().setMode("error");
      try {
        const e = await stack.up().then(
          () => "succeeded",
          (err: Error) => err.message,
        );
        expect(e).toMatch(/OBDCR_DIRECTORY_LIST|HTTP 500; no bank was touched/);
      } finally {
        r.list().setMode("ok");
      }
      expect(await r.changes()).toBe(c0);
    });

    it("a retired bank is kept with a warning; with on_missing delete exactly it is deleted", async () => {
      r.retire(b);
      const c0 = await r.changes();
      let out = "";
      const kept = await stack.up({ onOutput: (x) => (out += x) });
      expect(kept.summary.resourceChanges?.delete ?? 0).toBe(0);
      expect(out).toContain(`bank ${r.entryId(b)} (${b}) is no longer selected (${r.retiredWhy}`);
      expect(await r.changes()).toBe(c0);
      args.policy = { onMissing: "delete" };
      const del = await stack.up();
      expect(del.summary.resourceChanges?.delete).toBe(1);
      expect(await held()).toEqual([1, 0, 1]);
      expect(await r.changes()).toBe(c0 + 1);
    });

    it("destroy deletes the rest", async () => {
      await stack.destroy();
      expect(await held()).toEqual([0, 0, 0]);
    });
  });
}
