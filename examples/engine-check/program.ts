// The smallest dynamic resource that exercises the whole engine path the real
// ObClientRegistration relies on: a provider serialized into state that loads this package
// by name inside its methods, create/diff/update/delete, and a secret output.
import * as pulumi from "@pulumi/pulumi";

export interface EchoInputs {
  message: string;
}

export interface EchoOutputs extends EchoInputs {
  digest: string;
  nonce: string;
  packageVersion: string;
}

// Everything a method needs is required inside it: the closure serializer would otherwise
// freeze it into the state file.
const echoProvider: pulumi.dynamic.ResourceProvider<EchoInputs, EchoOutputs> = {
  async create(inputs) {
    const crypto: typeof import("node:crypto") = require("node:crypto");
    const pkg: { version: string } = require("ob-dcr/package.json");
    const digest = crypto.createHash("sha256").update(inputs.message).digest("hex");
    const nonce = crypto.randomBytes(16).toString("hex");
    return {
      id: crypto.randomUUID(),
      outs: { message: inputs.message, digest, nonce, packageVersion: pkg.version },
    };
  },
  async diff(_id, olds, news) {
    return { changes: olds.message !== news.message };
  },
  async update(_id, olds, news) {
    const crypto: typeof import("node:crypto") = require("node:crypto");
    const digest = crypto.createHash("sha256").update(news.message).digest("hex");
    return { outs: { ...olds, message: news.message, digest } };
  },
  async delete() {},
};

export interface EchoArgs {
  message: pulumi.Input<string>;
}

export class Echo extends pulumi.dynamic.Resource {
  declare readonly message: pulumi.Output<string>;
  declare readonly digest: pulumi.Output<string>;
  /** Secret: random per resource, kept encrypted in state. */
  declare readonly nonce: pulumi.Output<string>;
  declare readonly packageVersion: pulumi.Output<string>;

  constructor(name: string, args: EchoArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      echoProvider,
      name,
      { ...args, digest: undefined, nonce: undefined, packageVersion: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["nonce"] }),
      "ob-dcr",
      "Echo",
    );
  }
}

export function program(message: string) {
  const echo = new Echo("echo", { message });
  return {
    message: echo.message,
    digest: echo.digest,
    nonce: echo.nonce,
    packageVersion: echo.packageVersion,
  };
}
