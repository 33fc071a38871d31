// The security suite's harness: the built CLI run as a subprocess with small budgets (wall time and
// peak memory measured), the CLI config of a case, and the checks every case ends on:
// - no credential reached another origin, and nothing travelled in plaintext;
// - no secret value (whole or in part) in any output, nor in the state file outside `secrets`;
// - no raw control character and no CI workflow command in any output;
// - no registration lost: what the hostile bank holds is in a state file, or named in the output,
//   or (where its id cannot be read) reported as OBDCR_OUTCOME_UNKNOWN;
// - every call ended within its budget, and the CLI's peak memory stayed bounded.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createContext } from "../../provider/http/context.js";
import type { Lifecycle } from "../../provider/lifecycle/operations.js";
import type { Props } from "../../provider/lifecycle/props.js";
import { camelKeys } from "../../provider/resource/args.js";
import { MAIN as BUILT_MAIN, ensureBuilt } from "../cli/helpers.js";
import { type BankClient, Hostile, type Recorded, type Route, type Scenario } from "./hostile.js";
import { type SecurityPki, securityPki } from "./pki.js";

/**
 * The budgets the suite runs the product with (the product's knobs, issue 21): an overall deadline
 * per HTTP exchange (connect + headers + body, interim 1xx included) and a total per operation
 * across retries; the older idle timeouts are set small too.
 */
export const SECURITY_ENV: Record<string, string> = {
  OBDCR_EXCHANGE_DEADLINE_MS: "3000",
  OBDCR_OPERATION_BUDGET_MS: "6000",
  // CLI idle timeouts (--timeout, seconds) and the provider host's.
  OBDCR_TIMEOUT: "3",
  OBDCR_CONNECT_TIMEOUT_MS: "2000",
  OBDCR_HEADERS_TIMEOUT_MS: "3000",
  OBDCR_BODY_TIMEOUT_MS: "3000",
  OBDCR_BACKOFF_BASE_MS: "20",
};

/** The per-operation budget and the per-exchange deadline the suite sets (SECURITY_ENV), ms. */
export const OPERATION_BUDGET_MS = Number(SECURITY_ENV.OBDCR_OPERATION_BUDGET_MS);
export const EXCHANGE_DEADLINE_MS = Number(SECURITY_ENV.OBDCR_EXCHANGE_DEADLINE_MS);
/**
 * What the budget checks allow beyond a budget or a deadline on a loaded 2-core machine (the
 * process ending after its last answer, timers firing late).
 */
export const BUDGET_SLACK_MS = 4_000;
/** A whole CLI call's wall-time limit (a backstop; the operation is timed as above). */
export const STEP_BUDGET_MS = 20_000;
/** "At once": from the one answer that asked to come back later to the CLI's exit. */
export const AT_ONCE_MS = 3_000;
/** Killed after this (a hang): the case then fails on its budget. */
export const KILL_MS = 25_000;
/** Peak RSS of one CLI call (an honest call takes about a third of it). */
export const MAX_RSS_MB = 320;

export const BANK_ORG_ID = "0015800000jfQ9aAAE";

/**
 * The CLI under test: this tree's build, or another build named by OBDCR_SECURITY_CLI (how the
 * suite was run against the main branch before the fixes, from an unpacked `git archive`).
 */
export const MAIN = process.env.OBDCR_SECURITY_CLI ?? BUILT_MAIN;

export type Command = "run" | "register" | "get" | "update" | "delete" | "token" | "ssa";

export interface Step {
  cmd: Command;
  /** Default: --json --verbose (the JSON report on stdout, text and the HTTP log on stderr). */
  mode?: "json" | "text";
  /** Extra arguments (e.g. --confirm-gone). */
  args?: string[];
}

export interface Expect {
  /** What happens to a registration the bank made (default "id"). */
  kept?: "id" | "unknown";
  /**
   * The registration access token of a client the bank made must be in the state file with it (a
   * seeded registration always: its token must never be lost).
   */
  ratKept?: boolean;
  /** The bank must receive no POST /register (refused before anything is sent). */
  noPost?: boolean;
  /** The step (index into steps) that meets the hostile answer: must fail, with these exit codes. */
  fails?: { step?: number; exit?: number[]; code?: string[]; mentions?: RegExp };
  /** The step must succeed (exit 0). */
  succeeds?: number[];
  /**
   * A Retry-After beyond the budget "fails at once": the last call of the failing step was made
   * exactly once (not retried) and the CLI ended within AT_ONCE_MS of it.
   */
  atOnce?: Route;
}

export interface Case {
  id: string;
  cls: "url" | "echo" | "forge" | "malformed" | "hang" | "ssa" | "keep";
  /** What the hostile server does. */
  what: string;
  /** What the case proves. */
  proves: string;
  scenario: Scenario;
  auth?: "private_key_jwt" | "client_secret_basic" | "client_secret_post" | "tls_client_auth";
  bankProfile?: Record<string, unknown>;
  /** Client overrides (e.g. no redirect_uris: the SSA's are used). */
  client?: Record<string, unknown>;
  /** A registration that exists before the steps, with its state file. */
  seed?: { rat?: boolean; secret?: boolean; rcu?: "other" | "plain" | "bank" };
  steps: Step[];
  expect?: Expect;
  /** Case-specific checks (violations as text). */
  check?: (r: CaseRun, h: Hostile) => string[];
  /** Also run through the Pulumi engine (dynamic resource and native plugin). */
  engine?: boolean;
}

export interface CliRun {
  step: Step;
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  /** Date.now() at spawn and at exit (the hostile servers record request times the same way). */
  startAt: number;
  endAt: number;
  killed: boolean;
  maxRssKb: number | undefined;
  /** The --json report, when stdout parsed as JSON. */
  json: Record<string, unknown> | undefined;
  stateFile: string;
}

export interface CaseRun {
  c: Case;
  runs: CliRun[];
  /** State files the case's steps used (final contents read after the steps). */
  states: { file: string; text: string | undefined }[];
  seeded?: BankClient | undefined;
  /** The state file as seeded (unchanged: not written by the product). */
  seedText?: string | undefined;
}

/** Run the built CLI with the suite's budgets; wall time and peak RSS measured. */
export function runCli(
  args: string[],
  o: { env?: Record<string, string>; killMs?: number; cwd?: string } = {},
) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "obdcr-sec-probe-"));
  const probe = path.join(dir, "probe.json");
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith("OBDCR_") && k !== "NODE_OPTIONS") env[k] = v;
  Object.assign(env, SECURITY_ENV, o.env ?? {});
  env.NODE_OPTIONS = `--require ${path.join(__dirname, "probe.cjs")}`;
  env.OBDCR_TEST_PROBE = probe;
  return new Promise<Omit<CliRun, "step" | "json" | "stateFile">>((resolve) => {
    const t0 = performance.now();
    const startAt = Date.now();
    const child = spawn(process.execPath, [MAIN, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
      ...(o.cwd ? { cwd: o.cwd } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    child.stdout.on("data", (b: Buffer) => {
      outLen += b.length;
      if (outLen < 8 * 1024 * 1024) out.push(b);
    });
    child.stderr.on("data", (b: Buffer) => {
      errLen += b.length;
      if (errLen < 8 * 1024 * 1024) err.push(b);
    });
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, o.killMs ?? KILL_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      const endAt = Date.now();
      let maxRssKb: number | undefined;
      try {
        maxRssKb = (JSON.parse(readFileSync(probe, "utf8")) as { max_rss_kb: number }).max_rss_kb;
      } catch {
        maxRssKb = undefined;
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({
        args,
        code: code ?? -1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        ms,
        startAt,
        endAt,
        killed,
        maxRssKb,
      });
    });
  });
}

/** The CLI config (snake_case, material by file) of a case: its bank, its directory, our software. */
export function cliConfigFor(h: Hostile, pki: SecurityPki, c: Case): Record<string, unknown> {
  const u = h.urls(c.id);
  return {
    profile: "obie-3.2",
    bank: { discovery_url: u.discovery, org_id: BANK_ORG_ID },
    directory: { token_endpoint: u.dirToken, ssa_endpoint: u.ssaTemplate, jwks_uri: u.dirJwks },
    software: { software_id: pki.softwareId, org_id: pki.orgId },
    signing_key: { kid: pki.signing.kid, alg: "PS256", private_key_file: pki.signing.file },
    transport: { cert_file: pki.transport.certFile, key_file: pki.transport.keyFile, ca_file: pki.caFile },
    client: {
      redirect_uris: ["https://tpp.example.com/callback"],
      scope: "openid accounts",
      token_endpoint_auth_method: c.auth ?? "private_key_jwt",
      ...(c.client ?? {}),
    },
    ...(c.bankProfile ? { bank_profile: c.bankProfile } : {}),
  };
}

/** Inputs of a case's resource in the Pulumi faces: the CLI config in camelCase (material by file). */
export function engineArgsFor(h: Hostile, pki: SecurityPki, c: Case, id: string): Record<string, unknown> {
  const cfg = cliConfigFor(h, pki, { ...c, id });
  const client = cfg.client as Record<string, unknown>;
  for (const [k, v] of Object.entries(client)) if (v === null) delete client[k];
  return camelKeys(cfg) as Record<string, unknown>;
}

/**
 * A case's inputs for the shared lifecycle (as the engine gives them: plain JSON), its scenario
 * added to the servers as `id`: the Pulumi faces without the engine.
 */
export function lifecycleProps(
  h: Hostile,
  pki: SecurityPki,
  id: string,
  scenario: Scenario,
  auth?: Case["auth"],
): Props {
  h.add(id, scenario);
  const c: Case = { id, cls: "keep", what: "", proves: "", scenario, steps: [], ...(auth ? { auth } : {}) };
  return JSON.parse(JSON.stringify(engineArgsFor(h, pki, c, id))) as Props;
}

/** The lifecycle's context as a provider process has it, nothing confirmed gone. */
export const testLifecycle = (): Lifecycle => ({
  ctx: createContext(),
  secrets: {},
  confirmedGone: () => false,
  configKey: (key) => `obdcr:${key}`,
  now: () => Math.floor(Date.now() / 1000),
});

/** Run a case's steps through the CLI: seed, then each step with --state, in order. */
export async function runCase(h: Hostile, pki: SecurityPki, c: Case): Promise<CaseRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `obdcr-sec-${c.id}-`));
  const cfg = path.join(dir, "config.json");
  const clean = JSON.parse(JSON.stringify(cliConfigFor(h, pki, c))) as Record<string, unknown>;
  const client = clean.client as Record<string, unknown>;
  for (const [k, v] of Object.entries(client)) if (v === null) delete client[k];
  writeFileSync(cfg, JSON.stringify(clean, null, 2));
  const state = path.join(dir, "state.json");
  let seeded: BankClient | undefined;
  let seedText: string | undefined;
  if (c.seed) {
    const s = h.seed(c.id, { auth: c.auth, rat: c.seed.rat, secret: c.seed.secret });
    seeded = s;
    const u = h.urls(c.id);
    const base = c.seed.rcu === "other" ? u.other : c.seed.rcu === "plain" ? u.plain : u.bank;
    const rcu = c.seed.rcu ? `${base}/register/${s.client_id}` : undefined;
    seedText = JSON.stringify(
      {
        client_id: s.client_id,
        ...(rcu ? { registration_client_uri: rcu } : {}),
        management_uri: rcu ?? `${u.register}/${s.client_id}`,
        profile: "obie-3.2",
        secrets: {
          ...(s.rat ? { registration_access_token: s.rat } : {}),
          ...(s.secret ? { client_secret: s.secret } : {}),
        },
      },
      null,
      2,
    );
    writeFileSync(state, seedText, { mode: 0o600 });
  }
  const runs: CliRun[] = [];
  const stateFiles = new Set<string>([state]);
  for (const [i, step] of c.steps.entries()) {
    // A text-mode run of a creating step gets its own state file (it makes its own registration).
    const file =
      step.mode === "text" && (step.cmd === "register" || step.cmd === "run")
        ? path.join(dir, `state-${i}.json`)
        : state;
    stateFiles.add(file);
    // `token` and `ssa` keep no registration: they take no --state.
    const stateArgs = step.cmd === "token" || step.cmd === "ssa" ? [] : ["--state", file];
    const args = [step.cmd, "-c", cfg, ...stateArgs, "--verbose", ...(step.args ?? [])];
    if (step.mode !== "text") args.push("--json");
    const r = await runCli(args);
    let json: Record<string, unknown> | undefined;
    if (step.mode !== "text") {
      try {
        json = JSON.parse(r.stdout) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
    }
    runs.push({ ...r, step, json, stateFile: file });
  }
  const states = [...stateFiles].map((f) => ({
    file: f,
    text: existsSync(f) ? readFileSync(f, "utf8") : undefined,
  }));
  rmSync(dir, { recursive: true, force: true });
  return { c, runs, states, seeded, seedText };
}

// ---------------------------------------------------------------- the checks

/** A compact JWS (our JWTs and any a bank made up). */
export const JWS_RE = /eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}/;
/** Raw control characters: C0 except TAB and LF (CR included), DEL, C1, bidi marks, overrides and isolates. */
const CONTROL_RE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point of the check
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/**
 * What a runner's culture-aware (ICU) search skips when it looks for a command: default-ignorables,
 * format controls, combining marks, and the few others ICU's root collation weighs at zero.
 */
const IGNORABLE_RE = /[\p{Default_Ignorable_Code_Point}\p{M}\p{Cf}\u0640\u07fa\u180a\u1cd3\ufe73]/gu;
/**
 * A line a CI runner executes: GitHub Actions `::cmd::` at the start of a line; Azure Pipelines
 * `##vso[` and GitHub's legacy `##[` anywhere in a line (both runners look for them with IndexOf,
 * so `bank said: … ##vso[task.setvariable …]` runs as a command too).
 */
const WORKFLOW_RE = /^\s*::[A-Za-z-]+|##(vso)?\[/im;

/** Every secret value of a case: what the servers issued and what the client sent them. */
export function caseSecrets(h: Hostile, pki: SecurityPki, id: string): string[] {
  const values = new Set<string>();
  // What a server issued counts from 4 characters (a hostile bank's short secret, which the client
  // scrubs as a whole word); what the client sent from 12.
  const issued = h.issued.filter((i) => i.case === id && i.value.length >= 4).map((i) => i.value);
  for (const r of h.forCase(id)) {
    const form = new URLSearchParams(
      (r.headers["content-type"] ?? "").includes("x-www-form-urlencoded") ? r.body : "",
    );
    for (const k of ["client_assertion", "client_secret"]) {
      const v = form.get(k);
      if (v) values.add(v);
    }
    const auth = r.headers.authorization;
    if (auth?.startsWith("Basic ")) {
      const [, p] = Buffer.from(auth.slice(6), "base64").toString("utf8").split(":");
      if (p) values.add(decodeURIComponent(p));
      values.add(auth.slice(6));
    } else if (auth?.startsWith("Bearer ")) values.add(auth.slice(7));
    // Request JWTs (POST/PUT /register) and anything else JWS-shaped we sent.
    for (const m of r.body.matchAll(new RegExp(JWS_RE.source, "g"))) values.add(m[0]);
  }
  const out = [...new Set([...issued, ...[...values].filter((v) => v.length >= 12)])];
  for (const pem of [pki.signing.pem, pki.transport.keyPem])
    for (const line of pem.split("\n")) if (/^[A-Za-z0-9+/=]{40,}$/.test(line.trim())) out.push(line.trim());
  return out;
}

/** Where a secret (or a 24-character piece of it) appears in text; undefined if nowhere. */
export function findSecret(text: string, secrets: string[]): string | undefined {
  for (const s of secrets) {
    if (text.includes(s)) return `${s.slice(0, 10)}… (whole)`;
    if (s.length >= 40)
      for (let i = 0; i + 24 <= s.length; i += 12) {
        const piece = s.slice(i, i + 24);
        if (text.includes(piece)) return `${s.slice(0, 10)}… (piece at ${i})`;
      }
  }
  return undefined;
}

function describeChar(s: string, re: RegExp): string {
  const m = re.exec(s);
  if (!m) return "";
  const at = m.index;
  const cp = s.codePointAt(at) ?? 0;
  const ctx = JSON.stringify(s.slice(Math.max(0, at - 30), at + 30));
  return `U+${cp.toString(16).padStart(4, "0")} near ${ctx}`;
}

/** Whether a request carries a credential (for the other origin and the plaintext listener). */
function credentialIn(r: Recorded, secrets: string[]): string | undefined {
  if (r.headers.authorization) return "an Authorization header";
  const form = new URLSearchParams(r.body);
  if (form.get("client_assertion")) return "a client assertion";
  if (form.get("client_secret")) return "a client secret";
  if (JWS_RE.test(r.body)) return "a signed JWT in the body";
  const hit = findSecret(`${r.path}\n${JSON.stringify(r.headers)}\n${r.body}`, secrets);
  return hit ? `a secret value ${hit}` : undefined;
}

/** All violations of a case run (empty: the case passes). */
export function violations(h: Hostile, pki: SecurityPki, run: CaseRun): string[] {
  const { c } = run;
  const v: string[] = [];
  const secrets = caseSecrets(h, pki, c.id);
  const bankOrigin = h.origin("bank");
  const reqs = h.forCase(c.id);
  const dirTokens = h.issued
    .filter((i) => i.case === c.id && i.kind === "directory_token")
    .map((i) => i.value);
  const bankSecrets = h.issued
    .filter((i) => i.case === c.id && ["rat", "client_secret", "bank_token"].includes(i.kind))
    .map((i) => i.value);
  // 1. Where credentials went.
  for (const r of reqs) {
    if (r.listener === "plain") v.push(`plaintext HTTP request ${r.method} ${r.path}`);
    if (r.listener === "wrongname")
      v.push(`request reached a server with the wrong TLS identity: ${r.method} ${r.path}`);
    if (r.listener === "other") {
      const what = credentialIn(r, secrets);
      if (what) v.push(`credential (${what}) sent to another origin: ${r.method} ${r.origin}${r.path}`);
    }
    const text = `${JSON.stringify(r.headers)}\n${r.body}`;
    if (r.listener !== "directory" && dirTokens.some((t) => text.includes(t)))
      v.push(`the directory's access token sent to ${r.listener}: ${r.method} ${r.path}`);
    if (r.listener === "directory" && bankSecrets.some((t) => text.includes(t)))
      v.push(`a bank credential sent to the directory: ${r.method} ${r.path}`);
  }
  // 2. Outputs: secrets, control characters, workflow commands, crashes, budgets, memory.
  for (const [i, r] of run.runs.entries()) {
    const where = `step ${i + 1} (${r.step.cmd}${r.step.mode === "text" ? ", text" : ""})`;
    for (const [name, text] of [
      ["stdout", r.stdout],
      ["stderr", r.stderr],
    ] as const) {
      const hit = findSecret(text, secrets);
      if (hit) v.push(`${where}: a secret value in ${name}: ${hit}`);
      const jws = JWS_RE.exec(text);
      if (jws && !hit) v.push(`${where}: a compact JWS in ${name}: ${jws[0].slice(0, 16)}…`);
      if (CONTROL_RE.test(text))
        v.push(`${where}: raw control character in ${name}: ${describeChar(text, CONTROL_RE)}`);
      const wf = WORKFLOW_RE.exec(text.replace(IGNORABLE_RE, ""));
      if (wf) v.push(`${where}: a CI workflow command line in ${name}: ${JSON.stringify(wf[0])}`);
      if (/Maximum call stack|RangeError|TypeError: Cannot/.test(text))
        v.push(
          `${where}: crashed (${/Maximum call stack|RangeError|TypeError: Cannot[^\n]*/.exec(text)?.[0]})`,
        );
    }
    if (r.killed) v.push(`${where}: did not end (killed after ${KILL_MS} ms)`);
    else if (r.ms > STEP_BUDGET_MS)
      v.push(`${where}: took ${Math.round(r.ms)} ms, over ${STEP_BUDGET_MS} ms`);
    // Timed from the servers' side, so that Node's start-up and a loaded machine do not count:
    // every call's attempts fit in the operation budget, and after the last request the CLI waits
    // at most one exchange deadline.
    const inStep = reqs.filter((q) => q.at >= r.startAt && q.at <= r.endAt);
    if (!r.killed) {
      const groups = new Map<string, Recorded[]>();
      for (const q of inStep) {
        const k = `${q.listener} ${q.method} ${q.route}`;
        groups.set(k, [...(groups.get(k) ?? []), q]);
      }
      for (const [k, g] of groups) {
        const span = g.at(-1)!.at - g[0]!.at;
        if (span > OPERATION_BUDGET_MS + BUDGET_SLACK_MS / 2)
          v.push(
            `${where}: ${k} retried over ${span} ms (${g.length} attempts), beyond the ${OPERATION_BUDGET_MS} ms operation budget`,
          );
      }
      const last = inStep.at(-1);
      if (last && r.endAt - last.at > EXCHANGE_DEADLINE_MS + BUDGET_SLACK_MS)
        v.push(
          `${where}: ran ${r.endAt - last.at} ms after its last request (${last.method} ${last.route}), beyond the ${EXCHANGE_DEADLINE_MS} ms exchange deadline`,
        );
    }
    const atOnce = c.expect?.atOnce;
    if (atOnce && i === (c.expect?.fails?.step ?? 0) && !r.killed) {
      const tries = inStep.filter((q) => q.route === atOnce);
      if (tries.length !== 1)
        v.push(
          `${where}: ${atOnce} was tried ${tries.length} times; a Retry-After beyond the budget must fail at once`,
        );
      const lastTry = tries.at(-1);
      if (lastTry && r.endAt - lastTry.at > AT_ONCE_MS)
        v.push(`${where}: ended ${r.endAt - lastTry.at} ms after the Retry-After answer, not at once`);
    }
    if (r.code === 1) v.push(`${where}: exit code 1 (internal error)`);
    if (r.maxRssKb === undefined && !r.killed) v.push(`${where}: no memory probe`);
    else if (r.maxRssKb !== undefined && r.maxRssKb > MAX_RSS_MB * 1024)
      v.push(`${where}: peak RSS ${Math.round(r.maxRssKb / 1024)} MB over ${MAX_RSS_MB} MB`);
    // "deleted" only when the bank really deleted it.
    if (r.json?.result === "deleted") {
      const id = String(r.json.client_id);
      const atBank = h.state(c.id).clients.find((k) => String(k.client_id) === id);
      const deletedAtBank = reqs.some((q) => q.listener === "bank" && q.route === "delete");
      if (!atBank?.deleted || !deletedAtBank)
        v.push(`${where}: reported "deleted" but the bank never deleted client ${id} (an orphan)`);
    }
  }
  // 3. State files: secrets only in `secrets`, management on the bank's origin, the bank's own client.
  const bankIds = new Set(h.state(c.id).clients.map((k) => k.client_id));
  for (const s of run.states) {
    if (s.text === undefined) continue;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(s.text) as Record<string, unknown>;
    } catch {
      v.push(`state file ${path.basename(s.file)} is not JSON`);
      continue;
    }
    const { secrets: kept, ...rest } = doc as { secrets?: Record<string, unknown> };
    const hit = findSecret(JSON.stringify(rest), secrets);
    if (hit) v.push(`state file: a secret value outside "secrets": ${hit}`);
    const allowed = new Set(
      h.issued
        .filter((i) => i.case === c.id && (i.kind === "rat" || i.kind === "client_secret"))
        .map((i) => i.value),
    );
    for (const [k, val] of Object.entries(kept ?? {}))
      if (typeof val === "string" && !allowed.has(val))
        v.push(`state file: secrets.${k} holds a value the bank never issued as such`);
    // A seeded state file the product left as it was is not the product's doing.
    for (const k of s.text === run.seedText ? [] : ["registration_client_uri", "management_uri"]) {
      const uri = doc[k];
      if (uri === undefined) continue;
      if (typeof uri !== "string" || !uri.startsWith(`${bankOrigin}/`))
        v.push(`state file: ${k} is not on the bank's origin (${JSON.stringify(uri).slice(0, 80)})`);
    }
    if (doc.client_id !== undefined && ![...bankIds].some((id) => String(id) === String(doc.client_id)))
      v.push(
        `state file: client_id ${JSON.stringify(doc.client_id).slice(0, 60)} is not a client the bank made`,
      );
  }
  // 4. No registration lost.
  const outputs = run.runs.map((r) => `${r.stdout}\n${r.stderr}`).join("\n");
  const unknownReported = run.runs.some((r) => jsonCode(r) === "OBDCR_OUTCOME_UNKNOWN");
  for (const k of h.state(c.id).clients) {
    if (k.deleted) continue;
    const inState = run.states.find((s) => {
      if (!s.text) return false;
      try {
        return (JSON.parse(s.text) as { client_id?: unknown }).client_id === k.client_id;
      } catch {
        return false;
      }
    });
    if (inState) {
      const st = JSON.parse(inState.text!) as { secrets?: Record<string, string> };
      const ratKept = k === run.seeded || c.expect?.ratKept === true;
      if (ratKept && k.rat && st.secrets?.registration_access_token !== k.rat)
        v.push(`registration ${k.tag}: its registration access token is lost from the state file`);
      continue;
    }
    if (outputs.includes(k.tag)) continue;
    if ((c.expect?.kept ?? "id") === "unknown" && unknownReported) continue;
    v.push(
      `registration lost: the bank created ${k.tag} and it is in no state file${(c.expect?.kept ?? "id") === "unknown" ? ", not named, and no step reported OBDCR_OUTCOME_UNKNOWN" : " and named in no output"}`,
    );
  }
  // 5. The case's own expectations.
  const e = c.expect ?? {};
  if (e.noPost) {
    const posts = reqs.filter((r) => r.route === "register");
    if (posts.length > 0)
      v.push(`expected no registration POST, got ${posts.map((p) => `${p.listener} ${p.path}`).join(", ")}`);
  }
  if (e.fails) {
    const r = run.runs[e.fails.step ?? 0];
    if (r) {
      const where = `step ${(e.fails.step ?? 0) + 1} (${r.step.cmd})`;
      if (r.code === 0) v.push(`${where}: succeeded; expected it to fail`);
      else if (e.fails.exit && !e.fails.exit.includes(r.code))
        v.push(`${where}: exit code ${r.code}, expected ${e.fails.exit.join(" or ")}`);
      const code = jsonCode(r);
      if (e.fails.code && r.code !== 0 && !e.fails.code.includes(code ?? ""))
        v.push(`${where}: error code ${code ?? "(no JSON report)"}, expected ${e.fails.code.join(" or ")}`);
      if (e.fails.mentions && r.code !== 0 && !e.fails.mentions.test(`${jsonMessage(r)}\n${r.stderr}`))
        v.push(`${where}: the error does not mention ${e.fails.mentions}`);
    }
  }
  for (const i of e.succeeds ?? []) {
    const r = run.runs[i];
    if (r && r.code !== 0)
      v.push(`step ${i + 1} (${r.step.cmd}): exit ${r.code}, expected success: ${firstLine(r.stderr)}`);
  }
  v.push(...(c.check?.(run, h) ?? []));
  return v;
}

export function jsonCode(r: CliRun): string | undefined {
  const e = r.json?.error as { code?: unknown } | undefined;
  if (typeof e?.code === "string") return e.code;
  const m = /^error (OBDCR_[A-Z_]+):/m.exec(r.stderr);
  return m?.[1];
}

export function jsonMessage(r: CliRun): string {
  const e = r.json?.error as { message?: unknown; field?: unknown } | undefined;
  return `${typeof e?.message === "string" ? e.message : ""} ${typeof e?.field === "string" ? e.field : ""}`;
}

export function firstLine(s: string): string {
  const lines = s.split("\n").filter((l) => l.trim() !== "");
  return (lines.find((l) => l.startsWith("error")) ?? lines.at(-1) ?? "").slice(0, 300);
}

/** Run tasks with at most n at once (results in input order). */
export async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/**
 * The set-up of a test file about one scenario: the built CLI, a hostile server set with the case
 * added, and the case's steps run (closed again if the run fails).
 */
export async function startSingleCase(
  c: Pick<Case, "id" | "scenario" | "steps"> & Partial<Case>,
): Promise<{ h: Hostile; pki: SecurityPki; run: CaseRun }> {
  ensureBuilt();
  const pki = await securityPki();
  const h = new Hostile(pki);
  await h.start();
  h.add(c.id, c.scenario);
  try {
    return { h, pki, run: await runCase(h, pki, { cls: "keep", what: "", proves: "", ...c }) };
  } catch (e) {
    await h.close();
    throw e;
  }
}
