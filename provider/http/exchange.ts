/**
 * One HTTP exchange, no retry: on the test dispatcher or the pooled Agent, headers lower-cased, the
 * body read under the response size cap (so a hostile server cannot exhaust memory), within the
 * origin's concurrency cap.
 */
import { UnexpectedResponseError } from "../core/errors.js";
import { withOriginSlot } from "./limits.js";
import { getAgent } from "./transport.js";
import type { HttpRequest, HttpResponse, TlsMaterial, TransportOptions } from "./transport_types.js";

/** One exchange holding one of the origin's slots (limits.ts) from sending to the last body byte. */
export async function sendOnce(
  req: HttpRequest,
  tls: TlsMaterial,
  o: TransportOptions,
): Promise<HttpResponse> {
  const url = new URL(req.url);
  return withOriginSlot(url.origin, o.max_per_origin, () => exchange(req, url, tls, o));
}

async function exchange(
  req: HttpRequest,
  url: URL,
  tls: TlsMaterial,
  o: TransportOptions,
): Promise<HttpResponse> {
  const dispatcher = o.dispatcher ?? getAgent(url.origin, tls, o);
  const res = await dispatcher.request({
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    method: req.method,
    headers: req.headers ?? {},
    body: req.body ?? null,
    headersTimeout: o.headers_timeout_ms,
    bodyTimeout: o.body_timeout_ms,
  });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
  }
  const declared = Number(headers["content-length"] ?? "0");
  if (declared > o.max_response_bytes) {
    res.body.destroy();
    throw new UnexpectedResponseError(
      `${req.label}: response of ${declared} bytes exceeds the ${o.max_response_bytes}-byte cap`,
      { status: res.statusCode, content_type: headers["content-type"] },
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > o.max_response_bytes) {
      res.body.destroy();
      throw new UnexpectedResponseError(
        `${req.label}: response exceeds the ${o.max_response_bytes}-byte cap`,
        {
          status: res.statusCode,
          content_type: headers["content-type"],
        },
      );
    }
    chunks.push(b);
  }
  return { status: res.statusCode, headers, body: Buffer.concat(chunks), url: req.url };
}
