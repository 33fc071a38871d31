/**
 * The schema of banks from the directory: the `getBanks` function and the `BankRegistrations`
 * component, with their types built from the same zod schemas that validate them (the core's
 * `BankFilter`, `BankChangePolicy`, `DirectoryBank`, `KnownBank`). The shared registration is the
 * resource's own inputs with `bank` optional (each bank's discovery URL comes from the list).
 */
import type { z } from "zod";
import { BankChangePolicy, KnownBank } from "../core/directory/bank_plan.js";
import { BankFilter, DirectoryBank } from "../core/directory/listing.js";
import type { Docs, ObjectType, Spec } from "./schema.js";

/** The part of schema.ts's builder this needs. */
interface TypeBuilder {
  readonly types: Record<string, ObjectType>;
  object(s: z.ZodObject, path: string[]): Spec;
}

const str: Spec = { type: "string" };
const int: Spec = { type: "integer" };
const ANY: Spec = { $ref: "pulumi.json#/Any" };

export const GET_BANKS = "obdcr:index:getBanks";
export const BANK_REGISTRATIONS = "obdcr:index:BankRegistrations";
const TEMPLATE = "obdcr:index:RegistrationTemplate";

const described = (docs: Docs, prefix: string, props: Record<string, Spec>) =>
  Object.fromEntries(
    Object.entries(props).map(([k, v]) => [k, { ...v, description: docs[`${prefix}.${k}`] }]),
  );

/** Types, the function and the component; `inputs`/`required` are the resource's inputs. */
export function banksSchema(
  b: TypeBuilder,
  docs: Docs,
  inputs: Record<string, Spec>,
  required: readonly string[],
) {
  const filter = b.object(BankFilter as unknown as z.ZodObject, ["bankFilter"]);
  const policy = b.object(BankChangePolicy as unknown as z.ZodObject, ["bankChangePolicy"]);
  const entry = b.object(DirectoryBank as unknown as z.ZodObject, ["directoryBank"]);
  const declared = b.object(KnownBank as unknown as z.ZodObject, ["declaredBank"]);
  b.types[TEMPLATE] = {
    type: "object",
    description: docs.registrationTemplate,
    // The resource documents each input; repeating its long texts here would double the SDKs.
    properties: Object.fromEntries(
      Object.entries(inputs).map(([k, v]) => [k, { ...v, description: `As ClientRegistration's \`${k}\`.` }]),
    ),
    required: required.filter((k) => k !== "bank"),
  };
  b.types["obdcr:index:MissingBank"] = {
    type: "object",
    description: docs.missingBank,
    properties: {
      ...b.types["obdcr:index:DeclaredBank"]!.properties,
      ...described(docs, "missingBank", { why: str, action: str }),
    },
    required: [...(b.types["obdcr:index:DeclaredBank"]!.required ?? []), "why", "action"],
  };
  const template: Spec = { $ref: `#/types/${TEMPLATE}` };
  const listInputs = described(docs, "getBanks", { registration: template, filter, listUrl: str });
  const functions = {
    [GET_BANKS]: {
      description: docs.getBanks,
      inputs: { properties: listInputs, required: ["registration"] },
      outputs: {
        properties: described(docs, "getBanks", {
          directory: str,
          listUrl: str,
          banks: { type: "array", items: entry },
          excluded: { type: "array", items: entry },
          requests: int,
        }),
        required: ["directory", "listUrl", "banks", "excluded", "requests"],
      },
    },
  };
  const component = {
    description: docs.bankRegistrations,
    isComponent: true,
    inputProperties: {
      ...described(docs, "bankRegistrations", {
        registration: template,
        filter,
        listUrl: str,
        policy,
        overrides: { type: "object", additionalProperties: ANY },
        knownListFile: str,
      }),
    },
    requiredInputs: ["registration"],
    properties: described(docs, "bankRegistrations", {
      banks: { type: "array", items: declared },
      clientIds: { type: "object", additionalProperties: str },
      added: { type: "array", items: str },
      missing: { type: "array", items: { $ref: "#/types/obdcr:index:MissingBank" } },
      source: str,
    }),
    required: ["banks", "clientIds", "added", "missing", "source"],
  };
  return { functions, resources: { [BANK_REGISTRATIONS]: component } };
}
