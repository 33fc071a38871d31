// What the providers say besides errors (a registration gone at the bank and dropped from state, a
// token kept, a value the bank registered instead of ours) must reach the engine's output on both
// faces. The engine does not show the plugin's stderr, where the plugin wrote them: a refresh that
// dropped a registration on the bank's word said only "deleted", without the bank's answer.
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../cli/helpers.js";
import { faceStack, type PhaseResult, phases } from "./engine_phases.js";
import { type Case, engineArgsFor } from "./harness.js";
import { type Exchange, Hostile } from "./hostile.js";
import { type SecurityPki, securityPki } from "./pki.js";

describe.each(["dyn", "nat"] as const)("a registration the bank says is gone (%s)", (face) => {
  const id = `gone-${face}`;
  let h: Hostile;
  let pki: SecurityPki;
  let stack: Stack;
  let gone = false;
  let results: PhaseResult[] = [];

  beforeAll(async () => {
    ensureBuilt();
    pki = await securityPki();
    h = new Hostile(pki);
    await h.start();
    h.add(id, {
      mgmt: "rat",
      on: {
        read: (x: Exchange) => (gone ? x.json(401, { error: "invalid_token" }) : x.honest()),
      },
    });
    const args = engineArgsFor(h, pki, { id } as Case, id);
    const f = await faceStack(face, `ob-dcr-security-notes-${face}`, "notes");
    stack = f.stack;
    f.declared.set("reg", args);
    const ph = phases(f.stateText);
    results = ph.results;
    const phase = ph.run;
    await phase("up", (onOutput) => stack.up({ onOutput }));
    // Deleted at the bank: its token endpoint refuses the client too (a 401 alone is checked there).
    for (const c of h.state(id).clients) c.deleted = true;
    gone = true;
    await phase("refresh", (onOutput) => stack.refresh({ onOutput }));
  }, 300_000);

  afterAll(async () => {
    await stack?.workspace.removeStack("notes", { force: true }).catch(() => undefined);
    await h?.close();
  });

  it("refresh says that the registration is gone at the bank", () => {
    expect(results[0], results[0]?.output).toMatchObject({ ok: true });
    expect(results[1]?.output).toMatch(/is gone at the bank/);
  });
});
