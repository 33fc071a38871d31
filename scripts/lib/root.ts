// The package root, from scripts/lib, test/ or bench/ (run from TypeScript) and from dist/ (built).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

function findRoot(dir: string): string {
  for (let d = dir; d !== dirname(d); d = dirname(d)) {
    if (existsSync(join(d, "Pulumi.yaml")) && existsSync(join(d, "package.json"))) return d;
  }
  throw new Error(`no project root (Pulumi.yaml + package.json) above ${dir}`);
}

export const repoRoot = findRoot(__dirname);
