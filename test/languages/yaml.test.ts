// examples/yaml (Pulumi YAML, no SDK: the YAML host reads the plugin's schema) on the real CLI
// against the sandbox, two banks in one up: see lifecycle.ts.
import { describeLanguage } from "./lifecycle.js";
import { copyExample, sandboxConfig } from "./project.js";

describeLanguage({
  language: "yaml",
  async prepare(sb, work) {
    const p = copyExample("yaml", work);
    await p.pulumi(["stack", "init", "dev"]);
    await sandboxConfig(p, sb);
    return p;
  },
  bankKeys: { bankA: "sandbox-bank", bankB: "rfc7592-bank" },
});
