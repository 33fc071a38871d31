/**
 * What the plugin says besides its errors, in the engine's output. The engine does not show the
 * plugin's stderr (Pulumi 3.260: `up`, `refresh`, `destroy` and `import` print none of it; the
 * dynamic provider host's stderr is shown), so the notes the plugin wrote there never reached the
 * user: a registration the bank says is gone, dropped from state by a refresh with nothing but
 * "deleted"; a token kept from an unusable answer; a value the bank registered instead of ours; a
 * create after 503s that may have left an orphan. They go over the Engine service's Log RPC, at
 * the address the engine started the plugin with (its first argument), under the resource's URN.
 * Without an engine (tests, a failed delivery), stderr.
 */
import { createRequire } from "node:module";
import type * as Grpc from "@grpc/grpc-js";
import type * as EngineGrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import type * as EngineProto from "@pulumi/pulumi/proto/engine_pb";
import { printable } from "../core/untrusted.js";

/** The engine's address among a provider's arguments (the SDK's provider server skips the same flags). */
export function engineAddress(args: readonly string[]): string | undefined {
  const clean: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const v = args[i]!;
    if (v === "--logtostderr" || v.startsWith("-v=")) continue;
    if (v === "--tracing") {
      i++;
      continue;
    }
    clean.push(v);
  }
  // host:port only: a process that is no provider host (a test runner) has other arguments.
  return clean[0] !== undefined && /^[\w.[\]:-]+:\d+$/.test(clean[0]) ? clean[0] : undefined;
}

interface Engine {
  grpc: typeof Grpc;
  client: EngineGrpc.EngineClient;
  proto: typeof EngineProto;
}
let engine: Engine | null | undefined;

function connect(): Engine | null {
  if (engine !== undefined) return engine;
  const addr = engineAddress(process.argv.slice(2));
  engine = null;
  if (!addr) return engine;
  try {
    // gRPC and the protos as the SDK resolves them (its dependencies, not ours).
    const fromSdk = createRequire(require.resolve("@pulumi/pulumi/proto/engine_grpc_pb"));
    const grpc = fromSdk("@grpc/grpc-js") as typeof Grpc;
    const rpc = fromSdk("./engine_grpc_pb") as typeof EngineGrpc;
    const proto = fromSdk("./engine_pb") as typeof EngineProto;
    engine = { grpc, client: new rpc.EngineClient(addr, grpc.credentials.createInsecure()), proto };
  } catch {
    engine = null;
  }
  return engine;
}

/**
 * Each line in the engine's output (a line starting `warning: ` as a warning), under `urn` when
 * given; printable (no control character, no CI command). Resolves once the engine has each.
 */
export async function tell(prefix: string, lines: readonly string[], urn = ""): Promise<void> {
  for (const raw of lines) {
    const line = printable(raw);
    const e = connect();
    const warning = line.startsWith("warning: ");
    const sent =
      e &&
      (await new Promise<boolean>((resolve) => {
        const req = new e.proto.LogRequest();
        req.setSeverity(warning ? e.proto.LogSeverity.WARNING : e.proto.LogSeverity.INFO);
        req.setMessage(warning ? line.slice("warning: ".length) : line);
        req.setUrn(urn);
        req.setEphemeral(false);
        e.client.log(req, new e.grpc.Metadata(), { deadline: Date.now() + 5000 }, (err) => resolve(!err));
      }));
    if (!sent) process.stderr.write(`${prefix}: ${line}\n`);
  }
}
