// examples/python (the generated pulumi_obdcr SDK, installed from sdk/python as a user does) on the
// real CLI against the sandbox, two banks in one up: see lifecycle.ts.
import { need, toolchain } from "../../scripts/lib/toolchain.js";
import { describeLanguage } from "./lifecycle.js";
import { copyExample, sandboxConfig } from "./project.js";
import { installPythonSdk } from "./python_sdk.js";

describeLanguage({
  language: "python",
  async prepare(sb, work) {
    const site = await installPythonSdk(work);
    const p = copyExample("python", work, {
      PULUMI_PYTHON_CMD: need(toolchain(), "python"),
      PYTHONPATH: site,
    });
    await p.pulumi(["stack", "init", "dev"]);
    await sandboxConfig(p, sb);
    return p;
  },
  bankKeys: {},
});
