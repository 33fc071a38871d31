/**
 * Reads a create will need that do not depend on the engine's step order, started when `check`
 * sees a registration that does not exist yet: the engine checks every resource of a program first and then runs at most
 * `--parallel` steps at once, so each create would otherwise wait for these in its own step.
 * GETs only (a preview runs `check` too and must change nothing, anywhere); the directory token
 * and the SSA stay with the first create. A hint, never a requirement: a failure is dropped and
 * create does the work as it always did.
 */
import type { RegistrationParams } from "../core/schemas/params.js";
import type { ObDcrContext } from "../http/context.js";
import { discover } from "../http/discovery.js";
import { fetchJwks } from "../http/jwks.js";
import { tlsMaterialOf } from "../http/transport_types.js";
import { signerFor } from "../signers/index.js";

export function prefetch(params: RegistrationParams, ctx: ObDcrContext): void {
  if (ctx.transport.prefetch === false) return;
  const run = async () => {
    // A signer that does not open (a wrong PIN, a missing key) fails create before any request
    // is sent: nothing is prefetched for it either.
    await signerFor(params.signing_key, ctx);
    const tls = tlsMaterialOf(params.transport);
    const d = params.directory;
    await Promise.allSettled([
      // Over the bank's mTLS Agent: the keep-alive connection is then warm for the POST.
      params.bank.discovery_url ? discover(ctx, params.bank.discovery_url, tls) : undefined,
      d?.jwks_uri && !d.jwks && !d.software_statement ? fetchJwks(ctx, d.jwks_uri, tls) : undefined,
    ]);
  };
  run().catch(() => undefined);
}
