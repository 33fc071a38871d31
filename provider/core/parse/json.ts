/**
 * JSON from a bank or a directory, parsed as untrusted input: a leading BOM is dropped (RFC 8259
 * §8.1 lets a parser ignore it), nesting deeper than a limit, a duplicate member name (which
 * member wins differs between parsers: RFC 8259 §4) and a `__proto__` member are refused. The
 * check is one loop over the text, no recursion, so no depth can exhaust the stack; then
 * `JSON.parse`, whose own parser is iterative.
 */

export const DEFAULT_MAX_JSON_DEPTH = 64;

export type JsonProblem =
  | { kind: "syntax"; detail: string }
  | { kind: "depth"; max: number }
  | { kind: "duplicate"; key: string; path: string }
  | { kind: "proto"; path: string };

export class UntrustedJsonError extends Error {
  constructor(readonly problem: JsonProblem) {
    super(describe(problem));
    this.name = "UntrustedJsonError";
  }
}

function describe(p: JsonProblem): string {
  switch (p.kind) {
    case "syntax":
      return `not JSON (${p.detail})`;
    case "depth":
      return `JSON nested deeper than ${p.max} levels`;
    case "duplicate":
      return `JSON object ${p.path.replace(/^\./, "") || "(root)"} has the member ${JSON.stringify(p.key.slice(0, 64))} twice`;
    case "proto":
      return `JSON object ${p.path.replace(/^\./, "") || "(root)"} has a __proto__ member`;
  }
}

/** Drop a UTF-8 byte order mark. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parse untrusted JSON text. Throws `UntrustedJsonError` on a syntax error, nesting deeper than
 * `maxDepth`, a duplicate member name or a `__proto__` member.
 */
export function parseUntrustedJson(text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): unknown {
  const s = stripBom(text);
  scan(s, maxDepth);
  try {
    return JSON.parse(s);
  } catch (e) {
    throw new UntrustedJsonError({ kind: "syntax", detail: (e as Error).name });
  }
}

interface Frame {
  keys: Set<string> | undefined; // undefined: an array
  path: string;
  last: string;
}

/** Depth, duplicate names and `__proto__` in one pass (strings skipped; syntax left to JSON.parse). */
function scan(s: string, maxDepth: number): void {
  const stack: Frame[] = [];
  let expectKey = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxDepth) throw new UntrustedJsonError({ kind: "depth", max: maxDepth });
      const parent = stack[stack.length - 1];
      const path = parent ? (parent.keys ? `${parent.path}.${parent.last}` : `${parent.path}[]`) : "";
      stack.push({ keys: c === 0x7b ? new Set() : undefined, path, last: "" });
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1]?.keys !== undefined;
    } else if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < s.length; i++) {
        const d = s.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        let key: string;
        try {
          key = JSON.parse(s.slice(start, i + 1)) as string;
        } catch {
          throw new UntrustedJsonError({ kind: "syntax", detail: "bad string" });
        }
        if (key === "__proto__") throw new UntrustedJsonError({ kind: "proto", path: top.path });
        if (top.keys.has(key)) throw new UntrustedJsonError({ kind: "duplicate", key, path: top.path });
        top.keys.add(key);
        top.last = key.slice(0, 64);
        expectKey = false;
      }
    }
  }
}

/** The depth of a parsed value, counted without recursion (stops counting past `limit`). */
export function depthOf(value: unknown, limit = DEFAULT_MAX_JSON_DEPTH + 1): number {
  let max = 0;
  const todo: [unknown, number][] = [[value, 0]];
  while (todo.length > 0) {
    const [v, d] = todo.pop()!;
    if (v === null || typeof v !== "object") continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    if (max >= limit) return max;
    for (const x of Array.isArray(v) ? v : Object.values(v)) todo.push([x, depth]);
  }
  return max;
}

/**
 * The values of every member `name` of the top-level object, in text order, duplicates included:
 * a body that `parseUntrustedJson` refuses (a duplicate, too deep, cut off) still says what the
 * server named. Keys compare decoded (`"client\u005fid"` is `client_id`); one loop with a depth
 * counter, so no depth limit. Values other than a string or a number are skipped.
 */
export function topLevelMembers(text: string, name: string, max = 16): (string | number)[] {
  const s = stripBom(text);
  const out: (string | number)[] = [];
  let depth = 0;
  let rootIsObject = false;
  let expectKey = false;
  const stringEnd = (from: number): number => {
    let i = from + 1;
    for (; i < s.length; i++) {
      const d = s.charCodeAt(i);
      if (d === 0x5c /* \ */) i++;
      else if (d === 0x22 /* " */) break;
    }
    return i;
  };
  const skipSpace = (from: number): number => {
    let i = from;
    while (i < s.length && /\s/.test(s[i]!)) i++;
    return i;
  };
  for (let i = 0; i < s.length && out.length < max; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth === 1) rootIsObject = c === 0x7b;
      expectKey = depth === 1 && rootIsObject;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = depth === 1 && rootIsObject;
    } else if (c === 0x22 /* " */) {
      const end = stringEnd(i);
      if (expectKey) {
        expectKey = false;
        let key: unknown;
        try {
          key = JSON.parse(s.slice(i, end + 1));
        } catch {
          key = undefined;
        }
        let v = skipSpace(end + 1);
        if (key === name && s[v] === ":") {
          v = skipSpace(v + 1);
          if (s[v] === '"') {
            try {
              out.push(JSON.parse(s.slice(v, stringEnd(v) + 1)) as string);
            } catch {
              /* cut off: not a value */
            }
          } else {
            const m = /^-?\d{1,40}(?:\.\d{1,40})?(?:[eE][+-]?\d{1,4})?/.exec(s.slice(v, v + 100));
            if (m) out.push(Number(m[0]));
          }
        }
      }
      i = end;
    }
  }
  return out;
}
