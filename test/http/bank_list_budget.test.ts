// A directory that never ends its bank list: every page comes quickly, each with a `links.next`
// to another, or the pages are too large together. The list has one budget for all its pages (time
// and bytes), so it ends with a BankListError instead of running for hours or holding gigabytes.
// A real HTTPS server (the security tests' PKI), the real transport.
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BankListError } from "../../provider/core/errors.js";
import { createContext } from "../../provider/http/context.js";
import { fetchBankList } from "../../provider/http/directory_list.js";
import { closeAgents } from "../../provider/http/transport.js";
import { type SecurityPki, securityPki } from "../security/pki.js";

describe("the bank list's budget for all its pages", () => {
  let pki: SecurityPki;
  let server: Server;
  let base = "";
  let pages = 0;
  beforeAll(async () => {
    pki = await securityPki();
    server = createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
      pages++;
      const u = new URL(req.url ?? "/", base);
      const n = Number(u.searchParams.get("n") ?? "0");
      const pad = u.searchParams.get("pad") === "1" ? "x".repeat(200_000) : "";
      // Each page a little slow, never the last.
      setTimeout(() => {
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({
            data: [],
            pad,
            links: { next: `${base}/brands?n=${n + 1}&pad=${u.searchParams.get("pad") ?? "0"}` },
            meta: {},
          }),
        );
      }, 20);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await closeAgents();
    await new Promise((r) => server.close(r));
  });

  const list = (pad: boolean, o: { budget_ms?: number; max_total_bytes?: number }) =>
    fetchBankList(createContext({ transport: {} }), {
      directory: "cdr-register",
      url: `${base}/brands?pad=${pad ? 1 : 0}`,
      tls: { ca: pki.caPem },
      // The Register's brands list is read with the directory token: any bearer here.
      token: async () => "a-directory-token",
      ...o,
    });

  it("pages that never end stop at the list's time budget", async () => {
    pages = 0;
    const t0 = Date.now();
    const e = await list(false, { budget_ms: 1500 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BankListError);
    expect((e as BankListError).message).toMatch(/did not end within its time/);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(pages).toBeGreaterThan(3);
  });

  it("pages that are too large together stop at the list's byte budget", async () => {
    pages = 0;
    const e = await list(true, { max_total_bytes: 1_000_000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BankListError);
    expect(pages).toBeGreaterThan(3);
    expect(pages).toBeLessThanOrEqual(6);
  });
});
