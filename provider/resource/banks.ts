/**
 * Banks from the directory, on Pulumi (TypeScript): `getBanks` returns the filtered list (a plain
 * async function, usable in any program), and `registerBanks` plans the change against the last
 * known list and declares an `ObBankRegistrations` component with
 * one `ObClientRegistration` per bank under its stable id. The registrations share one directory
 * token and one SSA through the provider's shared context; per-bank overrides (a bank profile
 * preset for a known bank) are merged over the shared arguments. The listing, the plan and the
 * per-bank inputs are lifecycle/banks.ts's, shared with the plugin's BankRegistrations.
 *
 * The last known list is a file (`knownListFile`), written after the program declared the banks
 * and never by a preview. Losing it makes the next run a first run: banks that left the list are
 * then no longer declared (the engine would delete them), so keep it with the stack's sources.
 */
import * as pulumi from "@pulumi/pulumi";
import type { BankPlan, NewBankCap } from "../core/directory/bank_plan.js";
import type { DirectoryKind } from "../core/profiles/types.js";
import { createContext } from "../http/context.js";
import type { ListCache } from "../http/directory_list.js";
import { closeAgents } from "../http/transport.js";
import {
  type BanksList,
  bankRegistrationArgs,
  defaultKnownListFile,
  listDirectoryBanks,
  planBankRun,
  planWords,
} from "../lifecycle/banks.js";
import type { ObClientRegistrationArgs } from "./args_doc.js";
import { ObClientRegistration } from "./registration.js";

/** Filters in camelCase (the core's `BankFilter`). */
export interface BankFilterArgs {
  /** BR: `ApiFamilyType` offered (complete), optionally of a major version. */
  families?: { family: string; major?: number }[];
  /** BR org roles (`CONTA`, `DADOS`…), UK roles (`ASPSP`). */
  roles?: string[];
  /** AU industries. */
  industries?: string[];
  /** Default `["active"]`. */
  statuses?: ("active" | "inactive" | "removed")[];
  include?: string[];
  exclude?: string[];
  /** Default true: only banks whose discovery offers a registration_endpoint (fetched). */
  requireRegistrationEndpoint?: boolean;
  /** One of `count` disjoint shards by a stable hash of the id. */
  shard?: { count: number; index: number };
}

export interface BankPolicyArgs {
  /** A declared bank no longer selected: `keep` (default, a warning names it) or `delete`. */
  onMissing?: "keep" | "delete";
  /** Directory down, an error, or a list shrunk past the threshold: `fail` (default) or `keep-last-known`. */
  onDirectoryFailure?: "fail" | "keep-last-known";
  /** Default 10. */
  maxShrinkPercent?: number;
  /** Default 20. */
  maxNewBanks?: number;
}

/**
 * Plain values (the list is read while the program runs): the registration's profile, directory,
 * software, signing key and transport as for `ObClientRegistration`, files or inline.
 */
export interface GetBanksArgs {
  registration: Omit<ObClientRegistrationArgs, "bank"> & { bank?: ObClientRegistrationArgs["bank"] };
  filter?: BankFilterArgs;
  /** The directory's list (default: the regime's production list). */
  listUrl?: string;
  /** `http://127.0.0.1` lists and banks (a local test server). Default false. */
  allowHttpLoopback?: boolean;
}

export type { BanksList } from "../lifecycle/banks.js";

const caches = new Map<string, ListCache>();

/** The directory's list, filtered, each selected bank's discovery checked (nothing is registered). */
export async function getBanks(args: GetBanksArgs): Promise<BanksList> {
  return listWith(args);
}

/** The list; under a run's new-bank ceiling, checked only until the ceiling is certainly passed. */
async function listWith(args: GetBanksArgs, new_bank_cap?: NewBankCap): Promise<BanksList> {
  const ctx = createContext({ transport: { allow_http_loopback: args.allowHttpLoopback === true } });
  const key = args.listUrl ?? "";
  const cache = caches.get(key) ?? {};
  caches.set(key, cache);
  try {
    return await listDirectoryBanks(
      ctx,
      {
        registration: args.registration as Record<string, unknown>,
        filter: args.filter,
        listUrl: args.listUrl,
      },
      { cache, new_bank_cap },
    );
  } finally {
    await closeAgents();
  }
}

export interface RegisterBanksArgs extends GetBanksArgs {
  policy?: BankPolicyArgs;
  /** Per-bank arguments merged over `registration` (e.g. `{ bankProfile: "hsbc" }`), by bank id. */
  overrides?: Record<string, Partial<ObClientRegistrationArgs>>;
  /** The last known list (default `ob-dcr-state/banks-<project>-<stack>-<name>.json` in the cwd). */
  knownListFile?: string;
}

export interface ObBankRegistrationsArgs {
  /** The directory the banks came from (`BanksList.directory`). */
  directory: DirectoryKind;
  plan: BankPlan;
  registration: RegisterBanksArgs["registration"];
  overrides?: RegisterBanksArgs["overrides"];
}

/** One `ObClientRegistration` per planned bank, named `<name>-<bank id>`. */
export class ObBankRegistrations extends pulumi.ComponentResource {
  /** By bank id. */
  readonly registrations: Record<string, ObClientRegistration>;
  /** The declared banks (id, name, org, discovery URL). */
  readonly banks: pulumi.Output<BankPlan["declare"]>;
  /** Each declared bank's client_id, by bank id (the plugin component's `clientIds`). */
  readonly clientIds: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ObBankRegistrationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ob-dcr:index:ObBankRegistrations", name, {}, opts);
    this.registrations = {};
    for (const b of args.plan.declare) {
      const merged = bankRegistrationArgs(
        args.directory,
        args.registration as Record<string, unknown>,
        b,
        args.overrides,
      ) as unknown as ObClientRegistrationArgs;
      this.registrations[b.id] = new ObClientRegistration(`${name}-${b.id}`, merged, { parent: this });
    }
    this.banks = pulumi.output(args.plan.declare);
    this.clientIds = pulumi.output(
      Object.fromEntries(Object.entries(this.registrations).map(([id, r]) => [id, r.clientId])),
    );
    this.registerOutputs({ banks: args.plan.declare, clientIds: this.clientIds });
  }
}

/**
 * List, plan against the last known list, warn (banks kept or deleted, a kept last list), and
 * declare the component. Throws `BankListError` (OBDCR_DIRECTORY_LIST) before declaring any bank
 * when the directory failed or the list shrank (unless `keep-last-known`), or grew past the ceiling.
 */
export async function registerBanks(
  name: string,
  args: RegisterBanksArgs,
  opts?: pulumi.ComponentResourceOptions,
): Promise<ObBankRegistrations> {
  const request = {
    registration: args.registration as Record<string, unknown>,
    filter: args.filter,
    listUrl: args.listUrl,
  };
  const run = await planBankRun({
    request,
    policy: args.policy,
    knownListFile:
      args.knownListFile ?? defaultKnownListFile(process.cwd(), pulumi.getProject(), pulumi.getStack(), name),
    list: (cap) => listWith(args, cap),
    now: () => new Date(),
  });
  const words = planWords(name, run.plan);
  for (const w of words.warnings) pulumi.log.warn(w);
  for (const m of words.info) pulumi.log.info(m);
  const component = new ObBankRegistrations(
    name,
    { directory: run.directory, plan: run.plan, registration: args.registration, overrides: args.overrides },
    opts,
  );
  run.commit(pulumi.runtime.isDryRun());
  return component;
}
