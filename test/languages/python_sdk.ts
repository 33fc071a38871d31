// `pip install ./sdk/python` as a user does, into a directory of its own; the wheel and sdist
// built for publishing, installed into a fresh virtualenv.
import { execFile } from "node:child_process";
import { cpSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { need, toolchain } from "../../scripts/lib/toolchain.js";

const exec = promisify(execFile);

/**
 * `pip install ./sdk/python` into a directory of its own (the shared virtualenv stays as setup made
 * it), offline: no dependencies (the virtualenv has them) and the virtualenv's own setuptools.
 */
export async function installPythonSdk(work: string): Promise<string> {
  const python = need(toolchain(), "python");
  const src = join(work, "sdk-python");
  cpSync(join(repoRoot, "sdk", "python"), src, { recursive: true }); // pip builds in place
  const site = join(work, "site");
  const pip = [
    "-m",
    "pip",
    "install",
    "-q",
    "--disable-pip-version-check",
    "--no-deps",
    "--no-build-isolation",
  ];
  await exec(python, [...pip, "--target", site, src]);
  return site;
}

/** The Python SDK's distributions, as `python -m build` makes them for publishing. */
export interface PythonDist {
  wheel: string;
  sdist: string;
}

/**
 * `python -m build --no-isolation` of sdk/python (a copy: setuptools writes into the tree), with
 * the setup virtualenv's setuptools and `build`: offline, nothing fetched.
 */
export async function buildPythonDist(work: string): Promise<PythonDist> {
  const python = need(toolchain(), "python");
  const src = join(work, "sdk-python-build");
  cpSync(join(repoRoot, "sdk", "python"), src, { recursive: true });
  const out = join(work, "python-dist");
  await exec(python, ["-m", "build", "--no-isolation", "--wheel", "--sdist", "--outdir", out, src], {
    env: { ...process.env, PIP_NO_INDEX: "1" },
  });
  const built = readdirSync(out);
  const wheel = built.find((f) => f.endsWith(".whl"));
  const sdist = built.find((f) => f.endsWith(".tar.gz"));
  if (!wheel || !sdist) throw new Error(`python -m build made ${built.join(", ")}`);
  return { wheel: join(out, wheel), sdist: join(out, sdist) };
}

/**
 * A fresh virtualenv with `dist` (a wheel or an sdist) installed as a user would, `pip install
 * <file>`, offline: its dependencies (pulumi, parver, …) and an sdist's build backend come from
 * the wheels `npm run setup` keeps (`--no-index --find-links`). Returns the virtualenv's python.
 */
export async function freshVirtualenv(work: string, name: string, dist: string): Promise<string> {
  const t = toolchain();
  const dir = join(work, name);
  await exec(need(t, "python"), ["-m", "venv", dir]);
  const python = join(dir, "bin", "python");
  const pip = ["-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-input"];
  // Only the wheelhouse: a machine-wide PIP_FIND_LINKS would hide a missing wheel.
  const env = { ...process.env };
  delete env.PIP_FIND_LINKS;
  await exec(python, [...pip, "--no-index", "--find-links", need(t, "pythonWheels"), dist], { env });
  return python;
}
