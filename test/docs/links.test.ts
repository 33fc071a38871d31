// Every relative link a new user follows from README.md and the docs leads somewhere: the file
// exists, and a `#anchor` is a heading of that file (GitHub's slugs). Cheap: no sandbox, no engine.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../package/offline_project.js";

const DOCS = [
  "README.md",
  "CHANGELOG.md",
  ...readdirSync(path.join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
  "provider/README.md",
  "provider/native/README.md",
  "sandbox/README.md",
  "examples/README.md",
];

/** Markdown without its fenced blocks (a `](x)` inside code is no link). */
const prose = (file: string) => readFileSync(file, "utf8").replace(/^```[\s\S]*?^```/gm, "");

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function anchors(file: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of prose(file).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const slug = m[1]!
      .toLowerCase()
      .replace(/<[^>]+>/g, "")
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n ? `${slug}-${n}` : slug);
  }
  for (const m of prose(file).matchAll(/<a (?:name|id)="([^"]+)"/g)) out.add(m[1]!);
  return out;
}

describe("the docs' relative links resolve", () => {
  it.each(DOCS)("%s", (doc) => {
    const file = path.join(ROOT, doc);
    const broken: string[] = [];
    for (const m of prose(file).matchAll(/\]\(([^)\s]+)\)/g)) {
      const href = m[1]!;
      if (/^[a-z]+:/i.test(href)) continue; // https:, mailto:
      const [target = "", anchor] = href.split("#");
      const to = target ? path.resolve(path.dirname(file), target) : file;
      if (!existsSync(to)) broken.push(`${href}: no such file`);
      else if (anchor && to.endsWith(".md") && !anchors(to).has(anchor))
        broken.push(`${href}: no such heading`);
    }
    expect(broken).toEqual([]);
  });
});
