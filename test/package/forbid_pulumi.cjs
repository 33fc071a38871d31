// Preload (`node -r`): fails any resolution of @pulumi/pulumi, by require or import, and says so
// on stderr. Used to show that the core and the CLI never load the Pulumi SDK.
const { registerHooks } = require("node:module");

registerHooks({
  resolve(specifier, context, next) {
    if (specifier === "@pulumi/pulumi" || specifier.startsWith("@pulumi/pulumi/")) {
      const message = `OBDCR_TEST_PULUMI_LOADED: ${specifier} from ${context.parentURL ?? "(entry)"}`;
      process.stderr.write(`${message}\n`);
      throw new Error(message);
    }
    return next(specifier, context);
  },
});
