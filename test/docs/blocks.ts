/**
 * The set-up blocks of the docs, as written: a fenced block right after a
 * `<!-- docs-test: NAME -->` marker, read from the markdown file itself (never copied here), and a
 * runner that executes one the way a user pastes it into a shell in a project folder.
 *
 * Two kinds of line reach a registry, which a test must not: `npm install <names>` installs the
 * same names offline (the packed ob-dcr tarball; every other name at the version the repository's
 * package-lock.json holds, from the npm cache: test/package/offline_project.ts), and
 * `pip install <dir>` installs that directory without an index, into a folder on PYTHONPATH (the
 * `pulumi` package comes from the virtualenv `npm run setup` made). `export NAME=VALUE` is
 * evaluated by `sh` and kept for the next lines and for the test. Every other line runs in `sh`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT, type RunResult, run } from "../package/offline_project.js";

/** The block after `<!-- docs-test: name -->` in `file` (relative to the repository). */
export function docBlock(file: string, name: string): { lang: string; text: string } {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  const marker = `<!-- docs-test: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${file} has no block marked ${marker}`);
  const m = /^\s*```([a-z]*)\n([\s\S]*?)\n```/.exec(text.slice(at + marker.length));
  if (!m) throw new Error(`${file}: ${marker} is not followed by a fenced block`);
  return { lang: m[1] ?? "", text: m[2] ?? "" };
}

/**
 * Whether `text` ends inside a quoted string, as `sh` reads it: '…' (no escapes), "…" (with \
 * escapes), a `#` comment (at the start of a word) to the end of its line.
 */
function inQuotes(text: string): boolean {
  let q: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q === "'") {
      if (c === "'") q = undefined;
    } else if (q === '"') {
      if (c === "\\") i++;
      else if (c === '"') q = undefined;
    } else if (c === "\\") i++;
    else if (c === "'" || c === '"') q = c;
    else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]!))) {
      const nl = text.indexOf("\n", i);
      if (nl < 0) break;
      i = nl;
    }
  }
  return q !== undefined;
}

/**
 * Logical shell lines: a line ending in `|` or `\` continues on the next, and so does one that
 * leaves a quoted string open (a multi-line `node -e '…'`), as in a shell.
 */
export function shellLines(block: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (const raw of block.split("\n")) {
    const line = raw.replace(/\s+$/, "");
    if (!line.trim() && !(cur && inQuotes(cur))) continue;
    cur = cur ? `${cur}\n${line}` : line;
    const code = line.replace(/\s+#.*$/, "");
    if (code.endsWith("|") || code.endsWith("\\") || inQuotes(cur)) continue;
    out.push(cur);
    cur = "";
  }
  if (cur) out.push(cur);
  return out;
}

const withoutComment = (line: string) => line.replace(/\s+#.*$/, "").trim();

export interface Installers {
  npmInstall(cwd: string, names: string[]): Promise<void>;
  pipInstall(cwd: string, target: string): Promise<void>;
}

/**
 * Runs a shell block line by line in `cwd`; returns each line's result. Throws on the first failure.
 * A line ending in `&` is started and left running, pushed on `background` (required then).
 */
export async function runBlock(
  block: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  installers: Installers,
  background?: ChildProcess[],
): Promise<{ line: string; result: RunResult }[]> {
  const results: { line: string; result: RunResult }[] = [];
  const ok = { code: 0, stdout: "", stderr: "" };
  for (const line of shellLines(block)) {
    const code = withoutComment(line);
    let result: RunResult;
    const npmInstall = /^npm install ((?:[@\w./-]+\s*)+)$/.exec(code);
    const pipInstall = /^pip install (\S+)$/.exec(code);
    const exported = /^export (\w+)=(.*)$/.exec(code);
    if (npmInstall) {
      await installers.npmInstall(cwd, npmInstall[1]!.trim().split(/\s+/));
      result = ok;
    } else if (pipInstall) {
      await installers.pipInstall(cwd, pipInstall[1]!);
      result = ok;
    } else if (exported) {
      const [, name, value] = exported;
      result = await run("sh", ["-c", `export ${name}=${value}; printf %s "$${name}"`], { cwd, env });
      if (result.code === 0) env[name!] = result.stdout;
    } else if (/[^&]&$/.test(code)) {
      // `server … &`: started as a user's shell would leave it, in its own process group so that
      // the test can end it (and what it started): `process.kill(-child.pid)`.
      if (!background) throw new Error(`docs line starts a background process: ${line}`);
      background.push(spawn("sh", ["-c", line], { cwd, env, detached: true, stdio: "ignore" }));
      result = ok;
    } else {
      result = await run("sh", ["-c", line], { cwd, env, timeoutMs: 180_000 });
    }
    results.push({ line, result });
    if (result.code !== 0)
      throw new Error(
        `docs line failed (${result.code}): ${line}\n--- stdout\n${result.stdout.slice(-4000)}\n--- stderr\n${result.stderr.slice(-4000)}`,
      );
  }
  return results;
}
