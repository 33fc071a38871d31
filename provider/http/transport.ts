/**
 * The Agent pool: one keep-alive undici Agent per origin and client certificate, cached by
 * fingerprint, never by key material, so a renewed certificate gets a fresh connection pool.
 * TLS verification is always on. setGlobalDispatcher is never called: other code in the process
 * keeps its own dispatcher. Connections per Agent = the per-origin cap (limits.ts).
 */
import { createHash, X509Certificate } from "node:crypto";
import { createSecureContext, type SecureContext } from "node:tls";
import { Agent } from "undici";
import { partyKind } from "../core/validate/url_policy.js";
import { checkedLookup } from "./reach.js";
import { DEFAULT_TRANSPORT_OPTIONS, type TlsMaterial, type TransportOptions } from "./transport_types.js";

export {
  DEFAULT_MAX_PER_ORIGIN,
  type OriginLimitStats,
  originLimitStats,
  resetOriginLimitStats,
} from "./limits.js";

const agents = new Map<string, Agent>();

function fingerprint(pem: string | string[] | undefined): string {
  if (pem === undefined) return "-";
  const s = Array.isArray(pem) ? pem.join("\n") : pem;
  return createHash("sha256").update(s).digest("hex").slice(0, 32);
}

const certFingerprints = new Map<string, string>();

/** X.509 fingerprint of the client certificate, parsed once per certificate (public material). */
function certFingerprint(pem: string | undefined): string {
  if (!pem) return "-";
  let f = certFingerprints.get(pem);
  if (f === undefined) {
    if (certFingerprints.size >= 256) certFingerprints.clear();
    f = parseFingerprint(pem);
    certFingerprints.set(pem, f);
  }
  return f;
}

function parseFingerprint(pem: string): string {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return fingerprint(pem);
  }
}

/**
 * One TLS SecureContext per client certificate + key + CA, shared by every origin's Agent: given
 * `cert`/`key`/`ca`, Node parses them again for every new connection (one per bank at least).
 */
const contexts = new Map<string, SecureContext>();

function secureContextFor(tls: TlsMaterial, id: string): { secureContext: SecureContext } | TlsMaterial {
  const material = {
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.key ? { key: tls.key } : {}),
    ...(tls.ca ? { ca: tls.ca } : {}),
  };
  let c = contexts.get(id);
  if (!c) {
    try {
      c = createSecureContext(material);
    } catch {
      // Unusable material fails at connect, as it always did, with the transport's own error.
      return material;
    }
    if (contexts.size >= 256) contexts.clear();
    contexts.set(id, c);
  }
  return { secureContext: c };
}

/** A number per injected lookup function (tests), for the Agent's cache key. */
const lookupIds = new WeakMap<object, number>();
let lookupCount = 0;

function lookupId(f: object | undefined): string {
  if (f === undefined) return "-";
  let id = lookupIds.get(f);
  if (id === undefined) {
    id = ++lookupCount;
    lookupIds.set(f, id);
  }
  return String(id);
}

/**
 * The cached Agent of an origin + client certificate + CA (key: fingerprints, never key material),
 * and of the kind of party whose URL this is (`from_url`, undefined for the user's own): a party's
 * Agent checks the addresses it connects to (reach.ts), so its pooled connections are ones it checked.
 */
export function getAgent(
  origin: string,
  tls: TlsMaterial,
  opts: TransportOptions = DEFAULT_TRANSPORT_OPTIONS,
  from_url?: string | undefined,
): Agent {
  const material = [
    certFingerprint(tls.cert),
    tls.key ? fingerprint(tls.key) : "-",
    fingerprint(tls.ca),
  ].join("|");
  const id = [
    origin,
    material,
    opts.connect_timeout_ms,
    opts.headers_timeout_ms,
    opts.body_timeout_ms,
    opts.max_per_origin,
    lookupId(opts.lookup),
    // Per kind of party, not per party: banks on one platform share its connections (reach.ts
    // decides alike for every party of a kind).
    from_url === undefined ? "-" : partyKind(from_url),
  ].join("|");
  let a = agents.get(id);
  if (!a) {
    a = new Agent({
      connect: {
        ...secureContextFor(tls, material),
        rejectUnauthorized: true,
        timeout: opts.connect_timeout_ms,
        ...(from_url !== undefined
          ? { lookup: checkedLookup(from_url, opts.lookup) }
          : opts.lookup
            ? { lookup: opts.lookup }
            : {}),
      },
      keepAliveTimeout: opts.keep_alive_timeout_ms,
      headersTimeout: opts.headers_timeout_ms,
      bodyTimeout: opts.body_timeout_ms,
      // As many connections as the per-origin cap lets requests fly (limits.ts): no request ever
      // waits in undici's own queue, and no more sockets are opened than the cap. 0 = no cap.
      ...(opts.max_per_origin > 0 ? { connections: opts.max_per_origin } : {}),
    });
    agents.set(id, a);
  }
  return a;
}

/** Close every cached agent (tests, process shutdown). */
export async function closeAgents(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.allSettled(all.map((a) => a.close()));
}
