// The pure parts of banks-from-the-directory: the change plan (one table, one loop) and the
// readers' status mapping on hand-made list bodies (the emulators cover the wire).
import { describe, expect, it } from "vitest";
import { BankChangePolicy, type KnownList, planBanks } from "../../provider/core/directory/bank_plan.js";
import {
  applyBankFilter,
  cdsDiscoveryUrl,
  type DirectoryBank,
  majorOf,
  readListPage,
  shardOf,
} from "../../provider/core/directory/listing.js";
import { DIRECTORY_PROFILES } from "../../provider/core/directory/profiles.js";
import { BankListError } from "../../provider/core/errors.js";
import { bankRegistrationArgs, planWords } from "../../provider/lifecycle/banks.js";

const URL = "https://dir.example/participants";
const bank = (id: string, over: Partial<DirectoryBank> = {}): DirectoryBank => ({
  directory: "ofb-directory",
  id,
  org_id: `org-${id}`,
  org_name: "Org",
  name: id,
  status: "active",
  status_detail: "org Active",
  discovery_url: `https://${id}.example/.well-known/openid-configuration`,
  api_families: [],
  industries: [],
  roles: [],
  excluded: [],
  ...over,
});
const known = (ids: string[], listed = ids): KnownList => ({
  version: 1,
  list_url: URL,
  fetched_at: "2026-01-01T00:00:00Z",
  listed_ids: listed,
  banks: ids.map((id) => ({ id, name: id, org_id: `org-${id}`, discovery_url: bank(id).discovery_url! })),
});
const listed = (ids: string[], excluded: Record<string, string> = {}) => {
  const all = ids.map((id) =>
    bank(id, excluded[id] ? { excluded: [{ code: "status", detail: excluded[id]! }] } : {}),
  );
  return { all, selected: all.filter((b) => b.excluded.length === 0) };
};

describe("planBanks", () => {
  const cases: {
    name: string;
    previous?: KnownList;
    ids?: string[];
    excluded?: Record<string, string>;
    policy?: Partial<BankChangePolicy>;
    declare?: string[];
    added?: string[];
    missing?: [string, "kept" | "deleted"][];
    source?: "directory" | "last-known";
    error?: BankListError["reason"];
  }[] = [
    { name: "first run", ids: ["a", "b"], declare: ["a", "b"], added: ["a", "b"] },
    { name: "no change", previous: known(["a", "b"]), ids: ["a", "b"], declare: ["a", "b"], added: [] },
    { name: "a new bank", previous: known(["a"]), ids: ["a", "b"], declare: ["a", "b"], added: ["b"] },
    {
      name: "inactive kept",
      previous: known(["a", "b"]),
      ids: ["a", "b"],
      excluded: { b: "inactive" },
      declare: ["a", "b"],
      missing: [["b", "kept"]],
    },
    {
      name: "inactive deleted under the policy",
      previous: known(["a", "b"]),
      ids: ["a", "b"],
      excluded: { b: "inactive" },
      policy: { on_missing: "delete" },
      declare: ["a"],
      missing: [["b", "deleted"]],
    },
    { name: "one vanished entry is churn", previous: known(["a", "b"]), ids: ["a"], declare: ["a", "b"] },
    {
      name: "a shrunk list fails",
      previous: known(["a"], ["a", "b", "c", "d"]),
      ids: ["a", "b"],
      error: "shrunk",
    },
    {
      name: "a shrunk list keeps the last known under the policy",
      previous: known(["a"], ["a", "b", "c", "d"]),
      ids: ["a", "b"],
      policy: { on_directory_failure: "keep-last-known" },
      declare: ["a"],
      source: "last-known",
    },
    { name: "a failed directory fails", previous: known(["a"]), error: "unreachable" },
    {
      name: "a failed directory keeps the last known under the policy",
      previous: known(["a"]),
      policy: { on_directory_failure: "keep-last-known" },
      declare: ["a"],
      source: "last-known",
    },
    {
      name: "keep-last-known without a last list still fails",
      policy: { on_directory_failure: "keep-last-known" },
      error: "unreachable",
    },
    { name: "growth past the ceiling", ids: ["a", "b", "c"], policy: { max_new_banks: 2 }, error: "grew" },
  ];
  for (const c of cases)
    it(c.name, () => {
      const run = () =>
        planBanks({
          previous: c.previous,
          listed: c.ids ? listed(c.ids, c.excluded) : undefined,
          policy: BankChangePolicy.parse(c.policy ?? {}),
          list_url: URL,
          now: "2026-02-01T00:00:00Z",
        });
      if (c.error) {
        const e = (() => {
          try {
            run();
          } catch (x) {
            return x;
          }
          return undefined;
        })();
        expect(e).toBeInstanceOf(BankListError);
        expect((e as BankListError).reason).toBe(c.error);
        expect((e as BankListError).code).toBe("OBDCR_DIRECTORY_LIST");
        return;
      }
      const p = run();
      if (c.declare) expect(p.declare.map((b) => b.id)).toEqual(c.declare);
      if (c.added) expect(p.added.map((b) => b.id)).toEqual(c.added);
      if (c.missing) expect(p.missing.map((m) => [m.bank.id, m.action])).toEqual(c.missing);
      expect(p.source).toBe(c.source ?? "directory");
      for (const m of p.missing) expect(p.warnings.join("\n")).toContain(`bank ${m.bank.id}`);
    });
});

describe("planBanks: a declared bank whose discovery check failed this run", () => {
  it("is kept under on_missing delete (a 503 is not the bank leaving); a bank the list excludes is still deleted", () => {
    const all = [
      bank("a"),
      bank("b", { excluded: [{ code: "discovery_failed", detail: "OBDCR_TRANSPORT: HTTP 503" }] }),
      bank("c", {
        excluded: [
          { code: "discovery_failed", detail: "timeout" },
          { code: "status", detail: "inactive" },
        ],
      }),
    ];
    const p = planBanks({
      previous: known(["a", "b", "c"]),
      listed: { all, selected: [all[0]!] },
      policy: BankChangePolicy.parse({ on_missing: "delete" }),
      list_url: URL,
      now: "2026-02-01T00:00:00Z",
    });
    expect(p.declare.map((b) => b.id)).toEqual(["a", "b"]);
    expect(p.missing.map((m) => [m.bank.id, m.action])).toEqual([
      ["b", "kept"],
      ["c", "deleted"],
    ]);
    expect(p.warnings.join("\n")).toMatch(
      /bank b .*could not be checked this run .*kept whatever policy\.on_missing says/,
    );
  });
});

describe("planBanks: a declared bank the list moves", () => {
  const plan = (now: DirectoryBank[]) =>
    planBanks({
      previous: known(["a", "b"]),
      listed: { all: now, selected: now },
      policy: BankChangePolicy.parse({}),
      list_url: URL,
      now: "2026-02-01T00:00:00Z",
    });

  it("to another OP: kept where it is registered (no replace), a warning says how to follow", () => {
    const p = plan([
      bank("a", { discovery_url: "https://elsewhere.example/.well-known/openid-configuration" }),
      bank("b"),
    ]);
    expect(p.declare.map((b) => [b.id, b.discovery_url])).toEqual([
      ["a", bank("a").discovery_url],
      ["b", bank("b").discovery_url],
    ]);
    expect(p.known.banks.find((b) => b.id === "a")?.discovery_url).toBe(bank("a").discovery_url);
    expect(p.warnings.join("\n")).toMatch(
      /bank a .*https:\/\/elsewhere\.example\/.* stays with https:\/\/a\.example\/.*overrides\["a"\]\.bank\.discoveryUrl/,
    );
  });

  it("to another organisation (UK: the request aud): kept, warned", () => {
    const p = plan([bank("a", { org_id: "org-other" }), bank("b")]);
    expect(p.declare.find((b) => b.id === "a")?.org_id).toBe("org-a");
    expect(p.warnings.join("\n")).toMatch(/bank a .*organisation org-other/);
  });

  it("respelled (host case, :443): the recorded spelling, no warning", () => {
    const p = plan([
      bank("a", { discovery_url: "https://A.example:443/.well-known/openid-configuration" }),
      bank("b"),
    ]);
    expect(p.declare.find((b) => b.id === "a")?.discovery_url).toBe(bank("a").discovery_url);
    expect(p.warnings).toEqual([]);
  });
});

describe("readers and filters", () => {
  it("BR: org and server statuses, roles from active claims only, versions as majors", () => {
    const page = readListPage(
      "ofb-participants",
      [
        {
          OrganisationId: "o1",
          Status: "Active",
          OrgDomainRoleClaims: [
            { Role: "CONTA", Status: "Active" },
            { Role: "DADOS", Status: "Inactive" },
          ],
          AuthorisationServers: [
            {
              AuthorisationServerId: "s1",
              ApiResources: [{ ApiFamilyType: "payments-consents", ApiVersion: 1 }],
            },
            { AuthorisationServerId: "s2", Status: "Inactive" },
            { NotAServer: true },
          ],
        },
        {
          OrganisationId: "o2",
          Status: "Withdrawn",
          AuthorisationServers: [{ AuthorisationServerId: "s3" }],
        },
        "junk",
      ],
      "ofb-directory",
    );
    expect(page.banks.map((b) => [b.id, b.status, b.roles])).toEqual([
      ["s1", "active", ["CONTA"]],
      ["s2", "inactive", ["CONTA"]],
      ["s3", "removed", []],
    ]);
    expect(page.banks[0]!.api_families[0]).toMatchObject({
      family: "payments-consents",
      version: "1",
      major: 1,
    });
    expect(page.unreadable).toBe(2);
    expect(() => readListPage("ofb-participants", { not: "an array" }, "ofb-directory")).toThrow(TypeError);
  });

  it("a hostile list: names with controls or CI commands are escaped, an id outside [A-Za-z0-9._:~-] drops the entry", () => {
    const forged = "Evil Bank)\n::error file=x::forged by the directory\n\u001b[31mRED\u001b[0m";
    const page = readListPage(
      "ofb-participants",
      [
        {
          OrganisationId: "o1",
          OrganisationName: "Org\u202eevil",
          Status: "Active\n::warning::x",
          AuthorisationServers: [
            { AuthorisationServerId: "s1", CustomerFriendlyName: forged },
            { AuthorisationServerId: "as-1\n::error::forged-by-id\u001b[31m" },
            { AuthorisationServerId: "../s2" },
          ],
        },
      ],
      "ofb-directory",
    );
    expect(page.banks.map((b) => b.id)).toEqual(["s1"]);
    expect(page.unreadable).toBe(2);
    const [b] = page.banks;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find none
    const controls = /[\u0000-\u001f\u202e]/;
    for (const text of [b!.name, b!.org_name, b!.status_detail]) expect(text).not.toMatch(controls);
    expect(b!.name).toContain("\\u001b[31mRED");
    // What the engine's log gets: one line per message, none of them a workflow command.
    const plan = planBanks({
      previous: undefined,
      listed: { all: page.banks, selected: page.banks },
      policy: BankChangePolicy.parse({}),
      list_url: URL,
      now: "2026-02-01T00:00:00Z",
    });
    const words = planWords("br", plan);
    for (const line of [...words.info, ...words.warnings])
      for (const l of line.split("\n")) expect(l).not.toMatch(/^\s*(::|##\[|##vso\[)/);
    expect(words.info.join("\n").split("\n")).toHaveLength(1);
  });

  it("a hostile list: an id naming an Object.prototype member (constructor, toString) never reads an inherited override", () => {
    const page = readListPage(
      "ofb-participants",
      [
        {
          OrganisationId: "o1",
          Status: "Active",
          AuthorisationServers: ["constructor", "toString", "hasOwnProperty", "s1"].map((id) => ({
            AuthorisationServerId: id,
            OpenIDDiscoveryDocument: `https://${id.toLowerCase()}.example/.well-known/openid-configuration`,
          })),
        },
      ],
      "ofb-directory",
    );
    // Ids of the allowed alphabet: the list may name them; the overrides must not answer for them.
    expect(page.banks.map((b) => b.id)).toEqual(["constructor", "toString", "hasOwnProperty", "s1"]);
    const registration = { profile: "ofb-br", client: { clientName: "TPP" } };
    const overrides = { s1: { bankProfile: "quirky" } };
    for (const b of page.banks) {
      const args = bankRegistrationArgs(
        "ofb-directory",
        registration,
        { id: b.id, name: b.name, org_id: b.org_id, discovery_url: b.discovery_url! },
        overrides,
      );
      expect(typeof args).toBe("object");
      expect(args.profile).toBe("ofb-br");
      expect(args.bank).toEqual({ discoveryUrl: b.discovery_url });
      expect(args.bankProfile).toBe(b.id === "s1" ? "quirky" : undefined);
    }
  });

  it("AU: a trailing slash never gives //, brand and legal entity statuses combine", () => {
    expect(cdsDiscoveryUrl("https://dh.example/")).toBe(
      "https://dh.example/.well-known/openid-configuration",
    );
    const page = readListPage(
      "cds-brands",
      {
        data: [
          { dataHolderBrandId: "b1", status: "ACTIVE", legalEntity: { status: "REMOVED" } },
          { dataHolderBrandId: "b2", status: "INACTIVE", legalEntity: { status: "ACTIVE" } },
        ],
      },
      "cdr-register",
    );
    expect(page.banks.map((b) => b.status)).toEqual(["removed", "inactive"]);
  });

  it("a hostile list: one OP under two spellings of its discovery URL is registered once, in every shard", () => {
    const listing = DIRECTORY_PROFILES["ofb-directory"].listing;
    const op = "https://op.example/.well-known/openid-configuration";
    const spellings = [
      op,
      "https://OP.Example/.well-known/openid-configuration",
      "https://op.example:443/.well-known/openid-configuration",
      "https://op.example/x/../.well-known/openid-configuration",
      "https://op.example/.well-known/openid-configuration?tenant=1",
      "https://op.example/.well-known/openid-configuration#frag",
    ];
    const banks = spellings.map((u, i) => bank(`as-${i}`, { discovery_url: u }));
    const filter = { statuses: ["active" as const], exclude: [], require_registration_endpoint: false };
    const out = applyBankFilter(banks, filter, listing, { policy: {}, today: "2026-01-01" });
    expect(out.map((b) => b.excluded.map((x) => x.code))).toEqual([
      [],
      ...spellings.slice(1).map(() => ["same_discovery"]),
    ]);
    // Shards of one list agree on which entry the OP goes to: one registration over all of them.
    const selected = [0, 1, 2].flatMap((index) =>
      applyBankFilter(banks, { ...filter, shard: { count: 3, index } }, listing, {
        policy: {},
        today: "2026-01-01",
      }).filter((b) => b.excluded.length === 0),
    );
    expect(selected.map((b) => b.id)).toEqual(["as-0"]);
    // Another path on one host is another issuer (§4.3): not the same OP.
    const two = applyBankFilter(
      [
        bank("a", { discovery_url: op }),
        bank("b", { discovery_url: "https://op.example/br/.well-known/openid-configuration" }),
      ],
      filter,
      listing,
      { policy: {}, today: "2026-01-01" },
    );
    expect(two.map((b) => b.excluded)).toEqual([[], []]);
  });

  it("majors, shards and placeholder URLs", () => {
    expect([majorOf("4.0.0"), majorOf("v2"), majorOf(3), majorOf("x")]).toEqual([4, 2, 3, undefined]);
    const ids = Array.from({ length: 200 }, (_, i) => `id-${i}`);
    const counts = [0, 1, 2, 3].map((s) => ids.filter((id) => shardOf(id, 4) === s).length);
    expect(counts.reduce((a, b) => a + b)).toBe(200);
    expect(Math.min(...counts)).toBeGreaterThan(30);
    const listing = DIRECTORY_PROFILES["ofb-directory"].listing;
    const out = applyBankFilter(
      [bank("a", { discovery_url: "https://bank.example/naoseaplica" }), bank("b")],
      { statuses: ["active"], exclude: [], require_registration_endpoint: false },
      listing,
      { policy: {}, today: "2026-01-01" },
    );
    expect(out.map((b) => b.excluded.map((x) => x.code))).toEqual([["discovery_url"], []]);
  });

  it("a directory on the internet that lists a bank on this machine or a private network: excluded, named", () => {
    const listing = DIRECTORY_PROFILES["ofb-directory"].listing;
    const wk = "/.well-known/openid-configuration";
    const hostile = [
      "https://169.254.169.254",
      "https://10.0.0.5",
      "https://localhost:8443",
      "https://[::1]",
    ];
    const banks = [...hostile.map((h, i) => bank(`h${i}`, { discovery_url: `${h}${wk}` })), bank("ok")];
    const filter = { statuses: ["active" as const], exclude: [], require_registration_endpoint: false };
    // listBanks passes the list's own URL: here the directory's production list, on the internet.
    const out = applyBankFilter(banks, filter, listing, {
      policy: { from_url: listing.default_url.replace("{industry}", "all") },
      today: "2026-01-01",
    });
    expect(out.map((b) => b.excluded.map((x) => x.code))).toEqual([
      ...hostile.map(() => ["discovery_url"]),
      [],
    ]);
    expect(out[0]!.excluded[0]!.detail).toMatch(/link-local network \(169\.254\.169\.254\)/);
    // A local directory (the sandbox) lists local banks; the metadata service's address, no one.
    const local = applyBankFilter(banks, filter, listing, {
      policy: { from_url: "https://localhost:4443/participants" },
      today: "2026-01-01",
    });
    expect(local.map((b) => b.excluded.map((x) => x.code))).toEqual([["discovery_url"], [], [], [], []]);
  });
});
