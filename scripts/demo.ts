// The main job: a real `pulumi up` through the Automation API on the local file backend,
// then the stack outputs with secrets masked.
import { program } from "../examples/engine-check/program.js";
import { backendUrl, localStack } from "./lib/pulumi_stack.js";

async function main() {
  const stack = await localStack({
    projectName: "ob-dcr-demo",
    stackName: process.env.OB_DCR_STACK ?? "dev",
    program: async () => program("hello from ob-dcr"),
  });
  console.log(`backend: ${backendUrl()}  stack: ${stack.name}`);
  const up = await stack.up({ onOutput: (s) => process.stdout.write(s) });
  console.log("\nOutputs (secrets masked):");
  for (const [key, out] of Object.entries(up.outputs)) {
    console.log(`  ${key}: ${out.secret ? "[secret]" : JSON.stringify(out.value)}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
