/** The CLI's words for an ambiguous "gone" (`OBDCR_GONE_UNCONFIRMED`): what was checked, what to do. */
import type { ArgsDef } from "citty";
import { GoneUnconfirmedError, restated } from "../core/errors.js";

export const CONFIRM_GONE_ARGS = {
  "confirm-gone": {
    type: "boolean",
    description:
      "The bank deleted this client: count invalid_client at its token endpoint, or a 404 that is no OAuth error, as gone (never assumed)",
  },
} as const satisfies ArgsDef;

/** An ambiguous answer, said for a CLI user (its remedy is worded by the error report). */
export function explainGoneUnconfirmed(command: "get" | "update" | "delete") {
  return (e: unknown): never => {
    if (e instanceof GoneUnconfirmedError)
      throw restated(e, {
        message: `${e.message}. Nothing was dropped`,
        // `update` has no --confirm-gone: a deleted client is registered anew (`register`).
        ...(command === "update" && e.remedy?.kind === "confirm-gone" ? { remedy: null } : {}),
        ...(command === "update" &&
        e.remedy?.kind === "adopt-current-token" &&
        e.remedy.deletion === "possible"
          ? { remedy: { kind: "adopt-current-token", client_id: e.remedy.client_id } }
          : {}),
      });
    throw e;
  };
}
