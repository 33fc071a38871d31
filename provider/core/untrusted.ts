/**
 * Text that a bank or a directory chose, made safe to print: secrets scrubbed by value (every
 * credential this process has held, and anything shaped like a compact JWS), control characters
 * escaped (C0, DEL, C1, ESC, CR/LF, bidi and line separators), length bounded. Applied where such
 * text enters a message (errors, notes) and again where anything is printed (CLI, Pulumi logs),
 * so that a workflow command (`::add-mask::`, `##vso[…]`) or a terminal escape can never be forged.
 */

export const SCRUBBED = "[redacted]";

/** Credentials seen by this process (RATs, client secrets, tokens, assertions, request JWTs, SSAs). */
const known = new Set<string>();
/** Windows of the opaque ones, to catch a secret echoed in part (cut at a length limit, say). */
const windows = new Set<string>();
/** The opaque ones that have windows (to rebuild them when the oldest are forgotten). */
const windowed = new Set<string>();
const WINDOW = 16;
/** Bounded memory in a long-lived provider process (a JWT is a few KB; one `up` of 500 banks ~5,000). */
const MAX_KNOWN = 50_000;
/** Opaque secrets longer than this (none we know of) are matched whole only. */
const MAX_WINDOWED = 1024;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Credentials of 4 to 7 characters: no real bank or directory issues one, but a hostile or test
 * server may (`hunter2`). Scrubbed only as a whole word, so that text around them stays readable.
 */
const short = new Set<string>();
const SHORT_MIN = 4;
const escapeRegExp = (v: string) => v.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/**
 * Remember a credential so that any later message that echoes it (whole, or any 16 characters of
 * it) shows `[redacted]` instead. Values under 8 characters only as a whole word, and under 4 not
 * at all: too common to scrub by value.
 */
export function rememberSecret(value: string | undefined | null): void {
  if (typeof value === "string" && value.length >= SHORT_MIN && value.length < 8) {
    if (short.size >= 1_000) short.delete(short.values().next().value!);
    short.add(value);
  }
  if (typeof value !== "string" || value.length < 8 || known.has(value)) return;
  if (known.size >= MAX_KNOWN) forgetOldest();
  known.add(value);
  if (COMPACT_JWS.test(value)) {
    // A JWS is caught by its shape, and its payload and signature segments by value: no windows
    // (a request JWT is kilobytes; thousands of them in one `up`).
    for (const part of value.split(".").slice(1)) if (part.length >= 16) known.add(part);
    return;
  }
  if (value.length <= MAX_WINDOWED) {
    windowed.add(value);
    addWindows(value);
  }
}

function addWindows(value: string): void {
  for (let i = 0; i + WINDOW <= value.length; i++) windows.add(value.slice(i, i + WINDOW));
}

/**
 * The oldest half, not all: a provider that has seen MAX_KNOWN credentials (thousands of banks)
 * still holds the ones it remembered last, and must go on scrubbing them.
 */
function forgetOldest(): void {
  let drop = Math.floor(known.size / 2);
  for (const v of known) {
    if (drop-- <= 0) break;
    known.delete(v);
    windowed.delete(v);
  }
  windows.clear();
  for (const v of windowed) addWindows(v);
}

/** Forget every remembered secret (tests). */
export function forgetSecrets(): void {
  known.clear();
  short.clear();
  windows.clear();
  windowed.clear();
}

/**
 * Does this text quote, whole, a credential this process has seen (as it is, percent-decoded as in
 * a URL, or in a base64 or base64url run)? Whole values only: a bank's token may well contain a
 * client_id that a URL names too.
 */
export function quotesSecret(text: string): boolean {
  let decoded = text;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    /* not percent-encoded: the text as it is */
  }
  const views = [text, decoded];
  for (const m of decoded.matchAll(BASE64_RUN)) views.push(Buffer.from(m[0], "base64").toString("latin1"));
  for (const v of known) if (views.some((t) => t.includes(v))) return true;
  return false;
}

// A compact JWS/JWT (or the start of one): a base64url JSON header `eyJ…` then a dot.
const JWS_LIKE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?/g;
// PEM blocks of private keys.
const PEM_PRIVATE = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;

/**
 * Replace every remembered secret, and every JWS-shaped or private-key-shaped run, by `[redacted]`:
 * as written, and as a reader would decode it (percent-encoded, `\uXXXX`-escaped, cut by line
 * breaks or spaces, base64 or base64url), since a bank that echoes a credential chooses its spelling.
 */
export function scrubSecrets(text: string): string {
  let s = text.replace(PEM_PRIVATE, SCRUBBED).replace(JWS_LIKE, SCRUBBED);
  for (const v of known) if (s.includes(v)) s = s.split(v).join(SCRUBBED);
  for (const v of short)
    if (s.includes(v))
      s = s.replace(new RegExp(`(?<![A-Za-z0-9_-])${escapeRegExp(v)}(?![A-Za-z0-9_-])`, "g"), SCRUBBED);
  s = redact(s, marks(s, false));
  s = redactDecoded(s);
  // A base64 run is decoded whole: the secret inside it is then where it was, whatever its offset.
  return s.replace(BASE64_RUN, (run) =>
    marks(Buffer.from(run, "base64").toString("latin1"), false) ? SCRUBBED : run,
  );
}

/**
 * Which characters of `s` belong to a JWS or to a remembered secret: by its 16-character windows,
 * and with `whole`, by the value of those that have none (JWS segments, short or very long ones;
 * a pass over every remembered value, so only where an encoding was undone).
 */
function marks(s: string, whole: boolean): Uint8Array | undefined {
  let marked: Uint8Array | undefined;
  const mark = (from: number, to: number) => {
    marked ??= new Uint8Array(s.length);
    marked.fill(1, from, to);
  };
  for (const m of s.matchAll(JWS_LIKE)) mark(m.index, m.index + m[0].length);
  if (whole)
    for (const v of known)
      if (!windowed.has(v)) for (let i = s.indexOf(v); i >= 0; i = s.indexOf(v, i + 1)) mark(i, i + v.length);
  if (windows.size > 0)
    for (let i = 0; i + WINDOW <= s.length; i++) if (windows.has(s.slice(i, i + WINDOW))) mark(i, i + WINDOW);
  return marked;
}

/** `s` with each run of marked characters replaced by `[redacted]`. */
function redact(s: string, marked: Uint8Array | undefined): string {
  if (!marked) return s;
  let out = "";
  for (let i = 0; i < s.length; ) {
    if (marked[i]) {
      out += SCRUBBED;
      while (i < s.length && marked[i]) i++;
    } else out += s[i++];
  }
  return out;
}

/**
 * What cuts a secret without hiding it from a reader: white space, controls (printed escaped), and
 * what a terminal or a browser does not show (zero-width, soft hyphen, marks, format controls).
 */
const CUT = "\\s\\p{Default_Ignorable_Code_Point}\\p{Cf}\\p{M}\\u0000-\\u001f\\u007f-\\u009f";
const IS_CUT = new RegExp(`^[${CUT}]$`, "u");
/** What a reader undoes: a `\uXXXX` escape (one backslash or more), a `%XX`, a cut. */
const ENCODED = new RegExp(`\\\\+u([0-9A-Fa-f]{4})|%([0-9A-Fa-f]{2})|[${CUT}]+`, "gu");
/** A base64 or base64url run long enough to hold a credential's window. */
const BASE64_RUN = /[A-Za-z0-9+/_-]{22,}={0,2}/g;

/**
 * Scrub the decoded view of `s` (escapes and percent-encoding undone, white space dropped), and
 * redact in `s` the characters that spelled what the view redacts (a secret cut into lines goes
 * whole, its line breaks with it).
 */
function redactDecoded(s: string): string {
  let view = "";
  const from: number[] = [];
  const to: number[] = [];
  let last = 0;
  let encoded = false;
  let decoded = false;
  const plain = (end: number) => {
    for (; last < end; last++) {
      view += s[last];
      from.push(last);
      to.push(last + 1);
    }
  };
  for (const m of s.matchAll(ENCODED)) {
    plain(m.index);
    const code = m[1] ?? m[2];
    const c = code === undefined ? "" : String.fromCharCode(Number.parseInt(code, 16));
    // A decoded space, line break or control is a cut too.
    if (c !== "" && !IS_CUT.test(c)) {
      view += c;
      from.push(m.index);
      to.push(m.index + m[0].length);
    }
    last = m.index + m[0].length;
    encoded = true;
    if (code !== undefined) decoded = true;
  }
  if (!encoded) return s;
  plain(s.length);
  const marked = marks(view, decoded);
  if (!marked) return s;
  const out = new Uint8Array(s.length);
  for (let i = 0; i < view.length; ) {
    if (!marked[i]) {
      i++;
      continue;
    }
    const start = from[i]!;
    while (i < view.length && marked[i]) i++;
    out.fill(1, start, to[i - 1]!);
  }
  return redact(s, out);
}

// C0 (tab included), DEL, C1, and the Unicode controls that reorder or break lines.
const UNICODE_CONTROLS = "\\u007f-\\u009f\\u061c\\u2028\\u2029\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069";
const CONTROL = new RegExp(`[\\u0000-\\u001f${UNICODE_CONTROLS}]`, "g");
/** The same but C0, which JSON.stringify escapes itself (and whose LF indents its output). */
const JSON_CONTROL = new RegExp(`[${UNICODE_CONTROLS}]`, "g");
/**
 * Characters a runner's culture-aware search (.NET on ICU) skips: the default-ignorable ones (soft
 * hyphen, zero-width, variation selectors, tags, BOM), format controls, combining marks, and the
 * few others ICU's root collation weighs at zero (tatweel, NKo lajanyalan, Mongolian nirugu, Vedic
 * sign nihshvasa, Arabic tail fragment). Kept in text (emoji and scripts need them), but
 * `##\u00advso[` or `\u200b::error::` is a command to such a search. Pinned against Intl.Collator
 * by test/core/untrusted.test.ts.
 */
const IGNORABLE = "[\\p{Default_Ignorable_Code_Point}\\p{M}\\p{Cf}\\u0640\\u07fa\\u180a\\u1cd3\\ufe73]*";
const IGNORABLES = new RegExp(IGNORABLE, "gu");
/**
 * CI workflow commands that a runner finds anywhere in a line, not only at its start: Azure
 * Pipelines `##vso[` (the agent's `Command.TryParse` looks for it with IndexOf) and GitHub Actions'
 * legacy `##[` (`ActionCommand.TryParse`, tried after `::`), invisible characters between their
 * letters or not. Their `[` is escaped as `\u005b`.
 */
const INLINE_COMMAND = new RegExp(
  `#${IGNORABLE}#${IGNORABLE}(?:v${IGNORABLE}s${IGNORABLE}o${IGNORABLE})?\\[`,
  "giu",
);
const neutralize = (text: string) => text.replace(INLINE_COMMAND, (m) => `${m.slice(0, -1)}\\u005b`);

/**
 * Escape control characters as `\uXXXX` (visible, one line, never interpreted by a terminal or CI),
 * and the `[` of an inline workflow command (`##vso[`, `##[`) as `\u005b`.
 */
export function escapeControls(text: string): string {
  return neutralize(text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
}

/** Does this text hold a control character that `escapeControls` would escape? */
export function hasControls(text: string): boolean {
  CONTROL.lastIndex = 0;
  const r = CONTROL.test(text);
  CONTROL.lastIndex = 0;
  return r;
}

/** How far past its cut an untrusted text is scrubbed (the longest credential fits, a request JWT included). */
const PAST_CUT = 64 * 1024;

/**
 * A bank- or directory-supplied string as it may appear in a message: secrets scrubbed, controls
 * escaped, at most `max` characters (scrubbed before it is cut, so a cut never keeps half a secret).
 */
export function untrustedText(value: unknown, max = 300): string {
  const text = typeof value === "string" ? value : String(value);
  // A megabyte-long description is scrubbed only as far as a secret in it could reach the cut.
  const s = escapeControls(scrubSecrets(text.length > max + PAST_CUT ? text.slice(0, max + PAST_CUT) : text));
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * A line as printed (CLI, Pulumi diagnostics): scrubbed, controls escaped, and a line that would
 * start a CI workflow command (`::` for GitHub Actions, `##[`/`##vso[` for Azure Pipelines) is
 * prefixed so that the runner never executes it. Newlines our own code put there are kept.
 */
export function printable(text: string, o: { scrub?: boolean } = {}): string {
  return (o.scrub === false ? text : scrubSecrets(text))
    .split("\n")
    .map((line) => {
      const l = escapeControls(line);
      return /^\s*(::|##\[|##vso\[)/i.test(l.replace(IGNORABLES, "")) ? `| ${l}` : l;
    })
    .join("\n");
}

/**
 * JSON text with C1 controls, line separators and bidi controls escaped as well (JSON.stringify
 * escapes only C0), and the `[` of an inline workflow command (`##vso[`, `##[`) as `\u005b`: the
 * same JSON value, which no CI runner reads as a command.
 */
export function safeJson(value: unknown, space?: number): string {
  return neutralize(
    JSON.stringify(value, null, space).replace(
      JSON_CONTROL,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    ),
  );
}
