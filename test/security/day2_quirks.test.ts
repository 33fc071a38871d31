// Day-2 quirks of broken (not hostile) banks, from the DCR digest, through the three faces with the
// same bank answers: the CLI (register, get, update, get, delete with one state file) and both
// Pulumi faces through the real engine (up, refresh, up, refresh, up, destroy). Each face must make
// the same decision (kept, updated only on a change, deleted at the end) and lose nothing: every
// step succeeds, no PUT is sent without a change, the bank holds no client afterwards, and no
// secret is in plaintext state.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../cli/helpers.js";
import { rotateRat } from "./cases.js";
import { type Face, faceStack, type PhaseResult, phases } from "./engine_phases.js";
import {
  type Case,
  type CaseRun,
  caseSecrets,
  cliConfigFor,
  engineArgsFor,
  findSecret,
  jsonCode,
  runCase,
  runCli,
} from "./harness.js";
import { type BankClient, type Exchange, Hostile, jwtClaims, type Scenario } from "./hostile.js";
import { type SecurityPki, securityPki } from "./pki.js";

/** RFC 7592 §2.1: a read answer may carry a new client_secret; the client MUST use it from then on. */
function rotateSecretOnRead(x: Exchange): void {
  const c = x.authClient();
  if (!c) return void x.json(401, { error: "invalid_token" });
  c.secret = x.h.issue("client_secret", x.id, `sec-rotated-${x.c.n++}-${Date.now().toString(36)}-0123456789`);
  x.json(200, { ...x.render(c), client_secret: c.secret, client_secret_expires_at: 0 });
}

/** A bank that renders the registration in its own order on GET (scope and redirect URIs sorted). */
function normalisedRead(x: Exchange): void {
  const c = x.authClient();
  if (!c) return void x.json(401, { error: "invalid_token" });
  const r = x.render(c);
  const scope = String(r.scope ?? "")
    .split(" ")
    .filter(Boolean)
    .sort()
    .join(" ");
  const uris = [...((r.redirect_uris as string[]) ?? [])].sort();
  x.json(200, { ...r, scope, redirect_uris: uris });
}

const live = (c: BankClient[]) => c.filter((k) => !k.deleted).length;

const SCENARIOS: { id: string; scenario: Scenario; auth?: Case["auth"]; client?: Record<string, unknown> }[] =
  [
    {
      id: "d2-secret-on-get",
      scenario: { mgmt: "obie", on: { read: rotateSecretOnRead } },
      auth: "client_secret_basic",
    },
    {
      id: "d2-normalised-get",
      scenario: {
        mgmt: "rat",
        on: { read: normalisedRead },
        ssaClaims: (c) => ({
          ...c,
          software_redirect_uris: [...(c.software_redirect_uris as string[]), "https://tpp.example.com/b"],
        }),
      },
      client: {
        scope: "openid accounts payments",
        redirect_uris: ["https://tpp.example.com/callback", "https://tpp.example.com/b"],
      },
    },
  ];

describe("day-2 quirks through the CLI", () => {
  let h: Hostile;
  let pki: SecurityPki;
  const runs = new Map<string, CaseRun>();
  beforeAll(async () => {
    ensureBuilt();
    pki = await securityPki();
    h = new Hostile(pki);
    await h.start();
    for (const s of SCENARIOS) {
      const id = `${s.id}-cli`;
      h.add(id, s.scenario);
      const c: Case = {
        id,
        cls: "keep",
        what: "",
        proves: "",
        scenario: s.scenario,
        auth: s.auth,
        client: s.client,
        steps: [{ cmd: "register" }, { cmd: "get" }, { cmd: "update" }, { cmd: "get" }, { cmd: "delete" }],
      };
      runs.set(s.id, await runCase(h, pki, c));
    }
  }, 300_000);
  afterAll(async () => {
    await h?.close();
  });
  it.each(SCENARIOS.map((s) => s.id))("%s: every step succeeds, the bank ends with nothing", (id) => {
    const r = runs.get(id)!;
    expect(
      r.runs.map((x) => x.code),
      r.runs.map((x) => x.stderr.slice(0, 800)).join("\n---\n"),
    ).toEqual([0, 0, 0, 0, 0]);
    expect(live(h.state(`${id}-cli`).clients)).toBe(0);
  });
});

describe.each(["dyn", "nat"] as const)("day-2 quirks through the engine (%s)", (face: Face) => {
  let h: Hostile;
  let pki: SecurityPki;
  const res = new Map<string, { results: PhaseResult[]; states: string[]; puts: number[] }>();
  const stacks: Stack[] = [];
  beforeAll(async () => {
    ensureBuilt();
    pki = await securityPki();
    h = new Hostile(pki);
    await h.start();
    for (const s of SCENARIOS) {
      const id = `${s.id}-${face}`;
      h.add(id, s.scenario);
      const f = await faceStack(face, `ob-dcr-day2-${s.id}-${face}`, "day2");
      stacks.push(f.stack);
      f.declared.set("reg", engineArgsFor(h, pki, { id, auth: s.auth, client: s.client } as Case, id));
      const ph = phases(f.stateText);
      const puts: number[] = [];
      const count = () => h.forCase(id).filter((q) => q.method === "PUT").length;
      await ph.run("up", (o) => f.stack.up({ onOutput: o }));
      await ph.run("refresh", (o) => f.stack.refresh({ onOutput: o }));
      await ph.run("up (no change)", (o) => f.stack.up({ onOutput: o }));
      puts.push(count());
      await ph.run("refresh again", (o) => f.stack.refresh({ onOutput: o }));
      await ph.run("up (no change again)", (o) => f.stack.up({ onOutput: o }));
      puts.push(count());
      await ph.run("destroy", (o) => f.stack.destroy({ onOutput: o }));
      res.set(s.id, { results: ph.results, states: ph.states, puts });
    }
  }, 900_000);
  afterAll(async () => {
    for (const s of stacks) await s.workspace.removeStack("day2", { force: true }).catch(() => undefined);
    await h?.close();
  });
  it.each(SCENARIOS.map((s) => s.id))(
    "%s: every phase succeeds, no PUT without a change, destroy deletes",
    (id) => {
      const r = res.get(id)!;
      for (const p of r.results) expect(p, p.output.slice(-3000)).toMatchObject({ ok: true });
      expect(r.puts).toEqual([0, 0]);
      expect(live(h.state(`${id}-${face}`).clients)).toBe(0);
      expect(findSecret(r.states.join("\n"), caseSecrets(h, pki, `${id}-${face}`)) ?? "").toBe("");
    },
  );
});

/**
 * A bank that rotates the registration access token on PUT (RFC 7592 §2.2) and whose answer to one
 * PUT is lost (it applied it, then the answer never came). The stored token is dead from then on:
 * a 401 for it is no proof of a deletion, so no face may drop the registration (and register a
 * second one) on it: `OBDCR_GONE_UNCONFIRMED` until the operator confirms or adopts.
 */
const lostPut: Scenario = {
  mgmt: "rat",
  on: {
    update: (x) => {
      const c = x.authClient();
      if (!c) return void x.json(401, { error: "invalid_token" });
      const claims = jwtClaims(x.text);
      for (const k of ["scope", "redirect_uris"]) if (claims[k] !== undefined) c.metadata[k] = claims[k];
      rotateRat(x, c);
      // The answer (with the new token) is lost: nothing is sent, the client gives up.
    },
  },
};

describe("an update whose answer is lost at a bank that rotates the token on PUT", () => {
  let h: Hostile;
  let pki: SecurityPki;
  let cli: CaseRun;
  const engine = new Map<Face, { results: PhaseResult[]; states: string[] }>();
  const stacks: Stack[] = [];
  beforeAll(async () => {
    ensureBuilt();
    pki = await securityPki();
    h = new Hostile(pki);
    await h.start();
    h.add("d2-lost-put-cli", lostPut);
    cli = await runCase(h, pki, {
      id: "d2-lost-put-cli",
      cls: "keep",
      what: "",
      proves: "",
      scenario: lostPut,
      steps: [{ cmd: "register" }, { cmd: "update" }, { cmd: "get" }, { cmd: "delete" }],
    });
    for (const face of ["dyn", "nat"] as const) {
      const id = `d2-lost-put-${face}`;
      h.add(id, lostPut);
      const f = await faceStack(face, `ob-dcr-day2-lost-put-${face}`, "day2");
      stacks.push(f.stack);
      const args = engineArgsFor(h, pki, { id } as Case, id);
      f.declared.set("reg", args);
      const ph = phases(f.stateText);
      await ph.run("up", (o) => f.stack.up({ onOutput: o }));
      (args.client as Record<string, unknown>).scope = "openid accounts payments";
      await ph.run("up (the PUT's answer is lost)", (o) => f.stack.up({ onOutput: o }));
      await ph.run("refresh", (o) => f.stack.refresh({ onOutput: o }));
      await ph.run("up again", (o) => f.stack.up({ onOutput: o }));
      await ph.run("destroy", (o) => f.stack.destroy({ onOutput: o }));
      engine.set(face, { results: ph.results, states: ph.states });
    }
  }, 900_000);
  afterAll(async () => {
    for (const s of stacks) await s.workspace.removeStack("day2", { force: true }).catch(() => undefined);
    await h?.close();
  });

  it("CLI: get and delete say GONE_UNCONFIRMED (not gone), the state file still names the live client", () => {
    expect(cli.runs.map((r) => r.code)).toEqual([0, 5, 4, 4]);
    expect(cli.runs.slice(2).map((r) => jsonCode(r))).toEqual([
      "OBDCR_GONE_UNCONFIRMED",
      "OBDCR_GONE_UNCONFIRMED",
    ]);
    const [c, ...more] = h.state("d2-lost-put-cli").clients;
    expect(more).toEqual([]);
    expect(c?.deleted).toBe(false);
    expect(JSON.parse(cli.states[0]?.text ?? "{}")).toMatchObject({
      client_id: c?.client_id,
      token_unconfirmed: true,
    });
  });

  it.each(["dyn", "nat"] as const)(
    "%s: the registration is never dropped, no second one is registered, refresh and destroy say GONE_UNCONFIRMED",
    (face) => {
      const { results, states } = engine.get(face)!;
      const id = `d2-lost-put-${face}`;
      const [c, ...more] = h.state(id).clients;
      expect(more, "a second registration").toEqual([]);
      expect(c?.deleted).toBe(false);
      expect(results[0]).toMatchObject({ ok: true });
      expect(results[1]!.output).toMatch(/the answer to the update was lost/);
      for (const i of [2, 3, 4]) {
        expect(results[i], results[i]!.output.slice(-2000)).toMatchObject({ ok: false });
        expect(results[i]!.output).toMatch(/OBDCR_GONE_UNCONFIRMED/);
      }
      for (const s of states) expect(s).toContain(String(c?.client_id));
      expect(findSecret(states.join("\n"), caseSecrets(h, pki, id)) ?? "").toBe("");
    },
  );
});

/**
 * One CLI command run with `--client-id` and the token in OBDCR_REGISTRATION_ACCESS_TOKEN (no
 * --state) against a seeded client, then `delete --state` with the default state file it left
 * (if any): `runs[0]` is the command, `runs[1]` the delete.
 */
function withoutState(id: string, scenario: Scenario, cmd: "get" | "update") {
  const r = {
    h: undefined as Hostile | undefined,
    runs: [] as Awaited<ReturnType<typeof runCli>>[],
    kept: [] as string[],
    client: undefined as BankClient | undefined,
  };
  const dir = mkdtempSync(path.join(os.tmpdir(), `obdcr-${id}-`));
  beforeAll(async () => {
    ensureBuilt();
    const pki = await securityPki();
    const h = new Hostile(pki);
    r.h = h;
    await h.start();
    h.add(id, scenario);
    const client = h.seed(id, { rat: true });
    r.client = client;
    const cfg = path.join(dir, "config.json");
    writeFileSync(cfg, JSON.stringify(cliConfigFor(h, pki, { id, scenario } as Case)));
    const env = { OBDCR_REGISTRATION_ACCESS_TOKEN: client.rat as string };
    r.runs.push(await runCli([cmd, "-c", cfg, "--client-id", client.client_id, "--json"], { env, cwd: dir }));
    const stateDir = path.join(dir, "ob-dcr-state");
    r.kept = existsSync(stateDir) ? readdirSync(stateDir).map((f) => path.join(stateDir, f)) : [];
    if (r.kept[0])
      r.runs.push(await runCli(["delete", "-c", cfg, "--state", r.kept[0], "--json"], { cwd: dir }));
  }, 120_000);
  afterAll(async () => {
    await r.h?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return r;
}

/**
 * `ob-dcr get --client-id` (the token from OBDCR_REGISTRATION_ACCESS_TOKEN, no --state) at a bank
 * that rotates the registration access token on every GET: the bank retires the token passed in,
 * and the new one is printed redacted; it must be kept somewhere (the default state file, as
 * `register` keeps what it is issued), or the client can never be managed again.
 */
describe("ob-dcr get without --state at a bank that rotates the token on every GET", () => {
  const r = withoutState(
    "d2-get-no-state",
    {
      mgmt: "rat",
      on: {
        read: (x) => {
          const c = x.authClient();
          if (!c) return void x.json(401, { error: "invalid_token" });
          rotateRat(x, c);
          x.json(200, { ...x.render(c), registration_access_token: c.rat });
        },
      },
    },
    "get",
  );

  it("keeps the new token in the default state file, with which delete works", () => {
    const { runs, kept, client } = r;
    expect(runs[0]?.code, runs[0]?.stderr).toBe(0);
    expect(kept).toHaveLength(1);
    const doc = JSON.parse(readFileSync(kept[0]!, "utf8")) as {
      client_id: string;
      secrets: Record<string, string>;
    };
    expect(doc.client_id).toBe(client?.client_id);
    expect(runs[1]?.code, runs[1]?.stderr).toBe(0);
    expect(client?.deleted).toBe(true);
    expect(runs[0]?.stdout).not.toContain(doc.secrets.registration_access_token);
  });
});

/**
 * `ob-dcr update --client-id` (no --state) at a bank that rotates the token on PUT and whose answer
 * to the PUT is lost: the doubt must be kept where the CLI keeps a rotated credential without
 * --state (the default state file), or the next delete with the token passed in says "gone" for a
 * live client.
 */
describe("ob-dcr update without --state whose PUT answer is lost", () => {
  const r = withoutState("d2-lost-put-no-state", lostPut, "update");

  it("records token_unconfirmed in the default state file, and delete with it says GONE_UNCONFIRMED", () => {
    const { runs, kept, client } = r;
    expect(runs[0]?.code, runs[0]?.stderr).toBe(5);
    expect(kept).toHaveLength(1);
    expect(JSON.parse(readFileSync(kept[0]!, "utf8"))).toMatchObject({
      client_id: client?.client_id,
      token_unconfirmed: true,
    });
    expect(runs[1]?.code, runs[1]?.stderr).toBe(4);
    expect(JSON.parse(runs[1]?.stdout ?? "{}")).toMatchObject({ error: { code: "OBDCR_GONE_UNCONFIRMED" } });
    expect(client?.deleted).toBe(false);
  });
});

/**
 * A bank that answers a PUT with another client (it registered the PUT anew). Identity never
 * changes on update, so every face refuses the answer and keeps the registration it holds; the new
 * client exists only in that answer, so the error must name it and say it is nowhere in state.
 */
const putAnew: Scenario = {
  mgmt: "rat",
  on: {
    update: (x) => {
      if (!x.authClient()) return void x.json(401, { error: "invalid_token" });
      x.json(200, x.create().body);
    },
  },
};

describe("a bank that answers a PUT with a new client", () => {
  let h: Hostile;
  let pki: SecurityPki;
  let cli: CaseRun;
  const engine = new Map<Face, { results: PhaseResult[]; states: string[] }>();
  const stacks: Stack[] = [];
  const NAMES_IT = /another client, (cid-d2-put-anew-\w+-2)[\s\S]*no state names/;
  beforeAll(async () => {
    ensureBuilt();
    pki = await securityPki();
    h = new Hostile(pki);
    await h.start();
    h.add("d2-put-anew-cli", putAnew);
    cli = await runCase(h, pki, {
      id: "d2-put-anew-cli",
      cls: "keep",
      what: "",
      proves: "",
      scenario: putAnew,
      steps: [{ cmd: "register" }, { cmd: "update" }],
    });
    for (const face of ["dyn", "nat"] as const) {
      const id = `d2-put-anew-${face}`;
      h.add(id, putAnew);
      const f = await faceStack(face, `ob-dcr-day2-put-anew-${face}`, "day2");
      stacks.push(f.stack);
      const args = engineArgsFor(h, pki, { id } as Case, id);
      f.declared.set("reg", args);
      const ph = phases(f.stateText);
      await ph.run("up", (o) => f.stack.up({ onOutput: o }));
      (args.client as Record<string, unknown>).scope = "openid accounts payments";
      await ph.run("up (the PUT is answered with a new client)", (o) => f.stack.up({ onOutput: o }));
      engine.set(face, { results: ph.results, states: ph.states });
    }
  }, 600_000);
  afterAll(async () => {
    for (const s of stacks) await s.workspace.removeStack("day2", { force: true }).catch(() => undefined);
    await h?.close();
  });

  it("CLI: update fails naming the new client as one no state names; the state file keeps the first", () => {
    expect(cli.runs.map((r) => r.code)).toEqual([0, 5]);
    expect(cli.runs[1]?.stderr).toMatch(NAMES_IT);
    expect(cli.runs[1]?.json?.error).toMatchObject({ client_id: "cid-d2-put-anew-cli-2" });
    expect(JSON.parse(cli.states[0]?.text ?? "{}")).toMatchObject({ client_id: "cid-d2-put-anew-cli-1" });
  });

  it.each(["dyn", "nat"] as const)(
    "%s: the update fails naming the new client; state keeps the first",
    (face) => {
      const { results, states } = engine.get(face)!;
      expect(results[0]).toMatchObject({ ok: true });
      expect(results[1]).toMatchObject({ ok: false });
      expect(results[1]!.output).toMatch(NAMES_IT);
      expect(states[1]).toContain(`cid-d2-put-anew-${face}-1`);
    },
  );
});
