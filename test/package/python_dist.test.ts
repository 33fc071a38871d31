// The Python SDK (sdk/python, pulumi_obdcr) as it would be published: `python -m build` makes a
// wheel and an sdist offline from the repository (the setup virtualenv's setuptools and build),
// each holds the package and its data files at the package's version, and each installs with pip
// into a fresh virtualenv, offline (dependencies and the sdist's build backend from the wheels
// `npm run setup` keeps), and imports. test/languages/python.test.ts runs examples/python on the
// real engine with the wheel installed this way.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { need, toolchain } from "../../scripts/lib/toolchain.js";
import { buildPythonDist, freshVirtualenv, type PythonDist } from "../languages/python_sdk.js";
import { localPathsIn } from "./local_paths.js";

const exec = promisify(execFile);

/** The member names of a wheel (zip) or an sdist (tar.gz), read with Python's own modules. */
async function members(file: string): Promise<string[]> {
  const probe = [
    "import json, sys, tarfile, zipfile",
    "f = sys.argv[1]",
    "names = zipfile.ZipFile(f).namelist() if f.endswith('.whl') else tarfile.open(f).getnames()",
    "print(json.dumps(sorted(names)))",
  ].join("\n");
  const r = await exec(need(toolchain(), "python"), ["-c", probe, file]);
  return JSON.parse(r.stdout) as string[];
}

describe("the Python SDK's wheel and sdist", () => {
  const work = mkdtempSync(join(tmpdir(), "obdcr-python-dist-"));
  const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
  let dist: PythonDist;

  beforeAll(async () => {
    dist = await buildPythonDist(work);
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("are named for pulumi_obdcr at the package's version", () => {
    expect(basename(dist.wheel)).toBe(`pulumi_obdcr-${version}-py3-none-any.whl`);
    expect(basename(dist.sdist)).toBe(`pulumi_obdcr-${version}.tar.gz`);
  });

  it("the wheel holds the package, its typing marker and plugin file, and the metadata", async () => {
    const names = await members(dist.wheel);
    for (const f of [
      "pulumi_obdcr/__init__.py",
      "pulumi_obdcr/client_registration.py",
      "pulumi_obdcr/config/vars.py",
      "pulumi_obdcr/py.typed",
      "pulumi_obdcr/pulumi-plugin.json",
      `pulumi_obdcr-${version}.dist-info/METADATA`,
    ])
      expect(names).toContain(f);
    // Nothing but the package and its metadata (no tests, no build leftovers).
    expect(names.filter((n) => !/^pulumi_obdcr(\/|-[^/]+\.dist-info\/)/.test(n))).toEqual([]);
  });

  it("the wheel's metadata carries the SDK's README as its description (what PyPI shows) and the project's links", async () => {
    const probe = [
      "import sys, zipfile",
      "z = zipfile.ZipFile(sys.argv[1])",
      "print(z.read(next(n for n in z.namelist() if n.endswith('.dist-info/METADATA'))).decode())",
    ].join("\n");
    const metadata = (await exec(need(toolchain(), "python"), ["-c", probe, dist.wheel])).stdout;
    // setup.py reads README.md beside it; without sdk/python/README.md the description was the
    // generator's placeholder.
    expect(metadata).not.toContain("Development Version");
    expect(metadata).toContain("Description-Content-Type: text/markdown");
    const readme = readFileSync(join(repoRoot, "scripts", "sdk_extra", "python", "README.md"), "utf8");
    expect(metadata).toContain(readme.split("\n")[0]);
    expect(metadata).toContain("pip install pulumi==3.260.0 node_modules/ob-dcr/sdk/python");
    expect(metadata).toContain("Project-URL: Repository, https://github.com/ob-dcr/ob-dcr");
  });

  it("the wheel and the sdist carry the Apache-2.0 LICENSE their metadata names", async () => {
    // They said `License: Apache-2.0` and held no copy of it (Apache-2.0 §4(a)): setuptools takes
    // the LICENSE beside setup.py, which sdk/python did not have.
    const license = readFileSync(join(repoRoot, "LICENSE"), "utf8");
    const probe = [
      "import sys, tarfile, zipfile",
      "w = zipfile.ZipFile(sys.argv[1])",
      "meta = w.read(next(n for n in w.namelist() if n.endswith('.dist-info/METADATA'))).decode()",
      "lic = [n for n in w.namelist() if '.dist-info/' in n and n.rsplit('/', 1)[-1] == 'LICENSE']",
      "t = tarfile.open(sys.argv[2])",
      "s = [m for m in t.getnames() if m.endswith('/LICENSE') and m.count('/') == 1]",
      "sys.stdout.write('\\0'.join([meta, w.read(lic[0]).decode() if lic else '', t.extractfile(s[0]).read().decode() if s else '']))",
    ].join("\n");
    const [meta, inWheel, inSdist] = (
      await exec(need(toolchain(), "python"), ["-c", probe, dist.wheel, dist.sdist])
    ).stdout.split("\0");
    expect(meta).toMatch(/^License(-Expression)?: Apache-2\.0$/m);
    expect(meta).toContain("License-File: LICENSE");
    expect(inWheel).toBe(license);
    expect(inSdist).toBe(license);
  });

  it("name no path of the machine that built them (the repo, home, temp, /work)", async () => {
    const probe = [
      "import json, sys, tarfile, zipfile",
      "w = zipfile.ZipFile(sys.argv[1])",
      "out = {'wheel:' + n: w.read(n).decode('utf-8', 'replace') for n in w.namelist()}",
      "t = tarfile.open(sys.argv[2])",
      "out.update({'sdist:' + m.name: t.extractfile(m).read().decode('utf-8', 'replace') for m in t.getmembers() if m.isfile()})",
      "print(json.dumps(out))",
    ].join("\n");
    const texts = JSON.parse(
      (
        await exec(need(toolchain(), "python"), ["-c", probe, dist.wheel, dist.sdist], {
          maxBuffer: 64 << 20,
        })
      ).stdout,
    ) as Record<string, string>;
    expect(Object.keys(texts).length).toBeGreaterThan(20);
    const leaks = Object.entries(texts).flatMap(([f, text]) =>
      localPathsIn(text, [repoRoot, work]).map((p) => `${f}: ${p}`),
    );
    expect(leaks).toEqual([]);
  });

  it("Requires-Python admits no Python that the pulumi it depends on refuses (as engines.node for npm)", async () => {
    // It said >=3.9 (the generator's default) while every pulumi >= 3.231 needs >= 3.10: on 3.9,
    // pip failed with "no matching distribution for pulumi" instead of naming the Python needed.
    const probe = [
      "import glob, json, os, sys, zipfile",
      "def rp(f):",
      "    z = zipfile.ZipFile(f)",
      "    m = z.read(next(n for n in z.namelist() if n.endswith('.dist-info/METADATA'))).decode()",
      "    return next((l.split(':', 1)[1].strip() for l in m.splitlines() if l.startswith('Requires-Python:')), '')",
      "pulumi = glob.glob(os.path.join(sys.argv[2], 'pulumi-[0-9]*.whl'))",
      "print(json.dumps([rp(sys.argv[1]), rp(pulumi[0]) if pulumi else None, list(sys.version_info[:2])]))",
    ].join("\n");
    const t = toolchain();
    const [ours, theirs, running] = JSON.parse(
      (await exec(need(t, "python"), ["-c", probe, dist.wheel, need(t, "pythonWheels")])).stdout,
    ) as [string, string | null, [number, number]];
    const floor = (spec: string) => {
      const m = /^>=\s*(\d+)\.(\d+)$/.exec(spec);
      if (!m) throw new Error(`Requires-Python ${JSON.stringify(spec)} is not a plain lower bound`);
      return [Number(m[1]), Number(m[2])] as const;
    };
    const [a, b] = floor(ours);
    const [c, d] = floor(theirs ?? "");
    expect(a * 100 + b, `pulumi_obdcr says ${ours}, its pulumi ${theirs}`).toBeGreaterThanOrEqual(
      c * 100 + d,
    );
    // And the Python the tests run on is admitted.
    expect(running[0] * 100 + running[1]).toBeGreaterThanOrEqual(a * 100 + b);
  });

  it("the sdist holds setup.py and the package sources", async () => {
    const names = await members(dist.sdist);
    const root = `pulumi_obdcr-${version}`;
    for (const f of [
      "setup.py",
      "README.md",
      "PKG-INFO",
      "pulumi_obdcr/__init__.py",
      "pulumi_obdcr/pulumi-plugin.json",
    ])
      expect(names).toContain(`${root}/${f}`);
  });

  it("the wheel installs into a fresh virtualenv offline, with its dependencies, and imports", async () => {
    const python = await freshVirtualenv(work, "venv-wheel", dist.wheel);
    const probe = [
      "import importlib.metadata as m, json, pulumi, pulumi_obdcr as o",
      "from importlib.resources import files",
      "print(json.dumps([m.version('pulumi_obdcr'), m.version('pulumi'), o.ClientRegistration.__name__,",
      " json.loads(files('pulumi_obdcr').joinpath('pulumi-plugin.json').read_text())]))",
    ].join("\n");
    const r = await exec(python, ["-c", probe]);
    const [v, pulumiVersion, cls, plugin] = JSON.parse(r.stdout) as [string, string, string, unknown];
    expect(v).toBe(version);
    expect(pulumiVersion).toBe(toolchain().version);
    expect(cls).toBe("ClientRegistration");
    expect(plugin).toEqual({ resource: true, name: "obdcr", version });
    // Every requirement of the installed set is met.
    await exec(python, ["-m", "pip", "check", "--disable-pip-version-check"]);
  }, 300_000);

  it("the sdist builds and installs into a fresh virtualenv offline (setuptools from the wheels)", async () => {
    const python = await freshVirtualenv(work, "venv-sdist", dist.sdist);
    const r = await exec(python, [
      "-c",
      "import importlib.metadata as m, pulumi_obdcr; print(m.version('pulumi_obdcr'))",
    ]);
    expect(r.stdout.trim()).toBe(version);
  }, 300_000);
});
