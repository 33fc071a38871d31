// `ob-dcr banks` on the AU Register's GetDataHolderBrands (x-v 3, paged, updated-since, ETag) and
// the UK directory's SCIM ASPSP list (startIndex/count paging, ETag), both behind MTLS + the
// directory token: the BUILT CLI as a subprocess, requests counted at the emulators.
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CdrAuSandbox } from "../../sandbox/cdr_au/index.js";
import { cli, ensureBuilt, tmpDir, writeConfig } from "../cli/helpers.js";
import { cliConfig } from "../support/params.js";
import { cdrParams, regimeCliConfig, startCdrAu } from "../support/regimes.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

beforeAll(() => ensureBuilt());
const dir = tmpDir();

interface BanksJson {
  total: number;
  selected: number;
  requests: number;
  not_modified: number;
  banks: { id: string; name: string; status: string; excluded: { code: string }[] }[];
}
const json = (stdout: string) => JSON.parse(stdout) as BanksJson;

describe("ob-dcr banks on the CDR Register (GetDataHolderBrands x-v 3)", () => {
  let sb: CdrAuSandbox;
  let cfg: string;
  let url: string;
  const banks = (...extra: string[]) => cli(["banks", "--config", cfg, "--list-url", url, ...extra]);
  beforeAll(async () => {
    sb = await startCdrAu({
      holders: [{ name: "cdr-holder-a" }, { name: "cdr-holder-b" }],
      // 2 holders + 7 fixtures + 20 synthetic = 29 brands: two pages of 25.
      listing: { size: 20 },
    });
    url = sb.manifest.register.brands_url!;
    cfg = writeConfig(dir, "au.yaml", regimeCliConfig(cdrParams(sb.manifest)));
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("pages through every brand with one Register token; banking selects exactly the active holders", async () => {
    sb.admin.resetStats();
    sb.admin.list.resetStats();
    const r = await banks("--industries", "banking", "--json", "--why");
    expect(r.code, r.stderr).toBe(0);
    const j = json(r.stdout);
    expect(j.total).toBe(29);
    expect(j.requests).toBe(2);
    expect(sb.admin.list.stats().list_requests).toBe(2);
    expect(sb.admin.stats().register_token_requests).toBe(1);
    const selected = j.banks.filter((b) => b.excluded.length === 0).map((b) => b.name);
    expect(selected.sort()).toEqual(["cdr-holder-a", "cdr-holder-b"]);
    const why = Object.fromEntries(j.banks.map((b) => [b.name, b.excluded.map((x) => x.code)]));
    expect(why["inactive-brand"]).toContain("status");
    expect(why["removed-brand"]).toContain("status");
    expect(why["removed-legal-entity"]).toContain("status");
    expect(why["energy-only"]).toContain("industry");
    expect(why["broken-discovery"]).toEqual(["discovery_failed"]);
    expect(why["no-dcr"]).toEqual(["no_registration_endpoint"]);
    // x-v 3 lists non-bank-lending brands.
    expect(why["nbl-brand"]).toContain("industry");
  });

  it("ETag on every page: a second run with the cache is answered 304 twice", async () => {
    const cache = path.join(dir, "au-cache.json");
    await banks("--cache", cache, "--skip-discovery-check", "--json");
    sb.admin.list.resetStats();
    const j = json((await banks("--cache", cache, "--skip-discovery-check", "--json")).stdout);
    expect(j.not_modified).toBe(2);
    expect(j.total).toBe(29);
    expect(sb.admin.list.stats()).toEqual({ list_requests: 2, not_modified: 2 });
  });

  it("updated-since: only the brands changed after it", async () => {
    sb.admin.list.retire(sb.admin.listEntryFor("cdr-holder-b").id);
    const r = await banks(
      "--updated-since",
      "2026-03-01T00:00:00Z",
      "--status",
      "active,inactive,removed",
      "--skip-discovery-check",
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    const j = json(r.stdout);
    expect(j.banks.map((b) => [b.name, b.status])).toEqual([["cdr-holder-b", "inactive"]]);
    sb.admin.list.change(sb.admin.listEntryFor("cdr-holder-b").id, { status: "active" });
  });

  it("families are not an AU filter (named), and a Register 500 is OBDCR_DIRECTORY_LIST", async () => {
    const f = await banks("--families", "accounts");
    expect(f.code).toBe(3);
    expect(f.stderr).toMatch(
      /filter\.families: the CDR Register list carries no families; filter by industries/,
    );
    sb.admin.list.setMode("error");
    try {
      const r = await banks();
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/OBDCR_DIRECTORY_LIST: .*HTTP 500/);
    } finally {
      sb.admin.list.setMode("ok");
    }
  });
});

describe("ob-dcr banks on the OB Directory (SCIM OBAccountPaymentServiceProviders)", () => {
  let sb: TestSandbox;
  let cfg: string;
  let url: string;
  const banks = (...extra: string[]) => cli(["banks", "--config", cfg, "--list-url", url, ...extra]);
  beforeAll(async () => {
    sb = await startTestSandbox({
      banks: ["sandbox-bank", "rat-bank"],
      listing: { size: 150 },
    });
    url = sb.manifest.directory.aspsps_url!;
    cfg = writeConfig(dir, "uk.json", cliConfig(sb));
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("pages with startIndex/count; ASPSP role selects exactly the sandbox's banks", async () => {
    sb.bankList.resetStats();
    const r = await banks("--roles", "ASPSP", "--json", "--why");
    expect(r.code, r.stderr).toBe(0);
    const j = json(r.stdout);
    // 2 banks (one org) + 6 fixtures + 150 synthetic, 157 orgs: two pages of 100.
    expect(j.total).toBe(158);
    expect(j.requests).toBe(2);
    expect(sb.bankList.stats().list_requests).toBe(2);
    const selected = j.banks.filter((b) => b.excluded.length === 0).map((b) => b.name);
    expect(selected.sort()).toEqual(["rat-bank", "sandbox-bank"]);
    const why = Object.fromEntries(j.banks.map((b) => [b.name, b.excluded.map((x) => x.code)]));
    expect(why["withdrawn-org"]).toContain("status");
    expect(why["role-inactive"]).toContain("role");
    expect(why.placeholder).toEqual(["discovery_url"]);
    expect(why["no-dcr"]).toEqual(["no_registration_endpoint"]);
    expect(why["broken-discovery"]).toEqual(["discovery_failed"]);
    expect(why["cd-only"]).toEqual(expect.arrayContaining(["status", "role"]));
  });

  it("ETag per page from the cache file", async () => {
    const cache = path.join(dir, "uk-cache.json");
    await banks("--cache", cache, "--skip-discovery-check", "--json");
    sb.bankList.resetStats();
    const j = json((await banks("--cache", cache, "--skip-discovery-check", "--json")).stdout);
    expect(j.not_modified).toBe(2);
    expect(sb.bankList.stats()).toEqual({ list_requests: 2, not_modified: 2 });
  });

  it("a directory answering 500 is OBDCR_DIRECTORY_LIST (exit 5)", async () => {
    sb.bankList.setMode("error");
    try {
      const r = await banks();
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/OBDCR_DIRECTORY_LIST/);
    } finally {
      sb.bankList.setMode("ok");
    }
  });

  it("register --bank <id> registers with the bank the list names (aud = its org id)", async () => {
    const id = sb.bankListEntryFor("rat-bank").id;
    // cwd: the client's token goes to <cwd>/ob-dcr-state/ (no --state), not into the repository.
    // A config written for another bank (another organisation): the list's org id is the aud.
    const other = writeConfig(
      dir,
      "uk-other.json",
      cliConfig(sb, undefined, { bank: { org_id: "0015800000OTHERBNK" } }),
    );
    const r = await cli(["register", "--config", other, "--list-url", url, "--bank", id, "--json"], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(path.join(dir, "ob-dcr-state"))).toHaveLength(1);
    expect(r.stderr).toContain(`bank ${id} (rat-bank)`);
    expect(await sb.admin.registrations("rat-bank")).toHaveLength(1);
  });
});
