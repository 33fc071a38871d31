// Test-only preload for the CLI subprocess (NODE_OPTIONS=--require): on exit, writes the process's
// peak resident set size (process.resourceUsage().maxRSS, kilobytes) to $OBDCR_TEST_PROBE.
const fs = require("node:fs");
const file = process.env.OBDCR_TEST_PROBE;
if (file) {
  process.on("exit", () => {
    try {
      fs.writeFileSync(file, JSON.stringify({ max_rss_kb: process.resourceUsage().maxRSS }));
    } catch {
      // the test reports a missing probe
    }
  });
}
