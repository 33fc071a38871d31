import { defineCommand } from "citty";
import * as lifecycle from "../../lifecycle/managed.js";
import type { RegistrationOutcome } from "../../lifecycle/registration.js";
import { BANK_ARGS, loadParamsWithBank } from "../bank_list.js";
import { REDACTED } from "../redact.js";
import { COMMON_ARGS, type Runtime, STATE_ARGS, withRuntime } from "../runtime.js";
import { type KeptState, registerKeepingState, stateFile } from "../state.js";
import {
  bodyForPrint,
  decodeJwt,
  directoryNeeds,
  keptNote,
  printOutcome,
  registrationEndpointOf,
  ssaStep,
  tokenStep,
} from "../steps.js";

const args = {
  ...COMMON_ARGS,
  ...BANK_ARGS,
  state: { ...STATE_ARGS.state, description: "Write client_id + management secrets here (mode 0600)" },
} as const;

/** Steps 4+5 from what went over the wire: the request as sent and the response as received. */
function printRegistrationExchange(
  rt: Runtime,
  endpoint: string | undefined,
  doc: Record<string, unknown>,
  n: number,
) {
  const { out } = rt;
  const x = endpoint ? rt.rec.last("POST", endpoint) : undefined;
  if (!x) return;
  const raw = x.request_body?.toString("utf8") ?? "";
  const jwt = decodeJwt(raw);
  const request: Record<string, unknown> = { url: x.url };
  out.heading(`${n}. Registration request`);
  out.line(`POST ${x.url}`);
  out.line(
    jwt ? "body: a signed request JWT (application/jwt or jose)" : "body: JSON metadata (application/json)",
  );
  if (jwt) {
    const claims = { ...jwt.claims };
    Object.assign(request, { header: jwt.header, claims, jwt: out.showSecrets ? raw : REDACTED });
    out.field("header", jwt.header);
    out.field("claims", claims);
    out.line(`jwt: ${out.showSecrets ? raw : `${REDACTED} (--show-secrets prints it)`}`);
  } else {
    const body = bodyForPrint(x.request_body);
    request.body = body;
    out.field("body", body);
  }
  doc.registration_request = request;
  out.heading(`${n + 1}. Registration`);
  if (x.error) {
    out.line(`no response (${x.error})`);
    doc.registration_response = { error: x.error };
    return;
  }
  const body = bodyForPrint(x.response_body, x.status);
  doc.registration_response = { status: x.status, body };
  out.line(`status: ${x.status}`);
  out.field("body", body);
}

export const command = defineCommand({
  meta: {
    name: "run",
    description:
      "Run the whole flow (assertion, directory token, SSA, request JWT, registration), printing each step",
  },
  args,
  run: (c) =>
    withRuntime(c, args, async (rt, a) => {
      const { out } = rt;
      const { params } = await loadParamsWithBank(rt, a);
      const doc: Record<string, unknown> = { command: "run", profile: params.profile };
      rt.partial = doc;
      let withSsa = params;
      let n = 1;
      if (params.directory && params.software) {
        let token: string | undefined;
        let granted: string | undefined;
        if (!params.directory.software_statement) {
          const need = directoryNeeds(params, true);
          const t = await tokenStep(rt, params, need, doc);
          token = t.token.access_token;
          granted = t.token.scope;
          n = t.next;
        }
        const { ssa } = await ssaStep(rt, params, doc, n, token, granted);
        n++;
        withSsa = { ...params, directory: { ...params.directory, software_statement: ssa } };
      } else {
        out.line("(no directory configured: steps 1-3 skipped, rfc7591 without a software statement)");
      }
      let outcome: RegistrationOutcome;
      let kept: KeptState | undefined;
      try {
        // The state is written before anything about the answer is printed (or can fail).
        ({ outcome, kept } = await registerKeepingState(
          () =>
            out.step("registration", () =>
              lifecycle.create(withSsa, rt.ctx, { state_file: stateFile(rt, a.state) }),
            ),
          {
            cwd: rt.io.cwd,
            state: a.state,
            registration_endpoint: () => registrationEndpointOf(rt, params),
            onKept: (k) => keptNote(rt, doc, k),
          },
        ));
      } finally {
        printRegistrationExchange(rt, registrationEndpointOf(rt, params), doc, n);
      }
      out.heading("Result");
      const result: Record<string, unknown> = {};
      printOutcome(rt, outcome, result, false);
      doc.result = result.registration;
      // docs/cli.md: `client_id` on top, kept state or not (a bank that issues no secrets keeps none).
      doc.client_id = outcome.client_id;
      if (kept) keptNote(rt, doc, kept);
      out.json(doc);
    }),
});
