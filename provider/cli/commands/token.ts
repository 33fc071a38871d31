/** `ob-dcr token`: a directory access token (private_key_jwt client_credentials), printed redacted. */
import { defineCommand } from "citty";
import { REDACTED } from "../redact.js";
import { COMMON_ARGS, loadParams, withRuntime } from "../runtime.js";
import { directoryNeeds, tokenStep } from "../steps.js";

const args = { ...COMMON_ARGS } as const;

export const command = defineCommand({
  meta: {
    name: "token",
    description: "Get a directory access token (client assertion + client_credentials)",
  },
  args,
  run: (c) =>
    withRuntime(c, args, async (rt, a) => {
      const { params } = await loadParams(rt, a);
      const doc: Record<string, unknown> = { command: "token" };
      rt.partial = doc;
      const { token } = await tokenStep(rt, params, directoryNeeds(params, false), doc);
      const t = {
        token_type: token.token_type,
        expires_in: token.expires_in,
        scope: token.scope,
        access_token: rt.out.showSecrets ? token.access_token : REDACTED,
      };
      doc.token = t;
      rt.out.heading("Token");
      for (const [k, v] of Object.entries(t)) if (v !== undefined) rt.out.line(`${k}: ${v}`);
      rt.out.json(doc);
    }),
});
