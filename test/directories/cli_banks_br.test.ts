// `ob-dcr banks` and `run --bank` on the BR emulator's public participants list (the BUILT CLI
// as a subprocess, real TLS): filters in BR terms, --json, exclusion reasons, ETag/304 from a
// cache file, a failing directory, a bank picked by id. Requests counted at the emulator.
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfbBrSandbox } from "../../sandbox/ofb_br/index.js";
import { cli, ensureBuilt, tmpDir, writeConfig } from "../cli/helpers.js";
import { ofbParams, regimeCliConfig, startOfbBr } from "../support/regimes.js";

beforeAll(() => ensureBuilt());
const dir = tmpDir();

interface BanksJson {
  total: number;
  selected: number;
  requests: number;
  not_modified: number;
  banks: { id: string; name: string; excluded: { code: string; detail: string }[] }[];
}

describe("ob-dcr banks on the BR participants list", () => {
  let sb: OfbBrSandbox;
  let cfg: string;
  let url: string;
  const banks = (...extra: string[]) => cli(["banks", "--config", cfg, "--list-url", url, ...extra]);
  const json = (stdout: string) => JSON.parse(stdout) as BanksJson;

  beforeAll(async () => {
    sb = await startOfbBr({ listing: { size: 5 } });
    url = sb.manifest.directory.participants_url!;
    cfg = writeConfig(dir, "br.yaml", regimeCliConfig(ofbParams(sb.manifest)));
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("selects exactly the active servers offering payments-consents v4 with CONTA whose discovery registers", async () => {
    sb.admin.list.resetStats();
    const r = await banks("--families", "payments-consents@4", "--roles", "CONTA", "--json");
    expect(r.code, r.stderr).toBe(0);
    const j = json(r.stdout);
    const want = ["ofb-as-a", "ofb-as-b"].map((s) => sb.admin.listEntryFor(s).id).sort();
    expect(j.banks.map((b) => b.id).sort()).toEqual(want);
    expect(j.selected).toBe(2);
    // 2 servers, 13 fixtures, 5 synthetic: every AS of the list is read.
    expect(j.total).toBe(20);
    expect(j.requests).toBe(1);
    expect(sb.admin.list.stats().list_requests).toBe(1);
  });

  it("--why gives every excluded entry its reason", async () => {
    const r = await banks("--families", "payments-consents@4", "--roles", "CONTA", "--json", "--why");
    expect(r.code, r.stderr).toBe(0);
    const j = json(r.stdout);
    const why = Object.fromEntries(j.banks.map((b) => [b.name, b.excluded.map((x) => x.code)]));
    expect(why["ofb-as-a"]).toEqual([]);
    expect(why["withdrawn-org"]).toContain("status");
    expect(why["pending-org"]).toContain("status");
    expect(why["inactive-role"]).toContain("role");
    expect(why.superseded).toEqual(expect.arrayContaining(["superseded", "retired"]));
    expect(why.placeholder).toEqual(["discovery_url"]);
    expect(why["no-discovery"]).toEqual(["discovery_url"]);
    expect(why["http-discovery"]).toEqual(["discovery_url"]);
    expect(why["broken-discovery"]).toEqual(["discovery_failed"]);
    expect(why["no-dcr"]).toEqual(["no_registration_endpoint"]);
    expect(why["shares-discovery"]).toEqual(["same_discovery"]);
    expect(why["family-incomplete"]).toEqual(["family"]);
    expect(why["legacy-version"]).toEqual(["family"]);
    expect(why["data-only"]).toEqual(expect.arrayContaining(["role", "family"]));
    expect(why["synthetic-1"]).toEqual(["no_registration_endpoint"]);
    // The table says the same for people.
    const t = await banks("--families", "payments-consents@4", "--why");
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/excluded: discovery_url: the discovery URL is a placeholder/);
    expect(t.stdout).toMatch(/20 entries .* 2 selected/);
  });

  it("an ETag cache file: the second run is answered 304 and gives the same list", async () => {
    const cache = path.join(dir, "br-cache.json");
    sb.admin.list.resetStats();
    const first = json((await banks("--cache", cache, "--json", "--skip-discovery-check")).stdout);
    const second = json((await banks("--cache", cache, "--json", "--skip-discovery-check")).stdout);
    expect(first.not_modified).toBe(0);
    expect(second.not_modified).toBe(1);
    expect(second.banks.map((b) => b.id)).toEqual(first.banks.map((b) => b.id));
    expect(sb.admin.list.stats()).toEqual({ list_requests: 2, not_modified: 1 });
    // A change at the directory: a new body and ETag.
    sb.admin.list.retire(sb.admin.listEntryFor("ofb-as-b").id);
    const third = json((await banks("--cache", cache, "--json", "--skip-discovery-check")).stdout);
    expect(third.not_modified).toBe(0);
    expect(third.banks.map((b) => b.id)).not.toContain(sb.admin.listEntryFor("ofb-as-b").id);
    sb.admin.list.change(sb.admin.listEntryFor("ofb-as-b").id, { status: "active" });
  });

  it("a filter the BR list cannot answer is refused, naming it; a bad shard is a usage error", async () => {
    const r = await banks("--industries", "banking");
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /OBDCR_INVALID_INPUT: filter\.industries: the Open Finance Brasil Directory list carries no industries/,
    );
    const s = await banks("--shard", "2");
    expect(s.code).toBe(2);
  });

  it("shards split the list without overlap", async () => {
    const all = json((await banks("--json", "--skip-discovery-check")).stdout).banks.map((b) => b.id);
    const parts = await Promise.all(
      [0, 1, 2].map(async (i) =>
        json((await banks("--json", "--skip-discovery-check", "--shard", `${i}/3`)).stdout).banks.map(
          (b) => b.id,
        ),
      ),
    );
    const joined = parts.flat();
    expect(new Set(joined).size).toBe(joined.length);
    expect(joined.sort()).toEqual([...all].sort());
  });

  it("a directory answering 500 is an OBDCR_DIRECTORY_LIST error (exit 5)", async () => {
    sb.admin.list.setMode("error");
    try {
      const r = await banks("--json");
      expect(r.code).toBe(5);
      expect(r.stdout).toMatch(/OBDCR_DIRECTORY_LIST/);
      expect(r.stderr).toMatch(/answered HTTP 500; no bank was touched/);
    } finally {
      sb.admin.list.setMode("ok");
    }
    const down = await cli([
      "banks",
      "--config",
      cfg,
      "--list-url",
      "https://127.0.0.1:1/participants",
      "--timeout",
      "2",
    ]);
    expect(down.code).toBe(5);
    expect(down.stderr).toMatch(/OBDCR_DIRECTORY_LIST: .*could not be read/);
  });

  it("run --bank <id> registers with the server the list names", async () => {
    const id = sb.admin.listEntryFor("ofb-as-b").id;
    // cwd: the bank's token goes to <cwd>/ob-dcr-state/ (no --state), not into the repository.
    const r = await cli(["run", "--config", cfg, "--list-url", url, "--bank", id, "--json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(path.join(dir, "ob-dcr-state"))).toHaveLength(1);
    expect(r.stderr).toContain(`bank ${id} (ofb-as-b)`);
    expect(sb.admin.clients("ofb-as-b")).toHaveLength(1);
    const unknown = await cli(["register", "--config", cfg, "--list-url", url, "--bank", "nope"]);
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toMatch(/--bank nope: the directory list .* has no bank with this id/);
  });
});
