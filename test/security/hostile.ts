// A hostile bank and a hostile directory, written from issue 21 (not from sandbox/): real TLS with
// mutual TLS (the client certificate is requested and checked against the CA), and beside them an
// "other" HTTPS origin (same CA, same server certificate, another port) and a plain-HTTP listener,
// so that a test can tell where each credential went. Every listener records every request (origin,
// method, path, headers, body, whether a verified client certificate came with it).
//
// One server set serves every case: paths are `/case/<id>/...`, and the case's scenario decides what
// each route does (honest by default). The same routes answer on every listener, so a URL that a
// hostile answer points elsewhere is served there too, and a leak completes as it would in the wild.
import { randomBytes } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import * as jose from "jose";
import type { SecurityPki } from "./pki.js";

export type Listener = "bank" | "other" | "plain" | "directory" | "wrongname";

export type Route =
  | "discovery"
  | "register"
  | "read"
  | "update"
  | "delete"
  | "token"
  | "jwks"
  | "dir-token"
  | "ssa"
  | "dir-jwks"
  | "sw-jwks"
  | "sw-revoked"
  | "extra";

export interface Recorded {
  listener: Listener;
  origin: string;
  case: string;
  route: Route | "unknown";
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** A client certificate was presented and verified against the CA. */
  mtls: boolean;
  at: number;
}

export interface CaseUrls {
  bank: string;
  other: string;
  plain: string;
  directory: string;
  wrongname: string;
  discovery: string;
  register: string;
  token: string;
  jwks: string;
  dirToken: string;
  /** The SSA endpoint template (`{org_id}`, `{software_id}`). */
  ssaTemplate: string;
  dirJwks: string;
  swJwks: string;
  swRevoked: string;
}

export interface BankClient {
  client_id: unknown;
  /** The printable, unique prefix of the id (what the error must name when the id is hostile). */
  tag: string;
  rat?: string | undefined;
  secret?: string | undefined;
  metadata: Record<string, unknown>;
  deleted: boolean;
}

export interface CaseState {
  id: string;
  clients: BankClient[];
  /** Bank access tokens (OBIE management) → client tag. */
  tokens: Map<string, string>;
  n: number;
  /** Free slot for scenarios. */
  data: Record<string, unknown>;
}

export interface Exchange {
  id: string;
  listener: Listener;
  route: Route;
  req: IncomingMessage;
  res: ServerResponse;
  body: Buffer;
  text: string;
  form: URLSearchParams;
  /** The client id of a management path (`/register/<id>`), decoded. */
  pathClientId: string | undefined;
  /** The rest of the path after `/case/<id>/`. */
  rest: string;
  c: CaseState;
  u: CaseUrls;
  h: Hostile;
  /** Answer as an honest server would. */
  honest(): Promise<void>;
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  send(status: number, body: string | Buffer, headers?: Record<string, string>): void;
  /** Create a client as the honest bank would and return its 201 body (not sent). */
  create(o?: { id?: unknown; tag?: string }): { client: BankClient; body: Record<string, unknown> };
  /** The client the Authorization header (RAT or bank access token) stands for. */
  authClient(): BankClient | undefined;
  /** The registration as a GET/PUT answer renders it. */
  render(client: BankClient): Record<string, unknown>;
  /** Call fn every `ms` until the client goes away (hangs). */
  every(ms: number, fn: () => void): void;
}

export type Handler = (x: Exchange) => void | Promise<void>;

export interface Scenario {
  /** OBIE-style management (bank token endpoint) or RFC 7592 (registration access token). */
  mgmt: "obie" | "rat";
  /** Route handlers that replace the honest behaviour. */
  on?: Partial<Record<Route, Handler>>;
  /** Patch the honest discovery document. */
  discovery?: (d: Record<string, unknown>, u: CaseUrls) => Record<string, unknown>;
  /** Patch the SSA claims. */
  ssaClaims?: (c: Record<string, unknown>, u: CaseUrls) => Record<string, unknown>;
  /** Sign the SSA differently (alg confusion cases): returns the compact JWS. */
  ssaSign?: (claims: Record<string, unknown>, h: Hostile, u: CaseUrls) => Promise<string>;
}

export interface Issued {
  value: string;
  kind: "rat" | "client_secret" | "bank_token" | "directory_token" | "ssa";
  case: string;
}

const b64url = (n: number) => randomBytes(n).toString("base64url");

/** The claims of a compact JWS, unverified (a hostile bank reads our request without checking it). */
export function jwtClaims(text: string): Record<string, unknown> {
  try {
    return jose.decodeJwt(text.trim()) as Record<string, unknown>;
  } catch {
    try {
      const j = JSON.parse(text) as unknown;
      return j && typeof j === "object" ? (j as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
}

const METADATA = [
  "redirect_uris",
  "token_endpoint_auth_method",
  "token_endpoint_auth_signing_alg",
  "grant_types",
  "response_types",
  "scope",
  "software_id",
  "application_type",
  "id_token_signed_response_alg",
  "request_object_signing_alg",
  "tls_client_auth_subject_dn",
  "jwks_uri",
  "software_statement",
];

export class Hostile {
  readonly requests: Recorded[] = [];
  readonly issued: Issued[] = [];
  readonly cases = new Map<string, { scenario: Scenario; state: CaseState }>();
  readonly ports: Record<Listener, number> = { bank: 0, other: 0, plain: 0, directory: 0, wrongname: 0 };
  bankKey!: { privateKey: jose.CryptoKey; jwk: jose.JWK };
  attackerKey!: { privateKey: jose.CryptoKey; jwk: jose.JWK };
  directoryKey!: { privateKey: jose.CryptoKey | jose.KeyObject; jwk: jose.JWK };
  private servers: (http.Server | https.Server)[] = [];
  private sockets = new Set<Socket>();
  private timers = new Set<NodeJS.Timeout>();
  constructor(readonly pki: SecurityPki) {}

  async start(): Promise<void> {
    const mk = async () => {
      const k = await jose.generateKeyPair("ES256", { extractable: true });
      const jwk = { ...(await jose.exportJWK(k.publicKey)), alg: "ES256", use: "sig", kid: b64url(8) };
      return { privateKey: k.privateKey, jwk };
    };
    this.bankKey = await mk();
    this.attackerKey = await mk();
    this.directoryKey = {
      privateKey: await jose.importPKCS8(this.pki.directoryKeyPem, "PS256"),
      jwk: this.pki.directoryJwk,
    };
    const tlsOpts = {
      cert: this.pki.serverCert,
      key: this.pki.serverKey,
      ca: this.pki.caPem,
      requestCert: true,
      // Checked per request (`authorized`), so that a request without a certificate is still recorded.
      rejectUnauthorized: false,
    };
    const listen = async (name: Listener, server: http.Server | https.Server, host: string) => {
      server.on("connection", (s: Socket) => {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
      });
      server.on("secureConnection", (s: Socket) => {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
      });
      await new Promise<void>((r) => server.listen(0, host, r));
      this.ports[name] = (server.address() as AddressInfo).port;
      this.servers.push(server);
    };
    for (const name of ["bank", "other", "directory"] as const)
      await listen(
        name,
        https.createServer(tlsOpts, (q, s) => this.handle(name, q, s)),
        "127.0.0.1",
      );
    // The server certificate names localhost and 127.0.0.1, not 127.0.0.2: a TLS identity error.
    await listen(
      "wrongname",
      https.createServer(tlsOpts, (q, s) => this.handle("wrongname", q, s)),
      "127.0.0.2",
    );
    await listen(
      "plain",
      http.createServer((q, s) => this.handle("plain", q, s)),
      "127.0.0.1",
    );
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const s of this.sockets) s.destroy();
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((r) => {
            (s as http.Server).closeAllConnections?.();
            s.close(() => r());
          }),
      ),
    );
  }

  origin(l: Listener): string {
    if (l === "plain") return `http://localhost:${this.ports.plain}`;
    if (l === "wrongname") return `https://127.0.0.2:${this.ports.wrongname}`;
    return `https://localhost:${this.ports[l]}`;
  }

  urls(id: string): CaseUrls {
    const base = (l: Listener) => `${this.origin(l)}/case/${id}`;
    const bank = base("bank");
    const dir = `${base("directory")}/dir`;
    return {
      bank,
      other: base("other"),
      plain: base("plain"),
      directory: dir,
      wrongname: base("wrongname"),
      discovery: `${bank}/.well-known/openid-configuration`,
      register: `${bank}/register`,
      token: `${bank}/token`,
      jwks: `${bank}/jwks`,
      dirToken: `${dir}/token`,
      ssaTemplate: `${dir}/ssa/{org_id}/{software_id}`,
      dirJwks: `${dir}/jwks`,
      swJwks: `${dir}/software.jwks`,
      swRevoked: `${dir}/revoked.jwks`,
    };
  }

  add(id: string, scenario: Scenario): CaseState {
    const state: CaseState = { id, clients: [], tokens: new Map(), n: 0, data: {} };
    this.cases.set(id, { scenario, state });
    return state;
  }

  state(id: string): CaseState {
    const c = this.cases.get(id);
    if (!c) throw new Error(`no case ${id}`);
    return c.state;
  }

  /** A registration that exists at the bank before the test (for get/update/delete cases). */
  seed(
    id: string,
    o: { auth?: string; rat?: boolean; secret?: boolean } = {},
  ): BankClient & { client_id: string } {
    const st = this.state(id);
    const tag = `cid-${id}-${++st.n}`;
    const client: BankClient = {
      client_id: tag,
      tag,
      metadata: {
        redirect_uris: ["https://tpp.example.com/callback"],
        token_endpoint_auth_method: o.auth ?? "private_key_jwt",
        grant_types: ["client_credentials", "authorization_code", "refresh_token"],
        response_types: ["code id_token"],
        scope: "openid accounts",
        software_id: this.pki.softwareId,
        application_type: "web",
        id_token_signed_response_alg: "PS256",
        request_object_signing_alg: "PS256",
        token_endpoint_auth_signing_alg: "PS256",
      },
      deleted: false,
    };
    if (o.rat) client.rat = this.issue("rat", id, `rat-${b64url(24)}`);
    if (o.secret) client.secret = this.issue("client_secret", id, `sec-${b64url(24)}`);
    st.clients.push(client);
    return client as BankClient & { client_id: string };
  }

  /** Record a value the hostile servers issued (a secret the client must never print). */
  issue(kind: Issued["kind"], caseId: string, value: string): string {
    this.issued.push({ kind, value, case: caseId });
    return value;
  }

  forCase(id: string): Recorded[] {
    return this.requests.filter((r) => r.case === id);
  }

  // ---- dispatch ----

  private handle(listener: Listener, req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= 4 * 1024 * 1024) chunks.push(c);
    });
    req.on("end", () => {
      this.dispatch(listener, req, res, Buffer.concat(chunks)).catch((e: unknown) => {
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end(`hostile server bug: ${(e as Error).message}`);
        }
      });
    });
  }

  private async dispatch(listener: Listener, req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const url = new URL(req.url ?? "/", "http://x");
    const m = /^\/case\/([^/]+)\/(.*)$/.exec(url.pathname);
    const caseId = m?.[1] ?? "";
    const rest = m?.[2] ?? "";
    const method = req.method ?? "GET";
    const route = routeOf(method, rest);
    const sock = req.socket as TLSSocket;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
    this.requests.push({
      listener,
      origin: this.origin(listener),
      case: caseId,
      route: route ?? "unknown",
      method,
      path: url.pathname + url.search,
      headers,
      body: body.toString("utf8"),
      mtls: listener !== "plain" && sock.authorized === true && !!sock.getPeerCertificate?.()?.raw,
      at: Date.now(),
    });
    res.on("close", () => undefined);
    const entry = this.cases.get(caseId);
    if (!entry || !route) {
      res.statusCode = 404;
      res.setHeader("content-type", "application/json");
      res.end('{"error":"not_found"}');
      return;
    }
    const text = body.toString("utf8");
    const x: Exchange = {
      id: caseId,
      listener,
      route,
      req,
      res,
      body,
      text,
      form: new URLSearchParams(
        (headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded") ? text : "",
      ),
      pathClientId: /^register\/(.+)$/.exec(rest)?.[1]
        ? decodeURIComponent(/^register\/(.+)$/.exec(rest)![1]!)
        : undefined,
      rest,
      c: entry.state,
      u: this.urls(caseId),
      h: this,
      honest: () => this.honest(x, entry.scenario),
      json: (status, b, h = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...h });
        res.end(typeof b === "string" ? b : JSON.stringify(b));
      },
      send: (status, b, h = {}) => {
        res.writeHead(status, h);
        res.end(b);
      },
      create: (o = {}) => this.createClient(x, entry.scenario, o),
      authClient: () => this.authClient(x, entry.scenario),
      render: (client) => this.render(client),
      every: (ms, fn) => {
        const t = setInterval(() => {
          if (res.destroyed || res.socket?.destroyed) {
            clearInterval(t);
            this.timers.delete(t);
            return;
          }
          try {
            fn();
          } catch {
            clearInterval(t);
          }
        }, ms);
        this.timers.add(t);
        res.on("close", () => {
          clearInterval(t);
          this.timers.delete(t);
        });
      },
    };
    // The bank and the directory require a verified client certificate (mTLS); the others serve
    // anyone, so that a credential sent there is recorded.
    const needsMtls = listener === "bank" || listener === "directory";
    const hasCert = sock.authorized === true;
    if (needsMtls && !hasCert && route !== "discovery" && !route.endsWith("jwks") && route !== "sw-revoked") {
      x.json(401, { error: "invalid_client", error_description: "a client certificate is required" });
      return;
    }
    const handler = entry.scenario.on?.[route];
    if (handler) await handler(x);
    else await x.honest();
  }

  // ---- honest behaviour ----

  private async honest(x: Exchange, sc: Scenario): Promise<void> {
    switch (x.route) {
      case "discovery": {
        const d = this.discoveryDoc(x.u);
        x.json(200, sc.discovery ? sc.discovery(d, x.u) : d);
        return;
      }
      case "register": {
        const { body } = x.create();
        x.json(201, body);
        return;
      }
      case "read": {
        const c = x.authClient();
        if (!c) return x.json(401, { error: "invalid_token" });
        x.json(200, x.render(c));
        return;
      }
      case "update": {
        const c = x.authClient();
        if (!c) return x.json(401, { error: "invalid_token" });
        const claims = jwtClaims(x.text);
        for (const k of METADATA) if (claims[k] !== undefined) c.metadata[k] = claims[k];
        x.json(200, x.render(c));
        return;
      }
      case "delete": {
        const c = x.authClient();
        if (!c) return x.json(401, { error: "invalid_token" });
        c.deleted = true;
        x.send(204, "");
        return;
      }
      case "token": {
        const c = this.tokenClient(x);
        if (!c) return x.json(401, { error: "invalid_client" });
        const at = this.issue("bank_token", x.id, `bat-${b64url(24)}`);
        x.c.tokens.set(at, c.tag);
        const scope = x.form.get("scope");
        x.json(200, {
          access_token: at,
          token_type: "Bearer",
          expires_in: 3600,
          ...(scope ? { scope } : {}),
        });
        return;
      }
      case "jwks":
        x.json(200, { keys: [this.bankKey.jwk] });
        return;
      case "dir-token": {
        if (!x.form.get("client_assertion") && x.form.get("grant_type") !== "client_credentials")
          return x.json(400, { error: "invalid_request" });
        const at = this.issue("directory_token", x.id, `dat-${b64url(24)}`);
        x.json(200, {
          access_token: at,
          token_type: "Bearer",
          expires_in: 3600,
          scope: x.form.get("scope") ?? "ASPSPReadAccess TPPReadAccess AuthoritiesReadAccess",
        });
        return;
      }
      case "ssa": {
        const auth = x.req.headers.authorization ?? "";
        const token = auth.replace(/^Bearer /, "");
        if (!this.issued.some((i) => i.kind === "directory_token" && i.value === token))
          return x.json(401, { error: "invalid_token" });
        const ssa = await this.ssaFor(x.id);
        x.send(200, ssa, { "content-type": "application/jwt" });
        return;
      }
      case "dir-jwks":
        x.json(200, { keys: [this.directoryKey.jwk] });
        return;
      case "sw-jwks":
        x.json(200, { keys: [this.pki.softwareJwk] });
        return;
      case "sw-revoked":
        x.json(200, { keys: [] });
        return;
      case "extra":
        x.json(404, { error: "not_found" });
        return;
    }
  }

  discoveryDoc(u: CaseUrls): Record<string, unknown> {
    const algs = ["PS256", "ES256"];
    return {
      issuer: u.bank,
      authorization_endpoint: `${u.bank}/authorize`,
      token_endpoint: u.token,
      registration_endpoint: u.register,
      jwks_uri: u.jwks,
      token_endpoint_auth_methods_supported: [
        "private_key_jwt",
        "tls_client_auth",
        "client_secret_basic",
        "client_secret_post",
      ],
      token_endpoint_auth_signing_alg_values_supported: algs,
      id_token_signing_alg_values_supported: algs,
      request_object_signing_alg_values_supported: algs,
      response_types_supported: ["code", "code id_token"],
      grant_types_supported: ["authorization_code", "client_credentials", "refresh_token"],
      scopes_supported: ["openid", "accounts", "payments", "fundsconfirmations"],
      tls_client_certificate_bound_access_tokens: true,
    };
  }

  /** The SSA claims of a case (the scenario may patch them). */
  ssaClaims(id: string): Record<string, unknown> {
    const u = this.urls(id);
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: "OpenBanking Ltd",
      iat: now,
      exp: now + 600,
      jti: crypto.randomUUID(),
      software_id: this.pki.softwareId,
      software_client_id: this.pki.softwareId,
      software_client_name: "Hostile Test TPP",
      software_client_description: "security suite",
      software_version: "1.0",
      software_redirect_uris: ["https://tpp.example.com/callback"],
      software_roles: ["AISP", "PISP", "CBPII"],
      software_jwks_endpoint: u.swJwks,
      software_jwks_revoked_endpoint: u.swRevoked,
      software_mode: "Test",
      org_id: this.pki.orgId,
      org_name: "Sandbox TPP Ltd",
      org_status: "Active",
      organisation_competent_authority_claims: { authority_id: "FCAGBR", registration_id: "123456" },
    };
    const sc = this.cases.get(id)?.scenario;
    return sc?.ssaClaims ? sc.ssaClaims(claims, u) : claims;
  }

  async ssaFor(id: string): Promise<string> {
    const sc = this.cases.get(id)?.scenario;
    const claims = this.ssaClaims(id);
    const ssa = sc?.ssaSign
      ? await sc.ssaSign(claims, this, this.urls(id))
      : await new jose.SignJWT(claims as jose.JWTPayload)
          .setProtectedHeader({ alg: "PS256", kid: this.directoryKey.jwk.kid as string, typ: "JWT" })
          .sign(this.directoryKey.privateKey);
    return this.issue("ssa", id, ssa);
  }

  private createClient(
    x: Exchange,
    sc: Scenario,
    o: { id?: unknown; tag?: string },
  ): { client: BankClient; body: Record<string, unknown> } {
    const st = x.c;
    const tag = o.tag ?? `cid-${x.id}-${++st.n}`;
    const claims = jwtClaims(x.text);
    const metadata: Record<string, unknown> = {};
    for (const k of METADATA) if (claims[k] !== undefined) metadata[k] = claims[k];
    const client: BankClient = { client_id: o.id ?? tag, tag, metadata, deleted: false };
    const method = String(metadata.token_endpoint_auth_method ?? "");
    if (method.startsWith("client_secret"))
      client.secret = this.issue("client_secret", x.id, `sec-${b64url(24)}`);
    if (sc.mgmt === "rat") client.rat = this.issue("rat", x.id, `rat-${b64url(24)}`);
    st.clients.push(client);
    const body: Record<string, unknown> = {
      client_id: client.client_id,
      client_id_issued_at: Math.floor(Date.now() / 1000),
      ...metadata,
    };
    if (client.secret) {
      body.client_secret = client.secret;
      body.client_secret_expires_at = 0;
    }
    if (client.rat) {
      body.registration_access_token = client.rat;
      body.registration_client_uri = `${x.u.register}/${encodeURIComponent(String(client.client_id))}`;
    }
    return { client, body };
  }

  private render(client: BankClient): Record<string, unknown> {
    return { client_id: client.client_id, ...client.metadata };
  }

  /** The client a management call's bearer stands for (RAT, or a bank access token), if any. */
  private authClient(x: Exchange, _sc: Scenario): BankClient | undefined {
    const auth = x.req.headers.authorization ?? "";
    const token = auth.replace(/^Bearer /, "");
    const byRat = x.c.clients.find((c) => c.rat && c.rat === token && !c.deleted);
    const tag = x.c.tokens.get(token);
    const byToken = tag ? x.c.clients.find((c) => c.tag === tag && !c.deleted) : undefined;
    const c = byRat ?? byToken;
    if (!c) return undefined;
    if (x.pathClientId !== undefined && x.pathClientId !== String(c.client_id)) return undefined;
    return c;
  }

  /** The client a token request authenticates as (assertion, Basic, post secret, or mTLS). */
  private tokenClient(x: Exchange): BankClient | undefined {
    let id = x.form.get("client_id") ?? undefined;
    let secret = x.form.get("client_secret") ?? undefined;
    const auth = x.req.headers.authorization ?? "";
    if (auth.startsWith("Basic ")) {
      const [u, p] = Buffer.from(auth.slice(6), "base64").toString("utf8").split(":");
      id = decodeURIComponent(u ?? "");
      secret = decodeURIComponent(p ?? "");
    }
    const assertion = x.form.get("client_assertion");
    if (!id && assertion) id = String(jwtClaims(assertion).sub ?? "");
    const c = x.c.clients.find((k) => String(k.client_id) === id && !k.deleted);
    if (!c) return undefined;
    if (c.secret && !assertion && secret !== c.secret) return undefined;
    return c;
  }
}

function routeOf(method: string, rest: string): Route | undefined {
  if (rest === ".well-known/openid-configuration" && method === "GET") return "discovery";
  if (rest === "register" && method === "POST") return "register";
  if (/^register\/.+/.test(rest)) {
    if (method === "GET") return "read";
    if (method === "PUT") return "update";
    if (method === "DELETE") return "delete";
  }
  if (rest === "token" && method === "POST") return "token";
  if (rest === "jwks") return "jwks";
  if (rest === "dir/token" && method === "POST") return "dir-token";
  if (/^dir\/ssa\//.test(rest)) return "ssa";
  if (rest === "dir/jwks") return "dir-jwks";
  if (rest === "dir/software.jwks") return "sw-jwks";
  if (rest === "dir/revoked.jwks") return "sw-revoked";
  if (rest.startsWith("x/")) return "extra";
  return undefined;
}

/** Sign a registration answer as the bank (application/jwt), with the bank key or another one. */
export async function signAnswer(
  payload: Record<string, unknown>,
  key: { privateKey: jose.CryptoKey; jwk: jose.JWK },
): Promise<string> {
  return new jose.SignJWT(payload as jose.JWTPayload)
    .setProtectedHeader({ alg: "ES256", kid: key.jwk.kid as string, typ: "JWT" })
    .sign(key.privateKey);
}
