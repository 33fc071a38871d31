/** OIDC discovery of the bank (cached per context). */
import { UnexpectedResponseError } from "../core/errors.js";
import { DiscoveryDocument } from "../core/schemas/responses.js";
import type { UrlSource } from "../core/validate/url_policy.js";
import { type ObDcrContext, shared } from "./context.js";
import { parseJsonBody, throwForStatus } from "./response.js";
import { send } from "./send.js";
import type { HttpResponse, TlsMaterial } from "./transport_types.js";

export function discoveryRequest(
  ctx: ObDcrContext,
  url: string,
  tls: TlsMaterial,
  /** Where the discovery URL came from when a directory gave it: checked at connect. */
  source?: UrlSource,
): Promise<HttpResponse> {
  return send(
    {
      method: "GET",
      url,
      headers: { accept: "application/json" },
      idempotent: true,
      label: "discovery",
      source,
    },
    tls,
    ctx.transport,
  );
}

export function processDiscoveryResponse(res: HttpResponse): DiscoveryDocument {
  if (res.status !== 200) throwForStatus(res, "discovery");
  const d = DiscoveryDocument.safeParse(parseJsonBody(res, "discovery"));
  if (!d.success) throw new UnexpectedResponseError("discovery document is malformed", { cause: d.error });
  return d.data;
}

export async function discover(
  ctx: ObDcrContext,
  url: string,
  tls: TlsMaterial,
  source?: UrlSource,
): Promise<DiscoveryDocument> {
  const hit = ctx.discovery.get(url);
  if (hit && ctx.now() - hit.fetched_at < ctx.metadata_ttl_seconds) return hit.doc;
  // Registrations with one bank started together (one `pulumi up`) share one fetch.
  return shared(ctx.discovery_inflight, url, async () => {
    ctx.stats.discovery_fetches++;
    const doc = processDiscoveryResponse(await discoveryRequest(ctx, url, tls, source));
    ctx.discovery.set(url, { doc, fetched_at: ctx.now() });
    return doc;
  });
}
