/**
 * The dynamic provider as a module of its own (`ob-dcr/resource-provider/stub`). When ob-dcr is
 * installed (under node_modules), the SDK's closure serializer stores a reference to a module's
 * exports instead of the code of each method, so a resource's `__provider` (kept in its inputs and
 * its outputs) is one `require` of this module: about 250 bytes instead of 2.6 KB, twice per
 * resource. Each method loads the provider at its first call: a program that only declares
 * resources never loads the protocol code.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { registrationProvider } from "./provider.js";

type Provider = typeof registrationProvider;
const provider = (): Provider => require("./provider.js").registrationProvider;

export const configure = (req: pulumi.dynamic.ConfigureRequest) => provider().configure(req);
export const check: Provider["check"] = (olds, news) => provider().check(olds, news);
export const diff: Provider["diff"] = (id, olds, news) => provider().diff(id, olds, news);
export const create: Provider["create"] = (inputs) => provider().create(inputs);
export const read: Provider["read"] = (id, props) => provider().read(id, props);
export const update: Provider["update"] = (id, olds, news) => provider().update(id, olds, news);
// `delete` is a reserved word: exported under its name from a local binding.
const remove: Provider["delete"] = (id, props) => provider().delete(id, props);

export { remove as delete };
