// The Node SDK of the plugin (@ob-dcr/obdcr) as `npm run sdk:pack` packs it for publishing: what
// the tarball holds. (test/docs/first_hour.test.ts installs the same tarball and runs `pulumi up`
// with it.) A few seconds: tsc of the generated SDK and `npm pack`, offline.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packNodeSdk } from "../../scripts/pack_node_sdk.js";
import { localPathsIn } from "./local_paths.js";
import { ROOT, repoPackage } from "./offline_project.js";

const exec = promisify(execFile);

describe("npm run sdk:pack (the Node SDK @ob-dcr/obdcr)", () => {
  const work = mkdtempSync(path.join(tmpdir(), "obdcr-node-sdk-pack-"));
  const unpacked = path.join(work, "unpacked");
  let files: string[];

  beforeAll(async () => {
    const tarball = await packNodeSdk(path.join(work, "out"));
    mkdirSync(unpacked);
    await exec("tar", ["xzf", tarball, "-C", unpacked]);
    files = readdirSync(path.join(unpacked, "package"), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(path.join(unpacked, "package"), path.join(e.parentPath, e.name)))
      .sort();
  }, 120_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const read = (f: string) => readFileSync(path.join(unpacked, "package", f), "utf8");

  it("is @ob-dcr/obdcr at the package's version, with its entry point and types", () => {
    const pkg = JSON.parse(read("package.json")) as { name: string; version: string; license: string };
    expect(pkg).toMatchObject({
      name: "@ob-dcr/obdcr",
      version: repoPackage().version,
      license: "Apache-2.0",
    });
    expect(files).toContain("index.js");
    expect(files).toContain("index.d.ts");
  });

  it("carries the Apache-2.0 LICENSE its package.json names (it did not: no copy of the license)", () => {
    expect(files).toContain("LICENSE");
    expect(read("LICENSE")).toBe(readFileSync(path.join(ROOT, "LICENSE"), "utf8"));
  });

  it("holds compiled code and declarations only: no TypeScript sources, no source maps pointing at them", () => {
    expect(files.filter((f) => !/\.(js|d\.ts)$/.test(f))).toEqual(["LICENSE", "README.md", "package.json"]);
    expect(files.filter((f) => read(f).includes("sourceMappingURL="))).toEqual([]);
  });

  it("names no path of the machine that packed it", () => {
    const roots = [ROOT, work, tmpdir(), homedir()];
    expect(files.flatMap((f) => localPathsIn(read(f), roots).map((p) => `${f}: ${p}`))).toEqual([]);
  });
});
