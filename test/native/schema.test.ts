// The package schema against its sources: the committed schema.json is what `npm run schema`
// makes now, and its properties are exactly the zod schemas' (a field added to the zod schemas
// without regenerating, or a schema property no zod schema backs, fails here).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ClientParams, DirectoryParams, RegistrationParams } from "../../provider/core/schemas/params.js";
import { ResourceOnlyInputs, snakeToCamel } from "../../provider/lifecycle/inputs.js";
import { INPUT_KEYS } from "../../provider/lifecycle/props.js";
import { ProviderConfig, SECRET_CONFIG } from "../../provider/native/config.js";
import { ObDcrProvider } from "../../provider/native/provider.js";
import { RESOURCE } from "../../provider/native/schema.js";
import { SECRET_OUTPUTS } from "../../provider/resource/registration.js";
import { GO_MODULE, sdkSchema } from "../../scripts/gen_sdk.js";
import { repoRoot } from "../../scripts/lib/pulumi_stack.js";
import { SCHEMA_FILE, schemaText } from "../../scripts/schema.js";

type Prop = { description?: string; secret?: boolean };
const committed = readFileSync(SCHEMA_FILE, "utf8");
const schema = JSON.parse(committed) as {
  config: { variables: Record<string, Prop> };
  types: Record<string, { properties: Record<string, Prop> }>;
  resources: Record<string, { inputProperties: Record<string, Prop>; properties: Record<string, Prop> }>;
};
const res = schema.resources[RESOURCE]!;
/** Keys a zod object offers (a moved setting, `z.undefined()`, is refused, not offered). */
const offered = (shape: Record<string, { safeParse(v: unknown): { success: boolean } }>) =>
  Object.entries(shape)
    .filter(
      ([, s]) => !(s.safeParse(undefined).success && !s.safeParse("x").success && !s.safeParse({}).success),
    )
    .map(([k]) => snakeToCamel(k))
    .sort();

describe("schema.json", () => {
  it("is what `npm run schema` generates from the current zod schemas", () => {
    expect(committed, "provider/native/schema.json is stale: run `npm run schema`").toBe(schemaText());
  });

  it("carries package.json's version: the one the plugin serves at GetSchema and the SDKs carry", async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      version: string;
    };
    expect((schema as unknown as { version: string }).version).toBe(version);
    // The plugin (provider/native/main.ts) is made with package.json's version and serves the schema with it.
    const served = JSON.parse(await new ObDcrProvider(version).getSchema()) as Record<string, unknown>;
    expect(served).toEqual(JSON.parse(committed));
    // What the SDKs are generated from says the same.
    expect(sdkSchema(committed).version).toBe(version);
  });

  it("names the Go SDK's module, so that Go code `pulumi import` generates imports it", () => {
    const language = (schema as unknown as { language: Record<string, { importBasePath?: string }> })
      .language;
    expect(language.go?.importBasePath).toBe(GO_MODULE);
    const go = (sdkSchema(committed).language as Record<string, { importBasePath?: string }>).go;
    expect(go?.importBasePath).toBe(GO_MODULE);
    const other = JSON.stringify({
      ...JSON.parse(committed),
      language: { ...language, go: { importBasePath: "x" } },
    });
    expect(() => sdkSchema(other)).toThrow(
      /LANGUAGE.go.importBasePath is "x".*github.com\/ob-dcr\/ob-dcr\/sdk\/go\/obdcr/,
    );
  });

  it("has every resource input the zod schemas offer, and no other", () => {
    const inputs = INPUT_KEYS.filter((k) => k !== "refusesDuplicates").sort();
    expect(Object.keys(res.inputProperties).sort()).toEqual(inputs);
    expect(Object.keys(RegistrationParams.shape).length + Object.keys(ResourceOnlyInputs.shape).length).toBe(
      INPUT_KEYS.length - 2,
    );
  });

  it("has every nested member of the zod objects (client, directory)", () => {
    const type = (n: string) => Object.keys(schema.types[`obdcr:index:${n}`]!.properties);
    for (const k of offered(ClientParams.shape)) expect(type("Client")).toContain(k);
    for (const k of offered(DirectoryParams.shape)) expect(type("Directory")).toContain(k);
  });

  it("has every provider config key, and no other", () => {
    expect(Object.keys(schema.config.variables).sort()).toEqual(Object.keys(ProviderConfig.shape).sort());
  });

  it("marks credentials secret: outputs, inline private keys, config", () => {
    // Credentials the bank issued are outputs; the plugin records what was declared once, as inputs.
    for (const k of SECRET_OUTPUTS)
      expect((res.properties[k] ?? res.inputProperties[k])?.secret, k).toBe(true);
    expect(res.properties.clientSecret?.secret).toBe(true);
    expect(res.properties.registrationAccessToken?.secret).toBe(true);
    expect(schema.types["obdcr:index:SigningKey"]!.properties.privateKey!.secret).toBe(true);
    expect(schema.types["obdcr:index:Transport"]!.properties.key!.secret).toBe(true);
    for (const k of SECRET_CONFIG) expect(schema.config.variables[k]!.secret, k).toBe(true);
    expect(res.properties.clientId!.secret).toBeUndefined();
  });

  it("documents every input, output, type member and config key", () => {
    const all: [string, Prop][] = [
      ...Object.entries(res.properties),
      ...Object.entries(schema.config.variables).map(([k, v]) => [`config.${k}`, v] as [string, Prop]),
      ...Object.entries(schema.types).flatMap(([t, x]) =>
        Object.entries(x.properties).map(([k, v]) => [`${t}.${k}`, v] as [string, Prop]),
      ),
    ];
    for (const [k, v] of all) expect(v.description, k).toMatch(/\S/);
  });
});

describe("the plugin's packaging", () => {
  it("ships the wrapper, and the schema beside the compiled provider", () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, "../../package.json"), "utf8")) as {
      files: string[];
    };
    expect(pkg.files).toContain("bin/pulumi-resource-obdcr");
    expect(pkg.files).toContain("dist/provider");
  });
});
