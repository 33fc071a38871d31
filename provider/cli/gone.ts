/** The CLI's words for an ambiguous "gone" (`OBDCR_GONE_UNCONFIRMED`): what was checked, what to do. */
import type { ArgsDef } from "citty";
import { GoneUnconfirmedError } from "../core/errors.js";

export const CONFIRM_GONE_ARGS = {
  "confirm-gone": {
    type: "boolean",
    description:
      "The bank deleted this client: count invalid_client at its token endpoint as gone (never assumed)",
  },
} as const satisfies ArgsDef;

/** Rethrows an ambiguous answer with the remedy a CLI user can act on; other errors pass through. */
export function explainGoneUnconfirmed(command: "get" | "update" | "delete") {
  return (e: unknown): never => {
    if (!(e instanceof GoneUnconfirmedError)) throw e;
    const todo = e.field
      ? `fix ${e.field} in the config and run \`ob-dcr ${command}\` again: the bank still holds the client`
      : command === "update"
        ? `if the bank really deleted client ${e.client_id}, register again (\`ob-dcr register\`)`
        : `if the bank really deleted client ${e.client_id}, run \`ob-dcr ${command} --confirm-gone\``;
    throw new GoneUnconfirmedError(e.client_id, `${e.message}. Nothing was dropped: ${todo}`, {
      cause: e,
      field: e.field,
      checks: e.checks,
    });
  };
}
