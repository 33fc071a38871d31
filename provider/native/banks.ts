/**
 * Banks from the directory in the plugin: the `obdcr:index:getBanks` function and the
 * `obdcr:index:BankRegistrations` component (served through `construct`). A thin adapter over
 * provider/lifecycle/banks.ts, as the TypeScript `registerBanks` is: it settles the engine's
 * values, declares one `obdcr:index:ClientRegistration` child per planned bank, and words the plan
 * in the engine's log. The children go to this same provider (one process, one context): one
 * directory token and one SSA serve every bank.
 *
 * Loaded on the first invoke or construct only: it needs the SDK's resource model, which the
 * plugin's server otherwise does without.
 */
import * as pulumi from "@pulumi/pulumi";
import type { KnownBank } from "../core/directory/bank_plan.js";
import type { DirectoryBank } from "../core/directory/listing.js";
import type { ObDcrContext } from "../http/context.js";
import type { ListCache } from "../http/directory_list.js";
import {
  type BankRun,
  bankRegistrationArgs,
  defaultKnownListFile,
  directoryOf,
  listDirectoryBanks,
  planBankRun,
  planWords,
  readKnownList,
} from "../lifecycle/banks.js";
import { type ConfigSecrets, camelKeys } from "../lifecycle/inputs.js";
import { BANK_REGISTRATIONS } from "./schema_banks.js";
import { unwrap } from "./secrets.js";

export { BANK_REGISTRATIONS, GET_BANKS } from "./schema_banks.js";

const REGISTRATION = "obdcr:index:ClientRegistration";

/** What the provider lends the adapter: its context and config secrets, its version. */
export interface BanksHost {
  ctx: ObDcrContext;
  secrets: ConfigSecrets;
  version: string;
}

// ETag'd pages of each list, per provider context (made in configure: one per process and `up`).
const caches = new WeakMap<ObDcrContext, Map<string, ListCache>>();
const cacheOf = (ctx: ObDcrContext, url: string | undefined) => {
  const byUrl = caches.get(ctx) ?? new Map<string, ListCache>();
  caches.set(ctx, byUrl);
  const c = byUrl.get(url ?? "") ?? {};
  byUrl.set(url ?? "", c);
  return c;
};

const isRecord = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v);

/** A list entry as the schema's `DirectoryBank` (camelCase). */
const entryOf = (b: DirectoryBank) => camelKeys(b) as Record<string, unknown>;
const declaredOf = (b: KnownBank) => camelKeys(b) as Record<string, unknown>;

/** `getBanks`: the selected banks and the excluded entries with their reasons. Plain values in and out. */
export async function invokeGetBanks(host: BanksHost, args: unknown): Promise<pulumi.provider.InvokeResult> {
  const a = (unwrap(args ?? {}).value ?? {}) as Record<string, unknown>;
  const listUrl = typeof a.listUrl === "string" ? a.listUrl : undefined;
  const list = await listDirectoryBanks(
    host.ctx,
    { registration: isRecord(a.registration) ? a.registration : {}, filter: a.filter, listUrl },
    { secrets: host.secrets, cache: cacheOf(host.ctx, listUrl) },
  );
  // The server's Struct.fromJavaScript refuses `undefined` (absent optional fields): plain JSON only.
  return {
    outputs: JSON.parse(
      JSON.stringify({
        directory: list.directory,
        listUrl: list.listUrl,
        banks: list.selected.map(entryOf),
        excluded: list.banks.filter((b) => b.excluded.length > 0).map(entryOf),
        requests: list.requests,
      }),
    ) as Record<string, unknown>,
  };
}

/**
 * The engine's inputs as plain values: outputs awaited, and where secrets were (the children get
 * them back as secrets). `known` is false when a value is not known yet (a preview).
 */
async function settle(v: unknown): Promise<{ value: unknown; secret: boolean; known: boolean }> {
  if (pulumi.Output.isInstance(v)) {
    const o = v as pulumi.Output<unknown> & {
      promise(withUnknowns?: boolean): Promise<unknown>;
      isKnown: Promise<boolean>;
      isSecret: Promise<boolean>;
    };
    const [known, secret] = [await o.isKnown, await o.isSecret];
    // An unknown stays the Output it is: the children get it as it is (a preview shows it unknown).
    if (!known) return { value: v, secret: false, known };
    const inner = await settle(await o.promise());
    return { value: inner.value, secret: secret || inner.secret, known: inner.known };
  }
  if (Array.isArray(v)) {
    const xs = await Promise.all(v.map(settle));
    return {
      value: xs.map((x) => x.value),
      secret: xs.some((x) => x.secret),
      known: xs.every((x) => x.known),
    };
  }
  if (isRecord(v)) {
    const entries = await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await settle(x)] as const));
    const value: Record<string, unknown> = {};
    let known = true;
    const wrapped: Record<string, unknown> = {};
    for (const [k, x] of entries) {
      value[k] = x.value;
      known &&= x.known;
      wrapped[k] = x.secret ? pulumi.secret(x.value) : x.value;
    }
    // Secret members are kept as secret outputs in `value` (see `reseal`): the object itself is not.
    return {
      value: entries.some(([, x]) => x.secret) ? { [SEALED]: wrapped, ...value } : value,
      secret: false,
      known,
    };
  }
  const { value, paths } = unwrap(v);
  return { value, secret: paths.length > 0, known: true };
}

// Where a settled object keeps its members with the secret ones as secret outputs.
const SEALED = Symbol("sealed");

/** A settled value without the secret outputs (to plan with). */
function plainOf(v: unknown): unknown {
  if (pulumi.Output.isInstance(v)) return undefined;
  if (Array.isArray(v)) return v.map(plainOf);
  if (!isRecord(v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainOf(x)]));
}

/** A settled value with its secret members as secret outputs again (to declare children with). */
function reseal(v: unknown): unknown {
  if (pulumi.Output.isInstance(v)) return v;
  if (Array.isArray(v)) return v.map(reseal);
  if (!isRecord(v)) return v;
  const sealed = (v as { [SEALED]?: Record<string, unknown> })[SEALED];
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) =>
      sealed && pulumi.Output.isInstance(sealed[k]) ? [k, sealed[k]] : [k, reseal(x)],
    ),
  );
}

/** The last known list declared again, unchanged (nothing written back). */
function lastKnownRun(request: { registration: Record<string, unknown> }, file: string): BankRun {
  const previous = readKnownList(file);
  // Without a known profile there is no knowing the directory: no bank (the update lists).
  const known = typeof request.registration.profile === "string";
  const banks = known ? (previous?.banks ?? []) : [];
  return {
    directory: known ? directoryOf(request.registration) : "ofb-directory",
    plan: {
      declare: banks,
      added: [],
      missing: [],
      source: "last-known",
      warnings: [],
      known: previous ?? { version: 1, list_url: "", fetched_at: "", listed_ids: [], banks },
    },
    commit: () => undefined,
  };
}

class BankRegistrations extends pulumi.ComponentResource {
  constructor(name: string, opts: pulumi.ComponentResourceOptions) {
    super(BANK_REGISTRATIONS, name, {}, opts);
  }
  done(outputs: pulumi.Inputs): void {
    this.registerOutputs(outputs);
  }
}

/** A child of the plugin's own type (its SDK class is not in this process). */
class ClientRegistration extends pulumi.CustomResource {
  declare readonly clientId: pulumi.Output<string>;
  constructor(name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(REGISTRATION, name, { ...props, clientId: undefined }, opts);
  }
}

/**
 * `BankRegistrations`: list, plan against the last known list, warn, declare one
 * `ClientRegistration` per bank named `<name>-<bank id>`, store the list (never in a preview).
 */
export async function constructBankRegistrations(
  host: BanksHost,
  name: string,
  inputs: pulumi.Inputs,
  options: pulumi.ComponentResourceOptions,
): Promise<pulumi.provider.ConstructResult> {
  const component = new BankRegistrations(name, options);
  const settled = await settle(inputs);
  const a = plainOf(settled.value) as Record<string, unknown>;
  const sealedArgs = reseal(settled.value) as Record<string, unknown>;
  const registration = isRecord(a.registration) ? a.registration : {};
  const listUrl = typeof a.listUrl === "string" ? a.listUrl : undefined;
  const request = { registration, filter: a.filter, listUrl };
  const knownListFile =
    typeof a.knownListFile === "string"
      ? a.knownListFile
      : defaultKnownListFile(process.cwd(), pulumi.getProject(), pulumi.getStack(), name);
  const run = settled.known
    ? await planBankRun({
        request,
        policy: a.policy,
        knownListFile,
        list: (new_bank_cap) =>
          listDirectoryBanks(host.ctx, request, {
            secrets: host.secrets,
            cache: cacheOf(host.ctx, listUrl),
            new_bank_cap,
          }),
        now: () => new Date(),
      })
    : // Inputs from resources this `up` makes (a preview): the last known banks again, with those
      // inputs unknown, so that the preview shows no bank going; the update lists.
      lastKnownRun(request, knownListFile);
  if (!settled.known)
    await pulumi.log.info(
      `ob-dcr banks ${name}: inputs not known yet; the last known banks are shown, the update lists`,
      component,
    );
  const words = planWords(name, run.plan);
  for (const w of words.warnings) await pulumi.log.warn(w, component);
  for (const m of words.info) await pulumi.log.info(m, component);
  const shared = isRecord(sealedArgs.registration) ? sealedArgs.registration : {};
  const clientIds: Record<string, pulumi.Output<unknown>> = {};
  for (const b of run.plan.declare) {
    const props = bankRegistrationArgs(run.directory, shared, b, sealedArgs.overrides);
    const child = new ClientRegistration(`${name}-${b.id}`, props, {
      parent: component,
      version: host.version,
    });
    clientIds[b.id] = child.clientId;
  }
  run.commit(pulumi.runtime.isDryRun());
  const state = {
    banks: run.plan.declare.map(declaredOf),
    clientIds,
    added: run.plan.added.map((b) => b.id),
    missing: run.plan.missing.map((m) => ({ ...declaredOf(m.bank), why: m.why, action: m.action })),
    source: run.plan.source,
  };
  component.done(state);
  return { urn: component.urn, state };
}
