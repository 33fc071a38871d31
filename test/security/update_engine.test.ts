// A PUT whose answer rotates the registration access token (RFC 7592 §2.2: the old one may stop
// working at once) and is otherwise unusable, through the real engine, for both faces. The rotated
// token must be in state when the `up` ends (else the bank holds a client nobody can manage), the
// change must still be pending (the next `up` sends the PUT again, with the new token), and
// `destroy` must delete the client at the bank. No secret in plaintext state on the way.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stateFile } from "../../scripts/lib/pulumi_stack.js";
import { ensureBuilt } from "../cli/helpers.js";
import { nativeStack } from "../native/stack.js";
import { engineHarness } from "../reliability/engine_support.js";
import { rotateRat } from "./cases.js";
import { type Case, caseSecrets, engineArgsFor, findSecret, SECURITY_ENV } from "./harness.js";
import { type Exchange, Hostile } from "./hostile.js";
import { type SecurityPki, securityPki } from "./pki.js";

const WIDER = "openid accounts payments";

describe.each(["dyn", "nat"] as const)("an unusable PUT answer that rotates the token (%s)", (face) => {
  const id = `upd-${face}`;
  let h: Hostile;
  let pki: SecurityPki;
  let stack: Stack;
  let stateText: () => string;
  let declared: Map<string, Record<string, unknown>>;
  let hostilePut = false;
  const states: string[] = [];
  const results: { phase: string; ok: boolean; output: string }[] = [];

  const phase = async (name: string, f: () => Promise<unknown>) => {
    let output = "";
    const ok = await f().then(
      (r) => {
        output = (r as { stdout?: string }).stdout ?? "";
        return true;
      },
      (e: Error) => {
        output = e.message;
        return false;
      },
    );
    results.push({ phase: name, ok, output });
    states.push(stateText());
  };

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
    const projectName = `ob-dcr-security-update-${face}`;
    if (face === "dyn") {
      const eh = await engineHarness(projectName, "update", SECURITY_ENV);
      stack = eh.stack;
      stateText = eh.stateText;
      declared = eh.declared as Map<string, Record<string, unknown>>;
      declared.set("reg", args);
    } else {
      const backend = `file://${join(mkdtempSync(join(tmpdir(), "obdcr-sec-update-")), "state")}`;
      declared = new Map([["reg", args]]);
      stack = await nativeStack({
        projectName,
        stackName: "update",
        backend,
        declared,
        envVars: SECURITY_ENV,
      });
      stateText = () => readFileSync(stateFile(backend, projectName, "update"), "utf8");
    }
    await phase("up", () => stack.up());
    // The change: a wider scope, applied in place by a PUT; the bank rotates the token and answers
    // without a client_id.
    hostilePut = true;
    const client = (declared.get("reg") as { client: Record<string, unknown> }).client;
    client.scope = WIDER;
    await phase("up (unusable PUT answer)", () => stack.up());
    hostilePut = false;
    await phase("up again", () => stack.up());
    await phase("destroy", () => stack.destroy());
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
