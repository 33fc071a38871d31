// A directory that lists many banks whose discovery documents are slow: the discovery checks share
// the list's one time budget with its pages, so that `banks`/`getBanks` ends with a BankListError
// (nothing touched) instead of spending hours on servers the directory chose.
// A real HTTPS server (the security tests' PKI), the real transport.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BankFilter } from "../../provider/core/directory/listing.js";
import { BankListError } from "../../provider/core/errors.js";
import { createContext } from "../../provider/http/context.js";
import { listBanks } from "../../provider/http/directory_list.js";
import { closeAgents } from "../../provider/http/transport.js";
import { type SecurityPki, securityPki } from "../security/pki.js";
import { type BrandsServer, brandsServer } from "../support/brands_server.js";

describe("the bank list's budget covers the discovery checks", () => {
  let pki: SecurityPki;
  let server: BrandsServer;
  let base = "";
  let discoveries = 0;
  /** Discovery documents padded to this many bytes, answered at once (0: small, after 0.5 s). */
  let pad = 0;
  const BANKS = 200;
  beforeAll(async () => {
    pki = await securityPki();
    // Every discovery document answered, each after half a second.
    server = await brandsServer(
      pki,
      () => BANKS,
      (issuer, res) => {
        discoveries++;
        const doc = { issuer, registration_endpoint: `${issuer}/register`, x: "x".repeat(pad) };
        setTimeout(() => res.end(JSON.stringify(doc)), pad ? 0 : 500);
      },
    );
    base = server.base;
  });
  afterAll(async () => {
    await closeAgents();
    await server.close();
  });

  const list = (o: { budget_ms?: number; max_total_bytes?: number }) =>
    listBanks(
      createContext({ transport: {} }),
      {
        directory: "cdr-register",
        url: `${base}/brands`,
        tls: { ca: pki.caPem },
        token: async () => "a-directory-token",
        ...o,
      },
      BankFilter.parse({}),
    ).catch((x: unknown) => x);

  it("slow discovery documents stop at the list's time budget", async () => {
    pad = 0;
    discoveries = 0;
    const t0 = Date.now();
    const e = await list({ budget_ms: 2_000 });
    expect(e).toBeInstanceOf(BankListError);
    expect((e as BankListError).message).toMatch(/did not end within the list's time/);
    // 200 documents, 8 at a time (the per-origin cap), half a second each: 12 s unbounded.
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(discoveries).toBeLessThan(BANKS);
  });

  it("large discovery documents stop at the list's byte budget (each is kept in the cache)", async () => {
    pad = 500_000;
    discoveries = 0;
    const e = await list({ max_total_bytes: 10_000_000 });
    expect(e).toBeInstanceOf(BankListError);
    expect((e as BankListError).message).toMatch(/did not end within their size/);
    // 200 documents of half a megabyte: 100 MB unbounded.
    expect(discoveries).toBeLessThan(60);
  });
});
