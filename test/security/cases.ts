// The table of hostile cases (issue 21): what the bank or the directory does, which CLI steps meet
// it, and what must hold beyond the checks every case gets (harness.ts `violations`). Classes:
//   url       credentials follow URLs the bank chose (origins, schemes, JWKS locations, issuer)
//   echo      secrets echoed back in error text or odd members
//   forge     output forged with control characters and CI workflow commands
//   malformed answers that are deep, mistyped, huge, compressed, duplicated or unfinished
//   hang      answers that trickle, stall, or ask to come back later
//   ssa       SSA values that skip the checks configured values get, and SSA signature tricks
//   keep      behaviour that is already right and must stay so (honest banks, redirects, TLS)
import { gzipSync } from "node:zlib";
import * as jose from "jose";
import { type Case, type CaseRun, findSecret, jsonCode, jsonMessage } from "./harness.js";
import {
  type BankClient,
  type Exchange,
  type Hostile,
  jwtClaims,
  type Route,
  signAnswer,
} from "./hostile.js";

// ---------------------------------------------------------------- building blocks

/** JSON text nested `n` deep (arrays), built without recursion. */
export const deepJson = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
const DEEP = 100_000;

/** A 201 body as text with `extra` raw JSON members appended (for nesting and duplicate keys). */
function withRaw(body: Record<string, unknown>, extra: string): string {
  const t = JSON.stringify(body);
  return `${t.slice(0, -1)},${extra}}`;
}

const ESC = "\u001b";

/** Write a raw HTTP response one byte per `ms` on the socket (headers included). */
function trickle(x: Exchange, text: string, ms = 1000): void {
  const sock = x.res.socket;
  if (!sock) return;
  let i = 0;
  x.every(ms, () => {
    if (i < text.length) sock.write(text[i++]!);
  });
}

/** Send headers now and the body one byte per second (a 201 that takes minutes). */
function slowBody(x: Exchange, status: number, body: string, ms = 1000): void {
  x.res.writeHead(status, { "content-type": "application/json", "content-length": String(body.length) });
  x.res.flushHeaders();
  let i = 0;
  x.every(ms, () => {
    if (i < body.length) x.res.write(body[i++]!);
  });
}

const silent = (_x: Exchange) => undefined;

/** Give the client a new registration access token; the old one stops working (RFC 7592 §2.2). */
export function rotateRat(x: Exchange, c: BankClient): string {
  c.rat = x.h.issue("rat", x.id, `rat-rotated-${x.c.n++}-${Date.now().toString(36)}-0123456789abcdef`);
  return c.rat;
}

const bearer = (x: Exchange) => (x.req.headers.authorization ?? "").replace(/^(Bearer|Basic) /, "");

const err = (x: Exchange, status: number, error: string, description?: string, h?: Record<string, string>) =>
  x.json(status, { error, ...(description !== undefined ? { error_description: description } : {}) }, h);

/** The registration answer moved to another origin (RFC 7592 registration_client_uri). */
const moveTo = (base: string, id: unknown) => `${base}/register/${encodeURIComponent(String(id))}`;

/** Create, then answer with a patched 201. */
const created =
  (patch: (b: Record<string, unknown>, x: Exchange) => Record<string, unknown>, o: { id?: unknown } = {}) =>
  (x: Exchange) => {
    const { body } = x.create(o.id !== undefined ? { id: o.id } : {});
    x.json(201, patch(body, x));
  };

/** Create, then answer a 201 signed by `key` (application/jwt). */
const signed201 = (key: "bank" | "attacker") => async (x: Exchange) => {
  const { body } = x.create();
  const k = key === "bank" ? x.h.bankKey : x.h.attackerKey;
  x.send(201, await signAnswer(body, k), { "content-type": "application/jwt" });
};

/** Answer 503 (or 429) with Retry-After. */
const later = (status: 503 | 429, ra: string) => (x: Exchange) =>
  x.json(status, { error: "temporarily_unavailable" }, { "retry-after": ra });

/** A JWKS much larger than the 1 MB response cap, whose first key is the bank's real one. */
function hugeJwks(x: Exchange): void {
  const pad = Array.from({ length: 4000 }, (_, i) => ({ kty: "oct", kid: `pad-${i}`, k: "A".repeat(400) }));
  x.json(200, { keys: [x.h.bankKey.jwk, ...pad] });
}

let bombPad: Buffer | undefined;
/**
 * gzip of a JSON 201 padded to 256 MB with spaces (about 256 KB on the wire): concatenated gzip
 * members, so that the test never holds the inflated body itself.
 */
function gzipBomb(prefix: string): Buffer {
  bombPad ??= gzipSync(Buffer.alloc(1024 * 1024, 0x20), { level: 9 });
  const parts: Buffer[] = [gzipSync(Buffer.from(`${prefix.slice(0, -1)},"pad":"`))];
  for (let i = 0; i < 256; i++) parts.push(bombPad);
  parts.push(gzipSync(Buffer.from('"}')));
  return Buffer.concat(parts);
}

/** No other-origin request at all (JWKS tricks must not even fetch). */
const nothingAtOther = (r: CaseRun, h: Hostile) =>
  h
    .forCase(r.c.id)
    .filter((q) => q.listener === "other")
    .map((q) => `request to another origin: ${q.method} ${q.path}`);

/** The state file still names the seeded client with its registration access token. */
const seedKept = (r: CaseRun) => {
  const s = r.states[0]?.text;
  if (!s || !r.seeded) return [];
  const doc = JSON.parse(s) as { client_id?: unknown };
  return doc.client_id === r.seeded.client_id
    ? []
    : [`the state file no longer names ${String(r.seeded.client_id)}`];
};

/** The jti of the client assertion a token request carries ("" without one). */
const assertionJti = (body: string): string => {
  const a = new URLSearchParams(body).get("client_assertion");
  return a ? String(jwtClaims(a).jti ?? "") : "";
};

/** The jti of a request JWT (a registration POST or PUT body; "" without one). */
const requestJti = (body: string): string => String(jwtClaims(body).jti ?? "");

/** Where a route's requests carry their single-use JWT. */
const jtiOf = (route: Route): ((body: string) => string) =>
  route === "register" || route === "update" ? requestJti : assertionJti;

/**
 * A server that keeps the jti of every JWT it is sent (RFC 7523 §3, OIDC Core §9: used once): a
 * replay is refused; the first request gets `first`, every later one the honest answer.
 */
/** A run that said "does not verify" where a claim was wrong: each blamed the signature. */
const blamesSignature = (r: CaseRun) =>
  r.runs.filter((x) => /does not verify/.test(x.stderr)).map((x) => `${x.step.cmd}: blames the signature`);

const usedOnce = (first: (x: Exchange) => void) => (x: Exchange) => {
  x.c.data.jtis ??= new Set<string>();
  const seen = x.c.data.jtis as Set<string>;
  const jti = jtiOf(x.route)(x.text);
  if (seen.has(jti))
    return x.route === "token" || x.route === "dir-token"
      ? err(x, 400, "invalid_client", "client assertion jti has already been used")
      : err(x, 400, "invalid_client_metadata", "request JWT jti has already been used");
  seen.add(jti);
  return seen.size === 1 ? first(x) : x.honest();
};

/** No single-use JWT was sent twice to `route` (each retry signs a fresh one). */
const noReplay = (route: Route) => (r: CaseRun, h: Hostile) => {
  const jtis = h
    .forCase(r.c.id)
    .filter((q) => q.route === route)
    .map((q) => jtiOf(route)(q.body));
  return jtis
    .filter((j, i) => j !== "" && jtis.indexOf(j) !== i)
    .map((j) => `${route}: the JWT with jti ${j} was sent again (a retry replayed it)`);
};

const PLAIN_JWKS = (x: Exchange) =>
  x.listener === "plain" ? x.json(200, { keys: [x.h.attackerKey.jwk] }) : x.honest();

// ---------------------------------------------------------------- the cases

/** A token endpoint that refuses us quoting the Basic credential we sent, decoded. */
const quoteBasic = (x: Exchange) => {
  const [u, p] = Buffer.from(bearer(x), "base64").toString("utf8").split(":");
  err(
    x,
    400,
    "invalid_request",
    `client ${decodeURIComponent(u ?? "")} secret ${decodeURIComponent(p ?? "")} refused`,
  );
};

const url: Case[] = [
  {
    id: "url-rcu-other-rat",
    cls: "url",
    what: "201 with a registration access token and a registration_client_uri on another HTTPS origin",
    proves:
      "GET/PUT/DELETE never carry the RAT to another origin; delete never reports an orphan as deleted; the client is kept",
    scenario: {
      mgmt: "rat",
      on: {
        register: created((b, x) => ({ ...b, registration_client_uri: moveTo(x.u.other, b.client_id) })),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "get" }, { cmd: "update" }, { cmd: "delete" }],
    engine: true,
  },
  {
    id: "url-rcu-other-obie",
    cls: "url",
    what: "OBIE-managed bank (management style obie) whose 201 points registration_client_uri at another origin",
    proves: "the bank's access token for management never goes to another origin",
    scenario: {
      mgmt: "rat",
      on: {
        register: created((b, x) => ({ ...b, registration_client_uri: moveTo(x.u.other, b.client_id) })),
      },
    },
    bankProfile: { management: { style: "obie" } },
    steps: [{ cmd: "register" }, { cmd: "get" }, { cmd: "delete" }],
  },
  {
    id: "url-state-rcu-other-rat",
    cls: "url",
    what: "a state file (written from an earlier answer) whose registration_client_uri is on another origin",
    proves: "management never follows a stored URI to another origin with the RAT",
    scenario: { mgmt: "rat" },
    seed: { rat: true, rcu: "other" },
    steps: [{ cmd: "get" }, { cmd: "update" }, { cmd: "delete" }],
  },
  {
    id: "url-state-rcu-other-obie",
    cls: "url",
    what: "OBIE management with a stored registration_client_uri on another origin",
    proves: "the bank access token never goes to another origin",
    scenario: { mgmt: "obie" },
    seed: { rcu: "other" },
    steps: [{ cmd: "get" }, { cmd: "delete" }],
  },
  {
    id: "url-get-moves-rcu",
    cls: "url",
    what: "a GET answer that rotates the RAT (so get saves its state) and moves registration_client_uri to another origin",
    proves: "an answer never moves management: the state keeps the bank's origin, the next call stays there",
    scenario: {
      mgmt: "rat",
      on: {
        read: (x) => {
          const c = x.authClient();
          if (!c) return err(x, 401, "invalid_token");
          rotateRat(x, c);
          x.json(200, {
            ...x.render(c),
            registration_access_token: c.rat,
            registration_client_uri: moveTo(x.u.other, c.client_id),
          });
        },
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "get" }, { cmd: "get" }, { cmd: "delete" }],
    engine: true,
  },
  {
    id: "url-put-moves-rcu",
    cls: "url",
    what: "a PUT answer that moves registration_client_uri to another origin",
    proves: "an update answer never moves management to another origin",
    scenario: {
      mgmt: "rat",
      on: {
        update: (x) => {
          const c = x.authClient();
          if (!c) return err(x, 401, "invalid_token");
          x.json(200, { ...x.render(c), registration_client_uri: moveTo(x.u.other, c.client_id) });
        },
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "update" }, { cmd: "get" }, { cmd: "delete" }],
  },
  {
    id: "url-disc-register-http",
    cls: "url",
    what: "discovery names an http:// registration_endpoint",
    proves:
      "the SSA and the request JWT never travel in plaintext; a typed error names the field before anything is sent",
    scenario: { mgmt: "rat", discovery: (d, u) => ({ ...d, registration_endpoint: `${u.plain}/register` }) },
    steps: [{ cmd: "run" }],
    expect: { fails: { exit: [3, 4, 5], mentions: /registration_endpoint/ } },
    engine: true,
  },
  {
    id: "url-disc-token-http",
    cls: "url",
    what: "discovery names an http:// token_endpoint (OBIE management)",
    proves: "the client assertion for the management token never travels in plaintext",
    scenario: { mgmt: "obie", discovery: (d, u) => ({ ...d, token_endpoint: `${u.plain}/token` }) },
    seed: {},
    steps: [{ cmd: "get" }],
    expect: { fails: { exit: [3, 4, 5], mentions: /token_endpoint/ } },
  },
  {
    id: "url-disc-token-http-secret",
    cls: "url",
    what: "discovery names an http:// token_endpoint, client_secret_basic",
    proves: "a client secret never travels in plaintext (Basic header)",
    scenario: { mgmt: "obie", discovery: (d, u) => ({ ...d, token_endpoint: `${u.plain}/token` }) },
    auth: "client_secret_basic",
    seed: { secret: true },
    steps: [{ cmd: "get" }],
    expect: { fails: { exit: [3, 4, 5], mentions: /token_endpoint/ } },
  },
  {
    id: "url-disc-jwks-http",
    cls: "url",
    what: "discovery jwks_uri over http://, and a 201 signed with a key served there",
    proves:
      "a plaintext JWKS is never fetched nor trusted; the signed 201 is not accepted; the client is kept",
    scenario: {
      mgmt: "rat",
      discovery: (d, u) => ({ ...d, jwks_uri: `${u.plain}/jwks` }),
      on: { register: signed201("attacker"), jwks: PLAIN_JWKS },
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3, 4, 5] } },
    engine: true,
  },
  {
    id: "url-disc-mtls-alias-http",
    cls: "url",
    what: "discovery mtls_endpoint_aliases.registration_endpoint over http://",
    proves: "the mTLS alias is held to the same URL policy",
    scenario: {
      mgmt: "rat",
      discovery: (d, u) => ({
        ...d,
        mtls_endpoint_aliases: {
          registration_endpoint: `${u.plain}/register`,
          token_endpoint: `${u.plain}/token`,
        },
      }),
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3, 4, 5], mentions: /registration_endpoint/ }, noPost: true },
  },
  {
    id: "url-disc-register-file",
    cls: "url",
    what: "discovery registration_endpoint is a file: URI",
    proves: "no other scheme than https is used; a typed error names the field",
    scenario: { mgmt: "rat", discovery: (d) => ({ ...d, registration_endpoint: "file:///etc/passwd" }) },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3, 4, 5], mentions: /registration_endpoint/ }, noPost: true },
  },
  {
    id: "url-disc-register-metadata",
    cls: "url",
    what: "discovery registration_endpoint is the cloud metadata service (https://169.254.169.254/)",
    proves:
      "no bank sends us to a link-local address, even a local one: refused naming the field, nothing sent there",
    scenario: {
      mgmt: "rat",
      discovery: (d) => ({ ...d, registration_endpoint: "https://169.254.169.254/latest/meta-data/" }),
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3, 4, 5], mentions: /registration_endpoint.*link-local/ }, noPost: true },
  },
  {
    id: "url-disc-register-metadata-name",
    cls: "url",
    what: "discovery registration_endpoint names metadata.google.internal",
    proves: "a cloud metadata service by name is refused like its address",
    scenario: {
      mgmt: "rat",
      discovery: (d) => ({
        ...d,
        registration_endpoint: "https://metadata.google.internal/computeMetadata/v1/",
      }),
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3, 4, 5], mentions: /registration_endpoint.*metadata service/ }, noPost: true },
  },
  {
    id: "url-disc-register-data",
    cls: "url",
    what: "discovery registration_endpoint is a data: URI",
    proves: "data: URIs are refused with a typed error naming the field",
    scenario: {
      mgmt: "rat",
      discovery: (d) => ({ ...d, registration_endpoint: "data:application/json,%7B%7D" }),
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3, 4, 5], mentions: /registration_endpoint/ }, noPost: true },
  },
  {
    id: "url-disc-register-javascript",
    cls: "url",
    what: "discovery registration_endpoint is a javascript: URI",
    proves: "javascript: URIs are refused with a typed error naming the field",
    scenario: { mgmt: "rat", discovery: (d) => ({ ...d, registration_endpoint: "javascript:alert(1)" }) },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3, 4, 5], mentions: /registration_endpoint/ }, noPost: true },
  },
  {
    id: "url-201-rcu-http",
    cls: "url",
    what: "201 whose registration_client_uri is http://",
    proves: "the RAT never travels in plaintext; the refused URI is not stored; the client is kept",
    scenario: {
      mgmt: "rat",
      on: {
        register: created((b, x) => ({ ...b, registration_client_uri: moveTo(x.u.plain, b.client_id) })),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "get" }, { cmd: "delete" }],
  },
  {
    id: "url-201-rcu-file",
    cls: "url",
    what: "201 whose registration_client_uri is a file: URI",
    proves: "file: URIs are never stored in state; the client is kept",
    scenario: {
      mgmt: "rat",
      on: { register: created((b) => ({ ...b, registration_client_uri: "file:///tmp/obdcr-registration" })) },
    },
    steps: [{ cmd: "register" }, { cmd: "get" }],
  },
  {
    id: "url-201-rcu-data",
    cls: "url",
    what: "201 whose registration_client_uri is a data: URI",
    proves: "data: URIs are never stored in state; the client is kept",
    scenario: {
      mgmt: "rat",
      on: { register: created((b) => ({ ...b, registration_client_uri: "data:text/plain,registration" })) },
    },
    steps: [{ cmd: "register" }],
  },
  {
    id: "url-201-rcu-javascript",
    cls: "url",
    what: "201 whose registration_client_uri is a javascript: URI",
    proves: "javascript: URIs are never stored in state; the client is kept",
    scenario: {
      mgmt: "rat",
      on: { register: created((b) => ({ ...b, registration_client_uri: "javascript:fetch('//evil')" })) },
    },
    steps: [{ cmd: "register" }],
  },
  {
    id: "url-jwks-over-cap",
    cls: "url",
    what: "a signed 201, and the bank's JWKS over the response size cap",
    proves:
      "fail closed: a JWKS that cannot be read fails the verification (no decode-only fallback); the client is kept",
    scenario: { mgmt: "rat", on: { register: signed201("bank"), jwks: hugeJwks } },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [5] } },
    engine: true,
  },
  {
    id: "url-jwks-unreachable",
    cls: "url",
    what: "a signed 201, and the bank's jwks_uri on a server with the wrong TLS identity",
    proves: "fail closed: a JWKS that cannot be fetched fails the verification; the client is kept",
    scenario: {
      mgmt: "rat",
      discovery: (d, u) => ({ ...d, jwks_uri: `${u.wrongname}/jwks` }),
      on: { register: signed201("bank") },
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [5] } },
  },
  {
    id: "url-jwks-500",
    cls: "url",
    what: "a signed 201, and the bank's JWKS answers 500",
    proves: "fail closed on a JWKS error; the client is kept",
    scenario: { mgmt: "rat", on: { register: signed201("bank"), jwks: (x) => x.send(500, "oops") } },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [5] } },
  },
  {
    id: "url-issuer-other-bank",
    cls: "url",
    what: "discovery issuer names another bank (bank profile aud = issuer)",
    proves:
      "OIDC Discovery §4.3: the issuer must match the URL the document came from; no request JWT with a foreign aud is sent",
    scenario: { mgmt: "rat", discovery: (d, u) => ({ ...d, issuer: u.other }) },
    bankProfile: { aud: "issuer" },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3, 4, 5], mentions: /issuer/ }, noPost: true },
  },
  {
    id: "url-issuer-mismatch",
    cls: "url",
    what: "discovery issuer differs from the discovery URL (aud = org id)",
    proves: "a discovery document for another issuer is refused whatever the aud setting",
    scenario: { mgmt: "rat", discovery: (d, u) => ({ ...d, issuer: `${u.bank}/elsewhere` }) },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3, 4, 5], mentions: /issuer/ }, noPost: true },
  },
  {
    id: "url-ssa-jwks-http",
    cls: "url",
    what: "the SSA's software_jwks_endpoint is http://",
    proves: "URLs from the directory's SSA follow the same policy: refused before the request JWT is sent",
    scenario: {
      mgmt: "rat",
      ssaClaims: (c, u) => ({ ...c, software_jwks_endpoint: `${u.plain}/dir/software.jwks` }),
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3, 4, 5], mentions: /software_jwks_endpoint|jwks/ }, noPost: true },
  },
  {
    id: "url-ssa-jwks-revoked-http",
    cls: "url",
    what: "the SSA's software_jwks_revoked_endpoint is http://",
    proves: "every URL of the SSA is held to the policy",
    scenario: {
      mgmt: "rat",
      ssaClaims: (c, u) => ({ ...c, software_jwks_revoked_endpoint: `${u.plain}/dir/revoked.jwks` }),
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3, 4, 5] }, noPost: true },
  },
];

/** The ways a bank can spell a secret it echoes so that a match by value misses it. */
const ENCODED_ECHOES: [string, string, (v: string) => string][] = [
  [
    "echo-rat-percent",
    "percent-encoded, every character",
    (v) => [...v].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join(""),
  ],
  ["echo-rat-base64url", "base64url-encoded", (v) => Buffer.from(v).toString("base64url")],
  [
    "echo-rat-base64-inside",
    "base64-encoded inside a longer text",
    (v) => Buffer.from(`Bearer ${v}`).toString("base64"),
  ],
  [
    "echo-rat-json-escaped",
    "as JSON \\u escapes (the description holds the backslashes)",
    (v) => [...v].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join(""),
  ],
  [
    "echo-rat-split-lines",
    "in 10-character pieces, one a line",
    (v) => (v.match(/.{1,10}/g) ?? []).join("\n"),
  ],
  [
    "echo-rat-zero-width",
    "in 10-character pieces joined by invisible characters (zero-width space, soft hyphen, a control)",
    (v) => (v.match(/.{1,10}/g) ?? []).join(["\u200b", "\u00ad", "\u0001"][v.length % 3]),
  ],
];

/**
 * Output as a reader can decode it: as printed, percent-decoded, `\uXXXX` escapes undone, base64 and
 * base64url runs decoded, and with whitespace and escaped line breaks taken out (a secret cut in lines).
 */
export function decodedViews(text: string): string {
  const unescaped = text.replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) =>
    String.fromCharCode(Number.parseInt(h, 16)),
  );
  const pct = text.replace(/(?:%[0-9a-fA-F]{2})+/g, (m) => {
    try {
      return decodeURIComponent(m);
    } catch {
      return m;
    }
  });
  const b64 = [...text.matchAll(/[A-Za-z0-9+/_-]{16,}={0,2}/g)].map((m) =>
    Buffer.from(m[0], "base64").toString("latin1"),
  );
  // Cuts: white space, controls and what is not shown (as printed, or as escapes undone).
  const compact = unescaped.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: controls are cuts
    /\\+[nrt]|[\s\p{Default_Ignorable_Code_Point}\p{Cf}\p{M}\u0000-\u001f\\]+/gu,
    "",
  );
  return [text, unescaped, pct, ...b64, compact].join("\n");
}

const echo: Case[] = [
  {
    id: "echo-reqjwt-register",
    cls: "echo",
    what: "400 whose error_description quotes our whole request JWT",
    proves: "secrets are scrubbed by value in --json, text and verbose output",
    scenario: {
      mgmt: "rat",
      on: { register: (x) => err(x, 400, "invalid_client_metadata", `could not use request ${x.text}`) },
    },
    steps: [{ cmd: "register" }, { cmd: "register", mode: "text" }],
    expect: { fails: { exit: [4] } },
    engine: true,
  },
  {
    id: "echo-ssa-register",
    cls: "echo",
    what: "400 whose error_description quotes the SSA from our request",
    proves: "the SSA is scrubbed by value",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) =>
          err(
            x,
            400,
            "invalid_software_statement",
            `statement ${String(jwtClaims(x.text).software_statement)} rejected`,
          ),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "run", mode: "text" }],
    expect: { fails: { exit: [3, 4] } },
  },
  {
    id: "echo-assertion-directory",
    cls: "echo",
    what: "the directory's token endpoint answers 400 quoting our client assertion",
    proves: "the directory's text is scrubbed like the bank's",
    scenario: {
      mgmt: "rat",
      on: {
        "dir-token": (x) =>
          err(x, 400, "invalid_request", `assertion ${x.form.get("client_assertion")} not accepted`),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "run", mode: "text" }],
    expect: { fails: { exit: [4] }, noPost: true },
  },
  {
    id: "echo-assertion-bank-token",
    cls: "echo",
    what: "the bank's token endpoint (OBIE management) answers 400 quoting our client assertion",
    proves: "a management token refusal prints no assertion",
    scenario: {
      mgmt: "obie",
      on: { token: (x) => err(x, 400, "invalid_request", `assertion=${x.form.get("client_assertion")}`) },
    },
    seed: {},
    steps: [{ cmd: "get" }, { cmd: "get", mode: "text" }],
    expect: { fails: { exit: [4] } },
  },
  {
    id: "echo-rat-get",
    cls: "echo",
    what: "GET answers 400 quoting the registration access token",
    proves: "the RAT is scrubbed by value",
    scenario: {
      mgmt: "rat",
      on: { read: (x) => err(x, 400, "invalid_request", `token ${bearer(x)} is malformed`) },
    },
    seed: { rat: true },
    steps: [{ cmd: "get" }, { cmd: "get", mode: "text" }],
    expect: { fails: { exit: [4, 5] } },
    engine: true,
  },
  {
    id: "echo-secret-basic",
    cls: "echo",
    what: "the bank's token endpoint quotes the client secret from our Basic header",
    proves: "a client secret is scrubbed by value",
    scenario: {
      mgmt: "obie",
      on: {
        token: quoteBasic,
      },
    },
    auth: "client_secret_basic",
    seed: { secret: true },
    steps: [{ cmd: "get" }, { cmd: "get", mode: "text" }],
    expect: { fails: { exit: [4] } },
  },
  {
    id: "echo-secret-basic-b64",
    cls: "echo",
    what: "a client secret in base64 (+ / =), quoted decoded by the token endpoint in a later process",
    proves:
      "a client secret is scrubbed by value whatever its encoding in the Basic header (RFC 6749 §2.3.1 form-encodes it), and when it comes from the state file",
    scenario: {
      mgmt: "obie",
      on: {
        register: (x) => {
          const { client, body } = x.create();
          client.secret = x.h.issue("client_secret", x.id, `Q+w/E=r+T/y=U+i/O=p+A/${Date.now()}`);
          x.json(201, { ...body, client_secret: client.secret, client_secret_expires_at: 0 });
        },
        token: quoteBasic,
      },
    },
    auth: "client_secret_basic",
    steps: [{ cmd: "register" }, { cmd: "get" }, { cmd: "get", mode: "text" }],
    expect: { fails: { step: 1, exit: [4] } },
  },
  {
    id: "echo-secret-post",
    cls: "echo",
    what: "the bank's token endpoint quotes the client_secret form field",
    proves: "a client secret is scrubbed by value",
    scenario: {
      mgmt: "obie",
      on: {
        token: (x) => err(x, 400, "invalid_request", `got client_secret=${x.form.get("client_secret")}`),
      },
    },
    auth: "client_secret_post",
    seed: { secret: true },
    steps: [{ cmd: "get" }],
    expect: { fails: { exit: [4] } },
  },
  {
    id: "echo-secret-short",
    cls: "echo",
    what: "a 7-character client secret (hunter2), quoted by the token endpoint in a later process",
    proves: "a short secret is scrubbed too, as a whole word",
    scenario: {
      mgmt: "obie",
      on: {
        register: (x) => {
          const { client, body } = x.create();
          client.secret = x.h.issue("client_secret", x.id, "hunter2");
          x.json(201, { ...body, client_secret: client.secret, client_secret_expires_at: 0 });
        },
        token: (x) => err(x, 400, "invalid_request", `got client_secret=${x.form.get("client_secret")}`),
      },
    },
    auth: "client_secret_post",
    steps: [{ cmd: "register" }, { cmd: "get" }, { cmd: "get", mode: "text" }],
    expect: { fails: { step: 1, exit: [4] } },
  },
  {
    id: "echo-dir-token-ssa-endpoint",
    cls: "echo",
    what: "the SSA endpoint answers 403 quoting the directory access token",
    proves: "access tokens are scrubbed by value",
    scenario: {
      mgmt: "rat",
      on: { ssa: (x) => err(x, 403, "access_denied", `token ${bearer(x)} lacks the scope`) },
    },
    steps: [{ cmd: "register" }, { cmd: "run", mode: "text" }],
    expect: { fails: { exit: [4] }, noPost: true },
  },
  {
    id: "echo-dir-token-twice",
    cls: "echo",
    what: "the directory's token answer repeats its access token under a harmless member name (`debug`)",
    proves:
      "run prints the token answer only with every token in it scrubbed by value, not by member name alone",
    scenario: {
      mgmt: "rat",
      on: {
        "dir-token": (x) => {
          const at = x.h.issue(
            "directory_token",
            x.id,
            `dat-twice-${Date.now().toString(36)}-0123456789abcdef`,
          );
          x.json(200, { access_token: at, token_type: "Bearer", expires_in: 3600, debug: `issued ${at}` });
        },
      },
    },
    steps: [{ cmd: "run", mode: "text" }, { cmd: "run" }],
    expect: { succeeds: [0, 1] },
  },
  {
    id: "echo-foreign-jws",
    cls: "echo",
    what: "400 whose error_description carries a compact JWS the bank made up",
    proves: "any compact-JWS-shaped string in bank text is scrubbed",
    scenario: {
      mgmt: "rat",
      on: {
        register: async (x) => {
          const jws = await signAnswer({ sub: "leak", nonce: "n".repeat(40) }, x.h.attackerKey);
          err(x, 400, "invalid_client_metadata", `see ${jws}`);
        },
      },
    },
    steps: [{ cmd: "register" }, { cmd: "register", mode: "text" }],
    expect: { fails: { exit: [4] } },
  },
  {
    id: "echo-reqjwt-error-code",
    cls: "echo",
    what: "400 whose `error` member (not the description) is our request JWT",
    proves: "every bank-supplied member is scrubbed, not only error_description",
    scenario: { mgmt: "rat", on: { register: (x) => x.json(400, { error: x.text }) } },
    steps: [{ cmd: "register" }, { cmd: "register", mode: "text" }],
    expect: { fails: { exit: [4, 5] } },
  },
  {
    id: "echo-reqjwt-500-text",
    cls: "echo",
    what: "500 text/plain whose body is our request JWT",
    proves: "non-JSON error bodies are scrubbed too (verbose log included)",
    scenario: {
      mgmt: "rat",
      on: { register: (x) => x.send(500, `upstream rejected: ${x.text}`, { "content-type": "text/plain" }) },
    },
    steps: [{ cmd: "register" }, { cmd: "run", mode: "text" }],
    expect: { fails: { exit: [5] } },
  },
  {
    id: "echo-secrets-in-201",
    cls: "echo",
    what: "a 201 with extra members carrying the SSA and our request JWT under harmless names",
    proves: "redaction is by value, not by field name: the body printed by run/register holds neither",
    scenario: {
      mgmt: "rat",
      on: {
        register: created((b, x) => ({
          ...b,
          note: String(jwtClaims(x.text).software_statement),
          debug: { echo: x.text },
        })),
      },
    },
    steps: [{ cmd: "run", mode: "text" }, { cmd: "register" }],
    expect: { succeeds: [0, 1] },
  },
  {
    id: "echo-substitution-secret",
    cls: "echo",
    what: "a 201 that registers, in place of the requested scope and client_name, the registration access token it issues and our SSA",
    proves:
      "the substitutions output (plain in Pulumi state) holds no credential: values the bank registered instead are scrubbed like registeredMetadata",
    scenario: {
      mgmt: "rat",
      on: {
        register: created((b, x) => ({
          ...b,
          scope: String(b.registration_access_token),
          client_name: String(jwtClaims(x.text).software_statement),
        })),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "run", mode: "text" }],
    expect: { succeeds: [0, 1] },
    engine: true,
  },
  {
    id: "echo-rat-in-rcu",
    cls: "echo",
    what: "a 201 whose registration_client_uri (on the bank's origin) carries the registration access token in its query",
    proves:
      "a management URI holding a credential is never kept (it is plain in state and printed): refused as an unusable answer, the client and its token kept",
    scenario: {
      mgmt: "rat",
      on: {
        register: created((b) => ({
          ...b,
          registration_client_uri: `${String(b.registration_client_uri)}?access_token=${String(b.registration_access_token)}`,
        })),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "register", mode: "text" }],
    expect: { fails: { exit: [5], code: ["OBDCR_OUTCOME_UNKNOWN"] }, ratKept: true },
    engine: true,
  },
  {
    id: "echo-rat-in-rcu-base64",
    cls: "echo",
    what: "a 201 whose registration_client_uri (on the bank's origin) carries the registration access token base64url-encoded in its query",
    proves:
      "a management URI holding a credential in a spelling a reader can undo is never kept either: refused as an unusable answer, the client and its token kept",
    scenario: {
      mgmt: "rat",
      on: {
        register: created((b) => ({
          ...b,
          registration_client_uri: `${String(b.registration_client_uri)}?t=${Buffer.from(String(b.registration_access_token)).toString("base64url")}`,
        })),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "register", mode: "text" }],
    expect: { fails: { exit: [5], code: ["OBDCR_OUTCOME_UNKNOWN"] }, ratKept: true },
    check: (r, h) => {
      const secrets = h.issued.filter((i) => i.case === r.c.id).map((i) => i.value);
      return r.states.flatMap((st) => {
        if (!st.text) return [];
        const { secrets: _kept, ...rest } = JSON.parse(st.text) as Record<string, unknown>;
        const hit = findSecret(decodedViews(JSON.stringify(rest)), secrets);
        return hit ? [`state file: a secret value outside "secrets", once decoded: ${hit}`] : [];
      });
    },
  },
  {
    id: "echo-rat-in-alg",
    cls: "echo",
    what: "a 201 that registers, as token_endpoint_auth_signing_alg, the registration access token it issues",
    proves:
      "the alg the CLI's state file records from the bank's answer holds no credential: only an alg name is recorded",
    scenario: {
      mgmt: "rat",
      on: {
        register: created((b) => ({
          ...b,
          token_endpoint_auth_signing_alg: String(b.registration_access_token),
        })),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "get" }],
    expect: { succeeds: [0, 1] },
  },
  {
    id: "echo-metadata-member-name",
    cls: "echo",
    what: "a 201 with a member whose name is the registration access token it issues, and one whose name holds CR/LF, ESC and ::error::",
    proves:
      "member names are bank text too: the bank's view kept in state (registeredMetadata) scrubs and escapes them as it does values",
    scenario: {
      mgmt: "rat",
      on: {
        register: created((b) => ({
          ...b,
          [String(b.registration_access_token)]: "x",
          [`a\r\n::error::forged ${ESC}[2K`]: "y",
        })),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "get" }],
    expect: { succeeds: [0, 1] },
    engine: true,
  },
  {
    id: "echo-rat-in-get-body",
    cls: "echo",
    what: "a GET answer with a member quoting the RAT (`x_debug: token=…`)",
    proves: "a RAT echoed in a success body is scrubbed by value",
    scenario: {
      mgmt: "rat",
      on: {
        read: (x) => {
          const c = x.authClient();
          if (!c) return err(x, 401, "invalid_token");
          x.json(200, { ...x.render(c), x_debug: `token=${bearer(x)}` });
        },
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "get" }, { cmd: "get", mode: "text" }],
    expect: { succeeds: [0, 1] },
  },
  {
    id: "echo-put-reqjwt",
    cls: "echo",
    what: "PUT answers 400 quoting our update request JWT",
    proves: "update refusals are scrubbed",
    scenario: { mgmt: "rat", on: { update: (x) => err(x, 400, "invalid_client_metadata", `bad ${x.text}`) } },
    seed: { rat: true },
    steps: [{ cmd: "update" }, { cmd: "update", mode: "text" }],
    expect: { fails: { exit: [4] } },
  },
  {
    id: "echo-delete-rat",
    cls: "echo",
    what: "DELETE answers 400 quoting the RAT",
    proves: "delete refusals are scrubbed; the registration stays in state",
    scenario: {
      mgmt: "rat",
      on: { delete: (x) => err(x, 400, "invalid_request", `Authorization: Bearer ${bearer(x)}`) },
    },
    seed: { rat: true },
    steps: [{ cmd: "delete" }, { cmd: "delete", mode: "text" }],
    expect: { fails: { exit: [4] } },
    check: seedKept,
  },
  {
    id: "echo-rat-www-authenticate",
    cls: "keep",
    what: "GET 401 with a WWW-Authenticate header quoting the RAT",
    proves: "headers shown by --verbose are scrubbed too",
    scenario: {
      mgmt: "rat",
      on: {
        read: (x) =>
          err(x, 400, "invalid_token", "refused", {
            "www-authenticate": `Bearer error="invalid_token", error_description="${bearer(x)}"`,
          }),
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "get" }, { cmd: "get", mode: "text" }],
    expect: { fails: { exit: [4, 5] } },
  },
  ...ENCODED_ECHOES.map(
    ([id, what, encode]): Case => ({
      id,
      cls: "echo",
      what: `GET answers 400 quoting the registration access token ${what}`,
      proves: "a secret is scrubbed in the encodings a reader can undo, not only as it was sent",
      scenario: {
        mgmt: "rat",
        on: { read: (x) => err(x, 400, "invalid_request", `token ${encode(bearer(x))} is malformed`) },
      },
      seed: { rat: true },
      steps: [{ cmd: "get" }, { cmd: "get", mode: "text" }],
      expect: { fails: { exit: [4, 5] } },
      check: (r, h) => {
        const secrets = h.issued.filter((i) => i.case === r.c.id).map((i) => i.value);
        return r.runs.flatMap((x, i) => {
          const hit = findSecret(decodedViews(`${x.stdout}\n${x.stderr}`), secrets);
          return hit ? [`step ${i + 1}: a secret value, once decoded: ${hit}`] : [];
        });
      },
    }),
  ),
];

type Body = Record<string, unknown>;
/** A 201 naming two clients the bank made (a, then b), written three ways. */
const DUP_KEYS: [string, string, string, (a: Body, b: Body) => string][] = [
  [
    "bad-201-dup-keys",
    "a 201 with two client_id members (the bank made both clients)",
    "duplicate keys are refused, not guessed: OBDCR_OUTCOME_UNKNOWN, no state naming one client and managing another",
    (a, b) => withRaw(a, `"client_id":${JSON.stringify(b.client_id)}`),
  ],
  [
    "bad-201-dup-keys-escaped",
    "a 201 with two client_id members, the first spelled client\\u005fid (the same name, decoded)",
    "member names compare decoded: OBDCR_OUTCOME_UNKNOWN naming both, no state naming one of them",
    (a, b) => `{"client\\u005fid":${JSON.stringify(a.client_id)},${JSON.stringify(b).slice(1)}`,
  ],
  [
    "bad-201-dup-keys-far",
    "a 201 with two client_id members 70 KB apart",
    "the whole answer is read for client_id members: OBDCR_OUTCOME_UNKNOWN, no state naming one of them",
    (a, b) =>
      `{"x_pad":"${"p".repeat(70_000)}",${JSON.stringify(a).slice(1, -1)},"client_id":${JSON.stringify(b.client_id)}}`,
  ],
];

/** Lines a server's text made look like ours (its value printed with a newline in it). */
const forgedLines = (r: CaseRun): string[] =>
  r.runs.flatMap((x) =>
    `${x.stdout}\n${x.stderr}`
      .split("\n")
      .filter((l) => /^\s*(status: deleted|ok {4}everything)/.test(l))
      .map((l) => `a forged line: ${l}`),
  );

const FORGED_IDS: [string, string, string][] = [
  ["forge-clientid-crlf", "CR/LF and a GitHub Actions ::error:: line", "\r\n::error::pwned\r\n"],
  [
    "forge-clientid-gha",
    "::add-mask:: and ::set-output lines",
    "\n::add-mask::x\n::set-output name=client_id::evil",
  ],
  [
    "forge-clientid-vso",
    "an Azure Pipelines ##vso[task.setvariable] line",
    "\n##vso[task.setvariable variable=OBDCR;issecret=false]evil",
  ],
  [
    "forge-clientid-ansi",
    "ANSI erase-line, cursor-up and an OSC 8 hyperlink",
    `${ESC}[2K${ESC}[1A${ESC}]8;;https://evil.example${ESC}\\link${ESC}]8;;${ESC}\\`,
  ],
  ["forge-clientid-c1", "C1 controls (CSI U+009B, NEL U+0085)", "\u009b2K\u0085::error::c1\u008d"],
];

const forge: Case[] = [
  ...FORGED_IDS.map(
    ([id, what, suffix], i): Case => ({
      id,
      cls: "forge",
      what: `201 whose client_id carries ${what}`,
      proves:
        "bank text is escaped before printing (text and --json); the client is kept, named by its printable part",
      scenario: {
        mgmt: "rat",
        on: {
          register: (x) => {
            const tag = `cid-${x.id}-${++x.c.n}`;
            const { body } = x.create({ id: `${tag}${suffix}`, tag });
            x.json(201, body);
          },
        },
      },
      steps: [{ cmd: "register" }, { cmd: "run", mode: "text" }],
      engine: i === 0,
    }),
  ),
  {
    id: "forge-rcu-lf",
    cls: "forge",
    what: "201 whose registration_client_uri holds a LF and a fake status line (the URL parser drops the LF)",
    proves:
      "a URL with whitespace or controls is refused, never stored or printed as lines of its own; the client is kept",
    scenario: {
      mgmt: "rat",
      on: {
        register: created((b, x) => ({
          ...b,
          registration_client_uri: `${x.u.bank}/register/${encodeURIComponent(String(b.client_id))}\nstatus: deleted (FORGED)\n::warning::x`,
        })),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "register", mode: "text" }, { cmd: "get", mode: "text" }],
    check: (r) => forgedLines(r),
  },
  {
    id: "forge-issuer-lf",
    cls: "forge",
    what: "a discovery issuer with a LF and a fake check line",
    proves: "a server's value with a newline prints on one line: no line of ours can be forged",
    scenario: {
      mgmt: "rat",
      discovery: (d) => ({ ...d, issuer: `${String(d.issuer)}\nok    everything  FORGED` }),
    },
    steps: [{ cmd: "register", mode: "text" }],
    expect: { fails: { exit: [3, 4, 5] } },
    check: (r) => forgedLines(r),
  },
  {
    id: "forge-desc-crlf",
    cls: "forge",
    what: "400 whose error_description holds CR/LF, ::error:: and ##vso[task.complete]",
    proves: "a refusal cannot forge CI workflow commands",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) =>
          err(
            x,
            400,
            "invalid_client_metadata",
            "bad\r\n::error file=x::pwned\r\n##vso[task.complete result=Succeeded]done",
          ),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "register", mode: "text" }],
    expect: { fails: { exit: [4] } },
    engine: true,
  },
  {
    id: "forge-desc-inline",
    cls: "forge",
    what: "400 whose error_description holds ##vso[task.setvariable] and ##[add-mask] mid-line, ##vso[ split by a soft hyphen, by a Hebrew accent and by a tag character, ::error:: after a zero-width space, and bidi overrides",
    proves:
      "a command a CI runner finds anywhere in a line (Azure's ##vso[, GitHub's legacy ##[) is escaped wherever it is, and invisible or bidi characters cannot hide one: ##vso[ was escaped only at the start of a line, so the error line ran it",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) =>
          err(
            x,
            400,
            "invalid_client_metadata",
            "see ##vso[task.setvariable variable=PULUMI_ACCESS_TOKEN]evil and ##[add-mask]x, " +
              "##\u00advso[task.complete result=Succeeded]done #\u0591#vso[task.complete]a #\u{e0001}#vso[task.complete]b" +
              "\n\u200b::error::zw \u202egnp.exe\u2066x\u2069",
          ),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "register", mode: "text" }, { cmd: "run", mode: "text" }],
    expect: { fails: { exit: [4] } },
  },
  {
    id: "forge-desc-ansi",
    cls: "forge",
    what: "400 whose error_description erases the line and prints a fake success",
    proves: "terminal escapes (CSI, OSC) from a bank are escaped",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) =>
          err(
            x,
            400,
            "invalid_client_metadata",
            `${ESC}[2K\r${ESC}[1Aresult: registered${ESC}]0;owned${ESC}\u0007`,
          ),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "register", mode: "text" }],
    expect: { fails: { exit: [4] } },
  },
  {
    id: "forge-desc-c1",
    cls: "forge",
    what: "400 whose error_description holds C1 controls (NEL, CSI)",
    proves: "C1 controls are escaped (JSON.stringify alone does not)",
    scenario: {
      mgmt: "rat",
      on: { register: (x) => err(x, 400, "invalid_client_metadata", "x\u0085::warning::c1\u009b31mred") },
    },
    steps: [{ cmd: "register" }, { cmd: "register", mode: "text" }],
    expect: { fails: { exit: [4] } },
  },
  {
    id: "forge-error-member",
    cls: "forge",
    what: "400 whose `error` code itself holds a newline and ::error::",
    proves: "the error code is bank text too",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) =>
          x.json(400, { error: "invalid_client_metadata\n::error::code", error_description: "x" }),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "register", mode: "text" }],
    expect: { fails: { exit: [4, 5] } },
  },
  {
    id: "forge-directory-desc",
    cls: "forge",
    what: "the directory's token endpoint answers 400 with ::add-mask:: and ESC in its description",
    proves: "directory text is escaped like bank text",
    scenario: {
      mgmt: "rat",
      on: { "dir-token": (x) => err(x, 400, "invalid_client", `no\n::add-mask::\n${ESC}[31mred`) },
    },
    steps: [{ cmd: "register" }, { cmd: "run", mode: "text" }],
    expect: { fails: { exit: [4] }, noPost: true },
  },
  {
    id: "forge-get-metadata",
    cls: "forge",
    what: "a GET answer whose metadata (client_name, scope) holds CR/LF, ESC and ::error::",
    proves: "registered metadata is escaped when get prints it",
    scenario: {
      mgmt: "rat",
      on: {
        read: (x) => {
          const c = x.authClient();
          if (!c) return err(x, 401, "invalid_token");
          x.json(200, {
            ...x.render(c),
            client_name: `ok${ESC}[2K\n::error::meta\u0085::error::nel\u009b2K`,
            scope: "openid accounts\r\n##vso[task.setvariable variable=a]b",
          });
        },
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "get" }, { cmd: "get", mode: "text" }],
  },
  {
    id: "forge-substitution",
    cls: "forge",
    what: "a 201 that substitutes scope with a value holding a newline, ::error:: and ESC",
    proves: "substitution warnings escape bank text",
    scenario: {
      mgmt: "rat",
      on: {
        register: created((b) => ({
          ...b,
          scope: `openid accounts\n::error::substituted${ESC}[31m\u0085::error::nel\u009b2K`,
        })),
      },
    },
    steps: [{ cmd: "run", mode: "text" }, { cmd: "register" }],
  },
  {
    id: "forge-ssa-client-name",
    cls: "forge",
    what: "an SSA (validly signed) whose software_client_name holds ::error:: and ESC",
    proves: "directory content is untrusted text even under a valid signature",
    scenario: {
      mgmt: "rat",
      ssaClaims: (c) => ({
        ...c,
        software_client_name: `TPP\n::error::from the directory${ESC}[2K\u0085::error::nel\u009b2K`,
      }),
    },
    steps: [{ cmd: "run", mode: "text" }, { cmd: "register" }],
  },
];

/** A gateway's failure to answer a POST that the bank behind it committed. */
const CREATED_THEN_FAILED: [string, number, string, string, string][] = [
  [
    "bad-post-502-created",
    502,
    "a gateway's HTML page",
    "<html><body>502 Bad Gateway</body></html>",
    "text/html",
  ],
  ["bad-post-504-created", 504, "a gateway's timeout page", "upstream request timeout", "text/plain"],
];

const malformed: Case[] = [
  {
    id: "bad-404-html-get",
    cls: "malformed",
    what: "an RFC 7592 bank declaring gone_statuses [401, 404] whose GET is answered by a gateway: 404 with an HTML page",
    proves:
      "a 404 that is no OAuth error is not taken for gone: unconfirmed, the registration and its token kept",
    scenario: {
      mgmt: "rat",
      on: {
        read: (x) =>
          x.send(404, "<html><body><h1>404 Not Found</h1>nginx</body></html>", {
            "content-type": "text/html",
          }),
      },
    },
    bankProfile: { management: { style: "rfc7592", gone_statuses: [401, 404] } },
    seed: { rat: true },
    steps: [{ cmd: "get" }],
    expect: { fails: { exit: [4], code: ["OBDCR_GONE_UNCONFIRMED"] }, ratKept: true },
  },
  {
    id: "bad-201-deep",
    cls: "malformed",
    what: "a 201 whose JSON nests 100,000 deep after client_id and the RAT",
    proves:
      "no recursion over bank JSON: no stack overflow, the client and its RAT are kept (state written first)",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) => {
          const { body } = x.create();
          x.send(201, withRaw(body, `"x":${deepJson(DEEP)}`), { "content-type": "application/json" });
        },
      },
    },
    steps: [{ cmd: "register" }],
    expect: { ratKept: true },
    engine: true,
  },
  {
    id: "bad-get-deep",
    cls: "malformed",
    what: "a GET answer nested 100,000 deep",
    proves: "a typed error, no crash; the registration and its RAT stay in state",
    scenario: {
      mgmt: "rat",
      on: {
        read: (x) => {
          const c = x.authClient();
          if (!c) return err(x, 401, "invalid_token");
          x.send(200, withRaw(x.render(c), `"x":${deepJson(DEEP)}`), { "content-type": "application/json" });
        },
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "get" }],
    expect: { fails: { exit: [5] } },
    check: seedKept,
  },
  {
    id: "bad-get-deep-rotates",
    cls: "malformed",
    what: "a GET answer that rotates the RAT (the old one stops working) and nests 100,000 deep",
    proves:
      "the new RAT replaces the old one in the state file though the answer is refused; the next call works",
    scenario: {
      mgmt: "rat",
      on: {
        read: (x) => {
          const c = x.authClient();
          if (!c) return err(x, 401, "invalid_token");
          if (c.rat?.startsWith("rat-rotated-")) return x.json(200, x.render(c));
          rotateRat(x, c);
          const body = { ...x.render(c), registration_access_token: c.rat };
          x.send(200, withRaw(body, `"x":${deepJson(DEEP)}`), { "content-type": "application/json" });
        },
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "get" }, { cmd: "get" }],
    expect: { fails: { step: 0, exit: [5] }, succeeds: [1] },
    check: seedKept,
    engine: true,
  },
  {
    id: "bad-put-rotates-no-client-id",
    cls: "malformed",
    what: "a PUT answer that rotates the RAT (the old one stops working) and omits client_id",
    proves:
      "the new RAT replaces the old one in the state file though the answer is refused; get and delete still work",
    scenario: {
      mgmt: "rat",
      on: {
        update: (x) => {
          const c = x.authClient();
          if (!c) return err(x, 401, "invalid_token");
          rotateRat(x, c);
          const { client_id: _omitted, ...rest } = x.render(c);
          x.json(200, { ...rest, registration_access_token: c.rat });
        },
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "update" }, { cmd: "get" }],
    expect: { fails: { step: 0, exit: [5] }, succeeds: [1] },
    check: seedKept,
  },
  {
    id: "bad-obie-401-fresh-token",
    cls: "malformed",
    what: "OBIE-style management (as CDR's cdr:registration): the token endpoint issues tokens, GET and DELETE answer 401 as for an unknown client",
    proves:
      "a 401 that the token endpoint contradicts is not a deletion: get and delete fail unconfirmed, the state file keeps the client",
    scenario: {
      mgmt: "obie",
      on: {
        read: (x) => err(x, 401, "invalid_request", "The client is unknown"),
        delete: (x) => err(x, 401, "invalid_request", "The client is unknown"),
      },
    },
    seed: {},
    steps: [{ cmd: "get" }, { cmd: "delete" }],
    expect: { fails: { step: 0, code: ["OBDCR_GONE_UNCONFIRMED"] } },
    check: (r, h) => [
      ...seedKept(r),
      ...((r.runs[1] ? jsonCode(r.runs[1]) : undefined) === "OBDCR_GONE_UNCONFIRMED"
        ? []
        : ["delete: not refused as unconfirmed"]),
      ...(h.state(r.c.id).clients.some((k) => !k.deleted) ? [] : ["the bank no longer holds the client"]),
    ],
  },
  {
    id: "bad-error-deep",
    cls: "malformed",
    what: "a 400 refusal (invalid_redirect_uri) whose body nests 100,000 deep",
    proves: "a real refusal is not masked by a crash",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) =>
          x.send(
            400,
            `{"error":"invalid_redirect_uri","error_description":"not allowed","x":${deepJson(DEEP)}}`,
            { "content-type": "application/json" },
          ),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "run", mode: "text" }],
    expect: { fails: { exit: [4, 5] } },
  },
  {
    id: "bad-put-502-applied",
    cls: "malformed",
    what: "the bank applies the update PUT, and its gateway answers 502",
    proves:
      "a gateway's 502 to a PUT may come after the bank applied it (and rotated the token, RFC 7592 §2.2): OBDCR_OUTCOME_UNKNOWN, the state file marks the token unconfirmed",
    scenario: {
      mgmt: "rat",
      on: {
        update: (x) => {
          if (!x.authClient()) return err(x, 401, "invalid_token");
          x.send(502, "<html><body>502 Bad Gateway</body></html>", { "content-type": "text/html" });
        },
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "update" }],
    expect: { fails: { exit: [5], code: ["OBDCR_OUTCOME_UNKNOWN"] } },
    check: (r) => {
      const v = seedKept(r);
      const st = r.states[0]?.text;
      if (!st || (JSON.parse(st) as { token_unconfirmed?: unknown }).token_unconfirmed !== true)
        v.push("the state file does not mark the registration access token unconfirmed");
      return v;
    },
  },
  {
    id: "bad-put-deep",
    cls: "malformed",
    what: "a PUT answer nested 100,000 deep",
    proves: "a typed error; the registration stays in state",
    scenario: {
      mgmt: "rat",
      on: {
        update: (x) => {
          const c = x.authClient();
          if (!c) return err(x, 401, "invalid_token");
          x.send(200, withRaw(x.render(c), `"x":${deepJson(DEEP)}`), { "content-type": "application/json" });
        },
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "update" }],
    expect: { fails: { exit: [5] } },
    check: seedKept,
  },
  {
    id: "bad-put-rotated-unusable",
    cls: "malformed",
    what: "a PUT answer that rotates the registration access token (RFC 7592 §2.2) and holds a client_secret without client_secret_expires_at",
    proves: "a rotated token is kept whatever else the answer holds: the client stays manageable",
    scenario: {
      mgmt: "rat",
      on: {
        update: (x) => {
          const c = x.authClient();
          if (!c) return err(x, 401, "invalid_token");
          rotateRat(x, c);
          const secret = x.h.issue(
            "client_secret",
            x.id,
            `cs-unusable-${Date.now().toString(36)}-0123456789`,
          );
          x.json(200, { ...x.render(c), registration_access_token: c.rat, client_secret: secret });
        },
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "update" }, { cmd: "get" }, { cmd: "delete" }],
    expect: { fails: { exit: [5] }, succeeds: [1, 2] },
  },
  {
    id: "bad-put-oversize",
    cls: "malformed",
    what: "the bank applies the update PUT and answers 200 with 3 MB (over the response cap)",
    proves:
      "an answer to a PUT that cannot be read may carry a rotated token (RFC 7592 §2.2): OBDCR_OUTCOME_UNKNOWN, the state file marks the token unconfirmed, so that a later 401 is not taken for a deletion",
    scenario: {
      mgmt: "rat",
      on: {
        update: (x) => {
          const c = x.authClient();
          if (!c) return err(x, 401, "invalid_token");
          x.json(200, { ...x.render(c), pad: "p".repeat(3 * 1024 * 1024) });
        },
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "update" }],
    expect: { fails: { exit: [5], code: ["OBDCR_OUTCOME_UNKNOWN"] } },
    check: (r) => {
      const v = seedKept(r);
      const st = r.states[0]?.text;
      if (!st || (JSON.parse(st) as { token_unconfirmed?: unknown }).token_unconfirmed !== true)
        v.push("the state file does not mark the registration access token unconfirmed");
      return v;
    },
  },
  {
    id: "bad-get-rotated-unusable",
    cls: "malformed",
    what: "a GET answer that rotates the registration access token and nests 100,000 deep after it",
    proves: "a rotated token is kept whatever else the answer holds: the client stays manageable",
    scenario: {
      mgmt: "rat",
      on: {
        read: (x) => {
          const c = x.authClient();
          if (!c) return err(x, 401, "invalid_token");
          if (x.c.data.rotated) return x.honest();
          x.c.data.rotated = true;
          rotateRat(x, c);
          x.send(
            200,
            withRaw({ ...x.render(c), registration_access_token: c.rat }, `"x":${deepJson(DEEP)}`),
            {
              "content-type": "application/json",
            },
          );
        },
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "get" }, { cmd: "get" }, { cmd: "delete" }],
    expect: { fails: { exit: [5] }, succeeds: [1, 2] },
  },
  {
    id: "bad-discovery-deep",
    cls: "keep",
    what: "a discovery document nested 100,000 deep",
    proves: "no crash: a typed error before anything is sent, or the deep member ignored",
    scenario: {
      mgmt: "rat",
      on: {
        discovery: (x) =>
          x.send(200, withRaw(x.h.discoveryDoc(x.u), `"x":${deepJson(DEEP)}`), {
            "content-type": "application/json",
          }),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "run", mode: "text" }],
  },
  {
    id: "bad-dir-token-deep",
    cls: "malformed",
    what: "the directory's token answer nested 100,000 deep",
    proves: "directory JSON is parsed without recursion too (a typed error, or the deep member ignored)",
    scenario: {
      mgmt: "rat",
      on: {
        "dir-token": (x) =>
          x.send(
            200,
            `{"access_token":"${x.h.issue("directory_token", x.id, `dat-deep-${Date.now()}-0123456789`)}","token_type":"Bearer","expires_in":3600,"x":${deepJson(DEEP)}}`,
            { "content-type": "application/json" },
          ),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "run", mode: "text" }],
  },
  {
    id: "bad-dir-token-crlf",
    cls: "malformed",
    what: "the directory's token answer is an access_token holding CR/LF and a ::error:: line (then non-ASCII in a later call)",
    proves:
      'a token that cannot go in an Authorization header is refused where it comes in: a typed error naming access_token, no SSA request (it was taken, and the SSA download failed as a "connection failed")',
    scenario: {
      mgmt: "rat",
      on: {
        "dir-token": (x) => {
          const n = x.c.n++;
          const at = x.h.issue(
            "directory_token",
            x.id,
            `dat-crlf-${n}-${Date.now().toString(36)}-0123456789${n % 2 ? "\u20ac" : "\r\n::error::from the directory"}`,
          );
          x.json(200, { access_token: at, token_type: "Bearer", expires_in: 3600 });
        },
      },
    },
    steps: [{ cmd: "register" }, { cmd: "ssa" }, { cmd: "token", mode: "text" }],
    expect: {
      fails: { exit: [5], code: ["OBDCR_UNEXPECTED_RESPONSE"], mentions: /access_token/ },
      noPost: true,
    },
    check: (r, h) => [
      ...h
        .forCase(r.c.id)
        .filter((q) => q.route === "ssa")
        .map((q) => `the SSA was asked for with an unusable token: ${q.method} ${q.path}`),
      ...r.runs.filter((x) => x.code !== 5).map((x) => `${x.step.cmd}: exit ${x.code}, expected 5`),
    ],
  },
  {
    id: "bad-dir-token-expires",
    cls: "malformed",
    what: 'the directory\'s token answer has expires_in -1 (then the string "soon")',
    proves: "an unusable token answer is a typed error naming the member that is wrong, not a guess at it",
    scenario: {
      mgmt: "rat",
      on: {
        "dir-token": (x) => {
          const at = x.h.issue(
            "directory_token",
            x.id,
            `dat-exp-${x.c.n++}-${Date.now().toString(36)}-0123456789`,
          );
          x.json(200, { access_token: at, token_type: "Bearer", expires_in: x.c.n % 2 ? -1 : "soon" });
        },
      },
    },
    steps: [{ cmd: "register" }, { cmd: "token" }],
    expect: {
      fails: { exit: [5], code: ["OBDCR_UNEXPECTED_RESPONSE"], mentions: /expires_in/ },
      noPost: true,
    },
    check: (r) =>
      r.runs[1] && !/expires_in/.test(jsonMessage(r.runs[1]))
        ? ["token: the error does not name expires_in"]
        : [],
  },
  {
    id: "bad-bank-token-crlf",
    cls: "malformed",
    what: "the bank's token endpoint (OBIE management) issues an access_token holding CR/LF and ##vso[task.setvariable]",
    proves:
      "the management token is held to the same rule: a typed error naming access_token, no GET sent with it",
    scenario: {
      mgmt: "obie",
      on: {
        token: (x) => {
          const at = x.h.issue(
            "bank_token",
            x.id,
            `bat-crlf-${Date.now().toString(36)}-0123456789\r\n##vso[task.setvariable variable=x]y`,
          );
          x.json(200, { access_token: at, token_type: "Bearer", expires_in: 3600 });
        },
      },
    },
    seed: {},
    steps: [{ cmd: "get" }, { cmd: "get", mode: "text" }],
    expect: { fails: { exit: [5], code: ["OBDCR_UNEXPECTED_RESPONSE"], mentions: /access_token/ } },
    check: (r, h) =>
      h
        .forCase(r.c.id)
        .filter((q) => q.route === "read")
        .map((q) => `GET sent with an unusable management token: ${q.path}`),
  },
  {
    id: "bad-dir-token-cut-replay",
    cls: "malformed",
    what: "the directory reads the first token request and closes the connection unanswered; it refuses a client assertion it has seen",
    proves: "the retry after a cut connection signs a new assertion (jti used once): ssa and token succeed",
    scenario: { mgmt: "rat", on: { "dir-token": usedOnce((x) => x.req.socket.destroy()) } },
    steps: [{ cmd: "ssa", mode: "text" }, { cmd: "token" }],
    expect: { succeeds: [0, 1] },
    check: noReplay("dir-token"),
  },
  {
    id: "bad-bank-token-502-replay",
    cls: "malformed",
    what: "OBIE management at a bank whose profile takes invalid_client as deleted: its token endpoint answers 502 once, then refuses a client assertion it has seen",
    proves:
      "a retried management token request carries a fresh assertion: a replay refused as invalid_client was taken for a deleted client (get said gone)",
    scenario: { mgmt: "obie", on: { token: usedOnce((x) => x.json(502, { error: "bad_gateway" })) } },
    bankProfile: { management: { gone_statuses: [401, 404], invalid_client_is_gone: true } },
    seed: {},
    steps: [{ cmd: "get" }, { cmd: "get", mode: "text" }, { cmd: "delete" }],
    expect: { succeeds: [0, 1, 2] },
    check: (r, h) => [
      ...noReplay("token")(r, h),
      ...h
        .state(r.c.id)
        .clients.filter((k) => !k.deleted)
        .map((k) => `client ${k.tag} is still at the bank after delete`),
    ],
  },
  {
    id: "bad-sw-jwks-dup-kid",
    cls: "malformed",
    what: "the directory's software JWKS lists our kid twice: first with another key, then with ours",
    proves:
      "our key counts as published wherever it is under our kid: register and get went on (they refused, saying the directory published another key under our kid)",
    scenario: {
      mgmt: "rat",
      on: {
        "sw-jwks": (x) =>
          x.json(200, {
            keys: [{ ...x.h.attackerKey.jwk, kid: x.h.pki.softwareJwk.kid }, x.h.pki.softwareJwk],
          }),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "get", mode: "text" }, { cmd: "delete" }],
    expect: { succeeds: [0, 1, 2] },
  },
  {
    id: "bad-dir-jwks-dup-kid",
    cls: "malformed",
    what: "the directory's JWKS lists its signing kid twice (another RSA key first, then the key that signs the SSA)",
    proves:
      "each key under the kid is tried (every one is the directory's): the SSA verifies; it was refused as ERR_JWKS_MULTIPLE_MATCHING_KEYS",
    scenario: {
      mgmt: "rat",
      on: {
        "dir-jwks": (x) =>
          x.json(200, {
            keys: [{ ...x.h.pki.softwareJwk, kid: x.h.directoryKey.jwk.kid }, x.h.directoryKey.jwk],
          }),
      },
    },
    steps: [{ cmd: "ssa", mode: "text" }, { cmd: "register" }],
    expect: { succeeds: [0, 1] },
  },
  {
    id: "bad-jwks-deep",
    cls: "keep",
    what: "a signed 201, and a bank JWKS nested 100,000 deep",
    proves: "fail closed on an unusable JWKS; the client is kept",
    scenario: {
      mgmt: "rat",
      on: {
        register: signed201("bank"),
        jwks: (x) =>
          x.send(200, `{"keys":[${JSON.stringify(x.h.bankKey.jwk).slice(0, -1)},"x":${deepJson(DEEP)}}]}`, {
            "content-type": "application/json",
          }),
      },
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [5] } },
  },
  ...CREATED_THEN_FAILED.map(
    ([id, status, what, body, type]): Case => ({
      id,
      cls: "malformed",
      what: `the bank creates the client, and its gateway answers the registration POST ${status} (${what})`,
      proves:
        "a gateway's 502 or 504 to a POST may come after the bank behind it committed it: OBDCR_OUTCOME_UNKNOWN with the adopt remedy, never a plain failure that a rerun turns into a second registration",
      scenario: {
        mgmt: "rat",
        on: {
          register: (x) => {
            x.create();
            x.send(status, body, { "content-type": type });
          },
        },
      },
      steps: [{ cmd: "register" }],
      expect: { kept: "unknown", fails: { exit: [5], code: ["OBDCR_OUTCOME_UNKNOWN"] } },
    }),
  ),
  {
    id: "bad-201-secret-expiry-far-past",
    cls: "malformed",
    what: "a 201 whose client_secret_expires_at is -1e15 (a number, finite, before any date a clock can show)",
    proves:
      "the expiry is reported without a crash (no RangeError from a date out of range): the client is kept and the warning names the value",
    scenario: {
      mgmt: "obie",
      on: {
        register: (x) => {
          const { client, body } = x.create();
          client.secret = x.h.issue("client_secret", x.id, `sec-far-past-${Date.now()}-0123456789`);
          x.json(201, { ...body, client_secret: client.secret, client_secret_expires_at: -1e15 });
        },
      },
    },
    auth: "client_secret_basic",
    steps: [{ cmd: "register" }, { cmd: "register", mode: "text" }],
    expect: { succeeds: [0, 1] },
  },
  {
    id: "bad-201-id-number",
    cls: "malformed",
    what: "a 201 whose client_id is a number",
    proves: "OBDCR_OUTCOME_UNKNOWN naming the salvaged client_id (as text), with the adopt remedy",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) => {
          const { body } = x.create({ id: 987654321, tag: "987654321" });
          x.json(201, body);
        },
      },
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [5], code: ["OBDCR_OUTCOME_UNKNOWN"] } },
    engine: true,
  },
  {
    id: "bad-201-id-object",
    cls: "malformed",
    what: "a 201 whose client_id is an object",
    proves: "OBDCR_OUTCOME_UNKNOWN: the bank made a client, the error says so",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) => {
          const tag = `cid-${x.id}-${++x.c.n}`;
          const { body } = x.create({ id: { value: tag }, tag });
          x.json(201, body);
        },
      },
    },
    steps: [{ cmd: "register" }],
    expect: { kept: "unknown", fails: { exit: [5], code: ["OBDCR_OUTCOME_UNKNOWN"] } },
  },
  {
    id: "bad-201-id-10kb",
    cls: "malformed",
    what: "a 201 whose client_id is 10 KB long",
    proves: "OBDCR_OUTCOME_UNKNOWN: the bank made a client, the error says so",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) => {
          const tag = `cid-${x.id}-${++x.c.n}`;
          const { body } = x.create({ id: `${tag}${"x".repeat(10240)}`, tag });
          x.json(201, body);
        },
      },
    },
    steps: [{ cmd: "register" }],
    expect: { kept: "unknown", fails: { exit: [5], code: ["OBDCR_OUTCOME_UNKNOWN"] } },
  },
  {
    id: "bad-201-id-empty",
    cls: "malformed",
    what: "a 201 whose client_id is an empty string",
    proves: "OBDCR_OUTCOME_UNKNOWN",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) => {
          const tag = `cid-${x.id}-${++x.c.n}`;
          const { body } = x.create({ id: "", tag });
          x.json(201, body);
        },
      },
    },
    steps: [{ cmd: "register" }],
    expect: { kept: "unknown", fails: { exit: [5], code: ["OBDCR_OUTCOME_UNKNOWN"] } },
  },
  {
    id: "bad-201-html",
    cls: "malformed",
    what: "a 201 that is an HTML page",
    proves: "OBDCR_OUTCOME_UNKNOWN naming the bank and the software",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) => {
          x.create();
          x.send(201, "<html><body>Client created</body></html>", { "content-type": "text/html" });
        },
      },
    },
    steps: [{ cmd: "register" }],
    expect: { kept: "unknown", fails: { exit: [5], code: ["OBDCR_OUTCOME_UNKNOWN"] } },
  },
  {
    id: "bad-201-gzip-bomb",
    cls: "malformed",
    what: "a 201 with content-encoding gzip that inflates to 256 MB",
    proves: "memory stays bounded; OBDCR_OUTCOME_UNKNOWN",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) => {
          const { body } = x.create();
          x.send(201, gzipBomb(JSON.stringify(body)), {
            "content-type": "application/json",
            "content-encoding": "gzip",
          });
        },
      },
    },
    steps: [{ cmd: "register" }],
    expect: { kept: "unknown", fails: { exit: [5], code: ["OBDCR_OUTCOME_UNKNOWN"] } },
  },
  {
    id: "bad-201-oversize",
    cls: "keep",
    what: "a 201 of 3 MB (over the response cap), client_id first",
    proves: "OBDCR_OUTCOME_UNKNOWN (or the id kept), never a plain failure",
    scenario: { mgmt: "rat", on: { register: created((b) => ({ ...b, pad: "p".repeat(3 * 1024 * 1024) })) } },
    steps: [{ cmd: "register" }],
    expect: { kept: "unknown", fails: { exit: [5] } },
  },
  {
    id: "bad-201-bom",
    cls: "keep",
    what: "a 201 whose JSON starts with a byte-order mark",
    proves: "the client is kept (parsed) or OBDCR_OUTCOME_UNKNOWN",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) => {
          const { body } = x.create();
          x.send(201, `\ufeff${JSON.stringify(body)}`, { "content-type": "application/json" });
        },
      },
    },
    steps: [{ cmd: "register" }],
    expect: { kept: "unknown" },
  },
  {
    id: "bad-201-never-ends",
    cls: "malformed",
    what: "a 201 whose body starts and never ends (a space every 500 ms)",
    proves: "the exchange deadline ends it; OBDCR_OUTCOME_UNKNOWN",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) => {
          const { body } = x.create();
          x.res.writeHead(201, { "content-type": "application/json" });
          x.res.write(`{"client_id":${JSON.stringify(body.client_id)},`);
          x.every(500, () => x.res.write(" "));
        },
      },
    },
    steps: [{ cmd: "register" }],
    expect: { kept: "unknown", fails: { exit: [5] } },
  },
  ...DUP_KEYS.map(
    ([id, what, proves, body]): Case => ({
      id,
      cls: "malformed",
      what,
      proves,
      scenario: {
        mgmt: "rat",
        on: {
          register: (x) => {
            const a = x.create().body;
            const b = x.create().body;
            x.send(201, body(a, b), { "content-type": "application/json" });
          },
        },
      },
      steps: [{ cmd: "register" }],
      expect: { kept: "unknown", fails: { exit: [5], code: ["OBDCR_OUTCOME_UNKNOWN"] } },
      check: (r) =>
        r.states.some((s) => s.text && /"client_id"/.test(s.text))
          ? ["a state file names one of the two clients"]
          : [],
    }),
  ),
  {
    id: "bad-201-form-rat",
    cls: "echo",
    what: "a 201 whose body is form-encoded (client_id, registration_access_token, registration_client_uri)",
    proves: "a body that is not JSON is never printed: its size is",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) => {
          const { body } = x.create();
          const q = new URLSearchParams({
            client_id: String(body.client_id),
            registration_access_token: String(body.registration_access_token),
            registration_client_uri: String(body.registration_client_uri),
          });
          x.send(201, q.toString(), { "content-type": "application/x-www-form-urlencoded" });
        },
      },
    },
    steps: [{ cmd: "run" }, { cmd: "run", mode: "text" }],
    expect: { kept: "unknown" },
  },
  {
    id: "url-201-dot-segment",
    cls: "url",
    what: "a 201 (OBIE management, no registration_client_uri) whose client_id is ..",
    proves:
      "a client_id that is a dot segment is never put in a path (it would manage {registration_endpoint}/..): OBDCR_OUTCOME_UNKNOWN naming it, no GET/PUT/DELETE",
    scenario: {
      mgmt: "obie",
      on: {
        register: (x) => x.json(201, x.create({ id: ".." }).body),
      },
    },
    steps: [{ cmd: "register" }],
    expect: { kept: "unknown", fails: { exit: [5], code: ["OBDCR_OUTCOME_UNKNOWN"] } },
    check: (r, h) =>
      h
        .forCase(r.c.id)
        .filter((q) => q.method !== "POST" && q.route !== "discovery" && !q.path.includes("/dir/"))
        .map((q) => `${q.method} ${q.path} was sent`),
  },
  {
    id: "bad-get-dup-keys",
    cls: "keep",
    what: "a GET answer with two client_id members (ours, then another)",
    proves: "duplicate keys are refused; the state keeps our client",
    scenario: {
      mgmt: "rat",
      on: {
        read: (x) => {
          const c = x.authClient();
          if (!c) return err(x, 401, "invalid_token");
          x.send(200, withRaw(x.render(c), `"client_id":"cid-someone-else"`), {
            "content-type": "application/json",
          });
        },
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "get" }],
    expect: { fails: { exit: [5] } },
    check: seedKept,
  },
  {
    id: "bad-delete-200-error",
    cls: "malformed",
    what: "the DELETE is answered 200 with an OAuth error body (server_error: nothing was deleted), as a gateway that wraps every answer in 200 does; the client stays at the bank",
    proves:
      "an answer that says both done (200) and failed (an OAuth error) is not taken for a deletion: a typed error naming the bank's error, the registration stays in state (it was counted deleted and dropped from state, leaving the bank's client unmanaged)",
    scenario: {
      mgmt: "rat",
      on: {
        delete: (x) => {
          if (!x.authClient()) return err(x, 401, "invalid_token");
          x.json(200, {
            error: "server_error",
            error_description: "database unavailable, nothing was deleted",
          });
        },
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "delete" }, { cmd: "delete", mode: "text" }],
    expect: { fails: { exit: [5], code: ["OBDCR_UNEXPECTED_RESPONSE"], mentions: /server_error/ } },
    check: seedKept,
  },
  {
    id: "bad-201-array",
    cls: "malformed",
    what: "a 201 whose body is a JSON array holding the registration",
    proves: "OBDCR_OUTCOME_UNKNOWN",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) => {
          const { body } = x.create();
          x.json(201, [body]);
        },
      },
    },
    steps: [{ cmd: "register" }],
    expect: { kept: "unknown", fails: { exit: [5], code: ["OBDCR_OUTCOME_UNKNOWN"] } },
  },
  {
    id: "bad-201-rat-number",
    cls: "keep",
    what: "a 201 whose registration_access_token is a number",
    proves: "the readable client_id is kept even though the rest is unusable",
    scenario: {
      mgmt: "rat",
      on: { register: created((b) => ({ ...b, registration_access_token: 1234567890123 })) },
    },
    steps: [{ cmd: "register" }],
  },
  {
    id: "bad-201-proto",
    cls: "keep",
    what: "a 201 with __proto__ (holding another client_id) and constructor members",
    proves:
      "no prototype pollution, no client taken from __proto__: the real client is kept or the outcome reported unknown",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) => {
          const { body } = x.create();
          x.send(
            201,
            withRaw(
              body,
              `"__proto__":{"client_id":"cid-polluted","isAdmin":true},"constructor":{"prototype":{"x":1}}`,
            ),
            { "content-type": "application/json" },
          );
        },
      },
    },
    steps: [{ cmd: "register" }],
    expect: { kept: "unknown" },
    check: (r) =>
      r.states.some((s) => s.text?.includes("cid-polluted"))
        ? ["the state names the client_id from __proto__"]
        : [],
  },
  {
    id: "bad-201-jwt-none",
    cls: "keep",
    what: "a 201 as an unsigned JWT (alg none), while the bank publishes a JWKS",
    proves: "an unsigned answer is never taken as verified; the client is kept",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) => {
          const { body } = x.create();
          x.send(201, new jose.UnsecuredJWT(body as jose.JWTPayload).encode(), {
            "content-type": "application/jwt",
          });
        },
      },
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [5] } },
  },
];

const hang: Case[] = [
  {
    id: "hang-201-slow-body",
    cls: "hang",
    what: "a 201 whose body comes at one byte per second",
    proves: "an overall exchange deadline (not an idle timeout) ends it; OBDCR_OUTCOME_UNKNOWN",
    scenario: { mgmt: "rat", on: { register: (x) => slowBody(x, 201, JSON.stringify(x.create().body)) } },
    steps: [{ cmd: "register" }],
    expect: { kept: "unknown", fails: { exit: [5] } },
    engine: true,
  },
  {
    id: "hang-102-processing",
    cls: "hang",
    what: "POST answered with 102 Processing every second, forever",
    proves: "interim 1xx answers count against the deadline; OBDCR_OUTCOME_UNKNOWN",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) => {
          x.create();
          x.every(1000, () => x.res.writeProcessing());
        },
      },
    },
    steps: [{ cmd: "register" }],
    expect: { kept: "unknown", fails: { exit: [5] } },
  },
  {
    id: "hang-headers-slow-get",
    cls: "hang",
    what: "a GET whose status line and headers come at one byte per second",
    proves: "the deadline covers headers; the registration stays in state",
    scenario: {
      mgmt: "rat",
      on: {
        read: (x) =>
          trickle(x, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"),
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "get" }],
    expect: { fails: { exit: [5] } },
    check: seedKept,
  },
  {
    id: "hang-silent-get",
    cls: "hang",
    what: "a GET that is never answered",
    proves: "the operation budget covers retries: it ends in time, the registration stays",
    scenario: { mgmt: "rat", on: { read: silent } },
    seed: { rat: true },
    steps: [{ cmd: "get" }],
    expect: { fails: { exit: [5] } },
    check: seedKept,
    engine: true,
  },
  {
    id: "hang-retry-after-get",
    cls: "hang",
    what: "every GET answered 503 with Retry-After: 30",
    proves: 'Retry-After beyond the budget fails at once with "try later"',
    scenario: { mgmt: "rat", on: { read: later(503, "30") } },
    seed: { rat: true },
    steps: [{ cmd: "get" }],
    expect: { fails: { exit: [5], mentions: /later/i }, atOnce: "read" },
  },
  {
    id: "hang-retry-after-discovery",
    cls: "hang",
    what: "discovery answered 503 with Retry-After: 30, every time",
    proves: 'Retry-After beyond the budget fails at once with "try later"',
    scenario: { mgmt: "rat", on: { discovery: later(503, "30") } },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [5], mentions: /later/i }, atOnce: "discovery", noPost: true },
  },
  {
    id: "hang-retry-after-token",
    cls: "hang",
    what: "the bank's token endpoint answers 429 with Retry-After: 30, every time",
    proves: "Retry-After beyond the budget fails at once",
    scenario: { mgmt: "obie", on: { token: later(429, "30") } },
    seed: {},
    steps: [{ cmd: "get" }],
    expect: { fails: { exit: [5], mentions: /later/i }, atOnce: "token" },
  },
  {
    id: "hang-retry-after-post",
    cls: "hang",
    what: "registration POST answered 503 with Retry-After: 30, every time",
    proves: "Retry-After beyond the budget fails at once",
    scenario: { mgmt: "rat", on: { register: later(503, "30") } },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [5], mentions: /later/i }, atOnce: "register" },
  },
  {
    id: "hang-retry-after-date",
    cls: "keep",
    what: "GET answered 503 with Retry-After an HTTP date an hour ahead",
    proves: "a Retry-After date beyond the budget fails at once",
    scenario: {
      mgmt: "rat",
      on: { read: (x) => later(503, new Date(Date.now() + 3600_000).toUTCString())(x) },
    },
    seed: { rat: true },
    steps: [{ cmd: "get" }],
    expect: { fails: { exit: [5], mentions: /later/i }, atOnce: "read" },
  },
  {
    id: "hang-dir-token-503-replay",
    cls: "hang",
    what: "the directory's token endpoint answers 503 (Retry-After: 0) once, and refuses a client assertion it has seen (jti used once)",
    proves:
      "a retried token request carries a fresh client assertion: the retry gets the token, not an invalid_client that blames the signing key",
    scenario: {
      mgmt: "rat",
      on: {
        "dir-token": usedOnce((x) =>
          x.json(503, { error: "temporarily_unavailable" }, { "retry-after": "0" }),
        ),
      },
    },
    steps: [{ cmd: "register" }, { cmd: "run", mode: "text" }],
    expect: { succeeds: [0, 1] },
    check: noReplay("dir-token"),
  },
  {
    id: "hang-post-503-replay",
    cls: "hang",
    what: "the bank answers the registration POST 503 (Retry-After: 0) once, and refuses a request JWT whose jti it has seen",
    proves: "a retried registration POST carries a new request JWT (jti used once): the retry registers",
    scenario: {
      mgmt: "rat",
      on: {
        register: usedOnce((x) => x.json(503, { error: "temporarily_unavailable" }, { "retry-after": "0" })),
      },
    },
    steps: [{ cmd: "register" }],
    expect: { succeeds: [0] },
    check: noReplay("register"),
  },
  {
    id: "hang-put-503-replay",
    cls: "hang",
    what: "the bank answers the update PUT 503 (Retry-After: 0) once, and refuses a request JWT whose jti it has seen",
    proves: "a retried update PUT carries a new request JWT: the retry updates",
    scenario: {
      mgmt: "rat",
      on: {
        update: usedOnce((x) => x.json(503, { error: "temporarily_unavailable" }, { "retry-after": "0" })),
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "update" }, { cmd: "get" }],
    expect: { succeeds: [0, 1] },
    check: noReplay("update"),
  },
  {
    id: "hang-dir-token-slow",
    cls: "hang",
    what: "the directory's token answer at one byte per second",
    proves: "the deadline applies to the directory too",
    scenario: {
      mgmt: "rat",
      on: {
        "dir-token": (x) =>
          slowBody(
            x,
            200,
            JSON.stringify({ access_token: "dat-slow-0123456789", token_type: "Bearer", expires_in: 3600 }),
          ),
      },
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [5] }, noPost: true },
  },
  {
    id: "hang-ssa-silent",
    cls: "hang",
    what: "the SSA download is never answered",
    proves: "the SSA download ends within its budget",
    scenario: { mgmt: "rat", on: { ssa: silent } },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [5] }, noPost: true },
  },
  {
    id: "hang-discovery-slow-headers",
    cls: "hang",
    what: "discovery's headers at one byte per second",
    proves: "the deadline covers headers of discovery",
    scenario: {
      mgmt: "rat",
      on: { discovery: (x) => trickle(x, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{}") },
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [5] }, noPost: true },
  },
  {
    id: "hang-jwks-slow",
    cls: "hang",
    what: "a signed 201, and the bank's JWKS at one byte per second",
    proves: "fail closed within the budget; the client is kept",
    scenario: {
      mgmt: "rat",
      on: {
        register: signed201("bank"),
        jwks: (x) => slowBody(x, 200, JSON.stringify({ keys: [x.h.bankKey.jwk] })),
      },
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [5] } },
  },
  {
    id: "hang-delete-102",
    cls: "hang",
    what: "DELETE answered with 102 Processing every second, forever",
    proves: "delete ends in time and never reports deleted; the registration stays in state",
    scenario: { mgmt: "rat", on: { delete: (x) => x.every(1000, () => x.res.writeProcessing()) } },
    seed: { rat: true },
    steps: [{ cmd: "delete" }],
    expect: { fails: { exit: [5] } },
    check: seedKept,
  },
  {
    id: "hang-put-slow-body",
    cls: "hang",
    what: "a PUT answer at one byte per second",
    proves: "update ends in time; the registration stays in state",
    scenario: {
      mgmt: "rat",
      on: {
        update: (x) => {
          const c = x.authClient();
          if (!c) return err(x, 401, "invalid_token");
          slowBody(x, 200, JSON.stringify(x.render(c)));
        },
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "update" }],
    expect: { fails: { exit: [5] } },
    check: seedKept,
  },
];

/** An SSA signed some other way than PS256 by the directory's key. */
const ssaSigned =
  (how: "none" | "hs256" | "jku" | "jwk" | "x5u") =>
  async (claims: Record<string, unknown>, h: Hostile, u: { other: string }) => {
    const p = claims as jose.JWTPayload;
    if (how === "none") return new jose.UnsecuredJWT(p).encode();
    if (how === "hs256") {
      const secret = new TextEncoder().encode(JSON.stringify(h.directoryKey.jwk));
      return new jose.SignJWT(p)
        .setProtectedHeader({ alg: "HS256", kid: h.directoryKey.jwk.kid as string })
        .sign(secret);
    }
    const header: jose.JWTHeaderParameters = { alg: "ES256", kid: h.attackerKey.jwk.kid as string };
    if (how === "jku") header.jku = `${u.other}/jwks`;
    if (how === "x5u") header.x5u = `${u.other}/x/cert.pem`;
    if (how === "jwk")
      header.jwk = {
        kty: h.attackerKey.jwk.kty!,
        crv: h.attackerKey.jwk.crv!,
        x: h.attackerKey.jwk.x!,
        y: h.attackerKey.jwk.y!,
      };
    return new jose.SignJWT(p).setProtectedHeader(header).sign(h.attackerKey.privateKey);
  };

const ssa: Case[] = [
  {
    id: "ssa-redirect-javascript",
    cls: "ssa",
    what: "the SSA's software_redirect_uris is [javascript:…] and the config names none",
    proves: "SSA values get the checks configured values get: refused before the POST",
    scenario: {
      mgmt: "rat",
      ssaClaims: (c) => ({ ...c, software_redirect_uris: ["javascript:alert(document.cookie)"] }),
    },
    client: { redirect_uris: null },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3, 4, 5], mentions: /redirect/ }, noPost: true },
    engine: true,
  },
  {
    id: "ssa-redirect-data",
    cls: "ssa",
    what: "the SSA's software_redirect_uris is [data:text/html,…]",
    proves: "data: redirect URIs from the SSA are refused before the POST",
    scenario: {
      mgmt: "rat",
      ssaClaims: (c) => ({ ...c, software_redirect_uris: ["data:text/html,<script>alert(1)</script>"] }),
    },
    client: { redirect_uris: null },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3, 4, 5], mentions: /redirect/ }, noPost: true },
  },
  {
    id: "ssa-redirect-mixed",
    cls: "ssa",
    what: "the SSA lists a good https redirect URI and a javascript: one",
    proves: "one bad SSA redirect URI is enough to refuse",
    scenario: {
      mgmt: "rat",
      ssaClaims: (c) => ({
        ...c,
        software_redirect_uris: ["https://tpp.example.com/callback", "javascript:alert(1)"],
      }),
    },
    client: { redirect_uris: null },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3, 4, 5], mentions: /redirect/ }, noPost: true },
  },
  {
    id: "ssa-jwks-endpoint-file",
    cls: "ssa",
    what: "the SSA's software_jwks_endpoint is a file: URI",
    proves: "no other scheme than https from the SSA",
    scenario: { mgmt: "rat", ssaClaims: (c) => ({ ...c, software_jwks_endpoint: "file:///etc/passwd" }) },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3, 4, 5] }, noPost: true },
  },
  {
    id: "ssa-deep-claims",
    cls: "ssa",
    what: "a validly signed SSA whose payload nests 100,000 deep (run prints the claims)",
    proves:
      "SSA claims are parsed and printed without recursion; a typed error or a clean registration, no crash",
    scenario: {
      mgmt: "rat",
      ssaSign: async (claims, h) => {
        const payload = Buffer.from(withRaw(claims, `"x":${deepJson(DEEP)}`));
        return new jose.CompactSign(payload)
          .setProtectedHeader({ alg: "PS256", kid: h.directoryKey.jwk.kid as string, typ: "JWT" })
          .sign(h.directoryKey.privateKey);
      },
    },
    steps: [{ cmd: "register" }, { cmd: "run", mode: "text" }],
  },
  {
    id: "ssa-claim-nbf-ahead",
    cls: "ssa",
    what: "a validly signed SSA whose nbf is 10 minutes ahead (the directory's clock is fast)",
    proves:
      "a verified SSA with a claim out of time is refused naming the claim and the clocks, not as a signature that does not verify against the directory JWKS",
    scenario: {
      mgmt: "rat",
      ssaClaims: (c) => ({ ...c, nbf: Math.floor(Date.now() / 1000) + 600 }),
    },
    steps: [{ cmd: "register" }, { cmd: "ssa", mode: "text" }],
    expect: {
      fails: { exit: [3], code: ["OBDCR_SSA_INVALID"], mentions: /claim nbf\b.*clocks/ },
      noPost: true,
    },
    check: (r) => blamesSignature(r),
  },
  {
    id: "ssa-claim-exp-string",
    cls: "ssa",
    what: 'a validly signed SSA whose exp is the string "never"',
    proves: "a claim of the wrong type is refused naming the claim, not as a signature that does not verify",
    scenario: { mgmt: "rat", ssaClaims: (c) => ({ ...c, exp: "never" }) },
    steps: [{ cmd: "ssa" }, { cmd: "register" }],
    expect: { fails: { exit: [3], code: ["OBDCR_SSA_INVALID"], mentions: /claim exp\b/ }, noPost: true },
    check: (r) => blamesSignature(r),
  },
  {
    id: "ssa-alg-none",
    cls: "keep",
    what: "an unsigned SSA (alg none)",
    proves: "refused before the POST (already right: keep)",
    scenario: { mgmt: "rat", ssaSign: ssaSigned("none") },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3] }, noPost: true },
  },
  {
    id: "ssa-hs256-confusion",
    cls: "keep",
    what: "an SSA signed HS256 with the directory's public key as the secret",
    proves: "alg confusion refused (already right: keep)",
    scenario: { mgmt: "rat", ssaSign: ssaSigned("hs256") },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3] }, noPost: true },
  },
  {
    id: "ssa-jku",
    cls: "keep",
    what: "an SSA signed by another key, whose header jku points to another origin",
    proves: "jku is never followed; refused (already right: keep)",
    scenario: { mgmt: "rat", ssaSign: ssaSigned("jku") },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3] }, noPost: true },
    check: nothingAtOther,
  },
  {
    id: "ssa-embedded-jwk",
    cls: "keep",
    what: "an SSA signed by another key embedded in its header (jwk)",
    proves: "an embedded key is never trusted (already right: keep)",
    scenario: { mgmt: "rat", ssaSign: ssaSigned("jwk") },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3] }, noPost: true },
  },
  {
    id: "ssa-x5u",
    cls: "keep",
    what: "an SSA signed by another key, whose header x5u points to another origin",
    proves: "x5u is never followed (already right: keep)",
    scenario: { mgmt: "rat", ssaSign: ssaSigned("x5u") },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [3] }, noPost: true },
    check: nothingAtOther,
  },
];

const keep: Case[] = [
  {
    id: "keep-honest-rat",
    cls: "keep",
    what: "an honest RFC 7592 bank: register, get, update, delete",
    proves: "the honest flow still works under the suite's budgets (no false alarm in the checks)",
    scenario: { mgmt: "rat" },
    steps: [{ cmd: "register" }, { cmd: "get" }, { cmd: "update" }, { cmd: "delete" }],
    expect: { succeeds: [0, 1, 2, 3] },
  },
  {
    id: "keep-honest-obie",
    cls: "keep",
    what: "an honest OBIE bank with client_secret_basic: run, get, delete",
    proves: "the honest flow still works, secrets stay out of output",
    scenario: { mgmt: "obie" },
    auth: "client_secret_basic",
    steps: [{ cmd: "run", mode: "text" }, { cmd: "register" }, { cmd: "get" }, { cmd: "delete" }],
    expect: { succeeds: [0, 1, 2, 3] },
  },
  {
    id: "keep-redirect-register",
    cls: "keep",
    what: "POST /register answered 307 to the same path on another origin",
    proves: "redirects are not followed with the request JWT (already right: keep)",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) =>
          x.listener === "bank" ? x.send(307, "", { location: `${x.u.other}/register` }) : x.honest(),
      },
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [4, 5] } },
  },
  {
    id: "keep-redirect-get",
    cls: "keep",
    what: "GET answered 302 to another origin",
    proves: "the RAT does not follow a redirect (already right: keep)",
    scenario: {
      mgmt: "rat",
      on: {
        read: (x) =>
          x.listener === "bank"
            ? x.send(302, "", { location: `${x.u.other}/register/${x.pathClientId}` })
            : x.honest(),
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "get" }],
    expect: { fails: { exit: [4, 5] } },
  },
  {
    id: "keep-redirect-token",
    cls: "keep",
    what: "the bank's token endpoint answers 307 to another origin",
    proves: "the client assertion does not follow a redirect (already right: keep)",
    scenario: {
      mgmt: "obie",
      on: {
        token: (x) =>
          x.listener === "bank" ? x.send(307, "", { location: `${x.u.other}/token` }) : x.honest(),
      },
    },
    seed: {},
    steps: [{ cmd: "get" }],
    expect: { fails: { exit: [4, 5] } },
  },
  {
    id: "keep-redirect-ssa",
    cls: "keep",
    what: "the SSA endpoint answers 302 to another origin",
    proves: "the directory token does not follow a redirect (already right: keep)",
    scenario: {
      mgmt: "rat",
      on: {
        ssa: (x) =>
          x.listener === "directory" ? x.send(302, "", { location: `${x.u.other}/dir/ssa/x/y` }) : x.honest(),
      },
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [4, 5] }, noPost: true },
  },
  {
    id: "keep-redirect-discovery-http",
    cls: "keep",
    what: "discovery answered 301 to an http:// URL",
    proves: "no downgrade through a redirect (already right: keep)",
    scenario: {
      mgmt: "rat",
      on: {
        discovery: (x) =>
          x.listener === "bank"
            ? x.send(301, "", { location: `${x.u.plain}/.well-known/openid-configuration` })
            : x.honest(),
      },
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [5] }, noPost: true },
  },
  {
    id: "keep-tls-wrong-name",
    cls: "keep",
    what: "discovery points registration at a server whose certificate names another host",
    proves: "TLS identity is verified; nothing is sent (already right: keep)",
    scenario: {
      mgmt: "rat",
      discovery: (d, u) => ({ ...d, registration_endpoint: `${u.wrongname}/register` }),
    },
    steps: [{ cmd: "register" }],
    expect: { fails: { exit: [5] }, noPost: true },
  },
  {
    id: "keep-huge-headers",
    cls: "keep",
    what: "a 201 with 80 KB of response headers",
    proves: "header overflow after the POST is an unknown outcome (already right: keep)",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) => {
          x.create();
          const h: Record<string, string> = { "content-type": "application/json" };
          for (let i = 0; i < 40; i++) h[`x-pad-${i}`] = "h".repeat(2000);
          x.send(201, "{}", h);
        },
      },
    },
    steps: [{ cmd: "register" }],
    expect: { kept: "unknown", fails: { exit: [5] } },
  },
  {
    id: "keep-truncated-201",
    cls: "keep",
    what: "a 201 whose connection closes before the declared content-length",
    proves: "a cut-off answer is an unknown outcome, with the id when it can be read",
    scenario: {
      mgmt: "rat",
      on: {
        register: (x) => {
          const { body } = x.create();
          const t = JSON.stringify(body);
          x.res.writeHead(201, {
            "content-type": "application/json",
            "content-length": String(t.length + 100),
          });
          x.res.write(t.slice(0, 60));
          setTimeout(() => x.res.socket?.destroy(), 50);
        },
      },
    },
    steps: [{ cmd: "register" }],
    expect: { kept: "unknown", fails: { exit: [5] } },
  },
  {
    id: "keep-delete-202",
    cls: "keep",
    what: "the DELETE is answered 202 Accepted (RFC 7592 §2.3 says 204): taken on, not done",
    proves: "counted as deleted, and said so: the result is accepted, never a plain deleted",
    scenario: {
      mgmt: "rat",
      on: {
        // Still being deleted: a second DELETE is accepted again.
        delete: (x) => {
          const c = x.authClient();
          if (!c) return err(x, 401, "invalid_token");
          x.send(202, "");
        },
      },
    },
    seed: { rat: true },
    steps: [{ cmd: "delete" }, { cmd: "delete", mode: "text" }],
    expect: { succeeds: [0, 1] },
    check: (r) => {
      const v: string[] = [];
      const result = r.runs[0]?.json?.result;
      if (result !== "accepted") v.push(`delete --json result is ${String(result)}, not accepted`);
      if (!/result: accepted \(HTTP 202/.test(r.runs[1]?.stdout ?? ""))
        v.push("delete does not say the bank only accepted the DELETE (HTTP 202)");
      return v;
    },
  },
];

export const CASES: Case[] = [...url, ...echo, ...forge, ...malformed, ...hang, ...ssa, ...keep];
