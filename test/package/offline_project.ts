/**
 * A new npm project installed without the network, from the tarball of this package and the
 * packages the repo itself installed.
 *
 * `npm install --offline` in a project without a lockfile needs registry metadata (packuments),
 * which an install from a lockfile never downloads: from a fresh clone the npm cache holds the
 * tarballs of every package in package-lock.json and little else. So the project gets a
 * package-lock.json cut from the repo's own: each package the project asks for, with everything
 * it depends on, at the version, integrity and node_modules path the repo resolved it to. Then
 * `npm ci --offline` takes every tarball from the cache by its integrity, and the packed ob-dcr
 * from the tarball file, like any registry package (copied, bin linked, nothing symlinked to the
 * repo).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../scripts/lib/root.js";

/** The repository (also from dist/, where the bench runs this code built). */
export const ROOT = repoRoot;

export interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

export interface Lockfile {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

export interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  main?: string;
  types?: string;
  scripts?: Record<string, string>;
  bin?: Record<string, string>;
  files?: string[];
  exports?: Record<string, string | { types?: string; default?: string }>;
  license?: string;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

export const repoPackage = (): PackageJson =>
  JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as PackageJson;
export const repoLock = (): Lockfile =>
  JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as Lockfile;

/** The lockfile path `name` resolves to from the package at `from` ("" = the root): node_modules lookup upwards. */
export function resolveIn(lock: Lockfile, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!dir) return undefined;
    const i = dir.lastIndexOf("/node_modules/");
    dir = i < 0 ? "" : dir.slice(0, i);
  }
}

/** Lockfile paths of `names` (resolved from the repo root) and of everything they need at run time. */
export function closure(lock: Lockfile, names: string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (at: string) => {
    if (seen.has(at)) return;
    seen.add(at);
    const entry = lock.packages[at] ?? {};
    const optionalPeers = entry.peerDependenciesMeta ?? {};
    const edges = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}).filter((p) => !optionalPeers[p]?.optional),
    ];
    for (const dep of edges) {
      const target = resolveIn(lock, at, dep);
      // A missing optional dependency (another platform's binary) is missing in the repo too.
      if (target) visit(target);
      else if (!(dep in (entry.optionalDependencies ?? {})) && !(dep in (entry.peerDependencies ?? {})))
        throw new Error(`${at} needs ${dep}, which the repo's package-lock.json does not hold`);
    }
  };
  for (const name of names) {
    const target = resolveIn(lock, "", name);
    if (!target || lock.packages[target]?.link)
      throw new Error(`${name} is not installed from the registry by the repo (package-lock.json)`);
    visit(target);
  }
  return seen;
}

export function sha512(file: string): string {
  return `sha512-${createHash("sha512").update(readFileSync(file)).digest("base64")}`;
}

export interface ProjectSpec {
  dir: string;
  /** package.json members besides the dependencies (name, main, …). */
  manifest: Record<string, unknown>;
  /** The packed ob-dcr. */
  tarball: string;
  /** Packages taken from the repo's install, at the version the repo has. */
  dependencies?: string[];
  devDependencies?: string[];
  /** More packed packages, installed from their tarball like ob-dcr (the Node SDK @ob-dcr/obdcr). */
  tarballs?: { file: string; pkg: PackageJson }[];
}

/** Writes package.json and package-lock.json for `npm ci --offline`. */
export function writeOfflineProject(spec: ProjectSpec): void {
  const lock = repoLock();
  const ob = repoPackage(); // the tarball's package.json is this file
  mkdirSync(spec.dir, { recursive: true });
  const tarballRef = `file:${path.relative(spec.dir, spec.tarball).split(path.sep).join("/")}`;
  const range = (name: string) => {
    const at = resolveIn(lock, "", name);
    const version = at ? lock.packages[at]?.version : undefined;
    if (!version) throw new Error(`${name} is not in the repo's package-lock.json`);
    return `^${version}`;
  };
  const ranges = (names: string[] = []) => Object.fromEntries(names.map((n) => [n, range(n)]));
  const fileRef = (f: string) => `file:${path.relative(spec.dir, f).split(path.sep).join("/")}`;
  const extra = spec.tarballs ?? [];
  const dependencies = {
    [ob.name]: tarballRef,
    ...Object.fromEntries(extra.map((t) => [t.pkg.name, fileRef(t.file)])),
    ...ranges(spec.dependencies),
  };
  const devDependencies = ranges(spec.devDependencies);
  const manifest = { ...spec.manifest, dependencies, devDependencies };
  writeFileSync(path.join(spec.dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);

  const packages: Record<string, LockEntry> = {
    "": { name: spec.manifest.name, dependencies, devDependencies },
    [`node_modules/${ob.name}`]: {
      version: ob.version,
      resolved: tarballRef,
      integrity: sha512(spec.tarball),
      license: ob.license,
      dependencies: ob.dependencies,
      optionalDependencies: ob.optionalDependencies,
      peerDependencies: ob.peerDependencies,
      peerDependenciesMeta: ob.peerDependenciesMeta,
      bin: ob.bin,
      engines: ob.engines,
    },
  };
  for (const t of extra)
    packages[`node_modules/${t.pkg.name}`] = {
      version: t.pkg.version,
      resolved: fileRef(t.file),
      integrity: sha512(t.file),
      license: t.pkg.license,
      dependencies: t.pkg.dependencies,
    };
  const wanted = [
    ...extra.flatMap((t) => Object.keys(t.pkg.dependencies ?? {})),
    ...(spec.dependencies ?? []),
    ...(spec.devDependencies ?? []),
    ...Object.keys(ob.dependencies ?? {}),
    ...Object.keys(ob.optionalDependencies ?? {}),
  ];
  for (const at of [...closure(lock, wanted)].sort()) {
    // dev/peer flags describe the repo's tree, not this one: npm ci installs what is listed.
    const { dev: _d, devOptional: _o, peer: _p, ...entry } = lock.packages[at]!;
    packages[at] = entry;
  }
  const lockfile = { name: spec.manifest.name, lockfileVersion: 3, requires: true, packages };
  writeFileSync(path.join(spec.dir, "package-lock.json"), `${JSON.stringify(lockfile, null, 2)}\n`);
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the event loop (the sandbox serves from this process). */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** A folder holding only `node`, the Node this test runs on (24, from the repo's devDependencies). */
export function nodeOnlyBin(dir: string): string {
  mkdirSync(dir, { recursive: true });
  symlinkSync(process.execPath, path.join(dir, "node"));
  return dir;
}

export const describeRun = (what: string, r: RunResult) =>
  `${what} exited ${r.code}\n--- stdout\n${r.stdout.slice(-6000)}\n--- stderr\n${r.stderr.slice(-6000)}`;

/** The tsconfig.json of a `pulumi new typescript` project (module nodenext), as the template writes it. */
export const TSCONFIG = {
  compilerOptions: {
    strict: true,
    outDir: "bin",
    target: "es2020",
    module: "nodenext",
    moduleResolution: "nodenext",
    sourceMap: true,
    experimentalDecorators: true,
    pretty: true,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
  },
  files: ["index.ts"],
};

/**
 * This process's environment as a user's shell would have it: without our own variables, npm's
 * per-script ones (the repo's package and prefix) or Pulumi's (a user's backend or token); npm's
 * config (cache, registry) stays. Callers set PATH.
 */
export function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !/^(OBDCR_|PULUMI_|npm_package_|npm_lifecycle_)/.test(k)) env[k] = v;
  delete env.npm_config_local_prefix;
  delete env.INIT_CWD;
  return env;
}

/** `npm <args>` without audit, fund or update notices. */
export const npm = (args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<RunResult> =>
  run("npm", [...args, "--no-audit", "--no-fund", "--no-update-notifier"], { cwd, env });

/**
 * `npm pack` of the build as it is into `dir`: the tarball and the files it holds. Scripts are
 * ignored: the prepack build would rebuild dist/ under whatever else runs from it.
 */
export async function packRepo(
  dir: string,
  env: NodeJS.ProcessEnv,
): Promise<{ tarball: string; files: string[] }> {
  mkdirSync(dir, { recursive: true });
  const r = await npm(["pack", "--ignore-scripts", "--json", "--pack-destination", dir], ROOT, env);
  if (r.code !== 0) throw new Error(describeRun("npm pack", r));
  const info = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
  return { tarball: path.join(dir, info[0]!.filename), files: info[0]!.files.map((f) => f.path).sort() };
}
