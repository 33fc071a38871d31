// The dynamic resource as users run it: ob-dcr packed (`npm pack`) and installed from the npm cache
// into a new Pulumi project, whose program (a local one, run by the nodejs language host) declares
// the registrations, or as many no-op dynamic resources with the same inputs (its floor). Run from
// the checkout, the SDK serializes the resource's provider stub by value (2.6 KB, in inputs and in
// outputs); installed, the stub is one `require` of ob-dcr/resource-provider/stub. So the state the
// engine rewrites after every step, and the time that takes, are measured here as users get them.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { cliInfo, engineEnv, repoRoot } from "../scripts/lib/pulumi_stack.js";
import { describeRun, npm, packRepo, userEnv, writeOfflineProject } from "../test/package/offline_project.js";

const PROJECT = "ob-dcr-bench-installed";

// Each resource's name and inputs come from a JSON file the bench writes for the stack.
const INDEX_JS = `"use strict";
const { readFileSync } = require("node:fs");
const pulumi = require("@pulumi/pulumi");
const { ObClientRegistration } = require("ob-dcr/pulumi");

const config = new pulumi.Config();
const resources = JSON.parse(readFileSync(config.require("resourcesFile"), "utf8"));
// The floor: a dynamic provider that does nothing (create echoes the inputs).
const noop = {
  async create(ins) {
    return { id: "noop-" + Math.random(), outs: { ...ins } };
  },
};
class Noop extends pulumi.dynamic.Resource {}
const floor = config.require("face") === "dynamic_noop";
for (const { name, args } of resources) {
  if (floor) new Noop(noop, name, { ...args });
  else new ObClientRegistration(name, args);
}
`;

const installs = new Map<string, Promise<string>>();

/** The project, packed and installed once per work folder (the build in dist/ as it is). */
export function installedProject(workDir: string): Promise<string> {
  let p = installs.get(workDir);
  if (!p) {
    p = install(workDir);
    installs.set(workDir, p);
  }
  return p;
}

async function install(workDir: string): Promise<string> {
  const env = { ...userEnv(), PATH: `${join(repoRoot, "node_modules", ".bin")}:${process.env.PATH ?? ""}` };
  const { tarball } = await packRepo(join(workDir, "installed", "pack"), env);
  const dir = join(workDir, "installed", "project");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\nmain: index.js\n`);
  writeFileSync(join(dir, "index.js"), INDEX_JS);
  writeOfflineProject({
    dir,
    manifest: { name: PROJECT, private: true, main: "index.js" },
    tarball,
    dependencies: ["@pulumi/pulumi"],
  });
  const r = await npm(["ci", "--offline", "--ignore-scripts"], dir, env);
  if (r.code !== 0) throw new Error(describeRun("npm ci --offline (bench's installed project)", r));
  return dir;
}

/**
 * A stack of the installed project declaring `resources` (registrations, or the no-op floor):
 * `envVars` reach the engine, the language host and the dynamic provider host.
 */
export async function installedStack(o: {
  project: string;
  stackName: string;
  backend: string;
  face: "dynamic" | "dynamic_noop";
  resources: { name: string; args: unknown }[];
  envVars: Record<string, string>;
  cliRoot?: string | undefined;
}): Promise<Stack> {
  mkdirSync(o.backend.replace(/^file:\/\//, ""), { recursive: true });
  const resourcesFile = join(o.project, `${o.stackName}.resources.json`);
  writeFileSync(resourcesFile, JSON.stringify(o.resources));
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: o.stackName, workDir: o.project },
    {
      pulumiCommand: await PulumiCommand.get({ root: o.cliRoot ?? cliInfo().root }),
      secretsProvider: "passphrase",
      envVars: { ...engineEnv(o.backend), ...o.envVars },
    },
  );
  await stack.setAllConfig({ resourcesFile: { value: resourcesFile }, face: { value: o.face } });
  return stack;
}
