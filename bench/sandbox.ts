// Starts the sandbox in a child process and talks to its admin API (faults, request counts, reset).
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Agent, request } from "undici";
import type { TimelineEntry } from "../sandbox/http.js";
import type { SandboxManifest } from "../sandbox/manifest.js";
import { repoRoot } from "../scripts/lib/pulumi_stack.js";

export interface BenchSandbox {
  manifest: SandboxManifest;
  pid: number;
  /**
   * Latency (ms) on every request to the directory and every bank; 0 clears the faults.
   * `keystore: false` leaves the directory's JWKS reads (`/keystore/...`) undelayed (a diagnostic).
   */
  setLatency(ms: number, opts?: { keystore?: boolean }): Promise<void>;
  /** Faults of one target (`directory` or a bank's name), replacing its others. */
  setFaults(target: string, faults: unknown[]): Promise<void>;
  /** Requests by route since the last reset: the directory and each named bank. */
  requests(banks: string[]): Promise<{ directory: Record<string, number>; banks: Record<string, number>[] }>;
  /** When each of those requests arrived and was answered (epoch ms, this machine's clock). */
  timeline(banks: string[]): Promise<{ directory: TimelineEntry[]; banks: TimelineEntry[][] }>;
  /** Registrations, tokens, replay caches, faults and request counters back to empty. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export function bankNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `bank-${String(i + 1).padStart(2, "0")}`);
}

export async function startBenchSandbox(opts: {
  dataDir: string;
  pkiDir: string;
  banks: string[];
}): Promise<BenchSandbox> {
  const host = join(repoRoot, "dist", "bench", "sandbox_host.js");
  const child: ChildProcess = spawn(process.execPath, [host, JSON.stringify(opts)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const ready = await new Promise<{ manifestPath: string }>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error("the bench sandbox did not start in 120 s")), 120_000);
    rl.once("line", (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as { manifestPath: string });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the bench sandbox exited (${code}) before it was ready`));
    });
  });
  const manifest = JSON.parse(readFileSync(ready.manifestPath, "utf8")) as SandboxManifest;
  const agent = new Agent({ connect: { ca: readFileSync(manifest.ca_cert_file, "utf8") } });
  const admin = async (method: "GET" | "PUT" | "POST", path: string, body?: unknown): Promise<unknown> => {
    const res = await request(`${manifest.admin_url}${path}`, {
      dispatcher: agent,
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`admin ${method} ${path}: ${res.statusCode} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const targets = () => ["directory", ...manifest.banks.map((b) => b.name)];
  /** A target's admin path: `directory` or a bank's name, then e.g. `faults`, `requests`. */
  const pathOf = (target: string, what: string) =>
    target === "directory" ? `/admin/directory/${what}` : `/admin/banks/${target}/${what}`;
  const setFaults = async (target: string, faults: unknown[]) => {
    await admin("PUT", pathOf(target, "faults"), faults);
  };
  /** One admin read of the directory and of each named bank. */
  const readAll = async <T>(what: string, banks: string[]) => ({
    directory: (await admin("GET", pathOf("directory", what))) as T,
    banks: (await Promise.all(banks.map((b) => admin("GET", pathOf(b, what))))) as T[],
  });
  return {
    manifest,
    pid: child.pid ?? 0,
    async setLatency(ms, opts = {}) {
      const faults = ms > 0 ? [{ kind: "latency", ms }] : [];
      // Every directory route but the keystore's (sandbox/directory.ts), each its own prefix.
      const directory =
        ms > 0 && opts.keystore === false
          ? ["/.well-known/", "/as/", "/api/", "/scim/"].map((path) => ({ kind: "latency", ms, path }))
          : faults;
      await Promise.all(targets().map((t) => setFaults(t, t === "directory" ? directory : faults)));
    },
    setFaults,
    requests: (banks) => readAll<Record<string, number>>("requests", banks),
    timeline: (banks) => readAll<TimelineEntry[]>("timeline", banks),
    async reset() {
      await admin("POST", "/admin/reset");
    },
    async close() {
      await agent.close();
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin?.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
