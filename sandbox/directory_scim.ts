/**
 * The OB Directory's SCIM list of ASPSPs (directories.md §3.1-3.2, §3.6):
 * `GET /scim/v2/OBAccountPaymentServiceProviders` with `startIndex` (1-based) / `count` (default
 * 100, at most 200), MTLS + Bearer with `ASPSPReadAccess` (401 without a token, 403 without the
 * scope), the SCIM list envelope, `GET …/{id}`, ETag / 304. One organisation per entry's
 * `org_id`, its authorisation servers the entries; URN-keyed extensions; optional fields omitted.
 */

import {
  type BankListStore,
  type ListedBank,
  type ListedBankInput,
  listedDiscoveryRoute,
} from "./bank_list.js";
import type { DirectoryContext } from "./directory_context.js";
import { requireDirectoryToken } from "./directory_context.js";
import { type Reply, type Req, type Route, SandboxHttpError } from "./http.js";

const _REALM = "ob-directory";
const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ORG_STATUS = { active: "Active", inactive: "Requested", removed: "Withdrawn" } as const;

const id18 = (prefix: string, n: number) => `${prefix}${String(n).padStart(17, "0")}`;

/** A bank of the sandbox as an ASPSP with one authorisation server. */
export function ukBankEntry(
  i: number,
  b: { name: string; discoveryUrl: string; org_id: string },
): ListedBankInput & { id: string } {
  return {
    id: id18("A", i + 1),
    org_id: b.org_id,
    org_name: "Sandbox Bank plc",
    name: b.name,
    discovery_url: b.discoveryUrl,
    roles: ["ASPSP"],
  };
}

/** §3.6's dataset: each excluded by a correct client, for a stated reason. */
export function ukFixtureEntries(origin: string): ListedBankInput[] {
  const fx = (n: number, e: Partial<ListedBankInput>): ListedBankInput => ({
    id: id18("F", n),
    org_id: id18("E", n),
    org_name: `Fixture ${n} plc`,
    name: `fixture-${n}`,
    roles: ["ASPSP"],
    discovery_url: `${origin}/banks/fixture-${n}/.well-known/openid-configuration`,
    ...e,
  });
  return [
    fx(1, { name: "withdrawn-org", status: "removed" }),
    fx(2, { name: "role-inactive", role_active: false }),
    fx(3, { name: "placeholder", discovery_url: "https://redirect.openbanking.org.uk" }),
    fx(4, { name: "no-dcr", discovery_url: `${origin}/banks/no-dcr/.well-known/openid-configuration` }),
    fx(5, {
      name: "broken-discovery",
      discovery_url: `${origin}/banks/broken/.well-known/openid-configuration`,
    }),
    fx(6, { name: "cd-only", roles: ["CD_ASPSP"] }),
  ];
}

function renderOrg(orgId: string, servers: ListedBank[]): Record<string, unknown> {
  const first = servers[0]!;
  const psd2 = first.roles.filter((r) => ["ASPSP", "AISP", "PISP", "CBPII"].includes(r));
  const tf = first.roles.filter((r) => !psd2.includes(r));
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:OBAccountPaymentServiceProvider"],
    id: orgId,
    "urn:openbanking:organisation:1.0": {
      OBOrganisationId: orgId,
      OrganisationCommonName: first.org_name,
      status: ORG_STATUS[first.status],
      OBAuthorisationState: "Participant",
    },
    "urn:openbanking:authorisationdomainstatus:1.0": {
      Status: [{ AuthorizationDomain: psd2.length > 0 ? "PSD2" : "CD", Status: "Active" }],
    },
    "urn:openbanking:competentauthorityclaims:1.0": {
      AuthorityId: "FCA",
      RegistrationId: `${orgId.slice(-6)}`,
      Authorisations: psd2.map((Psd2Role) => ({ Psd2Role, MemberState: "GB", Active: first.role_active })),
    },
    ...(tf.length > 0
      ? {
          "urn:trustframework:competentauthorityclaims:1.1": {
            Authorisations: tf.map((Role) => ({ Role, Active: first.role_active })),
          },
        }
      : {}),
    AuthorisationServers: servers.map((s) => ({
      Id: s.id,
      BaseApiDNSUri: "https://api.bank.example.co.uk",
      ...(s.discovery_url === null ? {} : { OpenIDConfigEndPointUri: s.discovery_url }),
      CustomerFriendlyName: s.name,
      CustomerFriendlyDescription: `${s.name} personal banking`,
      CustomerFriendlyLogoUri: "https://bank.example.co.uk/logo.png",
      DeveloperPortalUri: "https://developer.bank.example.co.uk",
      TermsOfService: "https://bank.example.co.uk/tos",
      PayloadSigningCertLocation: "https://bank.example.co.uk/signing.pem",
      AutoRegistrationSupported: true,
      ...(s.parent_id ? { ParentAuthorisationServerId: s.parent_id } : {}),
      AuthorizationDomain: "PSD2",
    })),
  };
}

function orgs(entries: readonly ListedBank[]): [string, ListedBank[]][] {
  const m = new Map<string, ListedBank[]>();
  for (const e of entries) m.set(e.org_id, [...(m.get(e.org_id) ?? []), e]);
  return [...m];
}

export function scimRoutes(
  ctx: DirectoryContext,
  store: () => BankListStore | undefined,
  origin: () => string,
): Route[] {
  const authorise = (req: Req) => requireDirectoryToken(ctx, req, "ASPSPReadAccess");
  const base = "/scim/v2/OBAccountPaymentServiceProviders";
  return [
    {
      method: "GET",
      pattern: base,
      handler: (req): Reply => {
        const s = store();
        if (!s) return { status: 404, json: { error: "not_found" } };
        const refused = s.begin();
        if (refused) return refused;
        authorise(req);
        const q = req.url.searchParams;
        const start = Math.max(1, Number(q.get("startIndex") ?? "1") || 1);
        const count = Math.min(200, Math.max(0, Number(q.get("count") ?? "100") || 0));
        const all = orgs(s.visible());
        const page = all.slice(start - 1, start - 1 + count).map(([id, servers]) => renderOrg(id, servers));
        return s.reply(
          req,
          {
            schemas: [LIST],
            totalResults: all.length,
            itemsPerPage: page.length,
            startIndex: start,
            Resources: page,
          },
          "application/scim+json",
        );
      },
    },
    {
      method: "GET",
      pattern: `${base}/{id}`,
      handler: (req, p): Reply => {
        const s = store();
        if (!s) return { status: 404, json: { error: "not_found" } };
        authorise(req);
        const found = orgs(s.visible()).find(([id]) => id === p.id);
        if (!found) throw new SandboxHttpError(404, "not_found", "no such ASPSP");
        return { status: 200, json: renderOrg(found[0], found[1]) };
      },
    },
    listedDiscoveryRoute(origin),
  ];
}
