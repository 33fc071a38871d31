// A provider ends with its engine: the engine starts providers in process groups of their own, so
// when `pulumi up` is killed they keep running. Here a stand-in engine starts a provider process
// the two ways Pulumi does (directly, and through a shell wrapper without `exec`, as Pulumi's own
// pulumi-resource-pulumi-nodejs does), is killed, and the provider must be gone within a second.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";

/** Running: not gone, and not a zombie waiting for whoever inherited it to reap it. */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
};

async function until(test: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (test()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return test();
}

describe("a provider process ends when its engine is killed", () => {
  const dir = mkdtempSync(join(tmpdir(), "obdcr-engine-watch-"));
  const watch = join(repoRoot, "dist", "provider", "engine_watch.js");
  // The provider: watches its engine, writes its pid, then would run for a minute.
  const provider = join(dir, "provider.js");
  writeFileSync(
    provider,
    `require(${JSON.stringify(watch)}).exitWithEngine(50);
     require("node:fs").writeFileSync(process.argv[2], String(process.pid));
     setTimeout(() => {}, 60_000);`,
  );

  it.each([
    ["started directly (the plugin: its wrapper execs node)", false],
    ["started through a shell wrapper without exec (the dynamic provider host)", true],
  ])("%s", async (_name, wrapped) => {
    const pidFile = join(dir, `pid-${wrapped}`);
    const cmd = wrapped
      ? `require("node:child_process").spawn("sh", ["-c", ${JSON.stringify(`"${process.execPath}" "${provider}" "${pidFile}"; true`)}], { detached: true, stdio: "ignore" })`
      : `require("node:child_process").spawn(${JSON.stringify(process.execPath)}, [${JSON.stringify(provider)}, ${JSON.stringify(pidFile)}], { detached: true, stdio: "ignore" })`;
    // The stand-in engine: starts the provider in a process group of its own, then waits.
    const engine = spawn(process.execPath, ["-e", `${cmd}; setTimeout(() => {}, 60_000)`], {
      stdio: "ignore",
    });
    let pid = 0;
    expect(
      await until(() => {
        try {
          pid = Number(readFileSync(pidFile, "utf8"));
          return pid > 0;
        } catch {
          return false;
        }
      }, 10_000),
    ).toBe(true);
    // Alive while its engine is.
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(pid)).toBe(true);
    engine.kill("SIGKILL");
    expect(await until(() => !alive(pid), 2_000)).toBe(true);
  });
});
