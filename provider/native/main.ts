/**
 * The plugin's entry (`bin/pulumi-resource-obdcr` runs it): serves `ObDcrProvider` on the SDK's
 * gRPC provider server. Two gaps of that server (@pulumi/pulumi 3.260 `provider/server.js`) are
 * closed here, before it starts, and nowhere else:
 * - Configure answers without passing the configuration on: its handler is wrapped so the
 *   provider sees the request (args and variables) first;
 * - CheckConfig is unimplemented: the provider validates its config and marks the credentials
 *   secret (the engine stores the checked config as the provider's inputs in state);
 * - an import's Read carries no properties and `getProperties().toJavaScript()` throws: an
 *   absent Struct reads as an empty one.
 * And one of ours: the plugin records a registration's declared inputs once, as inputs, not again
 * in its outputs (state is rewritten after every step of an `up`). Read, Diff, Update and Delete
 * hand the provider the recorded outputs over the recorded inputs, as the SDK's server passes
 * only the outputs on.
 */
// First: a Node too old for undici, or no @pulumi/pulumi, ends here with the fix.
import "./preflight.js";

import { createRequire } from "node:module";
import type * as Grpc from "@grpc/grpc-js";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
// The SDK's provider server only, not the whole SDK: about 60 MB less resident memory.
import { main } from "@pulumi/pulumi/provider/server";
import type * as StructPb from "google-protobuf/google/protobuf/struct_pb";
import { exitWithEngine } from "../engine_watch.js";
import { ObDcrProvider } from "./provider.js";

// gRPC and protobuf as the SDK resolves them (its dependencies, not ours): the patches below must
// reach the very instances its server uses, wherever npm placed them.
const fromSdk = createRequire(require.resolve("@pulumi/pulumi/provider/server"));
const grpc = fromSdk("@grpc/grpc-js") as typeof Grpc;
const { Struct } = fromSdk("google-protobuf/google/protobuf/struct_pb") as typeof StructPb;

type Callback = (err: unknown, value?: unknown) => void;
type Handler = (call: { request: provproto.ConfigureRequest }, cb: Callback) => void;
type CheckHandler = (call: { request: provproto.CheckRequest }, cb: Callback) => void;

/** CheckConfig, answered by the provider (the SDK's server leaves it unimplemented). */
function checkConfigHandler(provider: ObDcrProvider): CheckHandler {
  return (call, cb) => {
    provider.checkConfig(call.request.getNews()?.toJavaScript() ?? {}).then(
      (r) => {
        const resp = new provproto.CheckResponse();
        resp.setInputs(Struct.fromJavaScript(r.inputs as Record<string, never>));
        resp.setFailuresList(
          (r.failures ?? []).map((f) => {
            const x = new provproto.CheckFailure();
            x.setProperty(f.property);
            x.setReason(f.reason);
            return x;
          }),
        );
        cb(undefined, resp);
      },
      (e: unknown) => cb(e),
    );
  };
}

type StructMsg = InstanceType<typeof Struct>;

/** The recorded outputs over the recorded inputs (either may be absent: an import has neither). */
function overInputs(outputs: StructMsg | undefined, inputs: StructMsg | undefined): StructMsg {
  if (!inputs) return outputs ?? new Struct();
  return Struct.fromJavaScript({ ...inputs.toJavaScript(), ...(outputs?.toJavaScript() ?? {}) });
}

/** Makes `getter` of a request type return the recorded outputs over the recorded inputs. */
function withRecordedInputs<R extends object>(
  proto: R,
  getter: keyof R,
  inputs: (r: R) => StructMsg | undefined,
): void {
  const original = proto[getter] as unknown as (this: R) => StructMsg | undefined;
  (proto as Record<keyof R, unknown>)[getter] = function (this: R) {
    return overInputs(original.call(this), inputs(this));
  };
}

function patchServer(provider: ObDcrProvider): void {
  withRecordedInputs(provproto.ReadRequest.prototype, "getProperties", (r) => r.getInputs());
  withRecordedInputs(provproto.DiffRequest.prototype, "getOlds", (r) => r.getOldInputs());
  withRecordedInputs(provproto.UpdateRequest.prototype, "getOlds", (r) => r.getOldInputs());
  withRecordedInputs(provproto.DeleteRequest.prototype, "getProperties", (r) => r.getOldInputs());
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (this: Grpc.Server, service, impl) {
    if (service === provrpc.ResourceProviderService) {
      const target = impl as unknown as { configure: Handler };
      const configure = target.configure.bind(target);
      const wrapped: Handler = (call, cb) => {
        const req = call.request;
        provider.configure(req.getArgs()?.toJavaScript(), new Map(req.getVariablesMap().entries())).then(
          () => configure(call, cb),
          (e: unknown) =>
            cb(e instanceof Error ? { code: grpc.status.INVALID_ARGUMENT, details: e.message } : e),
        );
      };
      impl = Object.assign(Object.create(impl as object), {
        configure: wrapped,
        checkConfig: checkConfigHandler(provider),
      });
    }
    return addService.call(this, service, impl);
  };
}

// The package by its own name (its exports list package.json): the version the plugin reports.
const { version } = require("ob-dcr/package.json") as { version: string };
const provider = new ObDcrProvider(version);
exitWithEngine();
patchServer(provider);
main(provider, process.argv.slice(2));
