// Pipelines on one shared PostgreSQL state backend (Pulumi's `postgres://` DIY backend), real
// engine, real PostgreSQL (scripts/lib/postgres.ts), sandbox banks over real mTLS:
// - 4 stacks (2 softwares × dev/prod) updated at the same time by 4 engine processes converge,
//   and each bank holds exactly the registrations the four states hold;
// - a second `up` of a stack whose `up` is running is refused by the backend's lock before any
//   request reaches the directory or a bank (request counts at the sandbox);
// - an `up` killed mid-create leaves its lock and a pending create in PostgreSQL; the runbook of
//   docs/pipelines-backend.md (cancel, refresh --clear-pending-creates, up) converges, no duplicate.
import { execFileSync } from "node:child_process";
import type { Stack, UpResult } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RegistrationInputs } from "../../provider/resource/args.js";
import { ObClientRegistration } from "../../provider/resource/registration.js";
import { type Postgres, psql, startPostgres } from "../../scripts/lib/postgres.js";
import { localStack } from "../../scripts/lib/pulumi_stack.js";
import { FAST_TRANSPORT_ENV } from "../reliability/engine_support.js";
import { pulumiArgs } from "../support/params.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

type Args = RegistrationInputs;
const PROJECT = "ob-dcr-pipelines";
const BANKS = ["pipe-a", "pipe-b"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Pipeline {
  name: string;
  stack: Stack;
  declared: Map<string, Args>;
  out: string;
}

describe("pipelines on a shared PostgreSQL backend", () => {
  let pg: Postgres;
  let sb: TestSandbox;
  const pipelines: Pipeline[] = [];

  /** One pipeline job's view of a stack: its own workspace, the shared backend, its own program. */
  async function open(name: string, declared: Map<string, Args>, env: Record<string, string> = {}) {
    const p: Pipeline = { name, declared, out: "", stack: undefined as unknown as Stack };
    p.stack = await localStack({
      projectName: PROJECT,
      stackName: name,
      backend: pg.url,
      envVars: { ...FAST_TRANSPORT_ENV, ...env },
      program: async () => {
        const outs: Record<string, unknown> = {};
        for (const [n, args] of declared) outs[n] = new ObClientRegistration(n, args as never).clientId;
        return outs;
      },
    });
    return p;
  }

  const up = (p: Pipeline) =>
    p.stack.up({
      continueOnError: true,
      onOutput: (s) => {
        p.out += s;
      },
    });

  const argsFor = (bank: string, software: string): Args => ({
    ...(pulumiArgs(sb, { bank, software }) as Args),
    bankProfile: { clientIdHint: true },
  });

  async function stateIds(p: Pipeline): Promise<{ ids: Map<string, string>; pending: unknown[] }> {
    const dep = (await p.stack.exportStack()).deployment as {
      resources?: { type: string; id: string; outputs: { bank?: { discoveryUrl?: string } } }[];
      pending_operations?: unknown[];
    };
    const ids = new Map<string, string>();
    for (const r of dep.resources ?? [])
      if (r.type.endsWith(":ObClientRegistration")) ids.set(r.id, r.outputs.bank?.discoveryUrl ?? "");
    return { ids, pending: dep.pending_operations ?? [] };
  }

  /** The invariant: every bank holds exactly the client_ids of all stacks' states; nothing pending. */
  async function expectBanksMatchStates(): Promise<number> {
    const all = new Map<string, string>();
    for (const p of pipelines) {
      const { ids, pending } = await stateIds(p);
      expect(pending, `pending operations in ${p.name}`).toEqual([]);
      for (const [id, url] of ids) {
        expect(all.has(id), `client_id ${id} in two states`).toBe(false);
        all.set(id, url);
      }
    }
    for (const bank of BANKS) {
      const discovery = sb.manifest.banks.find((b) => b.name === bank)!.discovery_url;
      const inState = [...all].filter(([, u]) => u === discovery).map(([id]) => id);
      const held = (await sb.admin.registrations(bank)).map((r) => r.client_id);
      expect(held.sort(), `bank ${bank}: registrations held vs in the four states`).toEqual(inState.sort());
    }
    return all.size;
  }

  async function expectNoChanges(p: Pipeline): Promise<void> {
    const s = (await p.stack.preview()).changeSummary;
    const changes = {
      create: s.create ?? 0,
      update: s.update ?? 0,
      delete: s.delete ?? 0,
      replace: s.replace ?? 0,
    };
    expect(changes, `a preview of ${p.name}`).toEqual({ create: 0, update: 0, delete: 0, replace: 0 });
  }

  /** Request counts of the directory and every bank. */
  async function counts(): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = { directory: await sb.admin.requests("directory") };
    for (const b of BANKS) out[b] = await sb.admin.requests(b);
    return out;
  }
  /** Keys of the backend's table (`pulumi_state`, created by the CLI) under a prefix. */
  const keys = (like: string) =>
    psql(pg.url, `SELECT key FROM pulumi_state WHERE key LIKE '${like}' ORDER BY key`);
  const posts = async (bank: string) => (await sb.admin.requests(bank))["POST /register"] ?? 0;

  beforeAll(async () => {
    // No skip: without PostgreSQL this fails with the install instruction (scripts/lib/postgres.ts).
    pg = await startPostgres({ prefix: "obdcr-pipe-pg" });
    sb = await startTestSandbox({
      prefix: "pipe",
      banks: BANKS.map((name) => ({ name, quirks: { honour_client_id_hint: true } })),
    });
    const softwares = sb.org.softwares.slice(0, 2);
    expect(softwares, "the sandbox's default org has two softwares").toHaveLength(2);
    // Stacks are created one after the other (pipelines that exist already), then updated at once.
    for (const [i, sw] of softwares.entries())
      for (const env of ["dev", "prod"]) {
        const declared = new Map<string, Args>();
        for (const bank of BANKS) declared.set(`${bank}`, argsFor(bank, sw.software_id));
        pipelines.push(await open(`sw${i + 1}-${env}`, declared));
      }
  });
  afterAll(async () => {
    await Promise.all(pipelines.map((p) => p.stack.destroy().catch(() => undefined)));
    await sb?.close();
    await pg?.stop();
  });

  it("4 stacks updated at once by 4 engines converge; banks hold exactly what the states hold", async () => {
    const results = await Promise.allSettled(pipelines.map((p) => up(p)));
    const failed = results.flatMap((r, i) =>
      r.status === "rejected" ? [`${pipelines[i]!.name}: ${pipelines[i]!.out.slice(-1500)}`] : [],
    );
    expect(failed, failed.join("\n---\n")).toEqual([]);
    // They ran at the same time: every update started before any of them ended.
    const ups = results.map((r) => (r as PromiseFulfilledResult<UpResult>).value.summary);
    const lastStart = Math.max(...ups.map((u) => new Date(u.startTime).getTime()));
    const firstEnd = Math.min(...ups.map((u) => new Date(u.endTime).getTime()));
    expect(lastStart, "the four updates overlap").toBeLessThan(firstEnd);
    // The states live in PostgreSQL, one row per stack.
    expect(keys(`%/.pulumi/stacks/${PROJECT}/%.json`).map((k) => k.split("/").pop())).toEqual(
      pipelines.map((p) => `${p.name}.json`).sort(),
    );
    expect(await expectBanksMatchStates()).toBe(pipelines.length * BANKS.length);
    for (const b of BANKS) expect(await sb.admin.registrations(b)).toHaveLength(pipelines.length);
    await Promise.all(pipelines.map((p) => expectNoChanges(p)));
  });

  it("a second up of a stack whose up is running is refused by the lock before any request", async () => {
    const p = pipelines[0]!;
    p.declared.set("pipe-a-extra", argsFor("pipe-a", sb.sw.software_id));
    // The first run's registration POST is held at the bank for 8 s (the provider waits up to
    // 30 s for an answer): the run, and its lock, last that long.
    await sb.admin.setFaults("pipe-a", [{ kind: "latency", ms: 8000, path: "/register", method: "POST" }]);
    const runner = await open(p.name, p.declared, { OBDCR_HEADERS_TIMEOUT_MS: "30000" });
    // A second pipeline job on the same stack: its own workspace, the same program.
    const second = await open(p.name, p.declared);
    const before = await posts("pipe-a");
    let firstDone = false;
    const first = up(runner).finally(() => {
      firstDone = true;
    });
    for (let i = 0; i < 300 && (await posts("pipe-a")) === before; i++) await sleep(50);
    expect(await posts("pipe-a"), "the first run's POST reached the bank").toBe(before + 1);
    const snapshot = await counts();
    // The first run's lock: a row in the backend's table.
    expect(keys(`%/.pulumi/locks/%/${PROJECT}/${p.name}/%`)).toHaveLength(1);
    const refused = await up(second).then(
      () => "succeeded",
      (e: Error) => `${e.message}\n${second.out}`,
    );
    expect(firstDone, "the first run is still running when the second is refused").toBe(false);
    expect(refused).toMatch(/the stack is currently locked by 1 lock\(s\)/);
    expect(refused).toMatch(/pulumi cancel/);
    // Not a request from the second run: the directory and the banks counted nothing new.
    expect(await counts()).toEqual(snapshot);
    await first;
    await sb.admin.setFaults("pipe-a", []);
    expect(await posts("pipe-a"), "one POST in all, the first run's").toBe(before + 1);
    expect(await expectBanksMatchStates()).toBe(pipelines.length * BANKS.length + 1);
  });

  it("an up killed mid-create recovers with the runbook: cancel, refresh --clear-pending-creates, up", async () => {
    // Long transport timeouts: the provider is still waiting for the bank's answer when killed.
    const p = pipelines[3]!;
    const victim = await open(p.name, p.declared, {
      OBDCR_HEADERS_TIMEOUT_MS: "60000",
      OBDCR_BODY_TIMEOUT_MS: "60000",
    });
    p.declared.set("pipe-b-extra", argsFor("pipe-b", sb.org.softwares[1]!.software_id));
    await sb.admin.setFaults("pipe-b", [
      { kind: "stall_after_commit", path: "/register", method: "POST", count: 1 },
    ]);
    const held = (await sb.admin.registrations("pipe-b")).length;
    const running = up(victim).then(
      () => "finished",
      () => "killed",
    );
    let committed = false;
    for (let i = 0; i < 300 && !committed; i++) {
      committed = (await sb.admin.registrations("pipe-b")).length === held + 1;
      if (!committed) await sleep(100);
    }
    expect(committed, "the bank committed the POST").toBe(true);
    const killed = killPulumi();
    expect(killed.length).toBeGreaterThan(0);
    expect(await running).toBe("killed");
    await sb.admin.setFaults("pipe-b", []);

    // The dead run's lock is still in PostgreSQL: the next pipeline's up is refused, nothing sent.
    const snapshot = await counts();
    const blocked = await up(p).then(
      () => "succeeded",
      (e: Error) => e.message,
    );
    expect(blocked).toMatch(/the stack is currently locked by 1 lock\(s\)/);
    expect(await counts()).toEqual(snapshot);
    expect(keys(`%/.pulumi/locks/%/${PROJECT}/${p.name}/%`), "the dead run's lock").toHaveLength(1);
    // The runbook (docs/pipelines-backend.md).
    await p.stack.cancel();
    expect(keys(`%/.pulumi/locks/%/${PROJECT}/${p.name}/%`)).toEqual([]);
    const { pending } = await stateIds(p);
    expect((pending as { type: string }[]).map((o) => o.type)).toEqual(["creating"]);
    await p.stack.refresh({ clearPendingCreates: true });
    p.out = "";
    await up(p);
    expect(p.out).toMatch(/an earlier interrupted run registered it/);
    expect((await sb.admin.registrations("pipe-b")).length, "no duplicate").toBe(held + 1);
    expect(await expectBanksMatchStates()).toBe(pipelines.length * BANKS.length + 2);
    await expectNoChanges(p);
    expect(keys(`%/.pulumi/locks/%`), "no lock left").toEqual([]);
  });
});

/**
 * SIGKILLs the Pulumi CLI processes this test process started and everything below them (the
 * provider host): not the PostgreSQL server, which pg_ctl detached.
 */
function killPulumi(): number[] {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,comm="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((l) => {
      const [pid, ppid, comm] = l.trim().split(/\s+/);
      return { pid: Number(pid), ppid: Number(ppid), comm: comm ?? "" };
    });
  const out: number[] = [];
  const walk = (p: number) => {
    for (const r of rows)
      if (r.ppid === p) {
        out.push(r.pid);
        walk(r.pid);
      }
  };
  for (const r of rows)
    if (r.ppid === process.pid && r.comm === "pulumi") {
      out.push(r.pid);
      walk(r.pid);
    }
  for (const pid of out) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return out;
}
