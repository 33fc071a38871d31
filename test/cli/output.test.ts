// What the CLI prints is one line per call whatever a server put in it: a value with a newline (an
// issuer, a scope, a management URI) cannot start a line that reads like ours, in stdout or stderr.
import { describe, expect, it } from "vitest";
import { Output } from "../../provider/cli/output.js";

const capture = () => {
  const out = { stdout: "", stderr: "" };
  const io = {
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
    env: {},
    cwd: "/",
  };
  return { out, o: new Output(io, { json: false, verbose: false, show_secrets: false }) };
};

describe("Output", () => {
  it("line, field and note print a server's newline inside their one line", () => {
    const { out, o } = capture();
    o.line("issuer https://bank.example\nok    everything  FORGED\n::error::x");
    o.field("scope", "ASPSPReadAccess\nstatus: FORGED line");
    o.note("state: client c1\nresult: deleted");
    expect(out.stdout.split("\n").filter(Boolean)).toEqual([
      "issuer https://bank.example\\u000aok    everything  FORGED\\u000a::error::x",
      "scope: ASPSPReadAccess\\u000astatus: FORGED line",
    ]);
    expect(out.stderr).toBe("state: client c1\\u000aresult: deleted\n");
  });
  it("an object field stays pretty JSON, a string's newline escaped inside its quotes", () => {
    const { out, o } = capture();
    o.field("metadata", { client_name: "a\nb", scope: "openid" });
    expect(out.stdout).toBe('metadata: {\n  "client_name": "a\\nb",\n  "scope": "openid"\n}\n');
  });
});
