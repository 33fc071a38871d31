/**
 * The Pulumi package schema of `obdcr`, built from the zod schemas that validate the inputs (the
 * core's `RegistrationParams`, the resource-only inputs, the provider config), so a field added
 * there appears here without a list to edit. Outputs are the lifecycle's, typed by hand below.
 * `npm run schema` writes it to schema.json; test/native/schema.test.ts checks both agree.
 */
import type { z } from "zod";
import { MATERIAL_FILE_REFERENCES } from "../core/schemas/material_refs.js";
import { RegistrationParams } from "../core/schemas/params.js";
import { ResourceOnlyInputs, snakeToCamel } from "../lifecycle/inputs.js";
import { ProviderConfig, SECRET_CONFIG } from "./config.js";
import { banksSchema } from "./schema_banks.js";

export const PACKAGE = "obdcr";
export const RESOURCE = `${PACKAGE}:index:ClientRegistration`;

/** A Pulumi schema property or type reference. */
export interface Spec {
  type?: string;
  $ref?: string;
  items?: Spec;
  additionalProperties?: Spec;
  oneOf?: Spec[];
  description?: string;
  secret?: boolean;
}
export interface ObjectType {
  type: "object";
  description?: string;
  properties: Record<string, Spec>;
  required?: string[];
}

/** Descriptions by camelCase property path (`bank.discoveryUrl`); see scripts/schema_docs.ts. */
export type Docs = Record<string, string>;

const ANY: Spec = { $ref: "pulumi.json#/Any" };
const pascal = (path: readonly string[]) => path.map((p) => p[0]!.toUpperCase() + p.slice(1)).join("");
type Def = { type: string; [k: string]: unknown };
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Walks zod schemas into Pulumi specs, collecting object types by path. */
class Builder {
  readonly types: Record<string, ObjectType> = {};
  constructor(readonly docs: Docs) {}

  spec(s: z.ZodType, path: string[]): Spec | undefined {
    const d = defOf(s);
    switch (d.type) {
      case "optional":
      case "default":
      case "nullable":
      case "readonly":
      case "prefault":
        return this.spec(d.innerType as z.ZodType, path);
      case "pipe":
        return this.spec(d.in as z.ZodType, path);
      case "undefined":
      case "never":
        return undefined; // a moved setting: refused, not offered
      case "string":
      case "enum":
        return { type: "string" };
      case "boolean":
        return { type: "boolean" };
      case "number":
        return { type: (s as unknown as { format?: string }).format === "safeint" ? "integer" : "number" };
      case "literal": {
        const v = (d.values as unknown[])[0];
        return { type: typeof v === "number" ? "integer" : typeof v };
      }
      case "array": {
        const items = this.spec(d.element as z.ZodType, path);
        return items ? { type: "array", items } : undefined;
      }
      case "record":
        return { type: "object", additionalProperties: ANY };
      case "union": {
        const seen = new Map<string, Spec>();
        for (const o of d.options as z.ZodType[]) {
          const x = this.spec(o, path);
          if (x) seen.set(JSON.stringify(x), x);
        }
        const all = [...seen.values()];
        return all.length === 1 ? all[0] : { oneOf: all };
      }
      case "object": {
        // A loose object is a wire structure (a JWK, a JWKS): passed as it is.
        if (d.catchall && defOf(d.catchall as z.ZodType).type !== "never") return ANY;
        return this.object(s as z.ZodObject, path);
      }
      default:
        return ANY;
    }
  }

  object(s: z.ZodObject, path: string[]): Spec {
    const name = `${PACKAGE}:index:${pascal(path)}`;
    const { properties, required } = this.members(s, path);
    this.types[name] = { type: "object", description: this.docs[path.join(".")], properties, required };
    return { $ref: `#/types/${name}` };
  }

  members(s: z.ZodObject, path: string[]) {
    const properties: Record<string, Spec> = {};
    const required: string[] = [];
    for (const [key, member] of Object.entries(s.shape as Record<string, z.ZodType>)) {
      const camel = snakeToCamel(key);
      const spec = this.spec(member, [...path, camel]);
      if (!spec) continue;
      const description = this.docs[[...path, camel].join(".")] ?? `The \`${key}\` member (wire name).`;
      properties[camel] = { ...spec, description };
      if (!member.safeParse(undefined).success && !["optional", "default"].includes(defOf(member).type))
        required.push(camel);
    }
    return { properties, required };
  }
}

const str: Spec = { type: "string" };
const int: Spec = { type: "integer" };
const ref = (t: string): Spec => ({ $ref: `#/types/${PACKAGE}:index:${t}` });

/**
 * The resource's outputs: `RegistrationComputed` and the material's identity (provider/lifecycle).
 * The declared inputs are recorded once, as inputs, not echoed (provider/native/provider.ts).
 */
const COMPUTED: Record<string, Spec> = {
  clientId: str,
  clientIdIssuedAt: int,
  clientSecret: { ...str, secret: true },
  clientSecretExpiresAt: int,
  registrationAccessToken: { ...str, secret: true },
  registrationClientUri: str,
  managementUri: str,
  registeredMetadata: { type: "object", additionalProperties: ANY },
  appliedMetadata: { type: "object", additionalProperties: ANY },
  substitutions: { type: "array", items: ref("Substitution") },
  softwareJwksEndpoint: str,
  signingKeyIdentity: ref("SigningKeyIdentity"),
  transportCertificate: ref("TransportCertificate"),
  caFingerprints: { type: "array", items: str },
};
const COMPUTED_REQUIRED = [
  "clientId",
  "managementUri",
  "registeredMetadata",
  "substitutions",
  "signingKeyIdentity",
];

const OUTPUT_TYPES: Record<string, Record<string, Spec>> = {
  Substitution: { field: str, requested: ANY, registered: ANY },
  SigningKeyIdentity: { kid: str, alg: str, thumbprint: str },
  TransportCertificate: { sha256: str, subjectDn: str, issuerDn: str, notBefore: str, notAfter: str },
};

/** Secret wherever they appear: private keys and management credentials. */
const SECRET_PATHS = [
  "signingPrivateKey",
  "transportPrivateKey",
  "adopt",
  "signingKey.privateKey",
  "transport.key",
  "adopt.registrationAccessToken",
  "adopt.clientSecret",
];

/**
 * The SDKs' package names (sdk/nodejs, sdk/python, sdk/go). In the schema the plugin serves, so that the
 * code `pulumi import` generates in TypeScript or Python imports these packages (without them the
 * generators write `@pulumi/obdcr`); scripts/gen_sdk.ts builds the SDKs from the same section.
 */
export const LANGUAGE = {
  nodejs: { packageName: "@ob-dcr/obdcr", respectSchemaVersion: true },
  // The generator's default (>=3.9) admitted a Python that no pulumi it depends on (>=3.231)
  // supports: pip then failed on the dependency instead of saying which Python is needed.
  python: { packageName: "pulumi_obdcr", respectSchemaVersion: true, pythonRequires: ">=3.10" },
  // The Go SDK's module (package.json `repository` + /sdk/go/obdcr; scripts/gen_sdk.ts checks the
  // two agree): without it Go code that `pulumi import` generates imports example.com/pulumi-obdcr.
  go: { importBasePath: "github.com/ob-dcr/ob-dcr/sdk/go/obdcr", respectSchemaVersion: true },
};

/** The package schema at `version` (package.json's: `npm run schema`; the plugin serves its own). */
export function buildSchema(docs: Docs, version: string) {
  const b = new Builder(docs);
  const core = b.members(RegistrationParams as unknown as z.ZodObject, []);
  const own = b.members(ResourceOnlyInputs, []);
  const inputs: Record<string, Spec> = { ...core.properties, ...own.properties };
  // Private keys given inline travel beside signingKey / transport (secret).
  inputs.signingPrivateKey = { oneOf: [str, ANY], description: docs.signingPrivateKey };
  inputs.transportPrivateKey = { ...str, description: docs.transportPrivateKey };
  // Material by file (read by the provider): the member becomes optional.
  for (const r of MATERIAL_FILE_REFERENCES) {
    const section = snakeToCamel(r.section);
    const t = b.types[`${PACKAGE}:index:${pascal([section])}`];
    if (!t) continue;
    const refName = snakeToCamel(r.ref);
    t.properties[refName] = {
      oneOf: [str, { type: "array", items: str }],
      description:
        docs[`${section}.${refName}`] ??
        `A file holding \`${snakeToCamel(r.member)}\` (read by the provider; only the path is in state).`,
    };
    t.required = t.required?.filter((k) => k !== snakeToCamel(r.member));
  }
  for (const p of SECRET_PATHS) {
    const [head, member] = p.split(".");
    const target = member
      ? b.types[`${PACKAGE}:index:${pascal([head!])}`]?.properties[member]
      : inputs[head!];
    if (target) target.secret = true;
  }
  for (const [name, props] of Object.entries(OUTPUT_TYPES)) {
    const path = name[0]!.toLowerCase() + name.slice(1);
    b.types[`${PACKAGE}:index:${name}`] = {
      type: "object",
      description: docs[path],
      properties: Object.fromEntries(
        Object.entries(props).map(([k, v]) => [k, { ...v, description: docs[`${path}.${k}`] }]),
      ),
      required: Object.keys(props).filter((k) => k !== "requested" && k !== "registered"),
    };
  }
  const computed = Object.fromEntries(
    Object.entries(COMPUTED).map(([k, v]) => [k, { ...v, description: docs[k] }]),
  );
  const requiredInputs = [...core.required, ...own.required];
  // Banks from the directory: a function and a component over the same inputs (schema_banks.ts).
  const banks = banksSchema(b, docs, inputs, requiredInputs);
  const config = new Builder(docs);
  const cfg = config.members(ProviderConfig, ["config"]);
  for (const k of SECRET_CONFIG) cfg.properties[k]!.secret = true;
  const variables = Object.fromEntries(
    Object.entries(cfg.properties).map(([k, v]) => [k, { ...v, description: docs[`config.${k}`] }]),
  );
  return {
    name: PACKAGE,
    displayName: "Open Banking DCR",
    version,
    description:
      "Open Banking Dynamic Client Registration (DCR): a client registration at a bank as a resource.",
    keywords: ["pulumi", "open-banking", "dcr", "oauth", "category/utility"],
    license: "Apache-2.0",
    meta: { moduleFormat: "(.*)" },
    language: LANGUAGE,
    config: { variables },
    provider: { description: docs.provider, inputProperties: variables },
    types: Object.fromEntries(Object.entries(b.types).sort(([a], [c]) => a.localeCompare(c))),
    resources: {
      [RESOURCE]: {
        description: docs[""],
        inputProperties: inputs,
        requiredInputs,
        properties: computed,
        required: COMPUTED_REQUIRED,
      },
      ...banks.resources,
    },
    functions: banks.functions,
  };
}
export type PackageSchema = ReturnType<typeof buildSchema>;
