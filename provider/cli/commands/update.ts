/** `ob-dcr update`: replace a registration's metadata (PUT /register/{client_id}). */
import { defineCommand } from "citty";
import { updateRegistration } from "../../http/registration.js";
import { explainGoneUnconfirmed } from "../gone.js";
import { COMMON_ARGS, loadParams, resolveStateFor, STATE_ARGS, withRuntime } from "../runtime.js";
import { writeStateFile } from "../state.js";
import { printOutcome } from "../steps.js";

const args = { ...COMMON_ARGS, ...STATE_ARGS } as const;

export const command = defineCommand({
  meta: {
    name: "update",
    description:
      "Update a registration from the config (PUT /register/{client_id}); a rotated token is saved to --state",
  },
  args,
  run: (c) =>
    withRuntime(c, args, async (rt, a) => {
      const { params } = await loadParams(rt, a);
      const { state, file } = await resolveStateFor(rt, a);
      const doc: Record<string, unknown> = { command: "update", client_id: state.client_id };
      rt.partial = doc;
      const o = await rt.out
        .step("registration update", () => updateRegistration(params, state, rt.ctx))
        .catch(explainGoneUnconfirmed("update"));
      printOutcome(rt, o, doc);
      if (file) {
        await writeStateFile(file, o);
        doc.state_file = file;
        rt.out.line(`state: updated ${file}`);
      } else if (o.secrets.registration_access_token !== state.secrets.registration_access_token) {
        rt.out.note("note: the bank rotated the registration access token; pass --state FILE to keep it");
      }
      rt.out.json(doc);
    }),
});
