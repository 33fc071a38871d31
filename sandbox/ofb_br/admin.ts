/**
 * The BR emulator's admin API: programmatic (contract) and, when `ports.admin` is given, the same
 * over HTTPS (sandbox server certificate, no mTLS, test-only). Never returns tokens or secrets.
 */
import { z } from "zod";
import { type BankListAdmin, bankListAdminRoutes, type ListedBankInput } from "../bank_list.js";
import { badRequest, type RunningServer, SandboxHttpError, startServer } from "../http.js";
import type { OfbAuthServer } from "./as_server.js";
import type { OfbDirectory } from "./directory.js";
import { ofbServerEntry } from "./participants.js";
import type { OfbPki } from "./pki.js";

export interface OfbBrStats {
  directory_token_requests: number;
  ssa_requests: number;
  servers: Record<string, { registrations: number; gets: number; puts: number; deletes: number }>;
}

export interface OfbBrClient {
  client_id: string;
  software_id: string;
  metadata: Record<string, unknown>;
}

export interface OfbBrAdmin {
  /** Requests received (successful or not) by the directory and each server's registration routes. */
  stats(): OfbBrStats;
  resetStats(): void;
  clients(server: string): OfbBrClient[];
  /** Out-of-band deletion: the client's registration access token stops working. */
  deleteClient(server: string, client_id: string): void;
  /** The org status the next SSA carries (an AS refuses an SSA whose org is not Active). */
  setOrgStatus(org_id: string, status: "Active" | "Inactive"): void;
  /** The participants list: add, retire, change, remove entries; failure modes; request counts. */
  list: BankListAdmin;
  /** The list entry of one of the emulator's servers (to add it, or to find its id). */
  listEntryFor(server: string): ListedBankInput & { id: string };
}

export function createOfbAdmin(directory: OfbDirectory, servers: Map<string, OfbAuthServer>): OfbBrAdmin {
  const server = (name: string) => {
    const s = servers.get(name);
    if (!s) throw new TypeError(`unknown server ${name}`);
    return s;
  };
  return {
    stats: () => ({
      directory_token_requests: directory.stats.token_requests,
      ssa_requests: directory.stats.ssa_requests,
      servers: Object.fromEntries([...servers].map(([n, s]) => [n, { ...s.stats }])),
    }),
    resetStats: () => {
      directory.stats.token_requests = 0;
      directory.stats.ssa_requests = 0;
      for (const s of servers.values())
        Object.assign(s.stats, { registrations: 0, gets: 0, puts: 0, deletes: 0 });
    },
    clients: (name) =>
      server(name)
        .store.list()
        .map((r) => ({ client_id: r.client_id, software_id: r.software_id, metadata: r.metadata })),
    deleteClient: (name, clientId) => {
      if (!server(name).store.delete(clientId)) throw new TypeError(`unknown client ${clientId} at ${name}`);
    },
    setOrgStatus: (orgId, status) => directory.setOrgStatus(orgId, status),
    list: directory.list.store!,
    listEntryFor: (name) => {
      const i = [...servers.keys()].indexOf(name);
      if (i < 0) throw new TypeError(`unknown server ${name}`);
      return ofbServerEntry(i, server(name)) as ListedBankInput & { id: string };
    },
  };
}

const OrgStatusBody = z.strictObject({ status: z.enum(["Active", "Inactive"]) });

/** The admin API over HTTPS: GET stats, POST stats/reset, GET/DELETE clients, PUT org status. */
export function startOfbAdminServer(deps: {
  admin: OfbBrAdmin;
  pki: OfbPki;
  host: string;
  port: number;
  log: boolean;
}): Promise<RunningServer> {
  const { admin } = deps;
  const guard = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof TypeError) throw new SandboxHttpError(404, "not_found", err.message);
      throw err;
    }
  };
  return startServer({
    name: "ofb-admin",
    host: deps.host,
    port: deps.port,
    cert: deps.pki.server.certPem,
    key: deps.pki.server.keyPem,
    maxBodyBytes: () => 16 * 1024,
    log: deps.log,
    routes: [
      ...bankListAdminRoutes(() => admin.list),
      { method: "GET", pattern: "/admin/stats", handler: () => ({ status: 200, json: admin.stats() }) },
      {
        method: "POST",
        pattern: "/admin/stats/reset",
        handler: () => {
          admin.resetStats();
          return { status: 204 };
        },
      },
      {
        method: "GET",
        pattern: "/admin/servers/{name}/clients",
        handler: (_r, p) => ({ status: 200, json: guard(() => admin.clients(p.name!)) }),
      },
      {
        method: "DELETE",
        pattern: "/admin/servers/{name}/clients/{client_id}",
        handler: (_r, p) => {
          guard(() => admin.deleteClient(p.name!, p.client_id!));
          return { status: 204 };
        },
      },
      {
        method: "PUT",
        pattern: "/admin/orgs/{org_id}/status",
        handler: (r, p) => {
          let json: unknown;
          try {
            json = JSON.parse(r.body.toString("utf8"));
          } catch {
            json = undefined;
          }
          const parsed = OrgStatusBody.safeParse(json);
          if (!parsed.success)
            throw badRequest("invalid_request", 'body must be {"status":"Active"|"Inactive"}');
          guard(() => admin.setOrgStatus(p.org_id!, parsed.data.status));
          return { status: 204 };
        },
      },
    ],
  });
}
