// Bank answers the sandbox cannot produce, from a tiny loopback HTTPS server that carries the
// sandbox CA's server certificate (real TLS; the directory, SSA and JWKS are the sandbox's).
// Each answer must end in a typed error that says what came back, keeps a client_id the bank
// announced (never lose one), never follows a redirect with the SSA, and never leaks a secret.
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ObDcrError } from "../../provider/core/errors.js";
import { createContext } from "../../provider/http/context.js";
import { closeAgents } from "../../provider/http/transport.js";
import { createRegistration, readRegistration } from "../../provider/lifecycle/registration.js";
import type { Sandbox } from "../../sandbox/index.js";
import { coreParams } from "../support/params.js";
import { startTestSandbox } from "../support/sandbox.js";
import { expectNoSecrets, softwareSecrets, type TinyServer, tinyHttpsServer } from "./helpers.js";

type Answer = (res: ServerResponse, other: string) => void;
interface Case {
  name: string;
  answer: Answer;
  code: string;
  msg: RegExp;
  /** The client_id the error must carry (the bank announced it). */
  clientId?: string;
}

const json =
  (status: number, body: unknown, type = "application/json"): Answer =>
  (res) => {
    res.writeHead(status, { "content-type": type });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };

const CASES: Case[] = [
  {
    name: "201 with an HTML page",
    answer: json(201, "<html><body>Created</body></html>", "text/html"),
    code: "OBDCR_OUTCOME_UNKNOWN",
    msg: /registration of .*: the bank answered HTTP 201, so it probably created a client.*HTTP 201 body is not JSON \(content-type text\/html\).*no client_id could be read/,
  },
  {
    name: "201 with an empty body",
    answer: json(201, ""),
    code: "OBDCR_OUTCOME_UNKNOWN",
    msg: /HTTP 201 body is not JSON/,
  },
  {
    name: "201 with truncated JSON (client_id kept)",
    answer: json(201, '{"client_id":"trunc-123","client_id_issued_at":17000'),
    code: "OBDCR_OUTCOME_UNKNOWN",
    msg: /it names client trunc-123, which is kept/,
    clientId: "trunc-123",
  },
  {
    name: "201 with truncated JSON before any client_id",
    answer: json(201, '{"client_id_iss'),
    code: "OBDCR_OUTCOME_UNKNOWN",
    msg: /not JSON/,
  },
  {
    name: "201 with a 2 MiB body (over the cap: outcome unknown)",
    answer: json(201, `{"client_id":"big","pad":"${"x".repeat(2 * 1024 * 1024)}"}`),
    code: "OBDCR_OUTCOME_UNKNOWN",
    msg: /probably created a client.*exceeds the 1048576-byte cap/,
  },
  {
    name: "201 with XML (wrong content type)",
    answer: json(201, "<client><id>1</id></client>", "application/xml"),
    code: "OBDCR_OUTCOME_UNKNOWN",
    msg: /not JSON \(content-type application\/xml\)/,
  },
  {
    name: "201 JSON without client_id",
    answer: json(201, { client_name: "x" }),
    code: "OBDCR_OUTCOME_UNKNOWN",
    msg: /client_id/,
  },
  {
    name: "201 JSON array",
    answer: json(201, [1, 2]),
    code: "OBDCR_OUTCOME_UNKNOWN",
    msg: /registration/,
  },
  {
    name: "201 with a numeric client_id",
    answer: json(201, { client_id: 42 }),
    code: "OBDCR_OUTCOME_UNKNOWN",
    msg: /it names client 42, which is kept/,
    clientId: "42",
  },
  {
    name: "201 with an unverifiable signed body (client_id kept)",
    answer: json(
      201,
      `${Buffer.from('{"alg":"ES256"}').toString("base64url")}.${Buffer.from('{"client_id":"jwt-9"}').toString("base64url")}.c2ln`,
      "application/jwt",
    ),
    code: "OBDCR_OUTCOME_UNKNOWN",
    msg: /does not verify.*it names client jwt-9, which is kept/,
    clientId: "jwt-9",
  },
  {
    name: "302 redirect (not followed)",
    answer: (res, other) => {
      res.writeHead(302, { location: `${other}/register` });
      res.end();
    },
    code: "OBDCR_UNEXPECTED_RESPONSE",
    msg: /unexpected HTTP 302/,
  },
  {
    name: "307 redirect (not followed, SSA not re-sent)",
    answer: (res, other) => {
      res.writeHead(307, { location: `${other}/register` });
      res.end();
    },
    code: "OBDCR_UNEXPECTED_RESPONSE",
    msg: /unexpected HTTP 307/,
  },
  {
    name: "400 with an unknown error code",
    answer: json(400, { error: "bank_specific_oops", error_description: "field foo is wrong" }),
    code: "OBDCR_REGISTRATION_REJECTED",
    msg: /rejected with HTTP 400 bank_specific_oops: field foo is wrong/,
  },
  {
    name: "400 with an HTML error page",
    answer: json(400, "<h1>Bad Request</h1>", "text/html"),
    code: "OBDCR_UNEXPECTED_RESPONSE",
    msg: /unexpected HTTP 400/,
  },
  {
    name: "403 with an empty body",
    answer: json(403, ""),
    code: "OBDCR_UNEXPECTED_RESPONSE",
    msg: /unexpected HTTP 403/,
  },
  {
    name: "500 with HTML (POST not retried)",
    answer: json(500, "<h1>oops</h1>", "text/html"),
    code: "OBDCR_UNEXPECTED_RESPONSE",
    msg: /unexpected HTTP 500/,
  },
  {
    name: "429 with a Retry-After beyond the limit",
    answer: (res) => {
      res.writeHead(429, { "retry-after": "3600", "content-type": "application/json" });
      res.end("{}");
    },
    code: "OBDCR_TRANSPORT",
    msg: /rate limiting \(HTTP 429, Retry-After 3600\).*run again later/,
  },
  {
    name: "an error body echoing a secret-looking value is cut to 300 characters",
    answer: json(400, { error: "invalid_client_metadata", error_description: "y".repeat(5000) }),
    code: "OBDCR_REGISTRATION_REJECTED",
    msg: /invalid_client_metadata: y{300}…$/,
  },
];

describe("unusable bank answers end in typed errors and keep the client_id (a 2xx to the POST: OBDCR_OUTCOME_UNKNOWN)", () => {
  let sb: Sandbox;
  let bank: TinyServer;
  let other: TinyServer;
  let answer: Answer = json(500, "");
  let secrets: string[];

  beforeAll(async () => {
    sb = await startTestSandbox({ prefix: "rel-answers" });
    secrets = softwareSecrets(sb);
    other = await tinyHttpsServer(sb, (_req, res) => json(201, { client_id: "stolen" })(res, ""));
    bank = await tinyHttpsServer(sb, (req, res) => {
      if (req.url === "/token")
        return json(200, { access_token: "at-1", token_type: "Bearer", expires_in: 300 })(res, "");
      answer(res, other.url);
    });
  });
  afterAll(async () => {
    await closeAgents();
    await Promise.all([bank?.close(), other?.close()]);
    await sb?.close();
  });

  const params = () =>
    coreParams(sb, "sandbox-bank", {
      bank: {
        discovery_url: undefined,
        registration_endpoint: `${bank.url}/register`,
        // the real bank's keys: a signed answer must verify against them
        jwks_uri: sb.manifest.banks[0]!.jwks_uri,
        token_endpoint: `${bank.url}/token`,
      },
    });

  it.each(CASES.map((c) => [c.name, c] as const))("POST answered with %s", async (_n, c) => {
    answer = c.answer;
    const err = await createRegistration(params(), createContext({ transport: { backoff_base_ms: 1 } })).then(
      (r) => new Error(`unexpectedly registered ${r.client_id}`),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ObDcrError);
    const e = err as ObDcrError & { client_id?: string };
    expect(e.code, e.message).toBe(c.code);
    expect(e.message).toMatch(c.msg);
    expect(e.message.length).toBeLessThan(1500);
    if (c.clientId) expect(e.client_id).toBe(c.clientId);
    expectNoSecrets(`${e.message}\n${JSON.stringify(e)}`, secrets, "the error");
    expect(other.seen, "a redirect was followed").toEqual([]);
  });

  it("a GET (refresh) answered with HTML is an unexpected response, not a gone registration", async () => {
    answer = json(200, "<html>maintenance</html>", "text/html");
    const err = await readRegistration(params(), { client_id: "c-1" }, createContext()).catch(
      (e: unknown) => e,
    );
    expect((err as ObDcrError).code).toBe("OBDCR_UNEXPECTED_RESPONSE");
    expect((err as Error).message).toMatch(/registration read \(GET\): HTTP 200 body is not JSON/);
  });

  it("a GET answered 200 with another client's registration is refused", async () => {
    answer = json(200, { client_id: "someone-else", redirect_uris: [] });
    const err = await readRegistration(params(), { client_id: "c-1" }, createContext()).then(
      (r) => new Error(`accepted ${r.client_id}`),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ObDcrError);
    expect((err as ObDcrError).code).toBe("OBDCR_UNEXPECTED_RESPONSE");
    expect((err as Error).message).toMatch(/answered for client someone-else when asked about c-1/);
  });
});
