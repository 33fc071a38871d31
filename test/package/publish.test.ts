// `npm publish --dry-run` of the built repo, as a release would run it (with --ignore-scripts: the
// prepack's clean rebuild would pull dist/ from under the other test files; `npm run build` ran
// first, as `npm test` does). Offline: npm reads nothing from the registry for a dry run. The
// tarball it would upload: the license and changelog with the README, the build of provider/ and
// sandbox/ and the plugin's wrapper, nothing else (no tests, no sources, no sandbox state, no keys),
// within a size budget. Needs `npm run build` first.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { localPathsIn } from "./local_paths.js";
import { ROOT, repoPackage } from "./offline_project.js";

const exec = promisify(execFile);

/** What `npm publish --dry-run --json` reports. */
interface DryRun {
  name: string;
  version: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

// The budget: today about 573 kB packed, 2.45 MB unpacked, 474 files (the build, signers and bank
// lists, the Python SDK for `pip install node_modules/ob-dcr/sdk/python`, README and CHANGELOG:
// 127 kB of the unpacked size). A jump means something that does not belong was swept in (a
// fixture, a source map, a data file); steady growth of code and docs moves it, by hand.
const MAX_PACKED = 600_000;
const MAX_UNPACKED = 2_700_000;
const MAX_FILES = 560;

describe("npm publish --dry-run", () => {
  let report: DryRun;
  let files: string[];

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, "dist", "provider", "index.js"))) {
      throw new Error("dist/ is missing: run `npm run build` before this test (npm test does)");
    }
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !/^npm_(package|lifecycle)_/.test(k)) env[k] = v;
    const r = await exec(
      "npm",
      ["publish", "--dry-run", "--offline", "--ignore-scripts", "--json", "--no-update-notifier"],
      { cwd: ROOT, env, maxBuffer: 16 << 20 },
    );
    const out = JSON.parse(r.stdout) as Record<string, DryRun> | DryRun;
    report = "files" in out ? (out as DryRun) : (out as Record<string, DryRun>)["ob-dcr"]!;
    files = report.files.map((f) => f.path).sort();
  }, 120_000);

  it("publishes ob-dcr at package.json's version", () => {
    const pkg = repoPackage();
    expect(report.name).toBe("ob-dcr");
    expect(report.version).toBe(pkg.version);
  });

  it("ships the license, changelog and README with the build and the Python SDK, and nothing else", () => {
    for (const f of ["package.json", "README.md", "LICENSE", "CHANGELOG.md", "bin/pulumi-resource-obdcr"])
      expect(files).toContain(f);
    // setup.py reads it: the Python SDK's description (pip show, PyPI).
    expect(files).toContain("sdk/python/README.md");
    // The license beside setup.py, which setuptools puts into the wheel and the sdist.
    expect(files).toContain("sdk/python/LICENSE");
    const outside = files.filter(
      (f) =>
        !["package.json", "README.md", "LICENSE", "CHANGELOG.md", "bin/pulumi-resource-obdcr"].includes(f) &&
        !/^dist\/(provider|sandbox)\//.test(f) &&
        // The generated Python SDK, installable from the package (no clone of the repository).
        !/^sdk\/python\/(setup\.py$|README\.md$|LICENSE$|pulumi_obdcr\/)/.test(f),
    );
    expect(outside).toEqual([]);
    // Compiled code and declarations only (and the schema the plugin serves).
    expect(files.filter((f) => f.startsWith("dist/") && !/\.(js|d\.ts)$/.test(f))).toEqual([
      "dist/provider/native/schema.json",
    ]);
  });

  it("holds no tests, sources, examples, sandbox state, Pulumi state or keys", () => {
    const forbidden = [
      /(^|\/)test(s)?\//,
      /\.test\.|\.spec\./,
      /(^|\/)(examples|scripts|bench|fixtures)\//,
      /^sdk\/(?!python\/(setup\.py$|README\.md$|LICENSE$|pulumi_obdcr\/))/,
      /__pycache__|\.pyc$/,
      /(^|\/)\.sandbox\//,
      /(^|\/)\.pulumi-state\//,
      /(^|\/)ob-dcr-state\//,
      /(^|\/)\.vitest\//,
      /(?<!\.d)\.(ts|mts|cts)$/,
      /\.(pem|key|crt|cer|p12|pfx|jwk|jwks)$/i,
      /(^|\/)(\.env|\.npmrc|\.git)(\/|$)/,
      /\.map$/,
      /(^|\/)(manifest|registrations|state)\.json$/,
    ];
    for (const re of forbidden)
      expect(
        files.filter((f) => re.test(f)),
        String(re),
      ).toEqual([]);
    // No private key material in any shipped file (code that parses PEM names the header only).
    const keyBlock = /-----BEGIN [A-Z ]*PRIVATE KEY-----\s*\n[A-Za-z0-9+/=]{40,}/;
    const withKeys = files.filter((f) => keyBlock.test(readFileSync(path.join(ROOT, f), "utf8")));
    expect(withKeys).toEqual([]);
  });

  it("names no path of the machine that built it (the repo, home, temp, /work) in any shipped file", () => {
    const leaks = files.flatMap((f) =>
      localPathsIn(readFileSync(path.join(ROOT, f), "utf8"), [ROOT]).map((p) => `${f}: ${p}`),
    );
    expect(leaks).toEqual([]);
  });

  it(`stays within its size budget (${MAX_PACKED / 1000} kB packed, ${MAX_UNPACKED / 1e6} MB unpacked, ${MAX_FILES} files)`, () => {
    expect(report.size).toBeGreaterThan(50_000); // the build is really in it
    expect(report.size).toBeLessThan(MAX_PACKED);
    expect(report.unpackedSize).toBeLessThan(MAX_UNPACKED);
    expect(files.length).toBeLessThan(MAX_FILES);
    // No single file dominates (a bundled data file, an inlined certificate store).
    // (The generated Python SDK's type modules are large by nature: up to 320 kB each. _inputs.py
    // holds every input type twice since getBanks takes the registration's types as plain invoke
    // arguments: about 300 kB.)
    const big = report.files
      .filter((f) => f.size > (f.path.startsWith("sdk/python/") ? 320_000 : 100_000))
      .map((f) => `${f.path} ${f.size}`);
    expect(big).toEqual([]);
  });

  it("the LICENSE is the Apache License 2.0 that package.json names, in full", () => {
    expect(repoPackage().license).toBe("Apache-2.0");
    const text = readFileSync(path.join(ROOT, "LICENSE"), "utf8");
    expect(text).toMatch(/Apache License\s+Version 2\.0, January 2004/);
    expect(text).toContain("TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION");
    expect(text).toContain("9. Accepting Warranty or Additional Liability.");
    expect(text).toContain("END OF TERMS AND CONDITIONS");
  });

  it("package.json carries what a registry page shows: repository, homepage, bugs, keywords", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as Record<string, unknown>;
    expect(pkg.repository).toEqual({ type: "git", url: expect.stringMatching(/^git\+https:\/\/.+\.git$/) });
    expect(pkg.homepage).toEqual(expect.stringMatching(/^https:\/\//));
    expect(pkg.bugs).toEqual({ url: expect.stringMatching(/^https:\/\/.+\/issues$/) });
    expect(pkg.keywords).toEqual(expect.arrayContaining(["open-banking", "pulumi", "dcr"]));
    // Keep a Changelog: the Unreleased section heads the list.
    const changelog = readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8");
    expect(changelog).toMatch(/keepachangelog\.com/);
    expect(changelog).toMatch(/^## \[Unreleased\]$/m);
  });
});
