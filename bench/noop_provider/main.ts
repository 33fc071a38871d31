// A no-op native provider plugin for the benchmark only (package `obdcrnoop`, resource
// `obdcrnoop:index:Noop`), served by the same @pulumi/pulumi gRPC provider server as the native
// obdcr plugin: check and diff are the server's defaults, create returns the inputs as outputs,
// delete does nothing. `pulumi up` of N of these, with a registration's inputs, is what the engine
// and the provider server cost whatever the provider does: the baseline of the native cell.
import type * as pulumi from "@pulumi/pulumi";
// The provider server alone, as the native plugin loads it (provider/native/main.ts).
import { main } from "@pulumi/pulumi/provider/server";

let next = 0;
const provider: pulumi.provider.Provider = {
  version: "0.0.1",
  async create(_urn: string, inputs: unknown): Promise<pulumi.provider.CreateResult> {
    next += 1;
    return { id: `noop-${process.pid}-${next}`, outs: inputs as Record<string, unknown> };
  },
  async delete(): Promise<void> {},
};

main(provider, process.argv.slice(2));
