// Where the native plugin's CPU goes: `pulumi up` of N registrations with the V8 CPU profiler on
// in the plugin (NODE_OPTIONS=--cpu-prof, passed on by the engine; the hook turns the engine's
// SIGINT into process.exit so that Node writes the profile), self time summed by module group,
// from the provider's first `check` on (start-up and module loading apart); and the resident
// memory that module loading alone takes.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { nativeCell } from "./native_cells.js";
import type { BenchSandbox } from "./sandbox.js";

interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  samples: number[];
  timeDeltas: number[];
}

/** The groups the profile is summed into, in the order they are reported. */
export const GROUPS = [
  "ob-dcr (provider/native, lifecycle, http, core, resource)",
  "@pulumi/pulumi provider server (gRPC over node:http2, protobuf, Struct conversion)",
  "undici (HTTP client)",
  "Node TLS, sockets, streams",
  "file reads (node:fs: key and certificate files)",
  "jose (JWS sign/verify, key import)",
  "zod (input and answer schemas)",
  "x509 / ASN.1 (@peculiar, asn1js)",
  "other npm packages",
  "module loading and compilation",
  "other Node internals",
  "garbage collector",
  "V8 outside JS ((program))",
] as const;
export type Group = (typeof GROUPS)[number];

/** Native bindings (no script URL) by name: file system calls, and socket writes. */
const FS_BINDINGS = new Set([
  "open",
  "openFileHandle",
  "fstat",
  "read",
  "close",
  "readFileUtf8",
  "stat",
  "lstat",
]);
const SOCKET_BINDINGS = new Set([
  "writev",
  "writeLatin1String",
  "writeUtf8String",
  "writeBuffer",
  "shutdown",
]);

/** The group of one stack frame, from its script URL. */
export function groupOf(url: string, fn: string): Group | "idle" {
  if (fn === "(idle)") return "idle";
  if (fn === "(garbage collector)") return "garbage collector";
  if (fn === "(program)" || fn === "(root)") return "V8 outside JS ((program))";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg) {
    if (/^(@pulumi\/|@grpc\/|google-protobuf|protobufjs|@protobufjs\/|source-map)/.test(pkg))
      return "@pulumi/pulumi provider server (gRPC over node:http2, protobuf, Struct conversion)";
    if (pkg === "undici") return "undici (HTTP client)";
    if (pkg === "jose") return "jose (JWS sign/verify, key import)";
    if (pkg === "zod") return "zod (input and answer schemas)";
    if (/^(@peculiar\/|asn1js|pvtsutils|pvutils|tsyringe|reflect-metadata)/.test(pkg))
      return "x509 / ASN.1 (@peculiar, asn1js)";
    if (pkg === "ob-dcr") return "ob-dcr (provider/native, lifecycle, http, core, resource)";
    return "other npm packages";
  }
  if (/\/dist\/provider\//.test(url)) return "ob-dcr (provider/native, lifecycle, http, core, resource)";
  if (/^node:(internal\/)?http2/.test(url))
    return "@pulumi/pulumi provider server (gRPC over node:http2, protobuf, Struct conversion)";
  if (/^node:(internal\/)?fs/.test(url) || (url === "" && FS_BINDINGS.has(fn)))
    return "file reads (node:fs: key and certificate files)";
  if (url === "" && SOCKET_BINDINGS.has(fn)) return "Node TLS, sockets, streams";
  if (/^node:internal\/modules\//.test(url) || fn === "compileFunction" || fn === "wrapSafe")
    return "module loading and compilation";
  if (/^node:(_tls|tls|net|internal\/(tls|net|stream|streams|js_stream)|stream|internal\/crypto)/.test(url))
    return "Node TLS, sockets, streams";
  return "other Node internals";
}

/** The provider's first `check`: the samples from there on are the steady state. */
const isFirstCall = (cf: { functionName: string; url: string }) =>
  cf.functionName === "check" && cf.url.includes("provider/native/provider.js");

/**
 * Self time (ms, as sampled) by group and by function over every profile in `dir`: the steady
 * state (from the provider's first `check` on) apart from what came before (start-up, module
 * loading, Configure).
 */
export function summarise(dir: string): {
  startup_ms: number;
  by_group: Record<Group, number>;
  functions: Map<string, number>;
  profiles: number;
} {
  const by_group = Object.fromEntries(GROUPS.map((g) => [g, 0])) as Record<Group, number>;
  const functions = new Map<string, number>();
  let startup_ms = 0;
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  for (const f of files) {
    const p = JSON.parse(readFileSync(join(dir, f), "utf8")) as CpuProfile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const inCheck = (id: number): boolean => {
      for (let x: number | undefined = id; x !== undefined; x = parent.get(x))
        if (isFirstCall(byId.get(x)!.callFrame)) return true;
      return false;
    };
    let steady = false;
    p.samples.forEach((id, i) => {
      const cf = byId.get(id)?.callFrame;
      const ms = (p.timeDeltas[i] ?? 0) / 1000;
      if (!cf) return;
      const g = groupOf(cf.url, cf.functionName);
      if (g === "idle") return;
      steady ||= inCheck(id);
      if (!steady) {
        startup_ms += ms;
        return;
      }
      by_group[g] += ms;
      const where = cf.url.replace(/^.*node_modules\//, "").replace(/^.*\/dist\//, "dist/");
      const key = `${cf.functionName || "(anonymous)"} ${where}${where ? `:${cf.lineNumber + 1}` : ""}`;
      functions.set(key, (functions.get(key) ?? 0) + ms);
    });
  }
  return { startup_ms, by_group, functions, profiles: files.length };
}

export interface NativeProfile {
  n: number;
  /** Plugin CPU (hook) of the profiled `up`, profiler overhead included. */
  cpu_ms: number;
  /** Sampled time before the first `check` (start-up, module loading, Configure). */
  startup_sampled_ms: number;
  /** Sampled time from the first `check` on. */
  steady_sampled_ms: number;
  /** Share of the steady state by group. */
  groups: Array<{ group: Group; share: number }>;
  /** The functions with the largest self time in the steady state, and their share. */
  top_functions: Array<{ fn: string; share: number }>;
}

/**
 * `pulumi up` of n native registrations with the profiler on. Shares, not milliseconds: the
 * profiler samples on wall time, so on a loaded machine its times are inflated by waits for a
 * core; the report scales the shares by the plugin's measured marginal CPU.
 */
export async function profileNative(
  sb: BenchSandbox,
  n: number,
  latency: number,
  workDir: string,
): Promise<NativeProfile> {
  const base = join(workDir, "profile");
  const dir = join(base, `cpuprof-n${n}`);
  mkdirSync(dir, { recursive: true });
  const r = await nativeCell(
    sb,
    "native",
    n,
    latency,
    base,
    (phase): Record<string, string> =>
      phase === "up"
        ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}`, OBDCR_BENCH_EXIT_ON_SIGNAL: "1" }
        : {},
  );
  const s = summarise(dir);
  if (s.profiles === 0) throw new Error(`the native plugin wrote no CPU profile in ${dir}`);
  const steady = GROUPS.reduce((a, g) => a + s.by_group[g], 0);
  return {
    n,
    cpu_ms: r.up_provider_cpu_ms,
    startup_sampled_ms: s.startup_ms,
    steady_sampled_ms: steady,
    groups: GROUPS.map((group) => ({ group, share: s.by_group[group] / steady })),
    top_functions: [...s.functions.entries()]
      .map(([fn, ms]) => ({ fn, share: ms / steady }))
      .sort((a, b) => b.share - a.share)
      .slice(0, 15),
  };
}

/** Resident memory (MB) of a fresh plugin-like process after each stage of module loading. */
export interface LoadRss {
  node_mb: number;
  /** + the SDK's provider server (`@pulumi/pulumi/provider/server`, what both plugins load). */
  pulumi_sdk_mb: number;
  /** + the native provider's modules (provider/native/provider.js and all it imports). */
  ob_dcr_mb: number;
}

export function loadRss(root: string): LoadRss {
  const script = [
    "const mb = () => process.memoryUsage().rss / 2 ** 20;",
    "const out = { node_mb: mb() };",
    'require("@pulumi/pulumi/provider/server"); out.pulumi_sdk_mb = mb();',
    `require(${JSON.stringify(join(root, "dist", "provider", "native", "provider.js"))}); out.ob_dcr_mb = mb();`,
    "process.stdout.write(JSON.stringify(out));",
  ].join("\n");
  const r = spawnSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`module loading RSS: ${r.stderr}`);
  return JSON.parse(r.stdout) as LoadRss;
}
