/** `ob-dcr get`: read a registration (GET /register/{client_id}). */
import { defineCommand } from "citty";
import { readRegistration } from "../../http/registration.js";
import { CONFIRM_GONE_ARGS, explainGoneUnconfirmed } from "../gone.js";
import { COMMON_ARGS, loadParams, resolveStateFor, STATE_ARGS, withRuntime } from "../runtime.js";
import { writeStateFile } from "../state.js";
import { printOutcome } from "../steps.js";

const args = { ...COMMON_ARGS, ...STATE_ARGS, ...CONFIRM_GONE_ARGS } as const;

export const command = defineCommand({
  meta: { name: "get", description: "Read a registration from the bank (GET /register/{client_id})" },
  args,
  run: (c) =>
    withRuntime(c, args, async (rt, a) => {
      const { params } = await loadParams(rt, a);
      const { state, file } = await resolveStateFor(rt, a);
      const doc: Record<string, unknown> = { command: "get", client_id: state.client_id };
      rt.partial = doc;
      const o = await rt.out
        .step("registration read", () =>
          readRegistration(params, state, rt.ctx, { confirm_gone: a["confirm-gone"] === true }),
        )
        .catch(explainGoneUnconfirmed("get"));
      printOutcome(rt, o, doc);
      // RFC 7592 lets the bank rotate the registration access token on any call, a GET too (OFB):
      // keep the newest, or the next call is refused.
      if (o.secrets.registration_access_token !== state.secrets.registration_access_token) {
        if (file) {
          await writeStateFile(file, o);
          doc.state_file = file;
          rt.out.line(`state: updated ${file} (the bank rotated the registration access token)`);
        } else
          rt.out.note("note: the bank rotated the registration access token; pass --state FILE to keep it");
      }
      rt.out.json(doc);
    }),
});
