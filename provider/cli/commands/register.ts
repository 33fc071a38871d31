/** `ob-dcr register`: create a registration at the bank; write the state file for get/update/delete. */
import { defineCommand } from "citty";
import * as lifecycle from "../../lifecycle/managed.js";
import { BANK_ARGS, loadParamsWithBank } from "../bank_list.js";
import { COMMON_ARGS, STATE_ARGS, withRuntime } from "../runtime.js";
import { registerKeepingState, stateFile } from "../state.js";
import { keptNote, printOutcome, registrationEndpointOf } from "../steps.js";

const args = {
  ...COMMON_ARGS,
  ...BANK_ARGS,
  state: { ...STATE_ARGS.state, description: "Write client_id + management secrets here (mode 0600)" },
} as const;

export const command = defineCommand({
  meta: { name: "register", description: "Register the software with the bank (POST /register)" },
  args,
  run: (c) =>
    withRuntime(c, args, async (rt, a) => {
      const { params } = await loadParamsWithBank(rt, a);
      const doc: Record<string, unknown> = { command: "register" };
      rt.partial = doc;
      const { outcome: o, kept } = await registerKeepingState(
        () =>
          rt.out.step("registration", () =>
            lifecycle.create(params, rt.ctx, { state_file: stateFile(rt, a.state) }),
          ),
        {
          cwd: rt.io.cwd,
          state: a.state,
          registration_endpoint: () => registrationEndpointOf(rt, params),
          onKept: (k) => keptNote(rt, doc, k),
        },
      );
      // `client_id` on top, kept state or not, as `run --json` has it (docs/cli.md "Output").
      doc.client_id = o.client_id;
      if (kept) keptNote(rt, doc, kept);
      printOutcome(rt, o, doc);
      rt.out.json(doc);
    }),
});
