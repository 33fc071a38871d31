/** `ob-dcr get`: read a registration (GET /register/{client_id}). */
import { defineCommand } from "citty";
import * as lifecycle from "../../lifecycle/managed.js";
import { CONFIRM_GONE_ARGS, explainGoneUnconfirmed } from "../gone.js";
import { COMMON_ARGS, loadParams, resolveStateFor, STATE_ARGS, withRuntime } from "../runtime.js";
import {
  defaultStateFile,
  deletedError,
  explainMissingToken,
  keepRotated,
  keepSalvagedToken,
} from "../state.js";
import { printOutcome, registrationEndpointOf } from "../steps.js";

const args = { ...COMMON_ARGS, ...STATE_ARGS, ...CONFIRM_GONE_ARGS } as const;

export const command = defineCommand({
  meta: { name: "get", description: "Read a registration from the bank (GET /register/{client_id})" },
  args,
  run: (c) =>
    withRuntime(c, args, async (rt, a) => {
      const { params } = await loadParams(rt, a);
      const { state, file, deleted } = await resolveStateFor(rt, a);
      if (file && deleted) throw deletedError(file, state.client_id, deleted);
      const doc: Record<string, unknown> = { command: "get", client_id: state.client_id };
      rt.partial = doc;
      // Without --state, where a credential the bank rotates is kept (as register keeps its secrets).
      const fallback = () => defaultStateFile(rt.io.cwd, registrationEndpointOf(rt, params), state.client_id);
      const r = await rt.out
        .step("registration read", () =>
          lifecycle.read(params, state, rt.ctx, { confirm_gone: a["confirm-gone"] === true }),
        )
        .catch(keepSalvagedToken(rt, doc, file, state, fallback))
        .catch(explainMissingToken(file, state.client_id))
        .catch(explainGoneUnconfirmed("get"));
      // RFC 7592 lets the bank rotate the registration access token on any call, a GET too (OFB):
      // keep the newest (before printing), or the next call is refused.
      await keepRotated(rt, doc, file, state, r, { fallback });
      printOutcome(rt, r.outcome, doc);
      rt.out.json(doc);
    }),
});
