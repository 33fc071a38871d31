import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Engine and sandbox tests start real servers and the real Pulumi CLI.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    // The JSON report feeds the plain "N passed, N failed" line of .ci/run.
    reporters: ["default", ["json", { outputFile: ".vitest/results.json" }]],
  },
});
