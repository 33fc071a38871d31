// Engine helpers of the reliability suite: a stack of ObClientRegistration resources on the real
// engine (Automation API, file backend) and the invariant every test ends on: the sandbox banks'
// registrations are exactly the ones in state, nothing is pending, and a preview has nothing to do.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { expect } from "vitest";
import type { RegistrationInputs } from "../../provider/resource/args.js";
import { ObClientRegistration } from "../../provider/resource/registration.js";
import type { Sandbox } from "../../sandbox/index.js";
import { localStack, stateFile } from "../../scripts/lib/pulumi_stack.js";
import { pulumiArgs } from "../support/params.js";

export type Args = RegistrationInputs;

/** Short timeouts and backoff for the provider host, so faults cost seconds, not minutes. */
export const FAST_TRANSPORT_ENV = {
  OBDCR_HEADERS_TIMEOUT_MS: "3000",
  OBDCR_BODY_TIMEOUT_MS: "3000",
  OBDCR_CONNECT_TIMEOUT_MS: "2000",
  OBDCR_BACKOFF_BASE_MS: "20",
  OBDCR_MAX_RETRY_AFTER_MS: "2000",
};

export interface EngineHarness {
  stack: Stack;
  declared: Map<string, Args>;
  backend: string;
  projectName: string;
  stackName: string;
  /** Everything the engine printed, across every operation. */
  output: () => string;
  onOutput: (s: string) => void;
  stateText: () => string;
}

export async function engineHarness(
  projectName: string,
  stackName: string,
  env: Record<string, string> = {},
): Promise<EngineHarness> {
  const dir = mkdtempSync(join(tmpdir(), `obdcr-rel-${stackName}-`));
  const backend = `file://${join(dir, "state")}`;
  const declared = new Map<string, Args>();
  let out = "";
  const stack = await localStack({
    projectName,
    stackName,
    backend,
    envVars: { ...FAST_TRANSPORT_ENV, ...env },
    program: async () => {
      const outs: Record<string, unknown> = {};
      for (const [name, args] of declared) {
        const r = new ObClientRegistration(name, args as never);
        outs[name] = r.clientId;
        outs[`${name}Secret`] = r.clientSecret;
        outs[`${name}Rat`] = r.registrationAccessToken;
      }
      return outs;
    },
  });
  return {
    stack,
    declared,
    backend,
    projectName,
    stackName,
    output: () => out,
    onOutput: (s: string) => {
      out += s;
    },
    stateText: () => readFileSync(stateFile(backend, projectName, stackName), "utf8"),
  };
}

/** Registration args for a sandbox bank; the hint on unless told otherwise. */
export function argsFor(sb: Sandbox, bank: string, hint = true): Args {
  const a = pulumiArgs(sb, bank) as Args;
  return { ...a, bankProfile: { clientIdHint: hint } };
}

export interface StateRegistration {
  id: string;
  urn: string;
  outputs: Record<string, unknown>;
}

export async function stateRegistrations(h: EngineHarness): Promise<StateRegistration[]> {
  return ((await h.stack.exportStack()).deployment.resources ?? []).filter((r: { type: string }) =>
    r.type.endsWith(":ObClientRegistration"),
  ) as StateRegistration[];
}

/** Run `up` until it succeeds (at most `tries`); returns how many runs it took and the errors. */
export async function upUntilConverged(
  h: EngineHarness,
  tries = 3,
  afterFailedRun?: () => Promise<void>,
): Promise<{ runs: number; errors: string[] }> {
  const errors: string[] = [];
  for (let i = 1; i <= tries; i++) {
    let text = "";
    const ok = await h.stack
      .up({
        // one failed resource must not keep the engine from trying the others
        continueOnError: true,
        onOutput: (s) => {
          text += s;
          h.onOutput(s);
        },
      })
      .then(
        () => true,
        (e: Error) => {
          errors.push(`${text}\n${e.message}`);
          return false;
        },
      );
    if (ok) return { runs: i, errors };
    await afterFailedRun?.();
  }
  throw new Error(`up did not converge in ${tries} runs:\n${errors.join("\n---\n").slice(-4000)}`);
}

/**
 * The invariant: for every bank, the client_ids the bank holds are exactly those in state (no
 * orphan, no duplicate, none lost); no operation is left pending.
 */
export async function expectBanksMatchState(h: EngineHarness, sb: Sandbox, banks: string[]): Promise<void> {
  const dep = (await h.stack.exportStack()).deployment as { pending_operations?: unknown[] };
  expect(dep.pending_operations ?? [], "pending operations in state").toEqual([]);
  const regs = await stateRegistrations(h);
  for (const bank of banks) {
    const discovery = sb.manifest.banks.find((b) => b.name === bank)!.discovery_url;
    const inState = regs
      .filter((r) => (r.outputs.bank as { discoveryUrl?: string } | undefined)?.discoveryUrl === discovery)
      .map((r) => r.id)
      .sort();
    const held = (await sb.admin.registrations(bank)).map((r) => r.client_id).sort();
    expect(held, `bank ${bank}: registrations held vs in state`).toEqual(inState);
  }
}

export async function expectNoChanges(h: EngineHarness): Promise<void> {
  const p = await h.stack.preview();
  const s = p.changeSummary;
  expect(
    { create: s.create ?? 0, update: s.update ?? 0, delete: s.delete ?? 0, replace: s.replace ?? 0 },
    "a preview after convergence",
  ).toEqual({ create: 0, update: 0, delete: 0, replace: 0 });
}

/** Every process below this one (the Pulumi CLI and the plugins it started), by id. */
export function descendants(root: number): number[] {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [pid, ppid] of rows)
      if (ppid === p) {
        out.push(pid);
        walk(pid);
      }
  };
  walk(root);
  return out;
}
