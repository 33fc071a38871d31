/**
 * "Did you mean": for a member a strict schema does not know (a typo such as `redirect_uri`), the
 * closest member the schema has at that place. Pure; each face spells the names its way.
 */
import type { z } from "zod";
import { RegistrationParams } from "./params.js";

type Def = {
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  schema?: z.ZodType;
  options?: z.ZodType[];
};
const defOf = (s: z.ZodType | undefined): Def | undefined =>
  (s as unknown as { _zod?: { def?: Def } } | undefined)?._zod?.def;

/** The object schema under optional/default/pipe/union wrappers (the first union member with a shape). */
function objectOf(s: z.ZodType | undefined): Record<string, z.ZodType> | undefined {
  for (let i = 0; i < 10 && s; i++) {
    const d = defOf(s);
    if (!d) return undefined;
    if (d.shape) return d.shape;
    s = d.innerType ?? d.in ?? d.schema ?? d.options?.find((o) => defOf(o)?.shape);
  }
  return undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The known member closest to `key` at `path` of `schema` (snake_case), or undefined when none is near. */
export function suggestKey(schema: z.ZodType, path: readonly PropertyKey[], key: string): string | undefined {
  let s: z.ZodType | undefined = schema;
  for (const p of path) s = objectOf(s)?.[String(p)];
  const shape = objectOf(s);
  if (!shape) return undefined;
  const norm = (k: string) => k.toLowerCase().replace(/_/g, "");
  let best: { k: string; d: number } | undefined;
  for (const k of Object.keys(shape)) {
    const d = distance(norm(key), norm(k));
    if (!best || d < best.d) best = { k, d };
  }
  // Near enough to be a slip: a few characters, never more than a third of the name.
  return best && best.d <= Math.min(3, Math.ceil(norm(key).length / 3)) ? best.k : undefined;
}

/** The words for members `RegistrationParams` does not know at `path`, each spelt by `spell`. */
export function unknownKeys(
  path: readonly PropertyKey[],
  keys: readonly string[],
  spell: (k: string) => string = (k) => k,
): string {
  const named = keys.map((k) => {
    const near = suggestKey(RegistrationParams, path, k);
    return `"${spell(k)}"${near ? ` (did you mean "${spell(near)}"?)` : ""}`;
  });
  return `Unrecognized key${keys.length > 1 ? "s" : ""}: ${named.join(", ")}`;
}
