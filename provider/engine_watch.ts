/**
 * The engine starts every provider in a process group of its own, so killing `pulumi up` (or the
 * CI job around it) leaves the provider running, and a create in flight would still register a
 * client that no state records. A provider process ends as soon as the engine that started it is
 * gone (re-parented, or its end of stdout/stderr closed): what it had not yet sent is never sent.
 */
import { readFileSync } from "node:fs";

/** The parent of `pid` and its command name (Linux /proc; undefined elsewhere). */
function procOf(pid: number): { ppid: number; comm: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    return { ppid: Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]), comm };
  } catch {
    return undefined;
  }
}

const SHELLS = new Set(["sh", "dash", "bash"]);
let watching = false;

/**
 * Exit when the engine is gone. The engine is the parent, or, when a shell wrapper started this
 * process without `exec` (Pulumi's own `pulumi-resource-pulumi-nodejs` does), the wrapper's parent.
 */
export function exitWithEngine(poll_ms = 100): void {
  if (watching) return;
  watching = true;
  // The engine holds the other end of stdout and stderr: a write that finds it closed means the
  // engine is gone. Unhandled, that EPIPE is an uncaught exception, which the SDK's hosts log to
  // stderr, which fails again: a loop that never yields to the poll below and grows without bound.
  for (const stream of [process.stdout, process.stderr])
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED") process.exit(1);
    });
  const parent = process.ppid;
  const wrapper = procOf(parent);
  const engine = wrapper && SHELLS.has(wrapper.comm) ? wrapper.ppid : undefined;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(1);
    if (engine !== undefined && procOf(parent)?.ppid !== engine) process.exit(1);
  }, poll_ms).unref();
}
