// Banks from the BR directory through the provider plugin, from Python and YAML: examples/python-banks
// and examples/yaml-banks run by the real CLI (file backend) against the BR emulator over real mTLS,
// `obdcr:index:getBanks` (invoke) and `obdcr:index:BankRegistrations` (a component the plugin
// constructs, one ClientRegistration child per bank). The servers' own lists of clients and the
// emulator's request counts are the ground truth.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfbBrSandbox } from "../../sandbox/ofb_br/index.js";
import { copyExample, type Project } from "../languages/project.js";
import { buildPythonDist, freshVirtualenv } from "../languages/python_sdk.js";
import { ROOT } from "../package/offline_project.js";
import { startOfbBr } from "../support/regimes.js";

const SERVERS = ["ofb-as-a", "ofb-as-b", "ofb-as-c"];
const LISTED = ["ofb-as-a", "ofb-as-b"];
const TIMEOUT = 300_000;

type Example = "python-banks" | "yaml-banks";

describe.each<Example>(["python-banks", "yaml-banks"])(
  "examples/%s: every matching BR bank through the plugin",
  (example) => {
    const work = mkdtempSync(join(tmpdir(), `obdcr-${example}-`));
    let sb: OfbBrSandbox;
    let p: Project;
    const id = (server: string) => sb.admin.listEntryFor(server).id;
    const held = (server: string) => sb.admin.clients(server).length;
    /** Requests that change a registration, at every server. */
    const changes = () =>
      SERVERS.reduce((n, s) => {
        const st = sb.admin.stats().servers[s]!;
        return n + st.registrations + st.puts + st.deletes;
      }, 0);
    const outputs = async () =>
      JSON.parse(await p.pulumi(["stack", "output", "--json", "--show-secrets"])) as Record<string, unknown>;
    const ids = (v: unknown) =>
      (v as (string | { id: string })[]).map((b) => (typeof b === "string" ? b : b.id)).sort();

    beforeAll(async () => {
      sb = await startOfbBr({
        dataDir: join(work, "sandbox"),
        servers: SERVERS.map((name) => ({ name })),
        // c has no entry in the list: never registered.
        listing: { servers: LISTED },
      });
      const env: Record<string, string> = {};
      if (example === "python-banks") {
        const { wheel } = await buildPythonDist(work);
        env.PULUMI_PYTHON_CMD = await freshVirtualenv(work, "venv", wheel);
      }
      p = copyExample(example, work, env);
      await p.pulumi(["stack", "init", "dev"]);
      // The stack config the examples' docs give users: examples/yaml-banks/sandbox-config.mjs.
      const script = join(ROOT, "examples", "yaml-banks", "sandbox-config.mjs");
      await p.run(process.execPath, [script, "--manifest", join(work, "sandbox", "manifest.json")]);
    }, TIMEOUT);

    afterAll(async () => {
      await sb?.close();
      rmSync(work, { recursive: true, force: true });
    });

    it(
      "up registers exactly the matching active banks, with one directory token and one SSA",
      async () => {
        sb.admin.resetStats();
        const up = await p.pulumi(["up", "--yes", "--skip-preview"]);
        // The stack, the component, one registration per listed bank.
        expect(up).toMatch(/4 created/);
        const out = await outputs();
        const want = LISTED.map(id).sort();
        expect(ids(out.banks)).toEqual(want);
        expect(ids(out.listed)).toEqual(want);
        // The fixtures' entries are excluded with their reasons (getBanks).
        const excluded = out.excluded as
          | Record<string, unknown>
          | { id: string; excluded: { code: string }[] }[];
        const reasons = Array.isArray(excluded)
          ? Object.fromEntries(excluded.map((b) => [b.id, b.excluded.map((x) => x.code)]))
          : excluded;
        for (const r of Object.values(reasons)) expect((r as string[]).length).toBeGreaterThan(0);
        expect(Object.keys(reasons)).not.toContain(want[0]);
        expect([held("ofb-as-a"), held("ofb-as-b"), held("ofb-as-c")]).toEqual([1, 1, 0]);
        const clientIds = out.clientIds as Record<string, string>;
        expect(Object.keys(clientIds).sort()).toEqual(want);
        for (const s of LISTED)
          expect(sb.admin.clients(s).map((c) => c.client_id)).toEqual([clientIds[id(s)]]);
        // The last known list, kept by the plugin beside the program (its working directory).
        const known = JSON.parse(
          readFileSync(join(p.dir, "ob-dcr-state", `banks-obdcr-${example}-dev-payments.json`), "utf8"),
        ) as { banks: { id: string }[] };
        expect(known.banks.map((b) => b.id)).toEqual(want);
        const st = sb.admin.stats();
        expect(st.directory_token_requests).toBe(1);
        expect(st.ssa_requests).toBe(1);
      },
      TIMEOUT,
    );

    it(
      "keeps secrets out of the state and the engine output",
      async () => {
        const exported = await p.pulumi(["stack", "export"]);
        const pemLines = [sb.manifest.orgs[0]!.softwares[0]!]
          .flatMap((s) => [s.signing.private_key_file, s.transport.key_file])
          .flatMap((f) =>
            readFileSync(f, "utf8")
              .split("\n")
              .filter((l) => l.length > 40),
          );
        // The registration access tokens the banks issued, as the state holds them (decrypted).
        const shown = JSON.parse(await p.pulumi(["stack", "export", "--show-secrets"])) as {
          deployment: { resources: { type: string; outputs?: Record<string, unknown> }[] };
        };
        const tokens = shown.deployment.resources
          .filter((r) => r.type === "obdcr:index:ClientRegistration")
          .map((r) => r.outputs?.registrationAccessToken as { plaintext?: string } | undefined)
          .map((v) => (v?.plaintext ? (JSON.parse(v.plaintext) as string) : ""));
        expect(tokens).toHaveLength(LISTED.length);
        const secrets = [...pemLines, ...tokens].filter((x) => x.length > 15);
        expect(secrets.length).toBe(pemLines.length + LISTED.length);
        for (const s of secrets) {
          expect(exported).not.toContain(s);
          expect(p.log()).not.toContain(s);
        }
        expect(exported).toContain("ciphertext");
      },
      TIMEOUT,
    );

    it(
      "a second up changes nothing",
      async () => {
        sb.admin.resetStats();
        const again = await p.pulumi(["up", "--yes", "--expect-no-changes"]);
        expect(again).toMatch(/4 unchanged/);
        expect(changes()).toBe(0);
      },
      TIMEOUT,
    );

    it(
      "a bank retired: kept by default, with a warning naming it",
      async () => {
        sb.admin.list.retire(id("ofb-as-b"));
        sb.admin.resetStats();
        const up = await p.pulumi(["up", "--yes", "--skip-preview"]);
        expect(up).toContain(`bank ${id("ofb-as-b")} (ofb-as-b) is no longer selected (status: inactive`);
        expect(up).toMatch(/its registration is kept/);
        expect(up).not.toMatch(/deleted/);
        expect(held("ofb-as-b")).toBe(1);
        expect(changes()).toBe(0);
      },
      TIMEOUT,
    );

    it(
      "destroy deletes every registration",
      async () => {
        await p.pulumi(["destroy", "--yes", "--skip-preview"]);
        for (const s of SERVERS) expect(held(s)).toBe(0);
      },
      TIMEOUT,
    );
  },
);
