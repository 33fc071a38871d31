import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Engine and sandbox tests start real servers and the real Pulumi CLI.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    // Most files wait on real servers and Pulumi processes, not the CPU: two at once even on a
    // 2-core runner (vitest's default there is one: cores - 1), each in a process of its own.
    maxWorkers: 2,
    // The JSON report feeds the plain "N passed, N failed" line of .ci/run.
    reporters: ["default", ["json", { outputFile: ".vitest/results.json" }]],
  },
});
