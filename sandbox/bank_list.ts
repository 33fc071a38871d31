/**
 * The banks a sandbox directory lists (directories.md §1.6, §2.7, §3.6), shared by the three
 * emulators: one entry per registration unit, changed through the admin (add, retire, change,
 * remove), failure modes for the client's guard tests (500, a truncated list), ETag / 304 on the
 * rendered body, and request counts. Each regime renders the entries in its own wire shape.
 * Imports nothing from provider/.
 */
import crypto from "node:crypto";
import { z } from "zod";
import { type Reply, type Req, type Route, SandboxHttpError } from "./http.js";

export const ListedBank = z.strictObject({
  /** AuthorisationServerId (BR), dataHolderBrandId (AU), AS `Id` (UK). */
  id: z.string().min(1),
  org_id: z.string().min(1),
  org_name: z.string().default("Sandbox Bank"),
  name: z.string().default("Sandbox Bank"),
  /** Rendered as the regime's statuses: BR Active/Pending/Withdrawn, AU ACTIVE/INACTIVE/REMOVED, UK Active/Withdrawn. */
  status: z.enum(["active", "inactive", "removed"]).default("active"),
  /** The org's role claim status (BR) / role `Active` (UK); an inactive role keeps the org listed. */
  role_active: z.boolean().default(true),
  /** `null`: the list gives none. */
  discovery_url: z.string().nullable(),
  issuer: z.string().optional(),
  families: z
    .array(
      z.strictObject({
        family: z.string(),
        version: z.union([z.string(), z.number()]),
        complete: z.boolean().optional(),
      }),
    )
    .default([]),
  roles: z.array(z.string()).default([]),
  industries: z.array(z.string()).default(["banking"]),
  parent_id: z.string().optional(),
  superseded_by: z.string().optional(),
  retirement_date: z.string().optional(),
  /** AU: the legal entity is REMOVED while the brand says ACTIVE. */
  legal_entity_removed: z.boolean().default(false),
  last_updated: z.string().default("2026-01-01T00:00:00Z"),
});
export type ListedBank = z.infer<typeof ListedBank>;
export type ListedBankInput = z.input<typeof ListedBank>;

/** `ok`; `error`: HTTP 500; `truncated`: only the first half of the entries (a directory bug). */
export const ListMode = z.enum(["ok", "error", "truncated"]);
export type ListMode = z.infer<typeof ListMode>;

export interface ListStats {
  /** List requests received (every page, every answer). */
  list_requests: number;
  not_modified: number;
}

export interface BankListAdmin {
  entries(): ListedBank[];
  /** Add an entry (its id must be new). */
  add(entry: ListedBankInput): void;
  /** The entry turns inactive (still listed). */
  retire(id: string): void;
  /** The entry leaves the list. */
  remove(id: string): void;
  change(id: string, patch: Partial<ListedBankInput>): void;
  setMode(mode: ListMode): void;
  stats(): ListStats;
  resetStats(): void;
}

export class BankListStore implements BankListAdmin {
  private list: ListedBank[];
  mode: ListMode = "ok";
  private counts: ListStats = { list_requests: 0, not_modified: 0 };
  private clock = 0;

  constructor(entries: ListedBankInput[]) {
    this.list = entries.map((e) => ListedBank.parse(e));
    const ids = new Set(this.list.map((e) => e.id));
    if (ids.size !== this.list.length) throw new TypeError("listed bank ids must be unique");
  }

  /** A `lastUpdated` after every earlier one (AU `updated-since` is a strict `>`). */
  private stamp(): string {
    this.clock++;
    return new Date(Date.UTC(2026, 5, 1) + this.clock * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  private find(id: string): number {
    const i = this.list.findIndex((e) => e.id === id);
    if (i < 0) throw new TypeError(`unknown listed bank ${id}`);
    return i;
  }

  entries(): ListedBank[] {
    return this.list.map((e) => ({ ...e }));
  }

  /** What a list request sees (the mode applied). */
  visible(): ListedBank[] {
    return this.mode === "truncated" ? this.list.slice(0, Math.floor(this.list.length / 2)) : this.list;
  }

  add(entry: ListedBankInput): void {
    const e = ListedBank.parse({ last_updated: this.stamp(), ...entry });
    if (this.list.some((x) => x.id === e.id)) throw new TypeError(`listed bank ${e.id} exists`);
    this.list.push(e);
  }

  retire(id: string): void {
    this.change(id, { status: "inactive" });
  }

  remove(id: string): void {
    this.list.splice(this.find(id), 1);
  }

  change(id: string, patch: Partial<ListedBankInput>): void {
    const i = this.find(id);
    this.list[i] = ListedBank.parse({ ...this.list[i], ...patch, id, last_updated: this.stamp() });
  }

  setMode(mode: ListMode): void {
    this.mode = ListMode.parse(mode);
  }

  stats(): ListStats {
    return { ...this.counts };
  }

  resetStats(): void {
    this.counts = { list_requests: 0, not_modified: 0 };
  }

  /** Count a request; the 500 of the `error` mode (undefined: go on). */
  begin(): Reply | undefined {
    this.counts.list_requests++;
    if (this.mode === "error")
      return { status: 500, json: { error: "server_error", error_description: "the list is unavailable" } };
    return undefined;
  }

  /** A 200 with a strong ETag (SHA-256 of the body, quoted), or 304 when `If-None-Match` matches. */
  reply(
    req: Req,
    json: unknown,
    contentType = "application/json",
    headers: Record<string, string> = {},
  ): Reply {
    const body = JSON.stringify(json);
    const etag = `"${crypto.createHash("sha256").update(body).digest("hex")}"`;
    const inm = req.headers["if-none-match"];
    if (typeof inm === "string" && inm.split(",").some((t) => t.trim() === etag)) {
      this.counts.not_modified++;
      return { status: 304, headers: { etag, ...headers } };
    }
    return { status: 200, headers: { etag, ...headers }, raw: { contentType, body } };
  }
}

/** A discovery document a listed bank without DCR serves (no registration_endpoint), or 404 for `broken`. */
export function listedDiscoveryRoute(origin: () => string) {
  return {
    method: "GET",
    pattern: "/banks/{name}/.well-known/openid-configuration",
    handler: (_r: Req, p: Record<string, string>): Reply => {
      if (p.name === "broken") return { status: 404, json: { error: "not_found" } };
      const issuer = `${origin()}/banks/${p.name}`;
      return {
        status: 200,
        json: {
          issuer,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ["code"],
        },
      };
    },
  };
}

const ModeBody = z.strictObject({ mode: ListMode });

/** The list's admin over HTTPS: add, retire, change, remove an entry; the failure mode; counts. */
export function bankListAdminRoutes(store: () => BankListAdmin | undefined): Route[] {
  const s = () => {
    const x = store();
    if (!x) throw new SandboxHttpError(404, "not_found", "this sandbox serves no bank list");
    return x;
  };
  const body = (r: Req): unknown => {
    try {
      return JSON.parse(r.body.toString("utf8"));
    } catch {
      throw new SandboxHttpError(400, "invalid_request", "body must be JSON");
    }
  };
  const guard = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof TypeError) throw new SandboxHttpError(404, "not_found", e.message);
      if (e instanceof z.ZodError) throw new SandboxHttpError(400, "invalid_request", z.prettifyError(e));
      throw e;
    }
  };
  return [
    {
      method: "GET",
      pattern: "/admin/list",
      handler: () => ({ status: 200, json: { entries: s().entries(), stats: s().stats() } }),
    },
    {
      method: "POST",
      pattern: "/admin/list/entries",
      handler: (r) => {
        guard(() => s().add(body(r) as ListedBankInput));
        return { status: 201 };
      },
    },
    {
      method: "POST",
      pattern: "/admin/list/entries/{id}/retire",
      handler: (_r, p) => {
        guard(() => s().retire(p.id!));
        return { status: 204 };
      },
    },
    {
      method: "PATCH",
      pattern: "/admin/list/entries/{id}",
      handler: (r, p) => {
        guard(() => s().change(p.id!, body(r) as Partial<ListedBankInput>));
        return { status: 204 };
      },
    },
    {
      method: "DELETE",
      pattern: "/admin/list/entries/{id}",
      handler: (_r, p) => {
        guard(() => s().remove(p.id!));
        return { status: 204 };
      },
    },
    {
      method: "PUT",
      pattern: "/admin/list/mode",
      handler: (r) => {
        const m = ModeBody.safeParse(body(r));
        if (!m.success)
          throw new SandboxHttpError(
            400,
            "invalid_request",
            'body must be {"mode":"ok"|"error"|"truncated"}',
          );
        s().setMode(m.data.mode);
        return { status: 204 };
      },
    },
  ];
}
