/** The sandbox's HTTPS servers: a route table, JSON errors, a body cap, injected faults, request counts. */
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { TLSSocket } from "node:tls";
import type { FaultSet } from "./faults.js";

/** An HTTP error answered as JSON `{ error, error_description }`. */
export class SandboxHttpError extends Error {
  readonly status: number;
  readonly error: string;
  readonly headers: Record<string, string>;
  constructor(status: number, error: string, description: string, headers: Record<string, string> = {}) {
    super(description);
    this.name = "SandboxHttpError";
    this.status = status;
    this.error = error;
    this.headers = headers;
  }
}

/** 400 with an RFC 7591 / RFC 6749 error code. */
export function badRequest(error: string, description: string): SandboxHttpError {
  return new SandboxHttpError(400, error, description);
}

/** 400 invalid_client_metadata (RFC 7591 §3.2.2): a registration request the bank refuses. */
export function metadataError(description: string): SandboxHttpError {
  return badRequest("invalid_client_metadata", description);
}

/** 401 with a `WWW-Authenticate` challenge. */
export function unauthorized(realm: string, error: string, description: string): SandboxHttpError {
  return new SandboxHttpError(401, error, description, {
    "www-authenticate": `Bearer realm="${realm}", error="${error}", error_description="${description.replace(/["\\]/g, "")}"`,
  });
}

export interface Req {
  method: string;
  path: string;
  url: URL;
  headers: IncomingMessage["headers"];
  body: Buffer;
  /** Media type of the body, lower-case, without parameters. */
  contentType: string;
  /** DER of the client certificate, if one was presented. */
  peerCertDer?: Uint8Array;
  /** The client certificate chains to the sandbox CA. */
  peerAuthorized: boolean;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** JSON-serialised unless `raw` is set. */
  json?: unknown;
  raw?: { contentType: string; body: string };
}

export interface Route {
  method: string;
  /** `/register/{client_id}` style pattern. */
  pattern: string;
  handler: (req: Req, params: Record<string, string>) => Promise<Reply> | Reply;
}

function compile(pattern: string): RegExp {
  const src = pattern
    .split(/(\{[a-z_]+\})/)
    .map((part) =>
      part.startsWith("{") ? `(?<${part.slice(1, -1)}>[^/]+)` : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&"),
    )
    .join("");
  return new RegExp(`^${src}$`);
}

export interface ServerOptions {
  name: string;
  host: string;
  port: number;
  cert: string;
  key: string;
  /** CA that client certificates must chain to (requested, checked per route). */
  ca?: string;
  routes: Route[];
  faults?: FaultSet;
  maxBodyBytes: () => number;
  log: boolean;
}

export interface RunningServer {
  port: number;
  origin: string;
  /** Requests received, by `METHOD /route/{pattern}` (what benchmarks and tests count). */
  requests(): Record<string, number>;
  /** When each request (up to the last TIMELINE_CAP) arrived and was answered: the bench's critical path. */
  timeline(): TimelineEntry[];
  resetRequests(): void;
  close(): Promise<void>;
}

/** One request as the server saw it: epoch ms at arrival and at the answer (or reset), its route. */
export interface TimelineEntry {
  start: number;
  end: number;
  route: string;
  status: number;
}

/** Entries kept per server: enough for a bench cell of 500 banks, bounded for a long-running sandbox. */
const TIMELINE_CAP = 20_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readBody(req: IncomingMessage, cap: number): Promise<Buffer | "too_large"> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > cap) {
      req.resume();
      resolve("too_large");
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > cap) over = true;
      else chunks.push(c);
    });
    req.on("end", () => resolve(over ? "too_large" : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { "cache-control": "no-store", ...reply.headers };
  let body = "";
  if (reply.raw) {
    headers["content-type"] = reply.raw.contentType;
    body = reply.raw.body;
  } else if (reply.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(reply.json);
  }
  res.writeHead(reply.status, headers);
  res.end(body);
}

export function errorReply(err: SandboxHttpError): Reply {
  return {
    status: err.status,
    headers: err.headers,
    json: { error: err.error, error_description: err.message },
  };
}

/** Starts one HTTPS server with a route table, JSON errors, a body cap and fault injection. */
export function startServer(opts: ServerOptions): Promise<RunningServer> {
  const routes = opts.routes.map((r) => ({ ...r, re: compile(r.pattern) }));
  const counts = new Map<string, number>();
  let timeline: TimelineEntry[] = [];
  const count = (method: string, path: string): string => {
    const route = routes.find((rt) => rt.re.test(path));
    const key = `${method} ${route ? route.pattern : "(no route)"}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return key;
  };
  const server = https.createServer({
    cert: opts.cert,
    key: opts.key,
    ...(opts.ca ? { ca: opts.ca, requestCert: true, rejectUnauthorized: false } : {}),
    minVersion: "TLSv1.2",
  });

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "https://localhost");
      const method = (req.method ?? "GET").toUpperCase();
      const socket = req.socket as TLSSocket;
      const started = Date.now();
      const route = count(method, url.pathname);
      let status = 0;
      const respond = (reply: Reply) => {
        status = reply.status;
        send(res, reply);
      };
      try {
        const fired = opts.faults?.take(method, url.pathname) ?? [];
        for (const f of fired) if (f.kind === "latency") await sleep(f.ms);
        if (fired.some((f) => f.kind === "reset_before_commit")) {
          status = -1;
          socket.destroy();
          return;
        }
        if (fired.some((f) => f.kind === "stall")) {
          status = -2;
          return; // held open; closeAllConnections() ends it
        }
        const fault5xx = fired.find((f) => f.kind === "server_error");
        if (fault5xx) {
          req.resume();
          respond({
            status: fault5xx.status,
            json: { error: "server_error", error_description: "injected fault" },
          });
          return;
        }
        const limited = fired.find((f) => f.kind === "rate_limit");
        if (limited) {
          req.resume();
          respond({
            status: 429,
            headers: { "retry-after": String(limited.retry_after) },
            json: { error: "too_many_requests", error_description: "injected fault: rate limited" },
          });
          return;
        }
        const body = await readBody(req, opts.maxBodyBytes());
        if (body === "too_large") {
          respond({
            status: 413,
            headers: { connection: "close" },
            json: { error: "invalid_request", error_description: "request body too large" },
          });
          return;
        }
        const cert = opts.ca ? socket.getPeerCertificate() : undefined;
        const r: Req = {
          method,
          path: url.pathname,
          url,
          headers: req.headers,
          body,
          contentType: (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase(),
          peerCertDer: cert?.raw ? new Uint8Array(cert.raw) : undefined,
          peerAuthorized: Boolean(cert?.raw) && socket.authorized,
        };
        let reply: Reply;
        const matching = routes.filter((rt) => rt.re.test(url.pathname));
        const route = matching.find((rt) => rt.method === method);
        if (!route) {
          reply =
            matching.length > 0
              ? {
                  status: 405,
                  headers: { allow: [...new Set(matching.map((m) => m.method))].join(", ") },
                  json: { error: "method_not_allowed", error_description: `${method} is not supported here` },
                }
              : { status: 404, json: { error: "not_found", error_description: "no such endpoint" } };
        } else {
          const params = (route.re.exec(url.pathname)?.groups ?? {}) as Record<string, string>;
          try {
            reply = await route.handler(r, params);
          } catch (err) {
            if (err instanceof SandboxHttpError) reply = errorReply(err);
            else {
              if (opts.log) console.error(`[${opts.name}] handler error: ${(err as Error).message}`);
              reply = { status: 500, json: { error: "server_error", error_description: "internal error" } };
            }
          }
        }
        if (fired.some((f) => f.kind === "reset_after_commit")) {
          status = -1;
          socket.destroy();
          return;
        }
        if (fired.some((f) => f.kind === "stall_after_commit")) {
          status = -2;
          return; // committed, never answered; closeAllConnections() ends it
        }
        respond(reply);
      } catch (err) {
        if (!res.headersSent) {
          respond({
            status: 500,
            json: { error: "server_error", error_description: (err as Error).message },
          });
        }
      } finally {
        if (status !== -2) {
          if (timeline.length >= TIMELINE_CAP) timeline = timeline.slice(TIMELINE_CAP / 2);
          timeline.push({ start: started, end: Date.now(), route, status });
        }
        if (opts.log && status !== -2) {
          const what = status === -1 ? "reset" : String(status);
          console.error(`[${opts.name}] ${method} ${url.pathname} -> ${what} (${Date.now() - started} ms)`);
        }
      }
    })();
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, "127.0.0.1", () => {
      const addr = server.address();
      const port = typeof addr === "object" && addr ? addr.port : opts.port;
      resolve({
        port,
        origin: `https://${opts.host}:${port}`,
        requests: () => Object.fromEntries(counts),
        timeline: () => [...timeline],
        resetRequests: () => {
          counts.clear();
          timeline = [];
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
