/**
 * Banks from a regime's directory (directories.md): the one typed record every regime's list is
 * read into (`DirectoryBank`), the readers of the three list shapes (chosen by the directory
 * profile's `listing.format`, never by regime name), and the filters a user states in their own
 * terms, each exclusion recorded with its reason. Pure: the HTTP side is `http/directory_list.ts`.
 *
 * Every byte of a list is untrusted: the raw shapes are loose zod schemas that check only the
 * fields relied on, and every discovery URL passes the URL policy (`validate/url_policy.ts`).
 */
import { z } from "zod";
import { InvalidInputError } from "../errors.js";
import type { DirectoryKind } from "../profiles/types.js";
import { untrustedText } from "../untrusted.js";
import { issuerOfDiscoveryUrl, type UrlPolicy, urlProblem } from "../validate/url_policy.js";

/** Our own status of a list entry, from the regime's statuses (which differ: directories.md §1.7, §2.8). */
export const BankStatus = z.enum(["active", "inactive", "removed"]);
export type BankStatus = z.infer<typeof BankStatus>;

/** An API family a BR authorisation server offers (`ApiResources[]`). */
export const ApiFamily = z.object({
  family: z.string(),
  version: z.string(),
  /** Major of `ApiVersion` (an integer in 2021 data, later "1", now semver); undefined if unreadable. */
  major: z.number().int().optional(),
  /** `FamilyComplete` (true when absent). */
  complete: z.boolean(),
});
export type ApiFamily = z.infer<typeof ApiFamily>;

/** Why an entry is not selected: a stable code, and the detail for people. */
export const ExclusionCode = z.enum([
  "not_included",
  "excluded_by_id",
  "status",
  "superseded",
  "retired",
  "role",
  "family",
  "industry",
  "discovery_url",
  "same_discovery",
  "duplicate_id",
  "other_shard",
  "no_registration_endpoint",
  "discovery_failed",
]);
export type ExclusionCode = z.infer<typeof ExclusionCode>;

export const Exclusion = z.object({ code: ExclusionCode, detail: z.string() });
export type Exclusion = z.infer<typeof Exclusion>;

/** One registration unit of a directory: a BR/UK authorisation server, an AU data holder brand. */
export const DirectoryBank = z.object({
  directory: z.enum(["ob-directory", "cdr-register", "ofb-directory"]),
  /** Stable key a registration is declared under: AuthorisationServerId, dataHolderBrandId, AS `Id`. */
  id: z.string(),
  org_id: z.string(),
  org_name: z.string(),
  /** Brand / customer-friendly name. */
  name: z.string(),
  status: BankStatus,
  /** The directory's own words for the status (org, role, server), for people. */
  status_detail: z.string(),
  discovery_url: z.string().optional(),
  /** The issuer the list claims (BR `Issuer`); the discovery document's issuer is what counts. */
  issuer: z.string().optional(),
  api_families: z.array(ApiFamily),
  industries: z.array(z.string()),
  /** Active roles of the organisation (BR role claims, UK PSD2 / trust framework roles). */
  roles: z.array(z.string()),
  parent_id: z.string().optional(),
  superseded_by: z.string().optional(),
  /** ISO date (BR `RetirementDate`). */
  retirement_date: z.string().optional(),
  /** ISO timestamp of the entry's last change (AU `lastUpdated`), when the list gives one. */
  last_updated: z.string().optional(),
  /** Empty: selected. */
  excluded: z.array(Exclusion),
});
export type DirectoryBank = z.infer<typeof DirectoryBank>;

/** The three list shapes (directories.md §0). */
export type ListFormat = "ofb-participants" | "cds-brands" | "scim-aspsp";

/** Filters a directory's list understands (the others are refused, naming the field). */
export type FilterField = "families" | "roles" | "industries";

/** How a regime's list is fetched and read: data of the directory profile. */
export interface ListingProfile {
  readonly format: ListFormat;
  /** The production list URL (`{industry}` is filled with `all`). */
  readonly default_url: string;
  /** `none`: public; `directory-token`: the directory token of the registration (MTLS + Bearer). */
  readonly auth: "none" | "directory-token";
  /** Token scope for the list (the directory profile's scope when undefined). */
  readonly scope: readonly string[] | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly paging:
    | { readonly kind: "none" }
    /** CDS: `page`, `page-size`, follow `links.next`. */
    | { readonly kind: "cds-links"; readonly page_size: number }
    /** SCIM: `startIndex` (1-based) and `count` until `totalResults`. */
    | { readonly kind: "scim"; readonly count: number };
  /** Query parameter for an incremental fetch (AU `updated-since`, strict `lastUpdated >`). */
  readonly updated_since_param: string | undefined;
  readonly filters: readonly FilterField[];
  /** Hosts of the directory's own servers, never a bank (BR: the Directory's own org, §1.3.6). */
  readonly own_hosts: readonly string[];
  /** The entry's organisation id is the bank's `bank.org_id` (UK: the request `aud`, §3.3.7). */
  readonly org_id_is_bank_org_id: boolean;
}

// ---------------------------------------------------------------------------------------------
// Raw shapes: loose, only the fields read. Unknown fields pass; a wrong type drops the entry.

const Str = z.string().max(4096);
const OptStr = Str.nullish().transform((v) => v ?? undefined);
/**
 * An id the list names a bank or an organisation by: it becomes a resource name, a state key and a
 * word in the engine's log, so only what real ids use (UUIDs, Salesforce ids); another drops the entry.
 */
const IdStr = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:~-]{0,199}$/);
const OptIdStr = IdStr.nullish().transform((v) => v ?? undefined);
/** Words for people (a brand, an organisation): controls escaped, cut at 200 characters. */
const TextStr = OptStr.transform((v) => (v === undefined ? undefined : untrustedText(v, 200)));

const OfbApiResource = z.looseObject({
  ApiFamilyType: OptStr,
  ApiVersion: z.union([Str, z.number()]).nullish(),
  FamilyComplete: z.boolean().nullish(),
});
const OfbServer = z.looseObject({
  AuthorisationServerId: IdStr,
  CustomerFriendlyName: TextStr,
  OpenIDDiscoveryDocument: OptStr,
  Issuer: OptStr,
  Status: OptStr,
  ParentAuthorisationServerId: OptIdStr,
  SupersededByAuthorisationServerId: OptIdStr,
  RetirementDate: OptStr,
  ApiResources: z.array(z.unknown()).max(1000).nullish(),
});
const OfbOrg = z.looseObject({
  OrganisationId: IdStr,
  OrganisationName: TextStr,
  Status: OptStr,
  OrgDomainRoleClaims: z.array(z.unknown()).max(200).nullish(),
  AuthorisationServers: z.array(z.unknown()).max(200).nullish(),
});
const OfbRoleClaim = z.looseObject({ Role: Str, Status: OptStr });

const CdsBrand = z.looseObject({
  dataHolderBrandId: IdStr,
  brandName: TextStr,
  industries: z.array(Str).max(50).nullish(),
  status: OptStr,
  legalEntity: z.looseObject({ legalEntityId: OptIdStr, legalEntityName: TextStr, status: OptStr }).nullish(),
  endpointDetail: z.looseObject({ infosecBaseUri: OptStr }).nullish(),
  lastUpdated: OptStr,
});
export const CdsBrandsPage = z.looseObject({
  data: z.array(z.unknown()).max(10_000),
  links: z.looseObject({ next: OptStr }).nullish(),
  meta: z.looseObject({ totalRecords: z.number().nullish(), totalPages: z.number().nullish() }).nullish(),
});

const ORG_URN = "urn:openbanking:organisation:1.0";
const DOMAIN_URN = "urn:openbanking:authorisationdomainstatus:1.0";
const CA_URN = "urn:openbanking:competentauthorityclaims:1.0";
const TF_URN = "urn:trustframework:competentauthorityclaims:1.1";
const ScimAs = z.looseObject({
  Id: IdStr,
  CustomerFriendlyName: TextStr,
  OpenIDConfigEndPointUri: OptStr,
  ParentAuthorisationServerId: OptIdStr,
});
const ScimAuth = z.looseObject({ Psd2Role: OptStr, Role: OptStr, Active: z.boolean().nullish() });
const ScimOrg = z.looseObject({
  id: IdStr,
  [ORG_URN]: z.looseObject({ OrganisationCommonName: TextStr, status: OptStr }).nullish(),
  [DOMAIN_URN]: z
    .looseObject({
      Status: z.array(z.looseObject({ AuthorizationDomain: OptStr, Status: OptStr })).nullish(),
    })
    .nullish(),
  [CA_URN]: z.looseObject({ Authorisations: z.array(z.unknown()).max(100).nullish() }).nullish(),
  [TF_URN]: z.looseObject({ Authorisations: z.array(z.unknown()).max(100).nullish() }).nullish(),
  AuthorisationServers: z.array(z.unknown()).max(200).nullish(),
});
export const ScimListPage = z.looseObject({
  totalResults: z.number().int().nonnegative(),
  startIndex: z.number().int().nullish(),
  itemsPerPage: z.number().int().nullish(),
  Resources: z.array(z.unknown()).max(10_000).nullish(),
});

/** What one page of a list gave: entries read, entries dropped as unreadable. */
export interface ReadPage {
  banks: DirectoryBank[];
  /** Entries whose shape could not be read (kept out, counted). */
  unreadable: number;
}

const base = (directory: DirectoryKind) => ({
  directory,
  api_families: [] as ApiFamily[],
  industries: [] as string[],
  roles: [] as string[],
  excluded: [] as Exclusion[],
});

/** Major of an ApiVersion: 4 from "4.0.0", 1 from 1 or "1". */
export function majorOf(v: string | number | null | undefined): number | undefined {
  if (typeof v === "number") return Number.isInteger(v) && v >= 0 ? v : undefined;
  const m = typeof v === "string" ? /^v?(\d{1,4})(?:\.|$)/.exec(v.trim()) : null;
  return m ? Number(m[1]) : undefined;
}

function readOfbParticipants(json: unknown, directory: DirectoryKind): ReadPage {
  const out: ReadPage = { banks: [], unreadable: 0 };
  if (!Array.isArray(json)) throw new TypeError("the participants list is not a JSON array");
  for (const rawOrg of json) {
    const org = OfbOrg.safeParse(rawOrg);
    if (!org.success) {
      out.unreadable++;
      continue;
    }
    const o = org.data;
    const roles = (o.OrgDomainRoleClaims ?? []).flatMap((c) => {
      const r = OfbRoleClaim.safeParse(c);
      return r.success && r.data.Status === "Active" ? [r.data.Role] : [];
    });
    for (const rawAs of o.AuthorisationServers ?? []) {
      const as = OfbServer.safeParse(rawAs);
      if (!as.success) {
        out.unreadable++;
        continue;
      }
      const s = as.data;
      const orgStatus = o.Status ?? "unknown";
      const status: BankStatus =
        orgStatus === "Withdrawn"
          ? "removed"
          : orgStatus === "Active" && (s.Status === undefined || s.Status === "Active")
            ? "active"
            : "inactive";
      out.banks.push({
        ...base(directory),
        id: s.AuthorisationServerId,
        org_id: o.OrganisationId,
        org_name: o.OrganisationName ?? "",
        name: s.CustomerFriendlyName ?? o.OrganisationName ?? "",
        status,
        status_detail: untrustedText(`org ${orgStatus}${s.Status ? `, server ${s.Status}` : ""}`, 200),
        discovery_url: s.OpenIDDiscoveryDocument,
        issuer: s.Issuer,
        roles,
        api_families: (s.ApiResources ?? []).flatMap((r) => {
          const a = OfbApiResource.safeParse(r);
          if (!a.success || !a.data.ApiFamilyType) return [];
          const version = a.data.ApiVersion == null ? "" : String(a.data.ApiVersion);
          return [
            {
              family: a.data.ApiFamilyType,
              version,
              major: majorOf(a.data.ApiVersion),
              complete: a.data.FamilyComplete ?? true,
            },
          ];
        }),
        parent_id: s.ParentAuthorisationServerId,
        superseded_by: s.SupersededByAuthorisationServerId,
        retirement_date: s.RetirementDate,
      });
    }
  }
  return out;
}

/** `<infosecBaseUri>/.well-known/openid-configuration`, without `//` for a trailing slash (§2.8). */
export function cdsDiscoveryUrl(infosec: string | undefined): string | undefined {
  return infosec === undefined
    ? undefined
    : `${infosec.replace(/\/+$/, "")}/.well-known/openid-configuration`;
}

function readCdsBrands(json: unknown, directory: DirectoryKind): ReadPage {
  const page = CdsBrandsPage.safeParse(json);
  if (!page.success) throw new TypeError("the brands page has no `data` array");
  const out: ReadPage = { banks: [], unreadable: 0 };
  for (const raw of page.data.data) {
    const b = CdsBrand.safeParse(raw);
    if (!b.success) {
      out.unreadable++;
      continue;
    }
    const d = b.data;
    const brand = (d.status ?? "unknown").toUpperCase();
    const le = (d.legalEntity?.status ?? "unknown").toUpperCase();
    const status: BankStatus =
      brand === "REMOVED" || le === "REMOVED"
        ? "removed"
        : brand === "ACTIVE" && le === "ACTIVE"
          ? "active"
          : "inactive";
    out.banks.push({
      ...base(directory),
      id: d.dataHolderBrandId,
      org_id: d.legalEntity?.legalEntityId ?? "",
      org_name: d.legalEntity?.legalEntityName ?? "",
      name: d.brandName ?? "",
      status,
      status_detail: untrustedText(`brand ${brand}, legal entity ${le}`, 200),
      discovery_url: cdsDiscoveryUrl(d.endpointDetail?.infosecBaseUri),
      industries: d.industries ?? [],
      last_updated: d.lastUpdated,
    });
  }
  return out;
}

function readScimAspsps(json: unknown, directory: DirectoryKind): ReadPage {
  const page = ScimListPage.safeParse(json);
  if (!page.success) throw new TypeError("the SCIM list has no `totalResults`");
  const out: ReadPage = { banks: [], unreadable: 0 };
  for (const raw of page.data.Resources ?? []) {
    const r = ScimOrg.safeParse(raw);
    if (!r.success) {
      out.unreadable++;
      continue;
    }
    const o = r.data;
    const org = o[ORG_URN];
    const orgStatus = org?.status ?? "unknown";
    const psd2 = (o[DOMAIN_URN]?.Status ?? []).find((s) => s.AuthorizationDomain === "PSD2");
    const roles = [
      ...(o[CA_URN]?.Authorisations ?? []).flatMap((a) => {
        const x = ScimAuth.safeParse(a);
        return x.success && x.data.Active === true && x.data.Psd2Role ? [x.data.Psd2Role] : [];
      }),
      ...(o[TF_URN]?.Authorisations ?? []).flatMap((a) => {
        const x = ScimAuth.safeParse(a);
        return x.success && x.data.Active === true && x.data.Role ? [x.data.Role] : [];
      }),
    ];
    const status: BankStatus =
      orgStatus === "Withdrawn" || orgStatus === "Revoked"
        ? "removed"
        : orgStatus === "Active" && psd2?.Status === "Active"
          ? "active"
          : "inactive";
    for (const rawAs of o.AuthorisationServers ?? []) {
      const as = ScimAs.safeParse(rawAs);
      if (!as.success) {
        out.unreadable++;
        continue;
      }
      out.banks.push({
        ...base(directory),
        id: as.data.Id,
        org_id: o.id,
        org_name: org?.OrganisationCommonName ?? "",
        name: as.data.CustomerFriendlyName ?? org?.OrganisationCommonName ?? "",
        status,
        status_detail: untrustedText(`org ${orgStatus}, PSD2 domain ${psd2?.Status ?? "absent"}`, 200),
        discovery_url: as.data.OpenIDConfigEndPointUri,
        roles: [...new Set(roles)],
        parent_id: as.data.ParentAuthorisationServerId,
      });
    }
  }
  return out;
}

const READERS: Readonly<Record<ListFormat, (json: unknown, d: DirectoryKind) => ReadPage>> = {
  "ofb-participants": readOfbParticipants,
  "cds-brands": readCdsBrands,
  "scim-aspsp": readScimAspsps,
};

/** Read one page of a list (already parsed as untrusted JSON). Throws TypeError when it is no list. */
export function readListPage(format: ListFormat, json: unknown, directory: DirectoryKind): ReadPage {
  return READERS[format](json, directory);
}

// ---------------------------------------------------------------------------------------------
// Filters, in the user's terms.

const Id = z.string().min(1).max(200);

/** What a user asks for (snake_case; the Pulumi and CLI faces map their names onto it). */
export const BankFilter = z.strictObject({
  /** BR: `ApiFamilyType` offered, optionally of a major version (`payments-consents`, major 4). */
  families: z
    .array(z.strictObject({ family: z.string().min(1), major: z.number().int().nonnegative().optional() }))
    .optional(),
  /** BR org role claims (`CONTA`, `DADOS`…), UK roles (`ASPSP`, `CD_ASPSP`): any of them, active. */
  roles: z.array(z.string().min(1)).optional(),
  /** AU: any of these industries (`banking`, `energy`, `telco`, `non-bank-lending`). */
  industries: z.array(z.string().min(1)).optional(),
  /** Statuses kept (default: active only). */
  statuses: z.array(BankStatus).min(1).default(["active"]),
  /** Only these ids (when given). */
  include: z.array(Id).optional(),
  /** Never these ids. */
  exclude: z.array(Id).default([]),
  /** Keep only banks whose discovery document has a `registration_endpoint` (fetched and checked). */
  require_registration_endpoint: z.boolean().default(true),
  /** One of `count` disjoint shards (stable hash of the id): split one list across stacks. */
  shard: z
    .strictObject({ count: z.number().int().min(1).max(1000), index: z.number().int().nonnegative() })
    .refine((s) => s.index < s.count, { error: "index must be below count", path: ["index"] })
    .optional(),
});
export type BankFilter = z.infer<typeof BankFilter>;
export type BankFilterInput = z.input<typeof BankFilter>;

/** The filter, validated, with every filter the list cannot answer refused (naming the field). */
export function parseBankFilter(input: unknown, listing: ListingProfile, label: string): BankFilter {
  const r = BankFilter.safeParse(input ?? {});
  if (!r.success) {
    const i = r.error.issues[0]!;
    const field = ["filter", ...i.path.map(String)].join(".");
    throw new InvalidInputError(field, i.message, { issues: r.error.issues });
  }
  for (const f of ["families", "roles", "industries"] as const)
    if (r.data[f] !== undefined && !listing.filters.includes(f))
      throw new InvalidInputError(
        `filter.${f}`,
        `the ${label} list carries no ${f}; filter by ${listing.filters.join(", ") || "status and id"} instead`,
        { remedy: { kind: "fix-input", field: `filter.${f}` } },
      );
  return r.data;
}

/** FNV-1a 32-bit: a stable hash of the id for sharding (the same on every machine and run). */
export function shardOf(id: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % count;
}

const WELL_KNOWN = "/.well-known/openid-configuration";

/** Why a listed discovery URL is unusable: the URL policy, a placeholder (no OIDC discovery path), ours. */
export function discoveryUrlProblem(
  url: string | undefined,
  listing: ListingProfile,
  policy: UrlPolicy,
): string | undefined {
  if (url === undefined) return "the list gives no discovery URL";
  const p = urlProblem(url, policy);
  if (p) return `the discovery URL ${p}`;
  const u = new URL(url);
  if (!u.pathname.endsWith(WELL_KNOWN))
    return `the discovery URL is a placeholder (no ${WELL_KNOWN} path): ${u.origin}${u.pathname}`.slice(
      0,
      300,
    );
  if (listing.own_hosts.includes(u.hostname)) return "the discovery URL is the directory's own server";
  return undefined;
}

/**
 * Which OP a (policy-checked) discovery URL is: the issuer it implies (OpenID Connect Discovery
 * §4.3), as the registration compares it: host case, a default port, dot segments, a query or a
 * fragment, or a trailing slash do not make another OP.
 */
export function discoveryKey(url: string): string {
  const u = new URL(url);
  u.search = "";
  u.hash = "";
  return (issuerOfDiscoveryUrl(u.href) ?? u.href).replace(/\/+$/, "");
}

/**
 * Apply the filter: every entry comes back, the excluded ones with every reason that applies (so
 * `--why` can show them all). `today` (ISO date) decides a past `RetirementDate`. The discovery
 * check (`no_registration_endpoint`) is the HTTP side's, after this.
 */
export function applyBankFilter(
  banks: readonly DirectoryBank[],
  filter: BankFilter,
  listing: ListingProfile,
  opts: { policy: UrlPolicy; today: string },
): DirectoryBank[] {
  const seen = new Set<string>();
  const byDiscovery = new Map<string, string>();
  const include = filter.include ? new Set(filter.include) : undefined;
  const exclude = new Set(filter.exclude);
  const sorted = [...banks].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return sorted.map((b) => {
    const why: Exclusion[] = [];
    const add = (code: ExclusionCode, detail: string) => why.push({ code, detail });
    if (seen.has(b.id)) add("duplicate_id", "the list has this id more than once; the first is kept");
    seen.add(b.id);
    if (include && !include.has(b.id)) add("not_included", "not in filter.include");
    if (exclude.has(b.id)) add("excluded_by_id", "in filter.exclude");
    if (!filter.statuses.includes(b.status)) add("status", `${b.status} (${b.status_detail})`);
    if (b.superseded_by) add("superseded", `superseded by ${b.superseded_by}`);
    if (b.retirement_date && b.retirement_date.slice(0, 10) <= opts.today)
      add("retired", `retirement date ${b.retirement_date.slice(0, 10)} has passed`);
    if (filter.roles && !filter.roles.some((r) => b.roles.includes(r)))
      add("role", `no active role among ${filter.roles.join(", ")} (has ${b.roles.join(", ") || "none"})`);
    if (filter.families) {
      const missing = filter.families.filter(
        (f) =>
          !b.api_families.some(
            (a) => a.family === f.family && a.complete && (f.major === undefined || a.major === f.major),
          ),
      );
      if (missing.length > 0)
        add(
          "family",
          `does not offer ${missing.map((f) => (f.major === undefined ? f.family : `${f.family} v${f.major}`)).join(", ")} (complete)`,
        );
    }
    if (filter.industries && !filter.industries.some((i) => b.industries.includes(i)))
      add("industry", `not in ${filter.industries.join(", ")} (is ${b.industries.join(", ") || "none"})`);
    const dp = discoveryUrlProblem(b.discovery_url, listing, opts.policy);
    if (dp) add("discovery_url", dp);
    // Brands sharing one OP (white-label, two servers on one discovery): one registration, the first.
    // Keyed by the OP the URL names, not its spelling: two spellings of one would get two clients.
    if (why.length === 0 && b.discovery_url) {
      const key = discoveryKey(b.discovery_url);
      const first = byDiscovery.get(key);
      if (first) add("same_discovery", `shares its discovery URL with ${first}, which is registered instead`);
      else byDiscovery.set(key, b.id);
    }
    // Last: which bank one discovery URL goes to is decided over the whole list, so that the shards
    // of one list never register twice at one OP.
    if (filter.shard && shardOf(b.id, filter.shard.count) !== filter.shard.index)
      add("other_shard", `in shard ${shardOf(b.id, filter.shard.count)} of ${filter.shard.count}`);
    return { ...b, excluded: why };
  });
}

/** The selected banks of a filtered list. */
export const selectedOf = (banks: readonly DirectoryBank[]) => banks.filter((b) => b.excluded.length === 0);
