// A directory list of many new banks, every one with a working discovery document: the run may add
// at most policy.max_new_banks, so once more than that passed their checks the plan fails ("grew")
// whatever the rest say, and the rest are not fetched: 2,000 entries cost a few dozen discovery
// GETs, not 2,000. A list whose extra entries fail their checks keeps the old meaning (only banks
// that passed count). A real HTTPS server (the security tests' PKI), the real transport.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BankFilter } from "../../provider/core/directory/listing.js";
import { BankListError } from "../../provider/core/errors.js";
import { createContext } from "../../provider/http/context.js";
import { listBanks } from "../../provider/http/directory_list.js";
import { closeAgents } from "../../provider/http/transport.js";
import { planBankRun } from "../../provider/lifecycle/banks.js";
import { type SecurityPki, securityPki } from "../security/pki.js";
import { type BrandsServer, brandsServer } from "../support/brands_server.js";

describe("policy.max_new_banks bounds the discovery checks", () => {
  let pki: SecurityPki;
  let server: BrandsServer;
  let base = "";
  let discoveries = 0;
  let banks = 2_000;
  /** Banks from this index on have no registration_endpoint. */
  let registeringUpTo = Number.POSITIVE_INFINITY;
  beforeAll(async () => {
    pki = await securityPki();
    server = await brandsServer(
      pki,
      () => banks,
      (issuer, res) => {
        discoveries++;
        const n = Number(/\/b(\d+)$/.exec(issuer)?.[1] ?? 0);
        const doc = {
          issuer,
          ...(n < registeringUpTo ? { registration_endpoint: `${issuer}/register` } : {}),
        };
        res.end(JSON.stringify(doc));
      },
    );
    base = server.base;
  });
  afterAll(async () => {
    await closeAgents();
    await server.close();
  });

  /** One run of the bank plan (no known list yet) under max_new_banks 5. */
  const run = () =>
    planBankRun({
      request: { registration: { profile: "cdr-au" }, listUrl: `${base}/brands` },
      policy: { maxNewBanks: 5 },
      knownListFile: path.join(mkdtempSync(path.join(tmpdir(), "obdcr-newcap-")), "known.json"),
      list: async (cap) => {
        const l = await listBanks(
          createContext({ transport: {} }),
          {
            directory: "cdr-register",
            url: `${base}/brands`,
            tls: { ca: pki.caPem },
            token: async () => "a-directory-token",
            new_bank_cap: cap,
          },
          BankFilter.parse({}),
        );
        return {
          directory: "cdr-register",
          listUrl: l.list_url,
          banks: l.banks,
          selected: l.selected,
          requests: 1,
        };
      },
      now: () => new Date(),
    }).catch((x: unknown) => x);

  it("2,000 new banks: the run fails as grew after a few dozen discovery GETs", async () => {
    banks = 2_000;
    registeringUpTo = Number.POSITIVE_INFINITY;
    discoveries = 0;
    const e = await run();
    expect(e).toBeInstanceOf(BankListError);
    expect(e).toMatchObject({ reason: "grew", field: "policy.max_new_banks" });
    // max_new_banks + 1 to be certain, plus the checks already in flight (16 at a time).
    expect(discoveries).toBeLessThanOrEqual(5 + 1 + 16);
  });

  it("30 listed, 25 without a registration_endpoint: every one checked, 5 added (the meaning is kept)", async () => {
    banks = 30;
    registeringUpTo = 5;
    discoveries = 0;
    const r = await run();
    expect(r).not.toBeInstanceOf(Error);
    expect((r as { plan: { added: unknown[] } }).plan.added).toHaveLength(5);
    expect(discoveries).toBe(30);
  });
});
