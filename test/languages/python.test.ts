// examples/python on the real CLI against the sandbox, two banks in one up (see lifecycle.ts), with
// the generated pulumi_obdcr SDK as a user gets it: the wheel `python -m build` makes of sdk/python,
// installed with pip into a fresh virtualenv (offline, its dependencies from the wheels setup keeps)
// that runs the program (PULUMI_PYTHON_CMD); the plugin found through Pulumi.yaml as documented.
import { describeLanguage } from "./lifecycle.js";
import { copyExample, sandboxConfig } from "./project.js";
import { buildPythonDist, freshVirtualenv } from "./python_sdk.js";

describeLanguage({
  language: "python",
  async prepare(sb, work) {
    const { wheel } = await buildPythonDist(work);
    const python = await freshVirtualenv(work, "venv", wheel);
    const p = copyExample("python", work, { PULUMI_PYTHON_CMD: python });
    await p.pulumi(["stack", "init", "dev"]);
    await sandboxConfig(p, sb);
    return p;
  },
  bankKeys: {},
});
