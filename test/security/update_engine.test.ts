// A PUT whose answer rotates the registration access token (RFC 7592 §2.2: the old one may stop
// working at once) and is otherwise unusable, through the real engine, for both faces. The rotated
// token must be in state when the `up` ends (else the bank holds a client nobody can manage), the
// change must still be pending (the next `up` sends the PUT again, with the new token), and
// `destroy` must delete the client at the bank. No secret in plaintext state on the way.
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../cli/helpers.js";
import { rotateRat } from "./cases.js";
import { faceStack, type PhaseResult, phases } from "./engine_phases.js";
import { type Case, caseSecrets, engineArgsFor, findSecret } from "./harness.js";
import { type Exchange, Hostile } from "./hostile.js";
import { type SecurityPki, securityPki } from "./pki.js";

const WIDER = "openid accounts payments";

describe.each(["dyn", "nat"] as const)("an unusable PUT answer that rotates the token (%s)", (face) => {
  const id = `upd-${face}`;
  let h: Hostile;
  let pki: SecurityPki;
  let stack: Stack;
  let declared: Map<string, Record<string, unknown>>;
  let hostilePut = false;
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
        update: (x: Exchange) => {
          if (!hostilePut) return x.honest();
          const c = x.authClient();
          if (!c) return x.json(401, { error: "invalid_token" });
          rotateRat(x, c);
          const { client_id: _omitted, ...rest } = x.render(c);
          x.json(200, { ...rest, registration_access_token: c.rat });
        },
      },
    });
    const args = engineArgsFor(h, pki, { id } as Case, id);
    const f = await faceStack(face, `ob-dcr-security-update-${face}`, "update");
    ({ stack, declared } = f);
    declared.set("reg", args);
    const ph = phases(f.stateText);
    ({ results, states } = ph);
    const phase = ph.run;
    await phase("up", (onOutput) => stack.up({ onOutput }));
    // The change: a wider scope, applied in place by a PUT; the bank rotates the token and answers
    // without a client_id.
    hostilePut = true;
    const client = (declared.get("reg") as { client: Record<string, unknown> }).client;
    client.scope = WIDER;
    await phase("up (unusable PUT answer)", (onOutput) => stack.up({ onOutput }));
    hostilePut = false;
    await phase("up again", (onOutput) => stack.up({ onOutput }));
    await phase("destroy", (onOutput) => stack.destroy({ onOutput }));
  }, 300_000);

  afterAll(async () => {
    await stack?.workspace.removeStack("update", { force: true }).catch(() => undefined);
    await h?.close();
  });

  it("the first up registers one client", () => {
    expect(results[0]).toMatchObject({ ok: true });
    expect(h.state(id).clients).toHaveLength(1);
  });

  it("the up that met the unusable answer says so (the plugin fails the update, the dynamic resource warns)", () => {
    const r = results[1]!;
    expect(r.ok).toBe(face === "dyn");
    expect(r.output).toMatch(/new registration access token/);
  });

  it("the next up sends the PUT again with the rotated token, and the bank has the change", () => {
    expect(results[2], results[2]?.output).toMatchObject({ ok: true });
    const puts = h.forCase(id).filter((r) => r.method === "PUT");
    expect(puts.length).toBe(2);
    // The bank accepts only its current token: the second PUT carried the rotated one.
    const [c] = h.state(id).clients;
    expect(puts[1]!.headers.authorization).toBe(`Bearer ${c!.rat}`);
    expect(c!.metadata.scope).toBe(WIDER);
  });

  it("destroy deletes the client at the bank", () => {
    expect(results[3], results[3]?.output).toMatchObject({ ok: true });
    expect(h.state(id).clients.map((c) => c.deleted)).toEqual([true]);
  });

  it("no secret in plaintext state at any point", () => {
    const secrets = caseSecrets(h, pki, id);
    expect(findSecret(states.join("\n"), secrets) ?? "").toBe("");
  });
});
