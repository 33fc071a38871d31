/** `ob-dcr register`: create a registration at the bank; write the state file for get/update/delete. */
import path from "node:path";
import { defineCommand } from "citty";
import { createRegistration } from "../../http/registration.js";
import { COMMON_ARGS, loadParams, STATE_ARGS, withRuntime } from "../runtime.js";
import { writeStateFile } from "../state.js";
import { printOutcome } from "../steps.js";

const args = {
  ...COMMON_ARGS,
  state: { ...STATE_ARGS.state, description: "Write client_id + management secrets here (mode 0600)" },
} as const;

export const command = defineCommand({
  meta: { name: "register", description: "Register the software with the bank (POST /register)" },
  args,
  run: (c) =>
    withRuntime(c, args, async (rt, a) => {
      const { params } = await loadParams(rt, a);
      const doc: Record<string, unknown> = { command: "register" };
      rt.partial = doc;
      const o = await rt.out.step("registration", () => createRegistration(params, rt.ctx));
      printOutcome(rt, o, doc);
      if (a.state) {
        const file = path.resolve(rt.io.cwd, a.state);
        await writeStateFile(file, o);
        doc.state_file = file;
        rt.out.line(`state: written to ${file} (mode 0600)`);
      } else if (Object.values(o.secrets).some((v) => v !== undefined)) {
        rt.out.note("note: the bank returned secrets; pass --state FILE to keep them for get/update/delete");
      }
      rt.out.json(doc);
    }),
});
