/**
 * Banks from the directory, on Pulumi (TypeScript): `getBanks` returns the filtered list (a plain
 * async function, usable in any program), and `registerBanks` plans the change against the last
 * known list (core/directory/bank_plan.ts) and declares an `ObBankRegistrations` component with
 * one `ObClientRegistration` per bank under its stable id. The registrations share one directory
 * token and one SSA through the provider's shared context; per-bank overrides (a bank profile
 * preset for a known bank) are merged over the shared arguments.
 *
 * The last known list is a file (`knownListFile`), written after the program declared the banks
 * and never by a preview. Losing it makes the next run a first run: banks that left the list are
 * then no longer declared (the engine would delete them), so keep it with the stack's sources.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { BankChangePolicy, type BankPlan, KnownList, planBanks } from "../core/directory/bank_plan.js";
import { type DirectoryBank, parseBankFilter } from "../core/directory/listing.js";
import { DIRECTORY_PROFILES } from "../core/directory/profiles.js";
import { BankListError, InvalidInputError, invalidInputFromZod } from "../core/errors.js";
import { parseUntrustedJson } from "../core/parse/json.js";
import { getProfile } from "../core/profiles/index.js";
import type { DirectoryKind } from "../core/profiles/types.js";
import { ProfileName } from "../core/schemas/common.js";
import { RegistrationParams } from "../core/schemas/params.js";
import { createContext, type ObDcrContext } from "../http/context.js";
import { type ListCache, listAccess, listBanks, listingOf } from "../http/directory_list.js";
import { closeAgents } from "../http/transport.js";
import { type RegistrationInputs, snakeKeys, toCoreParams } from "../lifecycle/inputs.js";
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

export interface BanksList {
  directory: string;
  listUrl: string;
  /** Every entry, excluded ones with their reasons. */
  banks: DirectoryBank[];
  selected: DirectoryBank[];
  requests: number;
}

const PLACEHOLDER_BANK = { discovery_url: "https://bank.invalid/.well-known/openid-configuration" };

async function listingInputs(args: GetBanksArgs, ctx: ObDcrContext) {
  const reg = args.registration as unknown as RegistrationInputs;
  const core = await toCoreParams({ ...reg, bank: reg.bank ?? (PLACEHOLDER_BANK as never) });
  const directory = getProfile(core.profile as never).directory;
  const listing = listingOf(directory);
  if (listing.auth === "none") {
    const t = (core.transport ?? {}) as { ca?: string };
    return { directory, tls: { ca: t.ca }, token: undefined };
  }
  const r = RegistrationParams.safeParse(core);
  if (!r.success) throw invalidInputFromZod("registration", r.error);
  const params = r.data;
  const { tls, token } = listAccess(ctx, directory, params, "registration.directory.tokenEndpoint");
  return { directory, tls, token };
}

const caches = new Map<string, ListCache>();

/** The directory a registration's profile uses. */
async function directoryOf(args: GetBanksArgs): Promise<DirectoryKind> {
  const reg = args.registration as unknown as RegistrationInputs;
  const p = ProfileName.safeParse(reg.profile);
  if (!p.success)
    throw new InvalidInputError(
      "registration.profile",
      "is required to know which directory lists the banks",
    );
  return getProfile(p.data).directory;
}

/** The directory's list, filtered, each selected bank's discovery checked (nothing is registered). */
export async function getBanks(args: GetBanksArgs): Promise<BanksList> {
  const ctx = createContext({ transport: { allow_http_loopback: args.allowHttpLoopback === true } });
  try {
    const src = await listingInputs(args, ctx);
    const listing = listingOf(src.directory);
    const filter = parseBankFilter(
      snakeKeys(args.filter ?? {}),
      listing,
      DIRECTORY_PROFILES[src.directory].label,
    );
    const url = args.listUrl ?? listing.default_url;
    const cache = caches.get(url) ?? {};
    caches.set(url, cache);
    const listed = await listBanks(ctx, { ...src, url, cache }, filter);
    return {
      directory: src.directory,
      listUrl: listed.list_url,
      banks: listed.banks,
      selected: listed.selected,
      requests: listed.pages,
    };
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

function readKnown(file: string): KnownList | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const k = KnownList.safeParse(parseUntrustedJson(text));
  if (!k.success)
    throw new InvalidInputError("knownListFile", `${file} is not a known-banks list; move it away`);
  return k.data;
}

function writeKnown(file: string, k: KnownList): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(k, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v);

/** `b` over `a`, objects merged key by key (arrays and scalars replaced). */
function deepMerge(a: unknown, b: unknown): unknown {
  if (!isRecord(a) || !isRecord(b)) return b === undefined ? a : b;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(a[k], v);
  return out;
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

  constructor(name: string, args: ObBankRegistrationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ob-dcr:index:ObBankRegistrations", name, {}, opts);
    this.registrations = {};
    const orgIsBank = listingOf(args.directory).org_id_is_bank_org_id;
    for (const b of args.plan.declare) {
      const bank = {
        ...(args.registration.bank as object),
        discoveryUrl: b.discovery_url,
        ...(orgIsBank ? { orgId: b.org_id } : {}),
      };
      const merged = deepMerge(
        { ...args.registration, bank },
        args.overrides?.[b.id],
      ) as ObClientRegistrationArgs;
      this.registrations[b.id] = new ObClientRegistration(`${name}-${b.id}`, merged, { parent: this });
    }
    this.banks = pulumi.output(args.plan.declare);
    this.registerOutputs({
      banks: args.plan.declare,
      clientIds: Object.fromEntries(Object.entries(this.registrations).map(([id, r]) => [id, r.clientId])),
    });
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
  const policy = BankChangePolicy.safeParse(snakeKeys(args.policy ?? {}));
  if (!policy.success) throw invalidInputFromZod("policy", policy.error);
  const file =
    args.knownListFile ??
    path.join(
      process.cwd(),
      "ob-dcr-state",
      `banks-${pulumi.getProject()}-${pulumi.getStack()}-${name}.json`,
    );
  const previous = readKnown(file);
  const directory = await directoryOf(args);
  let listed: BanksList | undefined;
  let failure: BankListError | undefined;
  try {
    listed = await getBanks(args);
  } catch (e) {
    if (!(e instanceof BankListError)) throw e;
    failure = e;
  }
  const listUrl = listed?.listUrl ?? args.listUrl ?? previous?.list_url ?? "";
  const plan = planBanks({
    previous,
    listed: listed ? { all: listed.banks, selected: listed.selected } : undefined,
    failure,
    policy: policy.data,
    list_url: listUrl,
    now: new Date().toISOString(),
  });
  for (const w of plan.warnings) pulumi.log.warn(`ob-dcr banks ${name}: ${w}`);
  if (plan.added.length > 0)
    pulumi.log.info(
      `ob-dcr banks ${name}: new in the list: ${plan.added.map((b) => `${b.id} (${b.name})`).join(", ")}`,
    );
  const component = new ObBankRegistrations(
    name,
    { directory, plan, registration: args.registration, overrides: args.overrides },
    opts,
  );
  if (!pulumi.runtime.isDryRun() && plan.source === "directory") writeKnown(file, plan.known);
  return component;
}
