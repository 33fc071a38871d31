/**
 * What every command shares: the common flags, the unknown-flag check, and a runtime (output,
 * HTTP recorder, core context) that is torn down after the command, whatever happens.
 */

import type { ArgsDef, CommandContext, ParsedArgs } from "citty";
import type { InterruptedReport } from "../core/interrupted.js";
import { PROFILE_NAMES } from "../core/profiles/names.js";
import { createContext, type ObDcrContext } from "../http/context.js";
import { closeAgents } from "../http/transport.js";
import { transportFromEnv } from "../http/transport_env.js";
import { ENV, type LoadedConfig, loadConfig, timeoutMs, validateConfig } from "./config.js";
import { errorReport, markReported, UsageError } from "./exit.js";
import { HttpRecorder } from "./http_log.js";
import { onInterrupt } from "./interrupt.js";
import { type CliIo, Output } from "./output.js";
import { resolveState } from "./state.js";

export const CONFIG_ARGS = {
  config: {
    type: "string",
    alias: "c",
    valueHint: "file",
    description: `Config file, JSON or YAML (env ${ENV.config})`,
  },
  profile: {
    type: "string",
    valueHint: "name",
    description: `${PROFILE_NAMES.join("|")}; overrides the file (env ${ENV.profile})`,
  },
  "bank-discovery-url": {
    type: "string",
    valueHint: "url",
    description: `Bank's OIDC discovery URL; overrides bank.discovery_url (env ${ENV.bank_discovery_url})`,
  },
  "ca-file": {
    type: "string",
    valueHint: "file",
    description: `CA certificate(s) to trust (PEM); overrides transport.ca (env ${ENV.ca_file})`,
  },
  timeout: {
    type: "string",
    valueHint: "seconds",
    description: `Connect/response timeout per request (default 30; env ${ENV.timeout})`,
  },
} as const satisfies ArgsDef;

export const OUTPUT_ARGS = {
  json: { type: "boolean", description: "Print one JSON document on stdout (progress stays on stderr)" },
  verbose: {
    type: "boolean",
    alias: "v",
    description: "Show HTTP exchanges (method, URL, status, time) and error stacks on stderr",
  },
  "show-secrets": {
    type: "boolean",
    description: "Print tokens, client_secret, registration_access_token and JWTs instead of [redacted]",
  },
} as const satisfies ArgsDef;

export const STATE_ARGS = {
  state: {
    type: "string",
    valueHint: "file",
    description: `State file written by register (client_id + management secrets; env ${ENV.state})`,
  },
  "client-id": {
    type: "string",
    valueHint: "id",
    description: `Client id (instead of --state; secrets from ${ENV.registration_access_token} / ${ENV.client_secret})`,
  },
} as const satisfies ArgsDef;

export const COMMON_ARGS = { ...CONFIG_ARGS, ...OUTPUT_ARGS } as const satisfies ArgsDef;

/** The injected process surface handed to runCommand as `data`. */
export interface CommandData {
  io: CliIo;
}

export interface Runtime {
  io: CliIo;
  out: Output;
  rec: HttpRecorder;
  ctx: ObDcrContext;
  /** What a command has to show so far; printed with the error under --json. */
  partial?: Record<string, unknown>;
  /** Called once when a signal stops the command (cli/interrupt.ts), before the exit: keep what must be kept. */
  onInterrupted?: (r: InterruptedReport) => Promise<void>;
}

/** The values of CONFIG_ARGS as citty parses them. */
export interface ConfigArgValues {
  config?: string | undefined;
  profile?: string | undefined;
  "bank-discovery-url"?: string | undefined;
  "ca-file"?: string | undefined;
}

/** The config the common flags name (file < env < flags), read relative to the cwd. */
export function loadConfigFor(rt: Runtime, a: ConfigArgValues, required = true): Promise<LoadedConfig> {
  return loadConfig(
    {
      config: a.config,
      profile: a.profile,
      bank_discovery_url: a["bank-discovery-url"],
      ca_file: a["ca-file"],
    },
    rt.io.env,
    rt.io.cwd,
    required,
  );
}

/** The config the common flags name, validated into the core's registration parameters. */
export async function loadParams(rt: Runtime, a: ConfigArgValues) {
  return validateConfig(await loadConfigFor(rt, a));
}

/** The registration the state flags name (--state file, or --client-id with secrets from env). */
export function resolveStateFor(
  rt: Runtime,
  a: { state?: string | undefined; "client-id"?: string | undefined },
) {
  return resolveState({ state: a.state, client_id: a["client-id"] }, rt.io.env, rt.io.cwd);
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** citty accepts unknown flags silently; a typo must be a usage error (exit 2) instead. */
export function checkArgs(rawArgs: readonly string[], def: ArgsDef): void {
  const known = new Set<string>();
  for (const [name, d] of Object.entries(def)) {
    known.add(kebab(name));
    const alias = "alias" in d ? d.alias : undefined;
    for (const a of Array.isArray(alias) ? alias : alias ? [alias] : []) known.add(a);
  }
  // The flag whose value the argument before was (a second value after it is a usage error of its own).
  let valued: { flag: string; name: string; value: string } | undefined;
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i] as string;
    if (a === "--") break;
    if (!a.startsWith("-") || a === "-") {
      if (valued) throw new UsageError(moreValues(valued, rawArgs.slice(i)));
      throw new UsageError(`unexpected argument "${a}" (this command takes only flags)`);
    }
    valued = undefined;
    const name = kebab(a.replace(/^-{1,2}/, "").split("=")[0] as string).replace(/^no-/, "");
    if (!known.has(name)) throw new UsageError(`unknown flag "${a.split("=")[0]}"`);
    const d = Object.entries(def).find(
      ([n, x]) => kebab(n) === name || ("alias" in x && [x.alias].flat().includes(name as never)),
    )?.[1];
    if (d && (d.type === "string" || d.type === "enum") && !a.includes("=")) {
      const next = rawArgs[i + 1];
      if (next === undefined || (next.startsWith("-") && next !== "-"))
        throw new UsageError(`flag "${a}" needs a value`);
      i++;
    }
    if (d && (d.type === "string" || d.type === "enum"))
      valued = {
        flag: a.split("=")[0] as string,
        name,
        value: a.includes("=") ? a.slice(a.indexOf("=") + 1) : (rawArgs[i] as string),
      };
  }
}

/** Flags whose value is one file: a shell pattern (`ob-dcr-state/*.json`) may expand to several. */
const FILE_FLAGS = new Set(["state", "config"]);

/**
 * Words for values after a flag that takes one (`--state a.json b.json`, as a shell pattern that
 * matches two files gives it): the flag, how many were given, and which.
 */
function moreValues(v: { flag: string; name: string; value: string }, rest: readonly string[]): string {
  const end = rest.findIndex((x) => x === "--" || (x.startsWith("-") && x !== "-"));
  const values = [v.value, ...(end < 0 ? rest : rest.slice(0, end))];
  const shown =
    values.length > 5 ? [...values.slice(0, 3).map((x) => `"${x}"`), "…"] : values.map((x) => `"${x}"`);
  const noun = FILE_FLAGS.has(v.name) ? "file" : "value";
  return (
    `${v.flag} takes one ${noun}, but ${values.length} were given: ${shown.join(", ")}` +
    (noun === "file" ? " (a shell pattern such as ob-dcr-state/*.json gives every file it matches)" : "") +
    `: name one ${noun} after ${v.flag}`
  );
}

type AnyArgs = Record<string, unknown>;

/** Run a command body with a runtime; the recorder and HTTP agents are closed afterwards. */
export async function withRuntime<T extends ArgsDef>(
  c: CommandContext<T>,
  def: T,
  body: (rt: Runtime, args: ParsedArgs<T>) => Promise<void>,
): Promise<void> {
  checkArgs(c.rawArgs, def);
  const data = c.data as CommandData | undefined;
  if (!data?.io) throw new Error("ob-dcr: command run without io (call main())");
  const io = data.io;
  const a = c.args as AnyArgs;
  const out = new Output(io, {
    json: a.json === true,
    verbose: a.verbose === true,
    show_secrets: a["show-secrets"] === true,
  });
  const t = timeoutMs(a.timeout as string | undefined, io.env);
  const ctx = createContext({
    transport: {
      ...transportFromEnv(io.env),
      ...(t === undefined ? {} : { connect_timeout_ms: t, headers_timeout_ms: t, body_timeout_ms: t }),
    },
  });
  const rec = new HttpRecorder();
  out.attach(rec);
  const rt: Runtime = { io, out, rec, ctx };
  const offInterrupt = onInterrupt(rt);
  try {
    await body(rt, c.args);
  } catch (e) {
    if (out.opts.json) {
      out.json({ ...(rt.partial ?? {}), error: errorReport(e) });
      markReported(e);
    }
    throw e;
  } finally {
    offInterrupt();
    rec.close();
    await closeAgents();
  }
}
