import type { JWK } from "jose";
import { z } from "zod";
import type { AdminRegistration, BankServer } from "./bank.js";
import { type BankListAdmin, bankListAdminRoutes } from "./bank_list.js";
import type { DirectoryServer } from "./directory.js";
import { publishSigningKey } from "./directory_keystore.js";
import { type FaultSet, type FaultSpec, type FaultSpecInput, FaultSpecs } from "./faults.js";
import {
  badRequest,
  type Reply,
  type RunningServer,
  SandboxHttpError,
  startServer,
  type TimelineEntry,
} from "./http.js";
import type { SandboxManifest } from "./manifest.js";
import type { Pki } from "./pki.js";
import { type BankQuirks, BankQuirksPatch } from "./quirks.js";
import { type ReissuedTransport, ReissueTransportRequest, reissueTransport } from "./transport_reissue.js";

/** Options of `admin.reissueTransport` (the HTTP body's members in camelCase). */
export interface ReissueTransportOptions {
  /** false (default): the current subject; true: a different DN with the same CN and OU. */
  subjectDnChange?: boolean;
  /** Absolute path of an existing folder outside the PKI folder. */
  outDir: string;
  /** Validity from now in days, 1..825 (default 730). */
  validDays?: number;
}

/** The in-process admin operations (the admin HTTP API offers the same). Test-only. */
export interface SandboxAdmin {
  registrations(bank: string): Promise<AdminRegistration[]>;
  quirks(bank: string): Promise<BankQuirks>;
  setQuirks(bank: string, patch: BankQuirksPatch): Promise<BankQuirks>;
  faults(target: string): Promise<FaultSpec[]>;
  /** Requests a bank (by name) or `"directory"` received since start or reset, by route. */
  requests(target: string): Promise<Record<string, number>>;
  /** When each of those requests arrived and was answered (epoch ms), with its route. */
  timeline(target: string): Promise<TimelineEntry[]>;
  /** Replaces the fault set of a bank (by name) or of `"directory"`. */
  setFaults(target: string, faults: FaultSpecInput[]): Promise<void>;
  /**
   * Issues a new transport certificate (new key pair, serial, validity) for a software into
   * `outDir` (certificate renewal); the software's files in the PKI folder stay as they are.
   */
  reissueTransport(softwareId: string, options: ReissueTransportOptions): Promise<ReissuedTransport>;
  /**
   * Publishes a public signing key (a JWK with `kid`) in a software's JWKS, for a key the sandbox
   * does not hold (an HSM or KMS key). Survives `reset`; lives as long as the sandbox.
   */
  publishSigningKey(softwareId: string, jwk: JWK): Promise<JWK>;
  /** Drops registrations, tokens, replay caches and faults; quirks go back to the configured ones. */
  reset(): Promise<void>;
}

export function createAdmin(
  banks: Map<string, BankServer>,
  directory: DirectoryServer,
  directoryFaults: FaultSet,
  pki: Pki,
): SandboxAdmin {
  const bank = (name: string) => {
    const b = banks.get(name);
    if (!b) throw new SandboxHttpError(404, "not_found", `no bank named ${name}`);
    return b;
  };
  const faultSet = (target: string) => (target === "directory" ? directoryFaults : bank(target).faults);
  return {
    registrations: async (name) => bank(name).registrations(),
    quirks: async (name) => bank(name).quirks(),
    setQuirks: async (name, patch) => {
      const parsed = BankQuirksPatch.safeParse(patch);
      if (!parsed.success) throw badRequest("invalid_request", z.prettifyError(parsed.error));
      const clean = Object.fromEntries(Object.entries(parsed.data).filter(([k]) => k in (patch as object)));
      return bank(name).setQuirks(clean);
    },
    faults: async (target) => faultSet(target).list(),
    requests: async (target) => (target === "directory" ? directory.requests() : bank(target).requests()),
    timeline: async (target) => (target === "directory" ? directory.timeline() : bank(target).timeline()),
    setFaults: async (target, faults) => {
      const parsed = FaultSpecs.safeParse(faults);
      if (!parsed.success) throw badRequest("invalid_request", z.prettifyError(parsed.error));
      faultSet(target).set(faults);
    },
    reissueTransport: (softwareId, o) =>
      reissueTransport(pki, softwareId, {
        subject_dn_change: o.subjectDnChange,
        out_dir: o.outDir,
        valid_days: o.validDays,
      }),
    publishSigningKey: (softwareId, jwk) => publishSigningKey(pki, softwareId, jwk),
    reset: async () => {
      for (const b of banks.values()) b.reset();
      directory.reset();
      directoryFaults.clear();
    },
  };
}

function json(req: { body: Buffer; contentType: string }): unknown {
  if (req.contentType !== "application/json")
    throw new SandboxHttpError(415, "invalid_request", "send application/json");
  try {
    return JSON.parse(req.body.toString("utf8"));
  } catch {
    throw badRequest("invalid_request", "body is not JSON");
  }
}

/** The admin HTTP API: HTTPS with the sandbox server certificate, no client authentication. Test-only. */
export function startAdminServer(opts: {
  admin: SandboxAdmin;
  manifest: () => SandboxManifest;
  pki: Pki;
  host: string;
  port: number;
  log: boolean;
  /** The directory's bank list (HTTPS admin: add, retire, change, remove, mode). */
  bankList?: BankListAdmin | undefined;
}): Promise<RunningServer> {
  const { admin } = opts;
  const ok = (body: unknown): Reply => ({ status: 200, json: body });
  return startServer({
    name: "admin",
    host: opts.host,
    port: opts.port,
    cert: opts.pki.server.certPem,
    key: opts.pki.server.keyPem,
    maxBodyBytes: () => 256 * 1024,
    log: opts.log,
    routes: [
      ...bankListAdminRoutes(() => opts.bankList),
      { method: "GET", pattern: "/admin/manifest", handler: () => ok(opts.manifest()) },
      {
        method: "GET",
        pattern: "/admin/banks",
        handler: () => ok(opts.manifest().banks.map((b) => b.name)),
      },
      {
        method: "GET",
        pattern: "/admin/banks/{name}/registrations",
        handler: async (_r, p) => ok(await admin.registrations(p.name!)),
      },
      {
        method: "GET",
        pattern: "/admin/banks/{name}/requests",
        handler: async (_r, p) => ok(await admin.requests(p.name!)),
      },
      {
        method: "GET",
        pattern: "/admin/directory/requests",
        handler: async () => ok(await admin.requests("directory")),
      },
      {
        method: "GET",
        pattern: "/admin/banks/{name}/timeline",
        handler: async (_r, p) => ok(await admin.timeline(p.name!)),
      },
      {
        method: "GET",
        pattern: "/admin/directory/timeline",
        handler: async () => ok(await admin.timeline("directory")),
      },
      {
        method: "GET",
        pattern: "/admin/banks/{name}/quirks",
        handler: async (_r, p) => ok(await admin.quirks(p.name!)),
      },
      {
        method: "PATCH",
        pattern: "/admin/banks/{name}/quirks",
        handler: async (r, p) => ok(await admin.setQuirks(p.name!, json(r) as BankQuirksPatch)),
      },
      {
        method: "GET",
        pattern: "/admin/banks/{name}/faults",
        handler: async (_r, p) => ok(await admin.faults(p.name!)),
      },
      {
        method: "PUT",
        pattern: "/admin/banks/{name}/faults",
        handler: async (r, p) => {
          await admin.setFaults(p.name!, json(r) as FaultSpecInput[]);
          return ok(await admin.faults(p.name!));
        },
      },
      {
        method: "GET",
        pattern: "/admin/directory/faults",
        handler: async () => ok(await admin.faults("directory")),
      },
      {
        method: "PUT",
        pattern: "/admin/directory/faults",
        handler: async (r) => {
          await admin.setFaults("directory", json(r) as FaultSpecInput[]);
          return ok(await admin.faults("directory"));
        },
      },
      {
        method: "POST",
        pattern: "/admin/softwares/{software_id}/transport",
        handler: async (r, p) => {
          const parsed = ReissueTransportRequest.safeParse(json(r));
          if (!parsed.success) throw badRequest("invalid_request", z.prettifyError(parsed.error));
          const body = parsed.data;
          return ok(
            await admin.reissueTransport(decodeURIComponent(p.software_id!), {
              subjectDnChange: body.subject_dn_change,
              outDir: body.out_dir,
              validDays: body.valid_days,
            }),
          );
        },
      },
      {
        method: "POST",
        pattern: "/admin/softwares/{software_id}/signing-keys",
        handler: async (r, p) =>
          ok(await admin.publishSigningKey(decodeURIComponent(p.software_id!), json(r) as JWK)),
      },
      {
        method: "POST",
        pattern: "/admin/reset",
        handler: async () => {
          await admin.reset();
          return { status: 204 };
        },
      },
    ],
  });
}
