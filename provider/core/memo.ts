/**
 * A small bounded cache for derivations that are pure functions of key or certificate material
 * (import, public JWK, thumbprint, certificate identity): a provider host derives the same ones for
 * every registration. Keyed by a SHA-256 of the material, never by the material itself. Only
 * successes are kept; the whole cache is dropped when full (a host uses a handful of keys).
 */
import { createHash } from "node:crypto";

const MAX_ENTRIES = 256;

export const digestOf = (...parts: readonly string[]): string =>
  createHash("sha256").update(parts.join("\0")).digest("base64url");

export function boundedCache<V>(): { get(key: string, make: () => V): V } {
  const m = new Map<string, V>();
  return {
    get(key, make) {
      const hit = m.get(key);
      if (hit !== undefined) return hit;
      const v = make();
      if (m.size >= MAX_ENTRIES) m.clear();
      m.set(key, v);
      if (v instanceof Promise) v.catch(() => m.get(key) === v && m.delete(key));
      return v;
    },
  };
}
