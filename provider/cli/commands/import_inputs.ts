/**
 * `ob-dcr import-inputs -c FILE`: the config file as the plugin's `obdcr:importInputs` (camelCase
 * JSON, file references made absolute), for `pulumi import` of a registration this CLI made:
 * `ob-dcr import-inputs -c bank.json | pulumi config set obdcr:importInputs`. Sends nothing.
 */
import path from "node:path";
import { defineCommand } from "citty";
import { InvalidInputError } from "../../core/errors.js";
import { readText } from "../../http/files.js";
import { importInputsFromCliConfig } from "../../lifecycle/import.js";
import { ENV, parseConfigText } from "../config.js";
import { withRuntime } from "../runtime.js";

const args = {
  config: {
    type: "string",
    alias: "c",
    valueHint: "FILE",
    description: `Config file, JSON or YAML (env ${ENV.config})`,
  },
} as const;

export const command = defineCommand({
  meta: {
    name: "import-inputs",
    description:
      "Print the config file as obdcr:importInputs for `pulumi import` (pipe it to `pulumi config set obdcr:importInputs`)",
  },
  args,
  run: (c) =>
    withRuntime(c, args, async (rt, a) => {
      const named = a.config ?? rt.io.env[ENV.config];
      if (!named)
        throw new InvalidInputError("--config", `no configuration: give --config FILE or set ${ENV.config}`);
      const file = path.resolve(rt.io.cwd, named);
      const raw = parseConfigText(await readText("--config", file), file);
      rt.io.stdout.write(`${JSON.stringify(importInputsFromCliConfig(raw, path.dirname(file)))}\n`);
    }),
});
