// examples/python (the generated pulumi_obdcr SDK, installed from sdk/python as a user does) on the
// real CLI against the sandbox, two banks in one up: see lifecycle.ts.
import { execFile } from "node:child_process";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { need, toolchain } from "../../scripts/lib/toolchain.js";
import { describeLanguage } from "./lifecycle.js";
import { copyExample, sandboxValues, setConfig } from "./project.js";

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

describeLanguage({
  language: "python",
  async prepare(sb, work) {
    const site = await installPythonSdk(work);
    const p = copyExample("python", work, {
      PULUMI_PYTHON_CMD: need(toolchain(), "python"),
      PYTHONPATH: site,
    });
    const v = sandboxValues(sb.manifest);
    await p.pulumi(["stack", "init", "dev"]);
    const json = (x: unknown) => JSON.stringify(x);
    await setConfig(
      p,
      {
        directory: json(v.directory),
        software: json(v.software),
        transport: json(v.transport),
        banks: json(v.banks),
        redirectUris: json(v.redirectUris),
      },
      v.signingKeyPem,
    );
    return p;
  },
  bankKeys: {},
});
