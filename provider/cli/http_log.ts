/**
 * Observes the HTTP exchanges the core makes, through undici's diagnostics channels (no change to the
 * core, no global dispatcher). Used by --verbose (method, URL, status, timing) and by `run`, which
 * prints what actually went over the wire (the request JWT and the registration response body).
 * Bodies (of POSTs only) are kept in memory only for the lifetime of one command and never printed
 * unredacted.
 */
import diagnostics_channel from "node:diagnostics_channel";

export interface HttpExchange {
  method: string;
  url: string;
  started: number;
  ms?: number;
  status?: number;
  content_type?: string;
  request_body?: Buffer;
  response_body?: Buffer;
  error?: string;
}

interface UndiciRequest {
  method: string;
  origin: string;
  path: string;
  body?: unknown;
}

type Listener = (x: HttpExchange) => void;

const CHANNELS = {
  create: "undici:request:create",
  headers: "undici:request:headers",
  chunk: "undici:request:bodyChunkReceived",
  trailers: "undici:request:trailers",
  error: "undici:request:error",
} as const;

function toBuffer(b: unknown): Buffer | undefined {
  if (typeof b === "string") return Buffer.from(b);
  if (Buffer.isBuffer(b)) return b;
  if (b instanceof Uint8Array) return Buffer.from(b);
  return undefined;
}

function headerValue(raw: unknown, name: string): string | undefined {
  if (!Array.isArray(raw)) return undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (String(raw[i]).toLowerCase() === name) return String(raw[i + 1]);
  }
  return undefined;
}

/** What a printout needs of one body: the bank's answers are capped far below this. */
const MAX_RECORDED_BODY = 1024 * 1024;

export class HttpRecorder {
  readonly exchanges: HttpExchange[] = [];
  private readonly live = new WeakMap<object, HttpExchange>();
  // Chunks as they come, joined once at the end: joining at every chunk copied the body again each
  // time (quadratic in the chunk count: a list trickled in small TLS records stalled --verbose).
  private readonly chunks = new WeakMap<object, { parts: Buffer[]; size: number }>();
  private readonly listeners: Listener[] = [];
  private readonly subs: [string, (m: unknown) => void][] = [];

  constructor() {
    const on = (name: string, fn: (m: unknown) => void) => {
      diagnostics_channel.subscribe(name, fn);
      this.subs.push([name, fn]);
    };
    on(CHANNELS.create, (m) => {
      const { request } = m as { request: UndiciRequest };
      const url = request.path.startsWith("http") ? request.path : `${request.origin}${request.path}`;
      const x: HttpExchange = { method: request.method, url, started: performance.now() };
      // Bodies only of POSTs (what `run` prints): every page of a bank list and every listed
      // bank's discovery document, kept to the end of the command, would double its memory.
      const body = request.method === "POST" ? toBuffer(request.body) : undefined;
      if (body) x.request_body = body;
      this.live.set(request, x);
      this.exchanges.push(x);
    });
    on(CHANNELS.headers, (m) => {
      const { request, response } = m as {
        request: object;
        response: { statusCode: number; headers: unknown };
      };
      const x = this.live.get(request);
      if (!x) return;
      x.status = response.statusCode;
      const ct = headerValue(response.headers, "content-type");
      if (ct) x.content_type = ct;
    });
    on(CHANNELS.chunk, (m) => {
      const { request, chunk } = m as { request: object; chunk: unknown };
      const b = toBuffer(chunk);
      if (this.live.get(request)?.method !== "POST" || !b) return;
      let c = this.chunks.get(request);
      if (!c) {
        c = { parts: [], size: 0 };
        this.chunks.set(request, c);
      }
      if (c.size >= MAX_RECORDED_BODY) return;
      c.parts.push(b);
      c.size += b.length;
    });
    on(CHANNELS.trailers, (m) => this.finish((m as { request: object }).request));
    on(CHANNELS.error, (m) => {
      const { request, error } = m as { request: object; error: unknown };
      const x = this.live.get(request);
      if (x) {
        const code = (error as { code?: unknown })?.code;
        x.error = typeof code === "string" ? code : error instanceof Error ? error.name : "error";
      }
      this.finish(request);
    });
  }

  private finish(request: object): void {
    const x = this.live.get(request);
    if (!x || x.ms !== undefined) return;
    x.ms = Math.round(performance.now() - x.started);
    const c = this.chunks.get(request);
    if (c) x.response_body = Buffer.concat(c.parts).subarray(0, MAX_RECORDED_BODY);
    this.chunks.delete(request);
    this.live.delete(request);
    for (const l of this.listeners) l(x);
  }

  /** Called once per finished exchange (response complete or failed). */
  onExchange(l: Listener): void {
    this.listeners.push(l);
  }

  /** The last finished exchange matching method and URL (prefix). */
  last(method: string, urlPrefix: string): HttpExchange | undefined {
    for (let i = this.exchanges.length - 1; i >= 0; i--) {
      const x = this.exchanges[i];
      if (x && x.method === method && x.url.startsWith(urlPrefix)) return x;
    }
    return undefined;
  }

  close(): void {
    for (const [name, fn] of this.subs) diagnostics_channel.unsubscribe(name, fn);
    this.subs.length = 0;
  }
}

/** One --verbose line: method, URL without query, status or error, time. Never headers or bodies. */
export function formatExchange(x: HttpExchange): string {
  const u = new URL(x.url);
  const outcome = x.error ? `failed (${x.error})` : `${x.status ?? "?"}`;
  return `http: ${x.method} ${u.origin}${u.pathname} -> ${outcome} (${x.ms ?? "?"} ms)`;
}
