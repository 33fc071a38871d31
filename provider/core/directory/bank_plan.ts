/**
 * Change over time, safe by default (directories.md §4): from the last known list and what the
 * directory says now, which banks to declare. A new bank is added (up to a ceiling); a bank that
 * left the list or is no longer selected is kept and named in a warning, and dropped only under
 * `on_missing: "delete"`; a directory that failed, or a list that shrank beyond the threshold,
 * never drops anything: the run fails before any bank is touched, or keeps the last known list.
 * Pure: the caller stores the returned `known` list between runs.
 */
import { z } from "zod";
import { BankListError } from "../errors.js";
import { type DirectoryBank, discoveryKey } from "./listing.js";

export const BankChangePolicy = z.strictObject({
  /** A declared bank that left the list or is no longer selected: kept (default) or deleted. */
  on_missing: z.enum(["keep", "delete"]).default("keep"),
  /** The list cannot be had or trusted: fail before touching any bank (default), or keep the last list. */
  on_directory_failure: z.enum(["fail", "keep-last-known"]).default("fail"),
  /**
   * Most entries of the last list that may vanish at once, percent (one entry may always vanish);
   * beyond it the list is taken for truncated: a failure.
   */
  max_shrink_percent: z.number().min(0).max(100).default(10),
  /** Most banks one run may add (a directory bug must not start hundreds of registrations unnoticed). */
  max_new_banks: z.number().int().nonnegative().default(20),
});
export type BankChangePolicy = z.infer<typeof BankChangePolicy>;
export type BankChangePolicyInput = z.input<typeof BankChangePolicy>;

/** What is kept of a declared bank between runs: enough to declare it again unchanged. */
export const KnownBank = z.object({
  id: z.string(),
  name: z.string(),
  org_id: z.string(),
  discovery_url: z.string(),
});
export type KnownBank = z.infer<typeof KnownBank>;

export const KnownList = z.object({
  version: z.literal(1),
  /** The list URL it came from (a different URL starts afresh). */
  list_url: z.string(),
  fetched_at: z.string(),
  /** Every id the raw list had (for the shrink check). */
  listed_ids: z.array(z.string()),
  /** The banks declared after that run. */
  banks: z.array(KnownBank),
});
export type KnownList = z.infer<typeof KnownList>;

export interface MissingBank {
  bank: KnownBank;
  /** Why it is not selected any more (its exclusion reasons, or "no longer in the list"). */
  why: string;
  action: "kept" | "deleted";
  /** Not selected only because its discovery check failed this run: kept whatever the policy says. */
  unchecked?: boolean;
}

export interface BankPlan {
  /** Declare exactly these (selected now, plus the missing ones kept). */
  declare: KnownBank[];
  added: KnownBank[];
  missing: MissingBank[];
  /** Where `declare` came from. */
  source: "directory" | "last-known";
  warnings: string[];
  /** To store for the next run. */
  known: KnownList;
}

/**
 * The new-bank ceiling as the discovery checks can apply it: `known` holds every id the last run
 * declared (whatever list it came from: a superset of what `planBanks` counts as known), so more
 * than `max_new` checked banks outside it means `planBanks` fails with `grew` whatever the
 * unchecked rest would say.
 */
export interface NewBankCap {
  known: ReadonlySet<string>;
  max_new: number;
}

export const newBankCap = (previous: KnownList | undefined, policy: BankChangePolicy): NewBankCap => ({
  known: new Set((previous?.banks ?? []).map((b) => b.id)),
  max_new: policy.max_new_banks,
});

/** More new banks passed their checks than the run may add: the plan fails, the rest need no check. */
export const capReached = (cap: NewBankCap, new_passed: number): boolean => new_passed > cap.max_new;

const known = (b: DirectoryBank): KnownBank => ({
  id: b.id,
  name: b.name,
  org_id: b.org_id,
  discovery_url: b.discovery_url ?? "",
});

/** Two discovery URLs of one OP (the issuer each implies), or two that do not parse alike. */
function sameOp(a: string, b: string): boolean {
  try {
    return discoveryKey(a) === discoveryKey(b);
  } catch {
    return a === b;
  }
}

function keepLastKnown(previous: KnownList, why: string): BankPlan {
  return {
    declare: previous.banks,
    added: [],
    missing: [],
    source: "last-known",
    warnings: [
      `${why}; kept the last known list of ${previous.banks.length} bank(s) from ${previous.fetched_at}`,
    ],
    known: previous,
  };
}

/**
 * The plan for this run. `listed` is undefined when the directory failed (`failure` says how);
 * otherwise `all` is every entry the list gave and `selected` the filtered ones.
 */
export function planBanks(i: {
  previous: KnownList | undefined;
  listed: { all: readonly DirectoryBank[]; selected: readonly DirectoryBank[] } | undefined;
  failure?: BankListError | undefined;
  policy: BankChangePolicy;
  list_url: string;
  now: string;
}): BankPlan {
  const { policy } = i;
  const previous = i.previous?.list_url === i.list_url ? i.previous : undefined;
  const guard = (e: BankListError): BankPlan => {
    if (policy.on_directory_failure === "keep-last-known" && previous)
      return keepLastKnown(previous, `${e.message} (${e.code})`);
    throw e;
  };
  if (!i.listed)
    return guard(i.failure ?? new BankListError("unreachable", "the directory list could not be read"));
  const listedIds = new Set(i.listed.all.map((b) => b.id));
  if (previous && previous.listed_ids.length > 0) {
    const gone = previous.listed_ids.filter((id) => !listedIds.has(id));
    const pct = (gone.length * 100) / previous.listed_ids.length;
    // One vanished entry is ordinary churn, whatever the list's size; more is measured.
    if (gone.length > 1 && pct > policy.max_shrink_percent)
      return guard(
        new BankListError(
          "shrunk",
          `the directory list lost ${gone.length} of ${previous.listed_ids.length} entries since ${previous.fetched_at} (${pct.toFixed(0)}% > policy.max_shrink_percent ${policy.max_shrink_percent}); nothing was changed. If the directory really shrank, raise policy.max_shrink_percent for one run`,
          { field: "policy.max_shrink_percent" },
        ),
      );
  }
  const before = new Map((previous?.banks ?? []).map((b) => [b.id, b]));
  // A declared bank keeps the discovery URL and organisation it was registered with: they name the
  // registration (a change replaces it: DELETE at the bank, POST elsewhere), and a list that moves
  // one is the directory's word alone. Another OP is said in a warning; a respelling is not.
  const moved: string[] = [];
  const selected = new Map(
    i.listed.selected.map((b) => {
      const now = known(b);
      const was = before.get(b.id);
      if (!was || (was.discovery_url === now.discovery_url && was.org_id === now.org_id)) return [b.id, now];
      if (sameOp(was.discovery_url, now.discovery_url) && was.org_id === now.org_id) return [b.id, was];
      moved.push(
        `bank ${b.id} (${now.name}) now has ${was.org_id === now.org_id ? "" : `organisation ${now.org_id} and `}discovery URL ${now.discovery_url} in the directory list; its registration stays with ${was.discovery_url} (no DELETE, no POST elsewhere). If the bank really moved, give overrides["${b.id}"].bank.discoveryUrl to follow it (the registration is then replaced)`,
      );
      return [b.id, was];
    }),
  );
  const added = [...selected.values()].filter((b) => !before.has(b.id));
  if (added.length > policy.max_new_banks)
    throw new BankListError(
      "grew",
      `the directory list would add ${added.length} bank(s) in one run (more than policy.max_new_banks ${policy.max_new_banks}); nothing was changed. Check the list (ob-dcr banks), then raise policy.max_new_banks`,
      { field: "policy.max_new_banks" },
    );
  const all = new Map(i.listed.all.map((b) => [b.id, b]));
  const missing: MissingBank[] = [];
  for (const b of before.values()) {
    if (selected.has(b.id)) continue;
    const now = all.get(b.id);
    const why = now
      ? now.excluded.map((x) => `${x.code}: ${x.detail}`).join("; ") || "not selected"
      : "no longer in the directory list";
    // A discovery check that failed this run (a 503, a timeout) is neither the directory's word nor
    // the bank's: deleting on it would drop a live registration and POST a new one next run.
    const unchecked =
      now !== undefined &&
      now.excluded.length > 0 &&
      now.excluded.every((x) => x.code === "discovery_failed");
    missing.push({
      bank: b,
      why,
      action: policy.on_missing === "delete" && !unchecked ? "deleted" : "kept",
      unchecked,
    });
  }
  const kept = missing.filter((m) => m.action === "kept").map((m) => m.bank);
  const declare = [...selected.values(), ...kept].sort((a, b) => (a.id < b.id ? -1 : 1));
  const warnings = [
    ...moved,
    ...missing.map((m) =>
      m.unchecked
        ? `bank ${m.bank.id} (${m.bank.name}) could not be checked this run (${m.why}); its registration is kept whatever policy.on_missing says: a failed check is not the bank leaving the list`
        : m.action === "kept"
          ? `bank ${m.bank.id} (${m.bank.name}) is no longer selected (${m.why}); its registration is kept (policy.on_missing "delete" removes it)`
          : `bank ${m.bank.id} (${m.bank.name}) is no longer selected (${m.why}); its registration is deleted (policy.on_missing "delete")`,
    ),
  ];
  return {
    declare,
    added,
    missing,
    source: "directory",
    warnings,
    known: {
      version: 1,
      list_url: i.list_url,
      fetched_at: i.now,
      listed_ids: [...listedIds].sort(),
      banks: declare,
    },
  };
}
