// The lifecycle every language example goes through on the real CLI against the sandbox: `up`
// registers at both banks with one directory token and one SSA download (counted at the sandbox),
// secret outputs are masked and encrypted in state, a second `up` changes nothing, `refresh` works,
// `destroy` deletes both registrations at the banks. The sandbox's own lists are the ground truth.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { LANGUAGE_BANKS, type Project } from "./project.js";

export interface LanguageCase {
  language: string;
  /** Copies the example into `work`, sets its stack config from the sandbox; the stack is selected. */
  prepare(sb: TestSandbox, work: string): Promise<Project>;
  /**
   * The sandbox bank each key of the outputs `clientIds`, `managementUris` and
   * `registrationAccessTokens` stands for.
   */
  bankKeys: Record<string, string>;
  /** Per test; default the config's. A Go program is compiled by each `up` and `preview`. */
  timeoutMs?: number;
}

type Outputs = {
  clientIds: Record<string, string>;
  managementUris: Record<string, string>;
  registrationAccessTokens: unknown;
};

export function describeLanguage(c: LanguageCase) {
  describe(`examples/${c.language}: two sandbox banks through the obdcr plugin`, () => {
    const work = mkdtempSync(join(tmpdir(), `obdcr-lang-${c.language}-`));
    let sb: TestSandbox;
    let p: Project;
    let shown: Outputs;
    const held = async (bank: string) => (await sb.admin.registrations(bank)).map((r) => r.client_id);
    const outputs = async (showSecrets: boolean) =>
      JSON.parse(
        await p.pulumi(["stack", "output", "--json", ...(showSecrets ? ["--show-secrets"] : [])]),
      ) as Outputs;
    /** bank → value of one of the per-bank outputs. */
    const byBank = (m: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(m).map(([k, v]) => [c.bankKeys[k] ?? k, v]));

    beforeAll(async () => {
      sb = await startTestSandbox({
        dataDir: join(work, "sandbox"),
        banks: ["sandbox-bank", { name: "rfc7592-bank", management: "registration_access_token" }],
      });
      p = await c.prepare(sb, work);
    });

    afterAll(async () => {
      await sb?.close();
      rmSync(work, { recursive: true, force: true });
    });

    it(
      "up registers at both banks with one directory token and one SSA download",
      async () => {
        const up = await p.pulumi(["up", "--yes", "--skip-preview"]);
        expect(up).toMatch(/3 created/); // the stack and two registrations
        shown = await outputs(true);
        const ids = byBank(shown.clientIds);
        expect(Object.keys(ids).sort()).toEqual([...LANGUAGE_BANKS].sort());
        const uris = byBank(shown.managementUris);
        for (const bank of LANGUAGE_BANKS) {
          expect(await held(bank)).toEqual([ids[bank]]);
          expect(uris[bank]).toMatch(new RegExp(`/register/${ids[bank]}$`));
          expect((await sb.admin.requests(bank))["POST /register"]).toBe(1);
        }
        const directory = await sb.admin.requests("directory");
        expect(directory["POST /as/token.oauth2"]).toBe(1);
        expect(directory["GET /api/v2/tpp/{org_id}/ssa/{software_id}"]).toBe(1);
      },
      c.timeoutMs,
    );

    it(
      "masks the secret output and keeps secrets out of the state and the engine output",
      async () => {
        const tokens = byBank(shown.registrationAccessTokens as Record<string, unknown>);
        const token = tokens["rfc7592-bank"] as string;
        expect(token).toEqual(expect.any(String));
        expect(token.length).toBeGreaterThan(15);
        expect(tokens["sandbox-bank"] ?? null).toBeNull(); // an OBIE-managed bank issues none
        // Without --show-secrets: the token is masked, the client ids stay readable.
        const masked = await outputs(false);
        // YAML masks the whole map, Python the member.
        const m = masked.registrationAccessTokens;
        expect(m === "[secret]" || byBank(m as Record<string, unknown>)["rfc7592-bank"] === "[secret]").toBe(
          true,
        );
        expect(JSON.stringify(masked)).not.toContain(token);
        expect(masked.clientIds).toEqual(shown.clientIds);
        const exported = await p.pulumi(["stack", "export"]);
        const pemLines = sb.manifest.orgs[0]!.softwares.flatMap((s) =>
          [s.signing.private_key_file, s.transport.key_file].flatMap((f) =>
            readFileSync(f, "utf8")
              .split("\n")
              .filter((l) => l.length > 40),
          ),
        );
        for (const secret of [token, ...pemLines]) {
          expect(exported).not.toContain(secret);
          expect(p.log()).not.toContain(secret);
        }
        expect(exported).toContain("ciphertext");
      },
      c.timeoutMs,
    );

    it(
      "a second up changes nothing",
      async () => {
        const again = await p.pulumi(["up", "--yes", "--expect-no-changes"]);
        expect(again).toMatch(/3 unchanged/);
        const directory = await sb.admin.requests("directory");
        expect(directory["POST /as/token.oauth2"]).toBe(1);
      },
      c.timeoutMs,
    );

    it(
      "refresh reads both registrations back; the next preview shows no change",
      async () => {
        const refresh = await p.pulumi(["refresh", "--yes", "--skip-preview"]);
        expect(refresh).toMatch(/3 unchanged/);
        for (const bank of LANGUAGE_BANKS) {
          expect((await sb.admin.requests(bank))["GET /register/{client_id}"]).toBeGreaterThanOrEqual(1);
        }
        await p.pulumi(["preview", "--expect-no-changes"]);
      },
      c.timeoutMs,
    );

    it(
      "destroy deletes both registrations at the banks",
      async () => {
        const destroy = await p.pulumi(["destroy", "--yes", "--skip-preview"]);
        expect(destroy).toMatch(/3 deleted/);
        for (const bank of LANGUAGE_BANKS) expect(await held(bank)).toEqual([]);
        const after = JSON.parse(await p.pulumi(["stack", "export"])) as {
          deployment: { resources?: unknown[] };
        };
        expect(after.deployment.resources ?? []).toEqual([]);
      },
      c.timeoutMs,
    );
  });
}
