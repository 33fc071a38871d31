// A stack whose program declares ObClientRegistration resources from a map that tests edit
// between runs (real engine, Automation API, file backend in a temp dir), and the checks the
// regime suites share: what is in state, and that no secret reaches state or engine output.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import type { ObClientRegistrationArgs } from "../../provider/pulumi.js";
import { ObClientRegistration } from "../../provider/resource/registration.js";
import { localStack, stateFile } from "../../scripts/lib/pulumi_stack.js";

export interface Declared {
  args: ObClientRegistrationArgs;
  retainOnDelete?: boolean;
}

export interface RegimeStack {
  stack: Stack;
  declared: Map<string, Declared>;
  /** Everything the engine printed so far. */
  output: () => string;
  onOutput: (s: string) => void;
  state: () => string;
  resources: () => Promise<{ id: string; urn: string; outputs: Record<string, unknown> }[]>;
  ids: () => Promise<string[]>;
}

export async function regimeStack(dir: string, projectName: string, stackName: string): Promise<RegimeStack> {
  const backend = `file://${join(dir, "state")}`;
  const declared = new Map<string, Declared>();
  let out = "";
  const stack = await localStack({
    projectName,
    stackName,
    backend,
    program: async () => {
      const o: Record<string, unknown> = {};
      for (const [name, d] of declared) {
        const r = new ObClientRegistration(name, d.args, { retainOnDelete: d.retainOnDelete ?? false });
        o[name] = r.clientId;
        o[`${name}Rat`] = r.registrationAccessToken;
        o[`${name}Uri`] = r.managementUri;
      }
      return o;
    },
  });
  const resources = async () =>
    ((await stack.exportStack()).deployment.resources ?? []).filter((r: { type: string }) =>
      r.type.endsWith(":ObClientRegistration"),
    ) as { id: string; urn: string; outputs: Record<string, unknown> }[];
  return {
    stack,
    declared,
    output: () => out,
    onOutput: (s: string) => {
      out += s;
    },
    state: () => readFileSync(stateFile(backend, projectName, stackName), "utf8"),
    resources,
    ids: async () => (await resources()).map((r) => r.id).sort(),
  };
}

/** A refresh that must fail: the engine's output and the error, for matching. */
export async function failingRefresh(s: RegimeStack): Promise<string> {
  let out = "";
  const failed = await s.stack.refresh({ onOutput: (x) => (out += x) }).then(
    () => undefined,
    (e: Error) => e.message,
  );
  if (failed === undefined) throw new Error("the refresh succeeded; it was expected to fail");
  return out + failed;
}

/** A refresh with `OBDCR_CONFIRM_GONE=<client_id>`: the operator confirms that the bank deleted it. */
export async function confirmedRefresh(s: RegimeStack, client_id: string): Promise<void> {
  s.stack.workspace.envVars.OBDCR_CONFIRM_GONE = client_id;
  try {
    await s.stack.refresh({ onOutput: s.onOutput });
  } finally {
    delete s.stack.workspace.envVars.OBDCR_CONFIRM_GONE;
  }
}

/** Lines of a PEM private key long enough to be unmistakable (never in state or output). */
export function keyLines(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.length > 40 && !l.startsWith("-----"));
}
