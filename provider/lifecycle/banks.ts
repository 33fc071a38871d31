/**
 * Banks from the directory, shared by every Pulumi face (the TypeScript `registerBanks`, the
 * plugin's `getBanks` function and `BankRegistrations` component): read and filter the list, plan
 * the run against the last known list (core/directory/bank_plan.ts), and make each bank's
 * registration inputs. The faces only declare resources and word the plan; no decision is theirs.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  BankChangePolicy,
  type BankPlan,
  type KnownBank,
  KnownList,
  type NewBankCap,
  newBankCap,
  planBanks,
} from "../core/directory/bank_plan.js";
import { type DirectoryBank, parseBankFilter } from "../core/directory/listing.js";
import { DIRECTORY_PROFILES } from "../core/directory/profiles.js";
import { BankListError, InvalidInputError, invalidInputFromZod, restated } from "../core/errors.js";
import { parseUntrustedJson } from "../core/parse/json.js";
import { getProfile } from "../core/profiles/index.js";
import type { DirectoryKind } from "../core/profiles/types.js";
import { ProfileName } from "../core/schemas/common.js";
import { RegistrationParams } from "../core/schemas/params.js";
import { printable } from "../core/untrusted.js";
import type { ObDcrContext } from "../http/context.js";
import { type ListCache, listAccess, listBanks, listingOf } from "../http/directory_list.js";
import { type ConfigSecrets, type RegistrationInputs, snakeKeys, toCoreParams } from "./inputs.js";

/** What one list request asks (camelCase, plain values): the registration all banks share, minus the bank. */
export interface BankListRequest {
  registration: Record<string, unknown>;
  /** camelCase `BankFilter`. */
  filter?: unknown;
  /** The directory's list (default: the regime's production list). */
  listUrl?: string;
}

export interface BanksList {
  directory: DirectoryKind;
  listUrl: string;
  /** Every entry, excluded ones with their reasons. */
  banks: DirectoryBank[];
  selected: DirectoryBank[];
  requests: number;
}

// The core schema needs a bank; the list does not (only the profile, directory and transport).
const PLACEHOLDER_BANK = { discoveryUrl: "https://bank.invalid/.well-known/openid-configuration" };

/** The directory a registration's profile lists its banks in. */
export function directoryOf(registration: Record<string, unknown>, field = "registration"): DirectoryKind {
  const p = ProfileName.safeParse(registration.profile);
  if (!p.success)
    throw new InvalidInputError(`${field}.profile`, "is required to know which directory lists the banks");
  return getProfile(p.data).directory;
}

async function listSource(ctx: ObDcrContext, req: BankListRequest, secrets: ConfigSecrets, field: string) {
  const reg = req.registration as unknown as RegistrationInputs;
  const directory = directoryOf(req.registration, field);
  const core = await toCoreParams({ ...reg, bank: reg.bank ?? (PLACEHOLDER_BANK as never) }, secrets);
  if (listingOf(directory).auth === "none") {
    const t = (core.transport ?? {}) as { ca?: string };
    return { directory, tls: { ca: t.ca }, token: undefined };
  }
  const r = RegistrationParams.safeParse(core);
  if (!r.success) throw invalidInputFromZod(field, r.error);
  return { directory, ...listAccess(ctx, directory, r.data, `${field}.directory.tokenEndpoint`) };
}

/**
 * The directory's list, filtered, each selected bank's discovery checked (nothing is registered).
 * `cache` keeps ETag'd pages between calls of one process.
 * @throws {BankListError} `OBDCR_DIRECTORY_LIST` when the list cannot be had.
 */
export async function listDirectoryBanks(
  ctx: ObDcrContext,
  req: BankListRequest,
  opts: { secrets?: ConfigSecrets; cache?: ListCache; field?: string; new_bank_cap?: NewBankCap } = {},
): Promise<BanksList> {
  const field = opts.field ?? "registration";
  const src = await listSource(ctx, req, opts.secrets ?? {}, field);
  const listing = listingOf(src.directory);
  const filter = parseBankFilter(
    snakeKeys(req.filter ?? {}),
    listing,
    DIRECTORY_PROFILES[src.directory].label,
  );
  const url = req.listUrl ?? listing.default_url;
  const listed = await listBanks(
    ctx,
    { ...src, url, cache: opts.cache ?? {}, new_bank_cap: opts.new_bank_cap },
    filter,
  );
  return {
    directory: src.directory,
    listUrl: listed.list_url,
    banks: listed.banks,
    selected: listed.selected,
    requests: listed.pages,
  };
}

/** The default home of the last known list, under `cwd`. */
export const defaultKnownListFile = (cwd: string, project: string, stack: string, name: string) =>
  path.join(cwd, "ob-dcr-state", `banks-${project}-${stack}-${name}.json`);

export function readKnownList(file: string): KnownList | undefined {
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

function writeKnownList(file: string, k: KnownList): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(k, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export interface BankRun {
  directory: DirectoryKind;
  plan: BankPlan;
  /** Store the plan's list for the next run (after the banks were declared; never in a preview). */
  commit(dryRun: boolean): void;
}

/**
 * List, then plan against the last known list under the change policy (camelCase
 * `BankChangePolicy`). A directory failure is the plan's to judge (fail or keep the last list).
 * @throws {BankListError} before any bank is declared, when the policy says to fail.
 */
export async function planBankRun(i: {
  request: BankListRequest;
  policy?: unknown;
  knownListFile: string;
  /** `cap`: the policy's new-bank ceiling, applied while the discovery checks run. */
  list: (cap: NewBankCap) => Promise<BanksList>;
  now: () => Date;
}): Promise<BankRun> {
  const policy = BankChangePolicy.safeParse(snakeKeys(i.policy ?? {}));
  if (!policy.success) throw invalidInputFromZod("policy", policy.error);
  const previous = readKnownList(i.knownListFile);
  const directory = directoryOf(i.request.registration);
  let listed: BanksList | undefined;
  let failure: BankListError | undefined;
  // What reaches the engine or the terminal from here may quote the directory: one line, no controls.
  const oneLine = (e: unknown) => (e instanceof Error ? restated(e, { message: e.message }) : e);
  try {
    // More new banks than the policy allows fail the run: the checks stop once that is certain.
    listed = await i.list(newBankCap(previous, policy.data));
  } catch (e) {
    if (!(e instanceof BankListError)) throw oneLine(e);
    failure = e;
  }
  let plan: BankPlan;
  try {
    plan = planBanks({
      previous,
      listed: listed ? { all: listed.banks, selected: listed.selected } : undefined,
      failure,
      policy: policy.data,
      list_url: listed?.listUrl ?? i.request.listUrl ?? previous?.list_url ?? "",
      now: i.now().toISOString(),
    });
  } catch (e) {
    throw oneLine(e);
  }
  return {
    directory,
    plan,
    commit: (dryRun) => {
      if (!dryRun && plan.source === "directory") writeKnownList(i.knownListFile, plan.known);
    },
  };
}

/** The plan in words for the engine's log: warnings, and the new banks as information. */
export function planWords(name: string, plan: BankPlan): { warnings: string[]; info: string[] } {
  // The list's words (names, statuses, ids) are the directory's: printable, never a CI command.
  return {
    warnings: plan.warnings.map((w) => printable(`ob-dcr banks ${name}: ${w}`)),
    info:
      plan.added.length > 0
        ? [
            printable(
              `ob-dcr banks ${name}: new in the list: ${plan.added.map((b) => `${b.id} (${b.name})`).join(", ")}`,
            ),
          ]
        : [],
  };
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

/**
 * The user's override of one bank, by id: an own member only. The id is the directory's word, and
 * one such as `constructor` or `toString` would otherwise read Object.prototype's function (the
 * whole registration replaced by it).
 */
export function bankOverride(overrides: unknown, id: string): unknown {
  return isRecord(overrides) && Object.hasOwn(overrides, id) ? overrides[id] : undefined;
}

/**
 * One bank's registration inputs (camelCase): the shared ones, the bank's discovery URL (and, where
 * the list's organisation is the bank's, `bank.orgId`), then the bank's override (from `overrides`,
 * every bank's by id) merged over them. Values may be anything the face carries (Pulumi outputs
 * stay as they are).
 */
export function bankRegistrationArgs(
  directory: DirectoryKind,
  registration: Record<string, unknown>,
  bank: KnownBank,
  overrides?: unknown,
): Record<string, unknown> {
  const override = bankOverride(overrides, bank.id);
  const b = {
    ...(isRecord(registration.bank) ? registration.bank : {}),
    discoveryUrl: bank.discovery_url,
    ...(listingOf(directory).org_id_is_bank_org_id ? { orgId: bank.org_id } : {}),
  };
  return deepMerge({ ...registration, bank: b }, override) as Record<string, unknown>;
}
