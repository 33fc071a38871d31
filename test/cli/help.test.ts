/** --help output is stable (snapshots) and carries the key lines: commands, flags, env, exit codes. */
import { beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBuilt } from "./helpers.js";

beforeAll(() => ensureBuilt());

const COMMANDS = ["run", "token", "ssa", "register", "get", "update", "delete", "discover"];

describe("--help", () => {
  it("root help lists every command, the environment and the exit codes", async () => {
    const r = await cli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`USAGE ob-dcr ${COMMANDS.join("|")}`);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\s{2,}\\S`, "m"));
    for (const line of [
      "  0  ok",
      "  1  internal error",
      "  2  usage error",
      "  3  invalid input or configuration",
      "  4  rejected by the bank or directory",
      "  5  transport failure, timeout, unexpected response or unknown outcome",
    ])
      expect(r.stdout).toContain(line);
    expect(r.stdout).toContain("OBDCR_CONFIG");
    expect(r.stdout.includes("\u001b[")).toBe(false); // no colour when not a TTY
    expect(r.stdout).toMatchSnapshot();
    const h = await cli(["help"]);
    expect(h.stdout).toBe(r.stdout);
  });

  it.each(COMMANDS)("%s --help shows its flags", async (c) => {
    const r = await cli([c, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`USAGE ob-dcr ${c} [OPTIONS]`);
    for (const f of ["--config=<file>", "--profile=<name>", "--json", "--verbose", "--show-secrets"])
      expect(r.stdout).toContain(f);
    if (["get", "update", "delete"].includes(c)) {
      expect(r.stdout).toContain("--state=<file>");
      expect(r.stdout).toContain("--client-id=<id>");
    }
    expect(r.stdout).toMatchSnapshot();
  });

  it("--version prints the package version", async () => {
    const r = await cli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
