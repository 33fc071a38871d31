// What package.json promises, checked against the build in dist/ (run `npm run build` first):
// a publishable package whose entry points exist, whose shipped code imports only declared
// packages, and whose core and CLI run without the Pulumi SDK (an optional peer).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../../provider/cli/main.js";
import { bareName, specifiers } from "./imports.js";
import { type PackageJson, ROOT, repoLock, repoPackage } from "./offline_project.js";

const DIST = path.join(ROOT, "dist");
const HOOK = path.join(__dirname, "forbid_pulumi.cjs");
const PULUMI = "@pulumi/pulumi";

function walk(dir: string, keep: (f: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && keep(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** Bare packages imported by the .js files under dist/<folder>, with the files that import each. */
function importsOf(folder: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const file of walk(path.join(DIST, folder), (f) => f.endsWith(".js"))) {
    for (const spec of specifiers(readFileSync(file, "utf8"))) {
      const name = bareName(spec);
      if (!name) continue;
      const rel = path.relative(ROOT, file);
      out.set(name, [...(out.get(name) ?? []), `${rel}: ${spec}`]);
    }
  }
  return out;
}

describe("package.json", () => {
  let pkg: PackageJson;
  let provider: Map<string, string[]>;
  let sandbox: Map<string, string[]>;
  const declared = () => ({
    ...pkg.dependencies,
    ...pkg.optionalDependencies,
    ...pkg.peerDependencies,
  });

  beforeAll(() => {
    if (!existsSync(path.join(DIST, "provider", "index.js"))) {
      throw new Error("dist/ is missing: run `npm run build` before this test (npm test does)");
    }
    pkg = repoPackage();
    provider = importsOf("provider");
    sandbox = importsOf("sandbox");
  });

  it("is publishable: not private, built by prepack, every peer optional and installed for development", () => {
    expect(pkg.private ?? false).toBe(false);
    expect(pkg.scripts?.prepack).toContain("tsc -p tsconfig.build.json");
    expect(Object.keys(pkg.peerDependencies ?? {})).toContain(PULUMI);
    expect(pkg.dependencies?.[PULUMI]).toBeUndefined();
    for (const peer of Object.keys(pkg.peerDependencies ?? {})) {
      expect(pkg.peerDependenciesMeta?.[peer]?.optional, `${peer} is an optional peer`).toBe(true);
      // npm does not install optional peers: the repo's own install needs them as dev dependencies.
      expect(pkg.devDependencies?.[peer], `${peer} is a devDependency`).toBeDefined();
    }
  });

  it("every entry point (exports, main, types, bin) exists in dist/", () => {
    const targets = [pkg.main, pkg.types, ...Object.values(pkg.bin ?? {})];
    for (const target of Object.values(pkg.exports ?? {})) {
      if (typeof target === "string") targets.push(target);
      else targets.push(target.types, target.default);
    }
    for (const t of targets) expect(existsSync(path.join(ROOT, String(t))), String(t)).toBe(true);
    for (const bin of Object.values(pkg.bin ?? {})) {
      expect(readFileSync(path.join(ROOT, bin), "utf8").startsWith("#!/usr/bin/env node\n"), bin).toBe(true);
      // The build leaves it executable (scripts/bin_modes.mjs), also after prepack's clean build.
      expect(statSync(path.join(ROOT, bin)).mode & 0o111, bin).toBe(0o111);
    }
  });

  it("typesVersions gives every exported subpath's types to node10 resolution (ts-node, older tsconfigs)", () => {
    const tv =
      (pkg as { typesVersions?: Record<string, Record<string, string[]>> }).typesVersions?.["*"] ?? {};
    const expected = Object.fromEntries(
      Object.entries(pkg.exports ?? {}).flatMap(([sub, t]) =>
        typeof t === "string" || sub === "." ? [] : [[sub.slice(2), [String(t.types).slice(2)]]],
      ),
    );
    expect(tv).toEqual(expected);
  });

  it("every ob-dcr subpath the README, docs, examples and provider/ comments name is exported", () => {
    const docs = [
      path.join(ROOT, "README.md"),
      path.join(ROOT, "provider", "README.md"),
      path.join(ROOT, "sandbox", "README.md"),
      ...walk(path.join(ROOT, "docs"), (f) => f.endsWith(".md")),
      ...walk(path.join(ROOT, "examples"), (f) => /\.(ts|json|md)$/.test(f)),
      ...walk(path.join(ROOT, "provider"), (f) => f.endsWith(".ts")),
    ].filter((f) => existsSync(f));
    const named = new Set<string>();
    for (const file of docs) {
      for (const m of readFileSync(file, "utf8").matchAll(/["'`]ob-dcr(\/[a-z][a-z0-9._/-]*)?["'`]/g)) {
        named.add(m[1] ? `.${m[1]}` : ".");
      }
    }
    expect([...named]).toContain("./pulumi");
    const exported = Object.keys(pkg.exports ?? {});
    for (const sub of named) expect(exported, `"ob-dcr${sub.slice(1)}" in the docs`).toContain(sub);
  });

  it("every package the shipped code imports is declared (dependencies or peers); self-references are exported", () => {
    const allowed = new Set([...Object.keys(declared()), pkg.name]);
    for (const [folder, imports] of [
      ["provider", provider],
      ["sandbox", sandbox],
    ] as const) {
      const undeclared = [...imports].filter(([name]) => !allowed.has(name)).flatMap(([, where]) => where);
      expect(undeclared, `dist/${folder} imports undeclared packages`).toEqual([]);
    }
    expect(provider.has("zod") && provider.has("jose")).toBe(true); // the scan sees imports at all
    const exported = Object.keys(pkg.exports ?? {});
    for (const where of [...(provider.get(pkg.name) ?? []), ...(sandbox.get(pkg.name) ?? [])]) {
      const spec = where.split(": ")[1]!;
      expect(exported, where).toContain(spec === pkg.name ? "." : `.${spec.slice(pkg.name.length)}`);
    }
  });

  it("runtime dependencies are all used by the shipped code; the sandbox-only peers are not imported by provider/", () => {
    const used = new Set([...provider.keys(), ...sandbox.keys()]);
    const unused = Object.keys(pkg.dependencies ?? {}).filter((d) => !used.has(d));
    expect(unused, "dependencies nothing in dist/provider or dist/sandbox imports").toEqual([]);
    const sandboxPeers = Object.keys(pkg.peerDependencies ?? {}).filter((p) => p !== PULUMI);
    expect(sandboxPeers.length).toBeGreaterThan(0);
    for (const peer of sandboxPeers) {
      expect(provider.get(peer) ?? [], `${peer} is for the sandbox only`).toEqual([]);
      expect(sandbox.has(peer), `${peer} is used by the sandbox`).toBe(true);
    }
    // In provider/, the Pulumi SDK is imported by the two Pulumi adapters only (ob-dcr/pulumi, the plugin).
    const pulumiUsers = (provider.get(PULUMI) ?? []).map((w) => w.split(":")[0]!);
    expect(pulumiUsers.length).toBeGreaterThan(0);
    for (const f of pulumiUsers) expect(f).toMatch(/^dist\/provider\/(resource\/|native\/|pulumi\.js)/);
  });

  it("runs nothing at install: no install-time lifecycle script (the Pulumi CLI and the signers are built by `npm run setup`, in the repo only)", () => {
    // npm runs these in a consumer's install (`prepare` also for a git dependency).
    const atInstall = ["preinstall", "install", "postinstall", "prepare", "preprepare", "postprepare"];
    expect(Object.keys(pkg.scripts ?? {}).filter((s) => atInstall.includes(s))).toEqual([]);
  });

  it("the signer backends stay optional: optionalDependencies, optional in the lockfile, loaded by import() on first use", () => {
    const optional = Object.keys(pkg.optionalDependencies ?? {}).sort();
    expect(optional).toEqual(["@aws-sdk/client-kms", "pkcs11js"]);
    const lock = repoLock();
    for (const name of optional) {
      expect(pkg.dependencies?.[name], `${name} is not also a dependency`).toBeUndefined();
      // npm installs an optional package whose build fails (no compiler: pkcs11js) by leaving it out.
      expect(lock.packages[`node_modules/${name}`]?.optional, `${name} optional in package-lock.json`).toBe(
        true,
      );
      // A static require would make `ob-dcr` fail to load without it.
      for (const where of provider.get(name) ?? []) {
        const [file, spec] = where.split(": ");
        const source = readFileSync(path.join(ROOT, file!), "utf8");
        expect(source, where).toContain(`import("${spec}")`);
        expect(source, where).not.toMatch(new RegExp(`require\\(\\s*["']${spec!.replace("/", "\\/")}["']`));
      }
    }
    expect(provider.has("pkcs11js") && provider.has("@aws-sdk/client-kms")).toBe(true);
  });

  it("package-lock.json takes every package from the npm registry, each with an integrity hash", () => {
    // No resolved URL pins a mirror, a git host or a tarball URL: npm fetches from the registry
    // the installing machine is configured with.
    const odd: string[] = [];
    for (const [at, entry] of Object.entries(repoLock().packages)) {
      if (at === "" || entry.link) continue;
      if (entry.resolved !== undefined && !entry.resolved.startsWith("https://registry.npmjs.org/"))
        odd.push(`${at}: resolved ${entry.resolved}`);
      if (!/^sha512-[A-Za-z0-9+/]+=*$/.test(entry.integrity ?? ""))
        odd.push(`${at}: integrity ${entry.integrity}`);
    }
    expect(odd).toEqual([]);
  });

  describe("the core and the CLI do not load @pulumi/pulumi", () => {
    const node = (args: string[]) =>
      spawnSync(process.execPath, ["-r", HOOK, ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });

    it("the hook catches a load of @pulumi/pulumi (require('ob-dcr/pulumi') fails under it)", () => {
      const r = node(["-e", 'require("ob-dcr/pulumi")']);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain("OBDCR_TEST_PULUMI_LOADED");
    });

    it("require('ob-dcr'), require('ob-dcr/core') and require('ob-dcr/http')", () => {
      const r = node([
        "-e",
        'require("ob-dcr"); require("ob-dcr/core"); require("ob-dcr/http"); const l = Object.keys(require.cache).filter((k) => k.includes("@pulumi")); if (l.length) throw new Error(l.join());',
      ]);
      expect(r.stderr).not.toContain("OBDCR_TEST_PULUMI_LOADED");
      expect(r.status, r.stderr).toBe(0);
    });

    it.each(["--version", ...Object.keys(COMMANDS).map((c) => `${c} --help`)])("ob-dcr %s", (args) => {
      const r = node([path.join(DIST, "provider", "cli", "main.js"), ...args.split(" ")]);
      expect(r.stderr).not.toContain("OBDCR_TEST_PULUMI_LOADED");
      expect(r.status, r.stderr).toBe(0);
    });
  });
});
