/** `ob-dcr delete`: delete a registration (DELETE /register/{client_id}). */
import { defineCommand } from "citty";
import * as lifecycle from "../../lifecycle/managed.js";
import { CONFIRM_GONE_ARGS, explainGoneUnconfirmed } from "../gone.js";
import { COMMON_ARGS, loadParams, resolveStateFor, STATE_ARGS, withRuntime } from "../runtime.js";
import { explainMissingToken, markDeleted } from "../state.js";

const args = { ...COMMON_ARGS, ...STATE_ARGS, ...CONFIRM_GONE_ARGS } as const;

const RESULT_WORDS = {
  deleted: "result: deleted",
  accepted:
    "result: accepted (HTTP 202: the bank took the DELETE on without saying it is done; it deletes the client in its own time)",
  gone: "result: gone (the bank no longer knew it)",
} as const;

export const command = defineCommand({
  meta: {
    name: "delete",
    description:
      "Delete a registration at the bank (DELETE /register/{client_id}); already gone is a success",
  },
  args,
  run: (c) =>
    withRuntime(c, args, async (rt, a) => {
      const { params } = await loadParams(rt, a);
      const { state, file, deleted } = await resolveStateFor(rt, a);
      const doc: Record<string, unknown> = { command: "delete", client_id: state.client_id };
      rt.partial = doc;
      if (file && deleted) {
        // Deleted by an earlier `delete`: its result stands, and no credential is left to send.
        doc.result = deleted.result;
        doc.state_file = file;
        rt.out.line(`client_id: ${state.client_id}`);
        rt.out.line(RESULT_WORDS[deleted.result]);
        rt.out.line(`recorded: ${file} records this result at ${deleted.at}; nothing was sent`);
        rt.out.json(doc);
        return;
      }
      const { result: r, detail } = await rt.out
        .step("registration delete", () =>
          lifecycle.remove(params, state, rt.ctx, { confirm_gone: a["confirm-gone"] === true }),
        )
        .catch(explainMissingToken(file, state.client_id))
        .catch(explainGoneUnconfirmed("delete"));
      doc.result = r;
      // Why the bank's answer counted as gone (and whether a check of it was possible).
      if (r === "gone" && detail) rt.out.note(`gone: ${detail}`);
      // The file no longer holds a live client: keep its name and when, drop the dead credentials.
      // A 202 is not done: the bank may still hold the client, and its credentials still check it.
      if (file && r !== "accepted") {
        await markDeleted(file, state, r, new Date(rt.ctx.now() * 1000));
        doc.state_file = file;
        rt.out.note(
          `state: ${file} now records client ${state.client_id} as deleted (its credentials dropped)`,
        );
      }
      // Two lines: out.line escapes a newline inside one line (as \u000a), by design.
      rt.out.line(`client_id: ${state.client_id}`);
      rt.out.line(RESULT_WORDS[r]);
      rt.out.json(doc);
    }),
});
