"use strict";
// Preloaded by the benchmark only (NODE_OPTIONS=--require, with OBDCR_BENCH_CPU_DIR set) into the
// provider hosts it measures: the Pulumi dynamic provider host, the native obdcr plugin
// (dist/provider/native/main.js) and the bench's no-op plugin (dist/bench/noop_provider/main.js).
// Every 20 ms and at exit it writes the process's CPU time and peak RSS to <dir>/<pid>.json.
// Nothing else: no request, input or secret is read or written. The engine may kill the host
// without an exit event, so the last snapshot is at most 20 ms old. With OBDCR_BENCH_EXIT_ON_SIGNAL
// set (profiling runs, NODE_OPTIONS=--cpu-prof), SIGINT/SIGTERM end the process by process.exit so
// that Node writes the CPU profile, and the only snapshot is at exit (no timer in the profile).
const HOSTS = ["dynamic-provider", "provider/native/main.js", "noop_provider/main.js"];
const dir = process.env.OBDCR_BENCH_CPU_DIR;
if (dir && process.argv.slice(1).some((a) => HOSTS.some((h) => a.includes(h)))) {
  const fs = require("node:fs");
  const path = require("node:path");
  const file = path.join(dir, `${process.pid}.json`);
  const snapshot = () => {
    const cpu = process.cpuUsage();
    const json = JSON.stringify({
      pid: process.pid,
      argv1: path.basename(path.dirname(process.argv[1] ?? "")),
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
  process.on("exit", snapshot);
  if (process.env.OBDCR_BENCH_EXIT_ON_SIGNAL)
    for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(0));
  else setInterval(snapshot, 20).unref();
}
