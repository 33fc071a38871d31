// Vitest hooks over the test support (kept apart from sandbox.ts, which the benchmark's sandbox
// process imports outside any test runner).
import { afterAll, beforeAll } from "vitest";
import { startTestSandbox, type TestSandbox, type TestSandboxOptions } from "./sandbox.js";

/**
 * One sandbox for the tests of a file: started before them, closed after them (after `before`
 * the close, e.g. the core's `closeAgents`). The object returned is filled in when it starts.
 */
export function sandboxForFile(
  opts: TestSandboxOptions = {},
  beforeClose?: () => Promise<void>,
): TestSandbox {
  const sb = {} as TestSandbox;
  beforeAll(async () => {
    Object.assign(sb, await startTestSandbox(opts));
  });
  afterAll(async () => {
    await beforeClose?.();
    await sb.close?.();
  });
  return sb;
}
