// `npm run sdk:pack`: the Node SDK of the provider plugin (`@ob-dcr/obdcr`, sdk/nodejs) as the npm
// package it is published as: compiled with tsc to JavaScript and declarations (the generated
// package is TypeScript source), its package.json and README beside them (utilities.ts reads the
// version from ./package.json) and the repository's LICENSE (Apache-2.0 asks that every copy carry
// it), packed with `npm pack`. No source maps: they point at the .ts files, which are not shipped.
// Offline: the repo's typescript, @types/node and @pulumi/pulumi compile it. Prints the tarball's
// path.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./lib/pulumi_stack.js";

const exec = promisify(execFile);

/** Where `npm run sdk:pack` writes the tarball (git-ignored, like dist/). */
export const NODE_SDK_OUT = join(repoRoot, "dist-sdk");

/** Builds and packs sdk/nodejs into `outDir`; returns the tarball's path. */
export async function packNodeSdk(outDir = NODE_SDK_OUT): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), "obdcr-node-sdk-"));
  try {
    const src = join(work, "nodejs");
    cpSync(join(repoRoot, "sdk", "nodejs"), src, { recursive: true });
    symlinkSync(join(repoRoot, "node_modules"), join(src, "node_modules"));
    await exec(process.execPath, [
      join(repoRoot, "node_modules", "typescript", "bin", "tsc"),
      "-p",
      src,
      "--sourceMap",
      "false",
      "--declarationMap",
      "false",
    ]);
    const bin = join(src, "bin");
    for (const f of ["package.json", "README.md"]) cpSync(join(src, f), join(bin, f));
    cpSync(join(repoRoot, "LICENSE"), join(bin, "LICENSE"));
    mkdirSync(outDir, { recursive: true });
    const { stdout } = await exec(
      "npm",
      ["pack", bin, "--ignore-scripts", "--json", "--pack-destination", outDir],
      { cwd: work },
    );
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    if (!packed) throw new Error(`npm pack ${bin} packed nothing`);
    return join(outDir, packed.filename);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  packNodeSdk().then(
    (file) => process.stdout.write(`${file}\n`),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
