// Absolute paths of the machine that built an artifact, found in a shipped file's text: the repo
// (a source map's `sources`, a generated file's header), the home and temp folders (a packing
// directory, the Pulumi CLI's install), `/work`. A build that writes its own location into what it
// ships leaks the builder's layout and breaks on every other machine.
import { homedir, tmpdir } from "node:os";
import path from "node:path";

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Doc examples that name a folder on purpose, not a leak: `npm pack --pack-destination /tmp`
 * and the tarball it writes there (the SDKs' READMEs, until the package is on a registry).
 */
const DOC_EXAMPLES = [/^\/tmp$/, /^\/tmp\/ob-dcr-\d+\.\d+\.\d+\.tgz$/];

/** The absolute paths under `roots` (default: the machine's) that `text` names. */
export function localPathsIn(text: string, roots: string[] = []): string[] {
  const all = [...new Set([...roots, homedir(), tmpdir(), "/work", "/root", "/tmp"])]
    .map((r) => r.replace(/\/+$/, ""))
    .filter((r) => r.startsWith("/") && r.length > 1)
    .sort((a, b) => b.length - a.length);
  // A root at the start of a path (not inside another: `node_modules/tmp`), up to a delimiter.
  const re = new RegExp(
    `(?<![\\w.~/-])(?:${all.map(escapeRe).join("|")})(?=$|[/\\s"'\`)\\]:;,])[^\\s"'\`)\\]:;,]*`,
    "g",
  );
  return [...text.matchAll(re)]
    .map((m) => m[0])
    .filter((p) => !DOC_EXAMPLES.some((d) => d.test(path.posix.normalize(p))));
}
