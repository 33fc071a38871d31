// Which packages compiled JavaScript imports: a scan of literal specifiers, enough for tsc output.
import { isBuiltin } from "node:module";

/** The package a specifier names (`@scope/name/sub` → `@scope/name`), or undefined for relative ones and builtins. */
export function bareName(spec: string): string | undefined {
  if (spec.startsWith(".") || spec.startsWith("/") || isBuiltin(spec)) return undefined;
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Specifiers of require(), require.resolve() and import() with a literal, and of static imports. */
export function specifiers(source: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /\brequire(?:\.resolve)?\(\s*["']([^"']+)["']\s*\)/g,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /^\s*(?:import|export)\s[^;]*?\bfrom\s+["']([^"']+)["']/gm,
    /^\s*import\s+["']([^"']+)["']/gm,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) found.add(m[1]!);
  return [...found];
}
