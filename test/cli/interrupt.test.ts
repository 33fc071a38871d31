/**
 * Ctrl-C (SIGINT) or a pipeline's cancel (SIGTERM) while the bank holds back its answer to a request
 * that changes a registration: the CLI exits at once (130 / 143), and says what the bank may now
 * hold that no state file does, naming the client where it can (docs/RELIABILITY.md "Interrupted
 * runs"). The built CLI as a process, the sandbox over real mTLS, the signal sent for real.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { sandboxForFile } from "../support/hooks.js";
import { cliConfig } from "../support/params.js";
import { cli, ensureBuilt, MAIN, tmpDir, writeConfig } from "./helpers.js";

beforeAll(() => ensureBuilt());
const sb = sandboxForFile({
  prefix: "cli-interrupt",
  banks: ["rat-bank", { name: "hint-bank", quirks: { honour_client_id_hint: true } }],
});
const dir = tmpDir();

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function start(args: string[]): { child: ChildProcess; ended: Promise<Ended> } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith("OBDCR_")) env[k] = v;
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd: dir, // a register without --state keeps its client in <cwd>/ob-dcr-state/
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => (stdout += d));
  child.stderr?.on("data", (d) => (stderr += d));
  let signalled = 0;
  const ended = new Promise<Ended>((resolve) => {
    child.on("exit", (code, signal) => {
      // Wait for the pipes to drain before reporting.
      setTimeout(() => resolve({ code, signal, stdout, stderr, ms: Date.now() - signalled }), 50);
    });
  });
  const kill = child.kill.bind(child);
  child.kill = (s?: NodeJS.Signals | number) => {
    signalled = Date.now();
    return kill(s);
  };
  return { child, ended };
}

async function until(what: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await what()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("timed out waiting");
}

const held = async (bank: string) => (await sb.admin.registrations(bank)).map((r) => r.client_id);

describe("an interrupted CLI", () => {
  it("SIGINT while the bank holds back its answer to the POST: exit 130 at once, naming the proposed client_id the bank now holds", async () => {
    const cfg = writeConfig(
      dir,
      "hint.yaml",
      cliConfig(sb, "hint-bank", { bank_profile: { client_id_hint: true } }),
    );
    const state = path.join(dir, "hint-state.json");
    await sb.admin.setFaults("hint-bank", [
      { kind: "stall_after_commit", path: "/register", method: "POST", count: 1 },
    ]);
    try {
      const { child, ended } = start(["register", "-c", cfg, "--state", state, "--json"]);
      await until(async () => (await held("hint-bank")).length === 1);
      await new Promise((r) => setTimeout(r, 200));
      child.kill("SIGINT");
      const r = await ended;
      const ids = await held("hint-bank");
      expect(r.ms).toBeLessThan(5000);
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toContain("interrupted (SIGINT)");
      expect(r.stderr).toContain(`POST https://`);
      expect(r.stderr).toContain(ids[0]);
      expect(JSON.parse(r.stdout).error).toMatchObject({
        code: "OBDCR_INTERRUPTED",
        exit_code: 130,
        client_id: ids[0],
      });
      expect(existsSync(state)).toBe(false);
      // What the message says holds: the next register finds the client by its hint, no second one.
      await sb.admin.setFaults("hint-bank", []);
      const again = await cli(["register", "-c", cfg, "--state", state, "--json"]);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout).registration.client_id).toBe(ids[0]);
      expect(await held("hint-bank")).toEqual(ids);
    } finally {
      await sb.admin.setFaults("hint-bank", []);
    }
  });

  it("SIGTERM during the POST at a bank that chooses the client_id: exit 143 at once, and the message says a client may exist that only the bank can show", async () => {
    const cfg = writeConfig(dir, "rat.yaml", cliConfig(sb, "rat-bank"));
    await sb.admin.setFaults("rat-bank", [
      { kind: "stall_after_commit", path: "/register", method: "POST", count: 1 },
    ]);
    try {
      const before = (await held("rat-bank")).length;
      const { child, ended } = start(["register", "-c", cfg]);
      await until(async () => (await held("rat-bank")).length === before + 1);
      child.kill("SIGTERM");
      const r = await ended;
      expect(r.ms).toBeLessThan(5000);
      expect(r.code, r.stderr).toBe(143);
      expect(r.stderr).toContain("interrupted (SIGTERM)");
      expect(r.stderr).toMatch(/the bank may have registered a client/);
      expect(r.stderr).toMatch(/before registering again/);
    } finally {
      await sb.admin.setFaults("rat-bank", []);
    }
  });

  it("SIGINT during the PUT at a bank that rotates the registration access token: the state file records that the token may be superseded, so the next get does not call the live client gone", async () => {
    const cfg = writeConfig(dir, "put.yaml", cliConfig(sb, "rat-bank"));
    const state = path.join(dir, "put-state.json");
    const reg = await cli(["register", "-c", cfg, "--state", state]);
    expect(reg.code, reg.stderr).toBe(0);
    const id = JSON.parse(readFileSync(state, "utf8")).client_id as string;
    await sb.admin.setFaults("rat-bank", [
      { kind: "stall_after_commit", path: "/register/", method: "PUT", count: 1 },
    ]);
    try {
      const puts = async () =>
        Object.entries(await sb.admin.requests("rat-bank"))
          .filter(([k]) => k.startsWith("PUT "))
          .reduce((a, [, n]) => a + n, 0);
      const before = await puts();
      const { child, ended } = start(["update", "-c", cfg, "--state", state]);
      await until(async () => (await puts()) > before);
      await new Promise((r) => setTimeout(r, 300));
      child.kill("SIGINT");
      const r = await ended;
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toContain("interrupted (SIGINT)");
      expect(r.stderr).toContain(`PUT https://`);
      expect(JSON.parse(readFileSync(state, "utf8")).token_unconfirmed).toBe(true);
      await sb.admin.setFaults("rat-bank", []);
      // The bank applied the PUT and rotated the token in the answer never read: the stored token is
      // refused, and that is not taken for a deletion (the client lives on at the bank).
      expect((await held("rat-bank")).includes(id)).toBe(true);
      const get = await cli(["get", "-c", cfg, "--state", state]);
      expect(get.code).toBe(4);
      expect(get.stderr).toMatch(/OBDCR_GONE_UNCONFIRMED/);
      expect(get.stderr).not.toMatch(/OBDCR_REGISTRATION_GONE/);
    } finally {
      await sb.admin.setFaults("rat-bank", []);
    }
  });

  it("run (token, SSA, register) stopped by SIGTERM while the POST is unanswered names the client as register does", async () => {
    const cfg = writeConfig(
      dir,
      "run.yaml",
      cliConfig(sb, "hint-bank", { bank_profile: { client_id_hint: true } }),
    );
    await sb.admin.setFaults("hint-bank", [
      { kind: "stall_after_commit", path: "/register", method: "POST", count: 1 },
    ]);
    try {
      const before = await held("hint-bank");
      const { child, ended } = start(["run", "-c", cfg]);
      await until(async () => (await held("hint-bank")).length === before.length + 1);
      child.kill("SIGTERM");
      const r = await ended;
      const added = (await held("hint-bank")).filter((x) => !before.includes(x));
      expect(r.ms).toBeLessThan(5000);
      expect(r.code, r.stderr).toBe(143);
      expect(r.stderr).toContain("interrupted (SIGTERM)");
      expect(r.stderr).toContain(added[0]);
    } finally {
      await sb.admin.setFaults("hint-bank", []);
    }
  });

  it("SIGINT while the DELETE is unanswered: exit 130, the state file is kept, and the same delete again settles it", async () => {
    const cfg = writeConfig(dir, "del.yaml", cliConfig(sb, "rat-bank"));
    const state = path.join(dir, "del-state.json");
    const reg = await cli(["register", "-c", cfg, "--state", state]);
    expect(reg.code, reg.stderr).toBe(0);
    const id = JSON.parse(readFileSync(state, "utf8")).client_id as string;
    await sb.admin.setFaults("rat-bank", [
      { kind: "stall_after_commit", path: "/register/", method: "DELETE", count: 1 },
    ]);
    try {
      const { child, ended } = start(["delete", "-c", cfg, "--state", state]);
      await until(async () => !(await held("rat-bank")).includes(id));
      child.kill("SIGINT");
      const r = await ended;
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toContain(`DELETE https://`);
      expect(r.stderr).toContain(id);
      expect(existsSync(state)).toBe(true);
      await sb.admin.setFaults("rat-bank", []);
      const again = await cli(["delete", "-c", cfg, "--state", state]);
      expect(again.code, again.stderr).toBe(0);
    } finally {
      await sb.admin.setFaults("rat-bank", []);
    }
  });
});
