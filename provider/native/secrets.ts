/**
 * The engine's wire values as the lifecycle's plain ones, and back. The provider answers Configure
 * with `acceptSecrets` (the SDK's server does so unconditionally), so secret values arrive wrapped
 * (`{<sig>: <secret sig>, value}`) and only values we return wrapped stay secret in state: the
 * adapter unwraps what it is given, remembers where the secrets were, and wraps them again.
 */
import {
  specialOutputValueSig,
  specialSecretSig,
  specialSigKey,
  unknownValue,
} from "@pulumi/pulumi/runtime/rpc";

export type Path = readonly string[];

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v);

/** The plain value, and the paths (object keys only) of the values that were secret. */
export function unwrap(v: unknown, at: Path = [], paths: Path[] = []): { value: unknown; paths: Path[] } {
  if (Array.isArray(v)) {
    // A secret inside a list makes the whole list secret: simpler, and never less safe.
    const inner: Path[] = [];
    const value = v.map((x) => unwrap(x, at, inner).value);
    if (inner.length) paths.push(at);
    return { value, paths };
  }
  if (!isObject(v)) return { value: v, paths };
  const sig = v[specialSigKey];
  if (sig === specialSecretSig) {
    paths.push(at);
    return { value: unwrap(v.value, at, []).value, paths };
  }
  if (sig === specialOutputValueSig) {
    if (v.secret === true) paths.push(at);
    return { value: "value" in v ? unwrap(v.value, at, []).value : unknownValue, paths };
  }
  const value: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) value[k] = unwrap(x, [...at, k], paths).value;
  return { value, paths };
}

export const secret = (value: unknown) => ({ [specialSigKey]: specialSecretSig, value });

/** `v` with the value at each path (where present) wrapped as a secret. */
export function wrap(v: Record<string, unknown>, paths: readonly Path[]): Record<string, unknown> {
  const out = structuredClone(v);
  // Outermost first: a secret object needs no secret members.
  const sorted = [...paths].sort((a, b) => a.length - b.length);
  const done: Path[] = [];
  for (const p of sorted) {
    if (p.length === 0) continue;
    if (done.some((d) => d.every((k, i) => p[i] === k))) continue;
    let parent: unknown = out;
    for (const k of p.slice(0, -1)) parent = isObject(parent) ? parent[k] : undefined;
    const last = p[p.length - 1]!;
    if (!isObject(parent) || parent[last] === undefined) continue;
    parent[last] = secret(parent[last]);
    done.push(p);
  }
  return out;
}
