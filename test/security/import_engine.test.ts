// `pulumi import` (the plugin) of a registration at a bank whose GET answer rotates the registration
// access token (RFC 7592 §2.1 lets it: the old one may stop working at once) and is otherwise
// unusable (here: no client_id). The import is the only step that sees the new token: it must end
// up in state (sealed), so that the client stays manageable (refresh reads it, destroy deletes
// it at the bank). Before, the import failed with "offers no GET" and dropped the token: the
// bank held a client whose only working token nobody had.
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../cli/helpers.js";
import { rotateRat } from "./cases.js";
import { faceStack, type PhaseResult, phases } from "./engine_phases.js";
import { type Case, caseSecrets, engineArgsFor, findSecret } from "./harness.js";
import { type Exchange, Hostile } from "./hostile.js";
import { type SecurityPki, securityPki } from "./pki.js";

const TYPE = "obdcr:index:ClientRegistration";

describe("pulumi import at a bank whose GET answer rotates the token and is unusable (nat)", () => {
  const id = "import-rot";
  let h: Hostile;
  let pki: SecurityPki;
  let stack: Stack;
  let clientId = "";
  let states: string[] = [];
  let results: PhaseResult[] = [];

  beforeAll(async () => {
    ensureBuilt();
    pki = await securityPki();
    h = new Hostile(pki);
    await h.start();
    h.add(id, {
      mgmt: "rat",
      on: {
        read: (x: Exchange) => {
          const c = x.authClient();
          if (!c) return x.json(401, { error: "invalid_token" });
          if (x.c.data.rotated) return x.honest();
          x.c.data.rotated = true;
          rotateRat(x, c);
          const { client_id: _omitted, ...rest } = x.render(c);
          x.json(200, { ...rest, registration_access_token: c.rat });
        },
      },
    });
    const seeded = h.seed(id, { rat: true });
    clientId = seeded.client_id;
    const f = await faceStack("nat", "ob-dcr-security-import", "import");
    stack = f.stack;
    const ph = phases(f.stateText);
    ({ results, states } = ph);
    const phase = ph.run;
    await stack.setConfig("obdcr:importInputs", {
      value: JSON.stringify(engineArgsFor(h, pki, { id } as Case, id)),
    });
    await stack.setConfig("obdcr:importRegistrationAccessToken", { value: seeded.rat!, secret: true });
    await phase("import", (onOutput) =>
      stack.import({
        resources: [{ type: TYPE, name: "imported", id: clientId }],
        generateCode: false,
        protect: false,
        onOutput,
      }),
    );
    await phase("refresh", (onOutput) => stack.refresh({ onOutput }));
    await phase("destroy", (onOutput) => stack.destroy({ onOutput }));
  }, 300_000);

  afterAll(async () => {
    await stack?.workspace.removeStack("import", { force: true }).catch(() => undefined);
    await h?.close();
  });

  it("the import keeps the client (with the rotated token), not an OBDCR_NOT_SUPPORTED", () => {
    expect(results[0], results[0]?.output).toMatchObject({ ok: true });
    expect(results[0]?.output).not.toMatch(/offers no GET/);
    expect(results[0]?.output).toMatch(/new registration access token, which is kept in state/);
  });

  it("refresh reads it with the rotated token; destroy deletes the client at the bank", () => {
    expect(results[1], results[1]?.output).toMatchObject({ ok: true });
    expect(results[2], results[2]?.output).toMatchObject({ ok: true });
    expect(h.state(id).clients.map((c) => [c.client_id, c.deleted])).toEqual([[clientId, true]]);
  });

  it("no secret in plaintext state or output at any point", () => {
    const secrets = caseSecrets(h, pki, id);
    expect(findSecret(states.join("\n"), secrets) ?? "").toBe("");
    expect(findSecret(results.map((r) => r.output).join("\n"), secrets) ?? "").toBe("");
  });
});
