// A stack whose program uses the native provider: an inline Automation API program (real CLI,
// file backend) whose Pulumi.yaml points the engine at bin/pulumi-resource-obdcr through
// `plugins.providers`, the set-up the docs give users. Nothing downloads.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, type ProjectSettings, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { cliInfo, DEMO_PASSPHRASE, repoRoot } from "../../scripts/lib/pulumi_stack.js";

export const TYPE = "obdcr:index:ClientRegistration";
export type Args = Record<string, unknown>;

/** What a generated SDK's class is, minus the typing: the type token and the inputs. */
class ClientRegistration extends pulumi.CustomResource {
  constructor(name: string, args: Args) {
    super(TYPE, name, { ...args, clientSecret: undefined });
  }
}

/** What the program declares: logical name → inputs. Tests edit it between runs. */
export function nativeProgram(declared: Map<string, Args>) {
  return async () => {
    const out: Record<string, unknown> = {};
    for (const [name, args] of declared) {
      const r = new ClientRegistration(name, args);
      out[name] = r.id;
      out[`${name}Secret`] = (r as unknown as { clientSecret: pulumi.Output<string> }).clientSecret;
    }
    return out;
  };
}

export async function nativeStack(opts: {
  projectName: string;
  stackName: string;
  backend: string;
  declared: Map<string, Args>;
  /** Instead of one registration per `declared` entry. */
  program?: () => Promise<Record<string, unknown>>;
  /** Added to the engine's (and so the plugin's) environment. */
  envVars?: Record<string, string>;
}): Promise<Stack> {
  mkdirSync(opts.backend.replace(/^file:\/\//, ""), { recursive: true });
  const pulumiCommand = await PulumiCommand.get({ root: cliInfo().root });
  const projectSettings = {
    name: opts.projectName,
    runtime: "nodejs",
    main: repoRoot,
    backend: { url: opts.backend },
    plugins: { providers: [{ name: "obdcr", path: join(repoRoot, "bin") }] },
  } as ProjectSettings;
  return LocalWorkspace.createOrSelectStack(
    {
      projectName: opts.projectName,
      stackName: opts.stackName,
      program: opts.program ?? nativeProgram(opts.declared),
    },
    {
      pulumiCommand,
      secretsProvider: "passphrase",
      projectSettings,
      envVars: {
        PULUMI_CONFIG_PASSPHRASE: DEMO_PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_BACKEND_URL: opts.backend,
        // The engine's own PATH, without the repo's Node: the wrapper must find Node 24 itself.
        PATH: process.env
          .PATH!.split(":")
          .filter((p) => !p.includes("node_modules"))
          .join(":"),
        ...opts.envVars,
      },
    },
  );
}
