/**
 * Doctor's directory checks (4–6): a directory token, the software statement, and our signing key
 * among the keys the directory publishes. Nothing is registered.
 */

import { resolveDirectory, softwareJwksFrom } from "../core/directory/resolve.js";
import type { SsaView } from "../core/directory/ssa_view.js";
import { RegistrationRejectedError } from "../core/errors.js";
import { getDirectoryToken, getSsa, verifySsa } from "./directory.js";
import { fail, failed, notChecked, ok, type Run } from "./doctor_lines.js";
import { describePublication, findPublishedKey } from "./own_side.js";

const DIRECTORY_CHECKS = ["directory token", "software statement", "signing key published"] as const;

/**
 * Checks 4–6. Returns the SSA's claims, why there are none (a string), or undefined without a
 * directory (the lines do not apply).
 */
export async function directoryChecks(r: Run): Promise<SsaView | string | undefined> {
  const { directory: d, software: sw } = r.params;
  const { ctx, tls, signer, checks } = r;
  if (!d || !sw) return undefined;
  const skipFrom = (i: number, why: string) => {
    for (const n of DIRECTORY_CHECKS.slice(i)) checks.push(notChecked(n, why));
    return why;
  };
  let ssa = d.software_statement;
  if (ssa) checks.push(ok("directory token", "not needed: inline software statement"));
  else {
    if (!signer || r.transport_problem) return skipFrom(0, r.transport_problem ?? "the signing key failed");
    // Where the directory publishes our keys is configured: compare first, as register/run do,
    // rather than sign a token request with a key it does not know (an HSM/KMS key's first run).
    // A JWKS that cannot be read here is left to the line after the SSA.
    if (d.software_jwks_endpoint) {
      const p = await findPublishedKey(ctx, d.software_jwks_endpoint, tls, signer.identity).catch(
        () => undefined,
      );
      if (p && p.status !== "published") {
        const why = "directory.software_jwks_endpoint does not publish this signing key";
        checks.push(notChecked(DIRECTORY_CHECKS[0], why), notChecked(DIRECTORY_CHECKS[1], why));
        checks.push(fail(DIRECTORY_CHECKS[2], describePublication(p, signer.identity), "material"));
        return why;
      }
    }
    const { token_endpoint, ssa_endpoint } = d;
    let step = 0;
    try {
      const rd = resolveDirectory(r.params)!;
      const source = {
        ...sw,
        token_endpoint: token_endpoint!,
        ssa_endpoint: ssa_endpoint!,
        url: rd.ssa_url,
        headers: rd.ssa_headers,
        error_format: rd.profile.error_format,
        client_id: rd.client_id,
        auth: rd.token_auth,
        scope: rd.scope,
        max_age_seconds: rd.reuse_seconds,
      };
      await getDirectoryToken(ctx, { ...source, key: signer.key, tls });
      checks.push(
        ok("directory token", `client_credentials token from ${token_endpoint} (${rd.token_auth})`),
      );
      step = 1;
      ssa = await getSsa(ctx, { ...source, key: signer.key, tls }); // the token above, from the cache
    } catch (e) {
      // The directory verifies our assertion against the keys it publishes: invalid_client there
      // says our signing key (or kid) is not one it publishes, a fault on our side.
      const ours = step === 0 && e instanceof RegistrationRejectedError && e.error === "invalid_client";
      const f = failed(DIRECTORY_CHECKS[step]!, e, ours ? "material" : "refused");
      if (ours)
        f.detail = `${f.detail}: the directory does not accept our client assertion (kid ${signer.key.kid}); the signing key or its kid is wrong`;
      checks.push(f);
      return skipFrom(step + 1, step === 0 ? "no directory token" : "no software statement");
    }
  }
  let claims: SsaView;
  try {
    const rd = resolveDirectory(r.params)!;
    claims = await verifySsa(ctx, ssa, {
      issuer: rd.issuers,
      ...sw,
      jwks_uri: d.jwks_uri,
      jwks: d.jwks,
      tls,
      kind: rd.profile.kind,
      fresh_seconds: rd.fresh_seconds,
    });
  } catch (e) {
    checks.push(failed("software statement", e, "refused"));
    return skipFrom(2, "the software statement failed");
  }
  const inline = d.software_statement ? "inline software statement, " : "";
  const unsigned = d.jwks || d.jwks_uri ? "" : "; signature not checked: no directory.jwks_uri or .jwks";
  const uri = claims.jwks_uri;
  const ssaLine = `${inline}software_id ${claims.software_id}, software_jwks_endpoint ${uri ?? "(none)"}`;
  checks.push(ok("software statement", `${ssaLine}${unsigned}`));
  const name = DIRECTORY_CHECKS[2];
  if (!signer) checks.push(notChecked(name, "the signing key failed"));
  else if (!uri) checks.push(ok(name, "not checked: the SSA names no software_jwks_endpoint"));
  else {
    try {
      const revoked = claims.jwks_revoked_uri;
      const from = softwareJwksFrom(r.params, uri);
      const p = await findPublishedKey(ctx, uri, tls, signer.identity, revoked, from);
      const detail = describePublication(p, signer.identity);
      checks.push(p.status === "published" ? ok(name, detail) : fail(name, detail, "material"));
    } catch (e) {
      checks.push(failed(name, e, "material"));
    }
  }
  return claims;
}
