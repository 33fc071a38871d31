// Which request a Ctrl-C interrupted, told from what the CLI's recorder saw: a registration POST is
// known by its body (a JWT or JSON object), not only by a path ending in /register, so that a bank
// whose endpoint is named otherwise (Ping's /as/clients.oauth2, /connect/registration) still gets
// the "the bank may hold a client" report instead of "nothing was left unanswered". The signals
// themselves are sent to the built CLI in interrupt.test.ts.
import { describe, expect, it } from "vitest";
import type { HttpExchange } from "../../provider/cli/http_log.js";
import { inFlightOf } from "../../provider/cli/interrupt.js";
import { interruptedReport } from "../../provider/core/interrupted.js";

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
const jwt = (claims: Record<string, unknown>) =>
  `${b64({ alg: "PS256", typ: "JWT" })}.${b64(claims)}.${Buffer.from("signature").toString("base64url")}`;

const post = (url: string, body: string): HttpExchange => ({
  method: "POST",
  url,
  started: 0,
  request_body: Buffer.from(body),
});

describe("an interrupted request, as the recorder saw it", () => {
  it.each([
    [
      "a signed request to /as/clients.oauth2",
      "https://bank.example/as/clients.oauth2",
      jwt({ client_id: "hint-7", software_statement: "ssa" }),
    ],
    [
      "a JSON request to /connect/registration",
      "https://bank.example/connect/registration",
      JSON.stringify({ client_id: "hint-7", software_statement: "ssa" }),
    ],
    ["a signed request to /register", "https://bank.example/register", jwt({ client_id: "hint-7" })],
  ])("%s is a registration POST: the report names the client the bank may hold", (_, url, body) => {
    const r = interruptedReport("SIGINT", [inFlightOf(post(url, body))]);
    expect(r.exit_code).toBe(130);
    expect(r.client_id).toBe("hint-7");
    expect(r.message).toMatch(/the bank may have registered client hint-7/);
  });

  it("a registration POST without a proposed client_id says the bank may hold a client it chose", () => {
    const r = interruptedReport("SIGTERM", [
      inFlightOf(post("https://bank.example/as/clients.oauth2", jwt({ software_statement: "ssa" }))),
    ]);
    expect(r.exit_code).toBe(143);
    expect(r.client_id).toBeUndefined();
    expect(r.message).toMatch(/the bank may have registered a client/);
  });

  it("a token request (a form) to any path is not a registration", () => {
    const r = interruptedReport("SIGINT", [
      inFlightOf(post("https://bank.example/as/token.oauth2", "grant_type=client_credentials&scope=openid")),
    ]);
    expect(r.client_id).toBeUndefined();
    expect(r.message).toMatch(/no request that changes a registration was left unanswered/);
  });
});
