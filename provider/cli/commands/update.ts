/** `ob-dcr update`: replace a registration's metadata (PUT /register/{client_id}). */
import { defineCommand } from "citty";
import * as lifecycle from "../../lifecycle/managed.js";
import { explainGoneUnconfirmed } from "../gone.js";
import { COMMON_ARGS, loadParams, resolveStateFor, STATE_ARGS, withRuntime } from "../runtime.js";
import {
  defaultStateFile,
  deletedError,
  explainMissingToken,
  keepRotated,
  keepSalvagedToken,
  keepTokenUnconfirmed,
  keepTokenUnconfirmedOnInterrupt,
} from "../state.js";
import { printOutcome, registrationEndpointOf } from "../steps.js";

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
      const { state, file, deleted } = await resolveStateFor(rt, a);
      if (file && deleted) throw deletedError(file, state.client_id, deleted);
      const doc: Record<string, unknown> = { command: "update", client_id: state.client_id };
      rt.partial = doc;
      rt.onInterrupted = keepTokenUnconfirmedOnInterrupt(rt, file, state);
      // Without --state, where a credential the bank rotates is kept (as register keeps its secrets).
      const fallback = () => defaultStateFile(rt.io.cwd, registrationEndpointOf(rt, params), state.client_id);
      const r = await rt.out
        .step("registration update", () => lifecycle.update(params, state, rt.ctx))
        .catch(keepSalvagedToken(rt, doc, file, state, fallback))
        .catch(keepTokenUnconfirmed(rt, doc, file, state, fallback))
        .catch(explainMissingToken(file, state.client_id))
        .catch(explainGoneUnconfirmed("update"));
      // The state records what was sent (the signing key identity) and a rotated token, first.
      await keepRotated(rt, doc, file, state, r, { always: true, fallback });
      printOutcome(rt, r.outcome, doc);
      rt.out.json(doc);
    }),
});
