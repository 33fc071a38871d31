/**
 * `ob-dcr banks`: the banks a regime's directory lists, filtered in the user's terms (BR API family
 * and major version, roles; AU industries; UK roles; status; ids; shard), each selected bank's
 * discovery checked for a registration_endpoint; a table, or `--json`, with `--why` the reasons
 * each other entry was excluded.
 */
import { defineCommand } from "citty";
import { type BankFilterInput, parseBankFilter } from "../../core/directory/listing.js";
import { DIRECTORY_PROFILES } from "../../core/directory/profiles.js";
import { InvalidInputError } from "../../core/errors.js";
import { listBanks, listingOf } from "../../http/directory_list.js";
import { LIST_ARGS, listSourceFor, readListCache } from "../bank_list.js";
import { UsageError } from "../exit.js";
import { CONFIG_ARGS, loadConfigFor, OUTPUT_ARGS, withRuntime } from "../runtime.js";

const args = {
  ...CONFIG_ARGS,
  ...OUTPUT_ARGS,
  ...LIST_ARGS,
  families: {
    type: "string",
    valueHint: "family[@major],…",
    description:
      "BR: ApiFamilyType offered (complete), optionally of a major version: payments-consents@4,accounts",
  },
  roles: {
    type: "string",
    valueHint: "role,…",
    description: "BR org roles (CONTA, DADOS…), UK roles (ASPSP)",
  },
  industries: {
    type: "string",
    valueHint: "industry,…",
    description: "AU: banking, energy, telco, non-bank-lending",
  },
  status: { type: "string", valueHint: "status,…", description: "active (default), inactive, removed" },
  include: { type: "string", valueHint: "id,…", description: "Only these bank ids" },
  exclude: { type: "string", valueHint: "id,…", description: "Never these bank ids" },
  shard: {
    type: "string",
    valueHint: "i/n",
    description: "Shard i of n (stable hash of the id): split one list across stacks",
  },
  "skip-discovery-check": {
    type: "boolean",
    description: "Do not fetch discovery (keeps banks whose discovery offers no registration_endpoint)",
  },
  why: { type: "boolean", description: "Also show the excluded entries and why" },
  "updated-since": {
    type: "string",
    valueHint: "iso",
    description: "AU: only brands changed after this instant",
  },
  cache: {
    type: "string",
    valueHint: "file",
    description: "Keep the list's ETags here; an unchanged list is answered 304",
  },
} as const;

const csv = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);

/** The flags as the core's filter (snake_case). */
function filterOf(a: Record<string, unknown>): BankFilterInput {
  const f: BankFilterInput = {};
  const families = csv(a.families as string | undefined);
  if (families)
    f.families = families.map((x) => {
      const [family = "", major] = x.split("@");
      if (major !== undefined && !/^\d{1,4}$/.test(major))
        throw new InvalidInputError("--families", `${x}: the major version after @ must be a number`);
      return major === undefined ? { family } : { family, major: Number(major) };
    });
  const roles = csv(a.roles as string | undefined);
  if (roles) f.roles = roles;
  const industries = csv(a.industries as string | undefined);
  if (industries) f.industries = industries;
  const status = csv(a.status as string | undefined);
  if (status) f.statuses = status as never;
  const include = csv(a.include as string | undefined);
  if (include) f.include = include;
  const exclude = csv(a.exclude as string | undefined);
  if (exclude) f.exclude = exclude;
  if (typeof a.shard === "string") {
    const m = /^(\d+)\/(\d+)$/.exec(a.shard);
    if (!m) throw new UsageError(`--shard ${a.shard}: give i/n, e.g. 0/4`);
    f.shard = { index: Number(m[1]), count: Number(m[2]) };
  }
  if (a["skip-discovery-check"] === true) f.require_registration_endpoint = false;
  return f;
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length));

export const command = defineCommand({
  meta: {
    name: "banks",
    description: "List the banks a regime's directory publishes, filtered (registers nothing)",
  },
  args,
  run: (c) =>
    withRuntime(c, args, async (rt, a) => {
      const cfg = await loadConfigFor(rt, a);
      const src = await listSourceFor(rt, cfg, a["list-url"]);
      const listing = listingOf(src.directory);
      const label = DIRECTORY_PROFILES[src.directory].label;
      const filter = parseBankFilter(filterOf(a as Record<string, unknown>), listing, label);
      const { cache, save } = readListCache(rt, a.cache);
      const listed = await rt.out.step("directory bank list", () =>
        listBanks(rt.ctx, { ...src, cache, updated_since: a["updated-since"] }, filter),
      );
      save();
      const shown = a.why ? listed.banks : listed.selected;
      rt.out.line(
        `${label}: ${listed.banks.length} entries (${listed.pages} request(s), ${listed.not_modified} not modified${listed.unreadable ? `, ${listed.unreadable} unreadable` : ""}), ${listed.selected.length} selected`,
      );
      rt.out.line();
      rt.out.line(`${pad("ID", 38)} ${pad("STATUS", 8)} ${pad("NAME", 28)} DISCOVERY`);
      for (const b of shown) {
        rt.out.line(
          `${pad(b.id, 38)} ${pad(b.status, 8)} ${pad(b.name.slice(0, 28), 28)} ${b.discovery_url ?? "-"}`,
        );
        if (a.why) for (const x of b.excluded) rt.out.line(`    excluded: ${x.code}: ${x.detail}`);
      }
      rt.out.json({
        command: "banks",
        directory: src.directory,
        list_url: listed.list_url,
        requests: listed.pages,
        not_modified: listed.not_modified,
        unreadable: listed.unreadable,
        total: listed.banks.length,
        selected: listed.selected.length,
        banks: shown,
      });
    }),
});
