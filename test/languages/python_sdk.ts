// `pip install ./sdk/python` as a user does, into a directory of its own.
import { execFile } from "node:child_process";
import { cpSync } from "node:fs";
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
