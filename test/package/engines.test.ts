// `engines.node` is true to the dependencies (#27 finding 1): the oldest Node package.json admits
// satisfies every runtime dependency's own `engines.node` (undici 8: >= 22.19), and is the
// version every entry point checks (provider/runtime_check.ts MIN_NODE).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MIN_NODE, nodeTooOld } from "../../provider/runtime_check.js";
import { ROOT, repoPackage } from "./offline_project.js";

type V = [number, number, number];
const parse = (v: string): V => {
  const [a = 0, b = 0, c = 0] = v
    .replace(/^[^\d]*/, "")
    .split(".")
    .map((x) => Number.parseInt(x, 10) || 0);
  return [a, b, c];
};
const cmp = (x: V, y: V) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2];

/** Whether version `v` satisfies `range` (the forms npm packages use for engines: >=, ^, ||, spaces). */
function satisfies(v: string, range: string): boolean {
  const have = parse(v);
  return range
    .replace(/([<>=^~]+)\s+/g, "$1")
    .split("||")
    .some((alt) =>
      alt
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .every((c) => {
          const want = parse(c);
          if (c.startsWith(">=")) return cmp(have, want) >= 0;
          if (c.startsWith(">")) return cmp(have, want) > 0;
          if (c.startsWith("<=")) return cmp(have, want) <= 0;
          if (c.startsWith("<")) return cmp(have, want) < 0;
          if (c.startsWith("^")) return have[0] === want[0] && cmp(have, want) >= 0;
          if (c === "*" || c === "x") return true;
          return cmp(have, want) === 0 || (c.split(".").length < 3 && have[0] === want[0]);
        }),
    );
}

describe("engines.node", () => {
  const ours = repoPackage().engines?.node ?? "";
  const oldest = ours.replace(/^>=\s*/, "");

  it("is a lower bound, the one every entry point checks", () => {
    expect(ours).toMatch(/^>=\d+\.\d+(\.\d+)?$/);
    expect(cmp(parse(oldest), parse(MIN_NODE))).toBe(0);
    expect(nodeTooOld(MIN_NODE)).toBe(false);
    expect(nodeTooOld("22.18.0")).toBe(true);
    expect(nodeTooOld("20.20.2")).toBe(true);
    expect(nodeTooOld("24.0.0")).toBe(false);
  });

  // The optional signer backends too: on a Node they refuse, npm would leave them out.
  it.each(Object.keys({ ...repoPackage().dependencies, ...repoPackage().optionalDependencies }))(
    "admits no Node that %s refuses",
    (dep) => {
      const pkg = JSON.parse(readFileSync(path.join(ROOT, "node_modules", dep, "package.json"), "utf8")) as {
        engines?: { node?: string };
      };
      const theirs = pkg.engines?.node;
      if (theirs)
        expect(satisfies(oldest, theirs), `${dep} needs node ${theirs}; package.json says ${ours}`).toBe(
          true,
        );
    },
  );
});

// README "Install": on an older Node every entry point stops with OBDCR_UNSUPPORTED_RUNTIME, not
// inside undici. The library entry points that load undici (the root, http, sandbox) did not.
describe("library entry points on an old Node", () => {
  const old = ["/usr/bin/node", "/usr/local/bin/node"].find((n) => {
    const r = spawnSync(n, ["-p", "process.versions.node"], { encoding: "utf8" });
    return r.status === 0 && Number(r.stdout.split(".")[0]) < 22;
  });
  it.each(["dist/provider/index.js", "dist/provider/http/index.js", "dist/sandbox/index.js"])(
    "require(%s) says which Node to use (the machine's old Node, when it has one)",
    (file) => {
      if (!old) return;
      const r = spawnSync(old, ["-e", `require(${JSON.stringify(path.join(ROOT, file))})`], {
        encoding: "utf8",
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /OBDCR_UNSUPPORTED_RUNTIME: ob-dcr needs Node\.js >= 22\.19\.0 .*npm install node@24/,
      );
      expect(r.stderr).not.toMatch(/TypeError/);
    },
  );
});
