// examples/yaml (Pulumi YAML, no SDK: the YAML host reads the plugin's schema) on the real CLI
// against the sandbox, two banks in one up: see lifecycle.ts.
import { describeLanguage } from "./lifecycle.js";
import { copyExample, sandboxValues, setConfig } from "./project.js";

describeLanguage({
  language: "yaml",
  async prepare(sb, work) {
    const p = copyExample("yaml", work);
    const v = sandboxValues(sb.manifest);
    const [a, b] = v.banks;
    await p.pulumi(["stack", "init", "dev"]);
    await setConfig(
      p,
      {
        directoryTokenEndpoint: v.directory.tokenEndpoint,
        directorySsaEndpoint: v.directory.ssaEndpoint,
        directoryJwksUri: v.directory.jwksUri,
        softwareId: v.software.softwareId,
        orgId: v.software.orgId,
        signingKid: v.software.kid,
        transportCertFile: v.transport.certFile,
        transportKeyFile: v.transport.keyFile,
        caFile: v.transport.caFile,
        redirectUri: v.redirectUris[0]!,
        bankADiscoveryUrl: a!.discoveryUrl,
        bankAOrgId: a!.orgId,
        bankBDiscoveryUrl: b!.discoveryUrl,
        bankBOrgId: b!.orgId,
      },
      v.signingKeyPem,
    );
    return p;
  },
  bankKeys: { bankA: "sandbox-bank", bankB: "rat-bank" },
});
