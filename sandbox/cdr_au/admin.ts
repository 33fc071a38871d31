/**
 * The AU emulator's admin API: request counts, registrations, out-of-band deletion and product
 * status (in process), and the same over HTTPS (test-only, no authentication, no mTLS).
 */
import { z } from "zod";
import { type BankListAdmin, bankListAdminRoutes, type ListedBankInput } from "../bank_list.js";
import { type RunningServer, SandboxHttpError, startServer } from "../http.js";
import { cdrHolderEntry } from "./brands.js";
import type { HolderServer } from "./holder.js";
import type { CdrAuManifest } from "./manifest.js";
import { ProductStatus } from "./options.js";
import type { CdrPki } from "./pki.js";
import type { RegisterServer } from "./register.js";

export interface HolderStats {
  registrations: number;
  token_requests: number;
  gets: number;
  puts: number;
  deletes: number;
}

export interface CdrAuStats {
  register_token_requests: number;
  ssa_requests: number;
  holders: Record<string, HolderStats>;
}

export interface CdrAuAdmin {
  /** Requests received (refused ones included), by endpoint. */
  stats(): CdrAuStats;
  resetStats(): void;
  clients(
    holder: string,
  ): Array<{ client_id: string; software_id: string; metadata: Record<string, unknown> }>;
  /** Out-of-band deletion: the client and its tokens are gone (its next call gets 401). */
  deleteClient(holder: string, client_id: string): void;
  /** INACTIVE/REMOVED: Get SSA 403 and registration refused; REMOVED also drops its registrations. */
  setProductStatus(software_product_id: string, status: "ACTIVE" | "INACTIVE" | "REMOVED"): void;
  /** GetDataHolderBrands' list: add, retire, change, remove brands; failure modes; request counts. */
  list: BankListAdmin;
  /** The brand entry of one of the emulator's holders (to add it, or to find its id). */
  listEntryFor(holder: string): ListedBankInput & { id: string };
}

const SSA_ROUTE =
  "GET /cdr-register/v1/{industry}/data-recipients/brands/{brand_id}/software-products/{software_product_id}/ssa";

export function createAdmin(register: RegisterServer, holders: Map<string, HolderServer>): CdrAuAdmin {
  const holder = (name: string): HolderServer => {
    const h = holders.get(name);
    if (!h) throw new TypeError(`unknown holder ${name}`);
    return h;
  };
  return {
    stats: () => {
      const r = register.requests();
      const out: CdrAuStats = {
        register_token_requests: r["POST /idp/connect/token"] ?? 0,
        ssa_requests: r[SSA_ROUTE] ?? 0,
        holders: {},
      };
      for (const [name, h] of holders) {
        const q = h.requests();
        out.holders[name] = {
          registrations: q["POST /connect/register"] ?? 0,
          token_requests: q["POST /connect/token"] ?? 0,
          gets: q["GET /connect/register/{client_id}"] ?? 0,
          puts: q["PUT /connect/register/{client_id}"] ?? 0,
          deletes: q["DELETE /connect/register/{client_id}"] ?? 0,
        };
      }
      return out;
    },
    resetStats: () => {
      register.resetRequests();
      for (const h of holders.values()) h.resetRequests();
    },
    clients: (name) => holder(name).clients(),
    deleteClient: (name, clientId) => {
      if (!holder(name).deleteClient(clientId)) throw new TypeError(`unknown client ${clientId} at ${name}`);
    },
    setProductStatus: (id, status) => {
      const parsed = ProductStatus.parse(status);
      register.setStatus(id, parsed);
      if (parsed === "REMOVED") for (const h of holders.values()) h.dropSoftware(id);
    },
    list: register.list.store!,
    listEntryFor: (name) => {
      const i = [...holders.keys()].indexOf(name);
      return cdrHolderEntry(i, { name, origin: holder(name).urls.issuer });
    },
  };
}

const StatusBody = z.strictObject({ status: ProductStatus });

/** Admin over HTTPS: GET manifest/stats/clients, POST stats reset, DELETE a client, PUT a product status. */
export function startAdminServer(opts: {
  admin: CdrAuAdmin;
  manifest: () => CdrAuManifest;
  pki: CdrPki;
  host: string;
  port: number;
  log: boolean;
}): Promise<RunningServer> {
  const { admin } = opts;
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      if (err instanceof TypeError || err instanceof z.ZodError)
        throw new SandboxHttpError(err instanceof TypeError ? 404 : 400, "invalid_request", err.message);
      throw err;
    }
  };
  return startServer({
    name: "cdr-admin",
    host: opts.host,
    port: opts.port,
    cert: opts.pki.server.certPem,
    key: opts.pki.server.keyPem,
    maxBodyBytes: () => 16 * 1024,
    log: opts.log,
    routes: [
      ...bankListAdminRoutes(() => admin.list),
      { method: "GET", pattern: "/admin/manifest", handler: () => ({ status: 200, json: opts.manifest() }) },
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
        pattern: "/admin/holders/{name}/clients",
        handler: (_r, p) => ({ status: 200, json: wrap(() => admin.clients(p.name!)) }),
      },
      {
        method: "DELETE",
        pattern: "/admin/holders/{name}/clients/{client_id}",
        handler: (_r, p) => {
          wrap(() => admin.deleteClient(p.name!, decodeURIComponent(p.client_id!)));
          return { status: 204 };
        },
      },
      {
        method: "PUT",
        pattern: "/admin/products/{id}/status",
        handler: (r, p) => {
          wrap(() => {
            let json: unknown;
            try {
              json = JSON.parse(r.body.toString("utf8"));
            } catch {
              throw new SandboxHttpError(400, "invalid_request", "body must be JSON { status }");
            }
            admin.setProductStatus(p.id!, StatusBody.parse(json).status);
          });
          return { status: 204 };
        },
      },
    ],
  });
}
