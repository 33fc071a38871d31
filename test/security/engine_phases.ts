// What the engine tests of single hostile scenarios share: a stack of one face (the dynamic
// resource or the plugin) with the suite's small budgets, and the phases run on it, each kept with
// its output and the state file after it.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { stateFile } from "../../scripts/lib/pulumi_stack.js";
import { nativeStack } from "../native/stack.js";
import { engineHarness } from "../reliability/engine_support.js";
import { SECURITY_ENV } from "./harness.js";

export type Face = "dyn" | "nat";

export interface FaceStack {
  stack: Stack;
  /** The resources the program declares (changed between phases to change the inputs). */
  declared: Map<string, Record<string, unknown>>;
  /** The state file's text ("" before the first write). */
  stateText: () => string;
}

export async function faceStack(face: Face, projectName: string, stackName: string): Promise<FaceStack> {
  if (face === "dyn") {
    const eh = await engineHarness(projectName, stackName, SECURITY_ENV);
    return { stack: eh.stack, declared: eh.declared as FaceStack["declared"], stateText: eh.stateText };
  }
  const backend = `file://${join(mkdtempSync(join(tmpdir(), `obdcr-sec-${stackName}-`)), "state")}`;
  const declared: FaceStack["declared"] = new Map();
  const stack = await nativeStack({ projectName, stackName, backend, declared, envVars: SECURITY_ENV });
  const stateText = () => {
    try {
      return readFileSync(stateFile(backend, projectName, stackName), "utf8");
    } catch {
      return "";
    }
  };
  return { stack, declared, stateText };
}

export interface PhaseResult {
  phase: string;
  ok: boolean;
  /** The engine's output, and the error's message when it failed. */
  output: string;
}

/** Phases run in turn; each result and the state text after it are kept. */
export function phases(stateText: () => string) {
  const results: PhaseResult[] = [];
  const states: string[] = [];
  const run = async (name: string, f: (onOutput: (s: string) => void) => Promise<unknown>) => {
    let output = "";
    const ok = await f((s) => {
      output += s;
    }).then(
      () => true,
      (e: Error) => {
        output += e.message;
        return false;
      },
    );
    results.push({ phase: name, ok, output });
    states.push(stateText());
  };
  return { results, states, run };
}
