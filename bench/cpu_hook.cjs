"use strict";
// Preloaded by the benchmark only (NODE_OPTIONS=--require, with OBDCR_BENCH_CPU_DIR set) into the
// Pulumi dynamic provider host: every 20 ms and at exit it writes the process's CPU time and peak
// RSS to <dir>/<pid>.json. Nothing else: no request, input or secret is read or written. The
// engine may kill the host without an exit event, so the last snapshot is at most 20 ms old.
const dir = process.env.OBDCR_BENCH_CPU_DIR;
if (dir && process.argv.slice(1).some((a) => a.includes("dynamic-provider"))) {
  const fs = require("node:fs");
  const path = require("node:path");
  const file = path.join(dir, `${process.pid}.json`);
  const snapshot = () => {
    const cpu = process.cpuUsage();
    const json = JSON.stringify({
      pid: process.pid,
      cpu_user_us: cpu.user,
      cpu_system_us: cpu.system,
      max_rss_kb: process.resourceUsage().maxRSS,
      uptime_ms: Math.round(process.uptime() * 1000),
    });
    try {
      fs.writeFileSync(`${file}.tmp`, json);
      fs.renameSync(`${file}.tmp`, file);
    } catch {
      // the benchmark's directory is gone: nothing to report to
    }
  };
  fs.mkdirSync(dir, { recursive: true });
  snapshot();
  setInterval(snapshot, 20).unref();
  process.on("exit", snapshot);
}
