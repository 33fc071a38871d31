// The cases marked `engine` (at least one of every class) through the real Pulumi engine, for BOTH
// faces: the dynamic resource ObClientRegistration and the native plugin obdcr:index:ClientRegistration.
// One stack per face, one resource per case, against the same hostile servers as the CLI suite:
// `up` (continue on error), `refresh`, `destroy`. Then, per case: no credential reached another origin
// or travelled in plaintext; no secret value in the engine's output or in the state file (where the
// credentials must be ciphertext); no raw control character or CI workflow command in the output; the
// client the bank made is in state or named in the output; `destroy` never drops a registration the
// bank still holds; and every engine operation ended within its budget.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stateFile } from "../../scripts/lib/pulumi_stack.js";
import { ensureBuilt } from "../cli/helpers.js";
import { nativeStack } from "../native/stack.js";
import { engineHarness } from "../reliability/engine_support.js";
import { CASES } from "./cases.js";
import { type Case, caseSecrets, engineArgsFor, findSecret, JWS_RE, SECURITY_ENV } from "./harness.js";
import { type Exchange, Hostile, type Route, type Scenario } from "./hostile.js";
import { type SecurityPki, securityPki } from "./pki.js";

const ENGINE_CASES = CASES.filter((c) => c.engine);
/** One engine operation (all the stack's resources at once, hang cases included). */
const OP_BUDGET_MS = 75_000;
/** Aborted after this: a hang (OBDCR_SECURITY_ENGINE_KILL_MS to shorten it, e.g. against a build that hangs). */
const OP_KILL_MS = Number(process.env.OBDCR_SECURITY_ENGINE_KILL_MS ?? 150_000);

type Face = "dyn" | "nat";
type Phase = "up" | "refresh" | "destroy";

/**
 * The engine runs a case as a resource: a seeded registration (CLI cases that start from a state
 * file) is made honestly by `up`, and its hostile management answers apply from `refresh` on.
 */
function engineScenario(c: Case, phase: () => Phase): Scenario {
  if (!c.seed || !c.scenario.on) return c.scenario;
  const on: Partial<Record<Route, (x: Exchange) => void | Promise<void>>> = {};
  for (const [route, handler] of Object.entries(c.scenario.on) as [Route, (x: Exchange) => void][]) {
    const management = route === "read" || route === "update" || route === "delete" || route === "token";
    on[route] = management ? (x) => (phase() === "up" ? x.honest() : handler(x)) : handler;
  }
  return { ...c.scenario, on };
}

interface FaceRun {
  stack: Stack;
  stateText: () => string;
  /** The state file after each phase: a plaintext secret that `destroy` removes again is found too. */
  states: string[];
  output: string;
  ops: { phase: Phase; start: number; ms: number; ok: boolean; error?: string | undefined }[];
  /** Resource ids in state after each phase. */
  ids: Record<Phase, Map<string, string>>;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point of the check
const CONTROL_RE = /[\u0000-\u0008\u000b-\u001a\u001c-\u001f\u007f-\u009f]|\u001b(?!\[[0-9;]*m)/;
// `::cmd` at the start of a line; `##vso[` (Azure) and the legacy `##[` (GitHub) anywhere in one.
const WORKFLOW_RE = /^\s*::[A-Za-z-]+|##(vso)?\[/im;

describe.each(["dyn", "nat"] as const)(
  "the Pulumi engine (%s) against a hostile bank and directory",
  (face: Face) => {
    let h: Hostile;
    let pki: SecurityPki;
    let phase: Phase = "up";
    const run: FaceRun = {
      stack: undefined as never,
      stateText: () => "",
      states: [],
      output: "",
      ops: [],
      ids: { up: new Map(), refresh: new Map(), destroy: new Map() },
    };
    const idOf = (c: Case) => `${face}-${c.id}`;
    const resourceName = (c: Case) => c.id;

    beforeAll(async () => {
      ensureBuilt();
      pki = await securityPki();
      h = new Hostile(pki);
      await h.start();
      const declared = new Map<string, Record<string, unknown>>();
      for (const c of ENGINE_CASES) {
        h.add(
          idOf(c),
          engineScenario(c, () => phase),
        );
        declared.set(resourceName(c), engineArgsFor(h, pki, c, idOf(c)));
      }
      const dir = mkdtempSync(join(tmpdir(), `obdcr-sec-engine-${face}-`));
      const backend = `file://${join(dir, "state")}`;
      const projectName = `ob-dcr-security-${face}`;
      const stackName = "hostile";
      if (face === "dyn") {
        // The reliability harness's fast Retry-After cap would hide a Retry-After hang: the default again.
        const eh = await engineHarness(projectName, stackName, {
          ...SECURITY_ENV,
          OBDCR_MAX_RETRY_AFTER_MS: "30000",
        });
        for (const [k, v] of declared) eh.declared.set(k, v as never);
        run.stack = eh.stack;
        run.stateText = eh.stateText;
      } else {
        run.stack = await nativeStack({ projectName, stackName, backend, declared, envVars: SECURITY_ENV });
        run.stateText = () => readFileSync(stateFile(backend, projectName, stackName), "utf8");
      }
      const snapshot = async (p: Phase) => {
        const dep = (await run.stack.exportStack()).deployment as {
          resources?: { urn: string; id?: string; type: string }[];
        };
        for (const r of dep.resources ?? [])
          if (r.type.endsWith("ObClientRegistration") || r.type === "obdcr:index:ClientRegistration")
            run.ids[p].set(r.urn.split("::").at(-1)!, String(r.id));
      };
      const op = async (
        p: Phase,
        f: (o: { onOutput: (s: string) => void; signal: AbortSignal }) => Promise<unknown>,
      ) => {
        phase = p;
        const start = Date.now();
        const t0 = performance.now();
        const signal = AbortSignal.timeout(OP_KILL_MS);
        let error: string | undefined;
        const ok = await f({ onOutput: (s) => (run.output += s), signal }).then(
          () => true,
          (e: Error) => {
            error = e.message.slice(-4000);
            run.output += `\n${e.message}`;
            return false;
          },
        );
        run.ops.push({ phase: p, start, ms: performance.now() - t0, ok, error });
        if (signal.aborted) await run.stack.cancel().catch(() => undefined);
        await snapshot(p).catch(() => undefined);
        try {
          run.states.push(run.stateText());
        } catch {
          /* no state file yet */
        }
      };
      await op("up", (o) => run.stack.up({ ...o, continueOnError: true }));
      await op("refresh", (o) => run.stack.refresh({ ...o }));
      await op("destroy", (o) => run.stack.destroy({ ...o, continueOnError: true }));
    }, 600_000);

    afterAll(async () => {
      await run.stack?.workspace.removeStack("hostile", { force: true }).catch(() => undefined);
      await h?.close();
    });

    it("reached the hostile servers for every case", () => {
      if (process.env.OBDCR_SECURITY_DEBUG)
        console.log(
          JSON.stringify(
            {
              ops: run.ops,
              ids: Object.fromEntries(Object.entries(run.ids).map(([k, m]) => [k, Object.fromEntries(m)])),
              requests: ENGINE_CASES.map((c) => [
                c.id,
                h.forCase(idOf(c)).map((r) => `${r.listener} ${r.method} ${r.route}`),
              ]),
              output: run.output.slice(-6000),
            },
            null,
            1,
          ),
        );
      for (const c of ENGINE_CASES)
        expect(h.forCase(idOf(c)).length, `${c.id}: no request reached the hostile servers`).toBeGreaterThan(
          0,
        );
    });

    it("runs up, refresh and destroy, each within its budget", () => {
      expect(run.ops.map((o) => o.phase)).toEqual(["up", "refresh", "destroy"]);
      for (const o of run.ops)
        expect(o.ms, `${o.phase} took ${Math.round(o.ms)} ms: ${o.error ?? ""}`).toBeLessThan(OP_BUDGET_MS);
    });

    it("prints no raw control character and no CI workflow command", () => {
      const bad = CONTROL_RE.exec(run.output);
      expect(bad ? JSON.stringify(run.output.slice(Math.max(0, bad.index - 60), bad.index + 40)) : "").toBe(
        "",
      );
      expect(WORKFLOW_RE.exec(run.output)?.[0] ?? "").toBe("");
    });

    it.each(ENGINE_CASES.map((c) => [c.id, c] as const))("%s", (_id, c) => {
      const id = idOf(c);
      const v: string[] = [];
      const secrets = caseSecrets(h, pki, id);
      // Credentials stay on their origin; nothing in plaintext.
      for (const r of h.forCase(id)) {
        if (r.listener === "plain") v.push(`${r.method} ${r.path} in plaintext (${phaseOf(r.at)})`);
        if (
          r.listener === "other" &&
          (r.headers.authorization || JWS_RE.test(r.body) || findSecret(r.body, secrets))
        )
          v.push(`a credential sent to another origin: ${r.method} ${r.path}`);
      }
      // No secret in the engine's output or the state file (credentials are ciphertext there).
      const inOut = findSecret(run.output, secrets);
      if (inOut) v.push(`a secret value in the engine output: ${inOut}`);
      const state = [...run.states, run.stateText()].join("\n");
      const inState = findSecret(state, secrets);
      if (inState) v.push(`a secret value in plaintext in the state file: ${inState}`);
      // No registration lost, and destroy drops none the bank still holds.
      const name = resourceName(c);
      for (const k of h.state(id).clients) {
        const inUp = [...run.ids.up.values(), ...run.ids.refresh.values()].includes(String(k.client_id));
        if (!k.deleted && run.ids.destroy.get(name) !== String(k.client_id) && inUp)
          v.push(`destroy dropped ${k.tag} from state but the bank still holds it (an orphan)`);
        const named = run.output.includes(k.tag);
        const unknown =
          (c.expect?.kept ?? "id") === "unknown" && run.output.includes("OBDCR_OUTCOME_UNKNOWN");
        if (!inUp && !named && !unknown && !k.deleted)
          v.push(
            `registration lost: the bank created ${k.tag}; it is not in state and not named in the output`,
          );
      }
      if (c.expect?.noPost) {
        const posts = h.forCase(id).filter((r) => r.route === "register");
        if (posts.length > 0) v.push(`expected no registration POST, got ${posts.length}`);
      }
      expect(v, `${face} ${c.id}: ${c.what}`).toEqual([]);
    });

    /** Which engine operation a request time falls in (for messages). */
    const phaseOf = (at: number) => [...run.ops].reverse().find((o) => at >= o.start)?.phase ?? "?";
  },
);
