/**
 * The Register's GetDataHolderBrands (directories.md §2.1-2.2, §2.5, §2.7):
 * `GET /cdr-register/v1/{industry}/data-holders/brands`, MTLS + a certificate-bound Bearer token
 * with `cdr-register:read`, x-v 3 (and 2, which hides non-bank-lending brands), `page` /
 * `page-size` (25, ≤ 1000, out of range 400), `updated-since` (strict `lastUpdated >`), every
 * status listed, sorted by brandName then id, `links` and `meta`, ETag / 304. For AU entries the
 * list store's `discovery_url` holds the brand's `infosecBaseUri`.
 */

import {
  type BankListStore,
  type ListedBank,
  type ListedBankInput,
  listedDiscoveryRoute,
} from "../bank_list.js";
import type { Reply, Req, Route } from "../http.js";
import { CdsError, cdsReply } from "./cds_errors.js";
import { negotiateVersion, registerToken } from "./register_ssa.js";
import { REGISTER_REALM, type RegisterState } from "./register_state.js";

const INDUSTRIES = ["banking", "energy", "non-bank-lending", "telco", "all"];
const uuid = (prefix: string, n: number) =>
  `${prefix}${"0".repeat(7)}-0000-4000-8000-${String(n).padStart(12, "0")}`;

/** A holder of the emulator as a brand (the first one's infosecBaseUri has a trailing `/`, §2.8). */
export function cdrHolderEntry(
  i: number,
  h: { name: string; origin: string },
): ListedBankInput & { id: string } {
  return {
    id: uuid("a", i + 1),
    org_id: uuid("b", i + 1),
    org_name: `${h.name} Pty Ltd`,
    name: h.name,
    discovery_url: i === 0 ? `${h.origin}/` : h.origin,
    industries: ["banking"],
  };
}

/** The dataset of §2.7 beside the holders: each entry is excluded by a correct client, for a reason. */
export function cdrFixtureEntries(registerOrigin: string): ListedBankInput[] {
  const fx = (n: number, e: Partial<ListedBankInput>): ListedBankInput => ({
    id: uuid("f", n),
    org_id: uuid("e", n),
    org_name: `Fixture ${n} Pty Ltd`,
    name: `fixture-${n}`,
    discovery_url: `${registerOrigin}/banks/fixture-${n}`,
    industries: ["banking"],
    ...e,
  });
  return [
    fx(1, { name: "inactive-brand", status: "inactive" }),
    fx(2, { name: "removed-brand", status: "removed" }),
    fx(3, { name: "removed-legal-entity", legal_entity_removed: true }),
    fx(4, { name: "energy-only", industries: ["energy"], discovery_url: `${registerOrigin}/banks/broken` }),
    fx(5, { name: "broken-discovery", discovery_url: `${registerOrigin}/banks/broken` }),
    fx(6, { name: "no-dcr", discovery_url: `${registerOrigin}/banks/no-dcr` }),
    fx(7, { name: "nbl-brand", industries: ["non-bank-lending"] }),
  ];
}

export function cdrSyntheticEntries(registerOrigin: string, n: number): ListedBankInput[] {
  return Array.from({ length: n }, (_, i) => ({
    id: uuid("c", i + 1),
    org_id: uuid("d", i + 1),
    org_name: `Synthetic ${i + 1} Pty Ltd`,
    name: `synthetic-${i + 1}`,
    discovery_url: `${registerOrigin}/banks/synthetic-${i + 1}`,
    industries: ["banking"],
  }));
}

const STATUS = { active: "ACTIVE", inactive: "INACTIVE", removed: "REMOVED" } as const;

function render(e: ListedBank): Record<string, unknown> {
  const base = e.discovery_url ?? "";
  return {
    dataHolderBrandId: e.id,
    brandName: e.name,
    industries: e.industries,
    logoUri: "https://dh.example.com.au/logo.png",
    legalEntity: {
      legalEntityId: e.org_id,
      legalEntityName: e.org_name,
      status: e.legal_entity_removed || e.status === "removed" ? "REMOVED" : "ACTIVE",
    },
    status: STATUS[e.status],
    endpointDetail: {
      version: "1",
      publicBaseUri: "https://public.dh.example.com.au",
      resourceBaseUri: "https://resource.dh.example.com.au",
      infosecBaseUri: base,
      websiteUri: "https://www.dh.example.com.au",
    },
    authDetails: [{ registerUType: "SIGNED-JWT", jwksEndpoint: "https://dh.example.com.au/jwks" }],
    lastUpdated: e.last_updated,
  };
}

const header = (req: Req, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const _unauthorized = (description: string): Reply => ({
  status: 401,
  headers: {
    "www-authenticate": `Bearer realm="${REGISTER_REALM}", error="invalid_token", error_description="${description}"`,
  },
});

export function brandsRoutes(s: RegisterState, store: () => BankListStore | undefined): Route[] {
  return [
    {
      method: "GET",
      pattern: "/cdr-register/v1/{industry}/data-holders/brands",
      handler: (req, params) => {
        const list = store();
        if (!list) return { status: 404, json: { errors: [] } };
        const refused = list.begin();
        if (refused) return refused;
        const auth = registerToken(s, req);
        if ("refused" in auth) return auth.refused;
        try {
          const version = negotiateVersion(header(req, "x-v"), header(req, "x-min-v"), [2, 3]);
          const industry = decodeURIComponent(params.industry!);
          if (!INDUSTRIES.includes(industry))
            throw new CdsError(400, "invalidField", `industry ${industry} is not valid`);
          const q = req.url.searchParams;
          const size = Number(q.get("page-size") ?? "25");
          if (!Number.isInteger(size) || size <= 0)
            throw new CdsError(400, "invalidPageSize", "page-size must be positive");
          if (size > 1000) throw new CdsError(400, "invalidField", "page-size must be at most 1000");
          const page = Number(q.get("page") ?? "1");
          if (!Number.isInteger(page) || page <= 0)
            throw new CdsError(400, "invalidField", "page must be positive");
          const since = q.get("updated-since");
          if (since !== null && Number.isNaN(Date.parse(since)))
            throw new CdsError(400, "invalidDateTime", "updated-since is not a date-time");
          const rows = list
            .visible()
            .filter((e) => industry === "all" || e.industries.includes(industry))
            .filter((e) => version >= 3 || !e.industries.includes("non-bank-lending"))
            .filter((e) => since === null || Date.parse(e.last_updated) > Date.parse(since))
            .sort((a, b) => (a.name === b.name ? (a.id < b.id ? -1 : 1) : a.name < b.name ? -1 : 1));
          const totalPages = Math.ceil(rows.length / size);
          if (totalPages > 0 && page > totalPages)
            throw new CdsError(400, "invalidField", "Page is out of range");
          const self = new URL(`${req.url.pathname}${req.url.search}`, s.origin);
          const at = (p: number) => {
            const u = new URL(self);
            u.searchParams.set("page", String(p));
            u.searchParams.set("page-size", String(size));
            return u.toString();
          };
          const links: Record<string, string> = { self: self.toString() };
          if (totalPages > 0) {
            links.first = at(1);
            links.last = at(totalPages);
            if (page > 1) links.prev = at(page - 1);
            if (page < totalPages) links.next = at(page + 1);
          }
          return list.reply(
            req,
            {
              data: rows.slice((page - 1) * size, page * size).map(render),
              links,
              meta: { totalRecords: rows.length, totalPages },
            },
            "application/json",
            { "x-v": String(version) },
          );
        } catch (e) {
          if (e instanceof CdsError) return cdsReply(e);
          throw e;
        }
      },
    },
  ];
}

/** Discovery of the fixtures (no registration_endpoint, or 404 for `broken`), on the Register. */
export const brandsDiscoveryRoute = listedDiscoveryRoute;
