/** `ob-dcr ssa`: download the software statement, verify it, print its claims. */
import path from "node:path";
import { defineCommand } from "citty";
import { writePrivateFile } from "../private_file.js";
import { COMMON_ARGS, loadParams, withRuntime } from "../runtime.js";
import { directoryNeeds, ssaStep, tokenStep } from "../steps.js";

const args = {
  ...COMMON_ARGS,
  out: {
    type: "string",
    valueHint: "file",
    description: "Also write the SSA (compact JWS) to this file (mode 0600)",
  },
} as const;

export const command = defineCommand({
  meta: {
    name: "ssa",
    description: "Download the SSA from the directory (or take the inline one), verify it, print its claims",
  },
  args,
  run: (c) =>
    withRuntime(c, args, async (rt, a) => {
      const { params } = await loadParams(rt, a);
      const doc: Record<string, unknown> = { command: "ssa" };
      rt.partial = doc;
      let token: string | undefined;
      let granted: string | undefined;
      let n = 1;
      if (!params.directory?.software_statement) {
        const t = await tokenStep(rt, params, directoryNeeds(params, true), doc);
        token = t.token.access_token;
        granted = t.token.scope;
        n = t.next;
      }
      const { ssa } = await ssaStep(rt, params, doc, n, token, granted);
      if (a.out) {
        const file = path.resolve(rt.io.cwd, a.out);
        // Mode 0600 even over an existing file (the SSA is a credential of sorts).
        await writePrivateFile(file, `${ssa}\n`);
        doc.out = file;
        rt.out.line(`ssa: written to ${file}`);
      }
      rt.out.json(doc);
    }),
});
