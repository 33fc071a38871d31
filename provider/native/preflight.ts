/**
 * The plugin's first import (before the SDK's server and undici load): a Node too old for undici,
 * or `@pulumi/pulumi` missing beside the package, ends the plugin with the fix on stderr (the
 * engine shows it) instead of a crash inside a dependency.
 */
import {
  nodeTooOld,
  nodeTooOldMessage,
  OBDCR_UNSUPPORTED_RUNTIME,
  PLUGIN_PEER_MISSING,
} from "../runtime_check.js";

function pulumiSdkMissing(): boolean {
  try {
    require.resolve("@pulumi/pulumi/provider/server");
    return false;
  } catch {
    return true;
  }
}

const problem = nodeTooOld(process.versions.node)
  ? nodeTooOldMessage("plugin", process.version)
  : pulumiSdkMissing()
    ? PLUGIN_PEER_MISSING
    : undefined;
if (problem) {
  process.stderr.write(`pulumi-resource-obdcr: ${OBDCR_UNSUPPORTED_RUNTIME}: ${problem}\n`);
  process.exit(1);
}
