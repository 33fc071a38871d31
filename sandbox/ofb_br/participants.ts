/**
 * The BR directory's public participants list (directories.md §1.2, §1.6): one unauthenticated
 * JSON array of organisations with their authorisation servers, rendered from the shared list
 * store, with the dataset the spec asks for beside the emulator's real servers.
 */

import {
  type BankListStore,
  type ListedBank,
  type ListedBankInput,
  listedDiscoveryRoute,
} from "../bank_list.js";
import type { Reply, Req, Route } from "../http.js";

/** `a000…0001`-style ids: the real servers sort first, fixtures after. */
const uuid = (prefix: string, n: number) =>
  `${prefix}${"0".repeat(7)}-0000-4000-8000-${String(n).padStart(12, "0")}`;

const PAYMENTS = [
  { family: "payments-consents", version: "4.0.0" },
  { family: "payments-consents", version: "5.0.0" },
  { family: "payments-pix", version: "4.0.0" },
  { family: "accounts", version: "2.4.1" },
];

/** The entry of one of the emulator's own authorisation servers (active, CONTA, payments v4+v5). */
export function ofbServerEntry(
  i: number,
  s: { name: string; issuer: string; discoveryUrl: string },
): ListedBankInput {
  return {
    id: uuid("a", i + 1),
    org_id: uuid("b", i + 1),
    org_name: `Banco ${s.name} S.A.`,
    name: s.name,
    discovery_url: s.discoveryUrl,
    issuer: s.issuer,
    roles: ["CONTA", "DADOS"],
    families: PAYMENTS,
  };
}

/** The pitfalls of §1.6 (every one excluded by a correct client, for a stated reason). */
export function ofbFixtureEntries(origin: string, firstDiscovery: string): ListedBankInput[] {
  const d = (name: string) => `${origin}/banks/${name}/.well-known/openid-configuration`;
  const fx = (n: number, e: Partial<ListedBankInput>): ListedBankInput => ({
    id: uuid("f", n),
    org_id: uuid("e", n),
    org_name: `Fixture ${n}`,
    name: `fixture-${n}`,
    roles: ["CONTA"],
    families: PAYMENTS,
    discovery_url: d(`fixture-${n}`),
    ...e,
  });
  return [
    fx(1, { name: "withdrawn-org", status: "removed" }),
    fx(2, { name: "pending-org", status: "inactive" }),
    fx(3, { name: "inactive-role", role_active: false }),
    fx(4, {
      name: "superseded",
      superseded_by: uuid("a", 1),
      retirement_date: "2025-01-31",
    }),
    fx(5, { name: "placeholder", discovery_url: "https://www.itauunibanco.com.br/naoseaplica" }),
    fx(6, { name: "no-discovery", discovery_url: null }),
    fx(7, { name: "broken-discovery", discovery_url: d("broken") }),
    fx(8, { name: "no-dcr", discovery_url: d("no-dcr") }),
    fx(9, { name: "shares-discovery", discovery_url: firstDiscovery }),
    fx(10, {
      name: "family-incomplete",
      families: [{ family: "payments-consents", version: "4.0.0", complete: false }],
    }),
    fx(11, { name: "legacy-version", families: [{ family: "payments-consents", version: 1 }] }),
    fx(12, { name: "data-only", roles: ["DADOS"], families: [{ family: "accounts", version: "2.4.1" }] }),
    fx(13, {
      name: "http-discovery",
      discovery_url: "http://bank.example.com.br/.well-known/openid-configuration",
    }),
  ];
}

/** `n` synthetic active payment servers, for scale (their discovery offers no registration). */
export function ofbSyntheticEntries(origin: string, n: number): ListedBankInput[] {
  return Array.from({ length: n }, (_, i) => ({
    id: uuid("c", i + 1),
    org_id: uuid("d", Math.floor(i / 3) + 1),
    org_name: `Sintetico ${Math.floor(i / 3) + 1} S.A.`,
    name: `synthetic-${i + 1}`,
    discovery_url: `${origin}/banks/synthetic-${i + 1}/.well-known/openid-configuration`,
    roles: ["CONTA"],
    families: PAYMENTS,
  }));
}

const ORG_STATUS = { active: "Active", inactive: "Pending", removed: "Withdrawn" } as const;

/** The participants array: organisations (in first-seen order) with their servers. */
export function renderParticipants(entries: readonly ListedBank[]): unknown[] {
  const orgs = new Map<string, { org: Record<string, unknown>; servers: unknown[] }>();
  for (const e of entries) {
    let o = orgs.get(e.org_id);
    if (!o) {
      o = {
        org: {
          OrganisationId: e.org_id,
          Status: ORG_STATUS[e.status],
          OrganisationName: e.org_name,
          LegalEntityName: e.org_name,
          RegistrationNumber: "00000000000191",
          OrgDomainClaims: [
            {
              AuthorisationDomainName: "Open Banking",
              AuthorityName: "Banco Central do Brasil",
              Status: "Active",
            },
          ],
          OrgDomainRoleClaims: e.roles.map((Role) => ({
            AuthorisationDomain: "Open Banking",
            Role,
            Status: e.role_active ? "Active" : "Inactive",
            Authorisations: [],
          })),
          // Unknown fields a client must ignore.
          ExtraFutureField: { nested: true },
        },
        servers: [],
      };
      orgs.set(e.org_id, o);
    }
    o.servers.push({
      AuthorisationServerId: e.id,
      CustomerFriendlyName: e.name,
      CustomerFriendlyLogoUri: "https://bank.example.com.br/logo.svg",
      OpenIDDiscoveryDocument: e.discovery_url,
      Issuer: e.issuer ?? null,
      AutoRegistrationSupported: true,
      // Never to be trusted (§1.3.5): false beside a working registration endpoint.
      SupportsDCR: false,
      ParentAuthorisationServerId: e.parent_id ?? null,
      DeprecatedDate: null,
      RetirementDate: e.retirement_date ?? null,
      SupersededByAuthorisationServerId: e.superseded_by ?? null,
      ApiResources: e.families.map((f, i) => ({
        ApiResourceId: `${e.id.slice(0, 30)}${String(i).padStart(6, "0")}`,
        ApiFamilyType: f.family,
        ApiVersion: f.version,
        ...(f.complete === undefined ? {} : { FamilyComplete: f.complete }),
        CertificationStatus: "Certified",
        ApiDiscoveryEndpoints: [],
      })),
    });
  }
  // An org without servers (a data receiver, §1.7).
  const receivers = [
    {
      OrganisationId: uuid("9", 1),
      Status: "Active",
      OrganisationName: "Receptor Ltda",
      AuthorisationServers: [],
    },
  ];
  return [...[...orgs.values()].map((o) => ({ ...o.org, AuthorisationServers: o.servers })), ...receivers];
}

/** `GET /participants` (public) and the fixtures' discovery documents. */
export function participantsRoutes(store: () => BankListStore | undefined, origin: () => string): Route[] {
  return [
    {
      method: "GET",
      pattern: "/participants",
      handler: (req: Req): Reply => {
        const s = store();
        if (!s) return { status: 404, json: { error: "not_found" } };
        return s.begin() ?? s.reply(req, renderParticipants(s.visible()));
      },
    },
    listedDiscoveryRoute(origin),
  ];
}
