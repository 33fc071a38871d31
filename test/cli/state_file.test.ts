// The default state file (`register`/`run` without --state, when the bank returned secrets) is named
// from the bank's host and the client_id the bank chose: one file per client, whatever the bank
// chose, so that a second registration never overwrites the credentials of the first.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultStateFile, registerKeepingState } from "../../provider/cli/state.js";
import type { RegistrationOutcome } from "../../provider/lifecycle/registration.js";

const EP = "https://bank.example:8443/register";

describe("defaultStateFile", () => {
  it("a plain client_id keeps its readable name", () => {
    expect(path.basename(defaultStateFile("/w", EP, "3f2b9c1e-0d4a-4b6e-9a7f-1c2d3e4f5a6b"))).toBe(
      "bank.example_8443_3f2b9c1e-0d4a-4b6e-9a7f-1c2d3e4f5a6b.json",
    );
  });

  it("client_ids the escaping or the 100-character cut would merge get files of their own", () => {
    const long = "urn:bank:tpp:".padEnd(120, "x");
    const ids = ["a/1", "a:1", "a_1", "a 1", `${long}1`, `${long}2`, "", "client"];
    const files = ids.map((id) => defaultStateFile("/w", EP, id));
    expect(new Set(files).size).toBe(ids.length);
    for (const f of files) {
      expect(path.dirname(f)).toBe(path.resolve("/w", "ob-dcr-state"));
      expect(path.basename(f)).toMatch(/^[A-Za-z0-9._-]+\.json$/);
    }
  });

  it("a second registration whose client_id escapes like the first's keeps both clients' tokens", async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), "ob-dcr-state-name-"));
    const register = (client_id: string, rat: string) =>
      registerKeepingState(
        async () => ({
          outcome: {
            client_id,
            management_uri: `${EP}/${encodeURIComponent(client_id)}`,
            profile: "rfc7591",
            secrets: { registration_access_token: rat },
          } as unknown as RegistrationOutcome,
          state: { client_id, secrets: { registration_access_token: rat } },
        }),
        { cwd, state: undefined, registration_endpoint: () => EP, onKept: () => undefined },
      );
    const first = await register("tpp/1", "rat-first-0123456789");
    const second = await register("tpp:1", "rat-second-0123456789");
    expect(first.kept?.file).not.toBe(second.kept?.file);
    const kept = [first, second].map((r) => JSON.parse(readFileSync(r.kept!.file, "utf8")));
    expect(kept.map((d) => [d.client_id, d.secrets.registration_access_token])).toEqual([
      ["tpp/1", "rat-first-0123456789"],
      ["tpp:1", "rat-second-0123456789"],
    ]);
  });
});
