/**
 * The software statement (SSA) of a registration request: signed by the directory, issued to an
 * active organisation, fresh; and the mTLS certificate presented belongs to the SSA's software.
 */
import type * as jose from "jose";
import { z } from "zod";
import { subjectAttributes } from "./dn.js";
import { badRequest, type Req, unauthorized } from "./http.js";
import { JwtCheckError, verifyWithJwks } from "./jwt.js";
import { SIGNING_ALGS } from "./metadata_checks.js";
import type { CheckContext } from "./registration_checks.js";

/** The SSA claims a bank relies on (other claims pass through). */
export const SsaClaims = z.looseObject({
  iss: z.string(),
  iat: z.number(),
  exp: z.number().optional(),
  software_id: z.string().regex(/^[0-9a-zA-Z]{1,22}$/),
  org_id: z.string(),
  org_status: z.string(),
  software_redirect_uris: z.array(z.string()),
  software_roles: z.array(z.string()),
  software_jwks_endpoint: z.url({ protocol: /^https$/ }),
  software_jwks_revoked_endpoint: z.url({ protocol: /^https$/ }).optional(),
  software_client_name: z.string().optional(),
});
export type SsaClaims = z.infer<typeof SsaClaims>;

/** A JWKS the request depends on; one that cannot be fetched refuses the request with `error`. */
export async function fetchJwksOr(
  ctx: CheckContext,
  url: string,
  error: string,
): Promise<jose.JSONWebKeySet> {
  try {
    return await ctx.fetchJwks(url);
  } catch (err) {
    throw badRequest(error, `cannot fetch JWKS ${url}: ${(err as Error).message}`);
  }
}

/** Verifies the SSA: directory signature, issuer, age, relied-on claims, org status. */
export async function verifySsa(ctx: CheckContext, ssa: unknown): Promise<SsaClaims> {
  if (typeof ssa !== "string" || ssa.length === 0)
    throw badRequest("invalid_software_statement", "software_statement missing");
  const jwks = await fetchJwksOr(ctx, ctx.directoryJwksUrl, "invalid_software_statement");
  let payload: jose.JWTPayload;
  try {
    ({ payload } = await verifyWithJwks(ssa, { algorithms: SIGNING_ALGS, jwks }));
  } catch (err) {
    if (err instanceof JwtCheckError) throw badRequest("invalid_software_statement", `SSA: ${err.reason}`);
    throw err;
  }
  const parsed = SsaClaims.safeParse(payload);
  if (!parsed.success)
    throw badRequest(
      "invalid_software_statement",
      `SSA claims: ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}`,
    );
  const c = parsed.data;
  const tol = ctx.quirks.clock_tolerance_seconds;
  if (c.iss !== "OpenBanking Ltd")
    throw badRequest("unapproved_software_statement", "SSA issuer is not accepted");
  if (c.iat > ctx.now + tol) throw badRequest("invalid_software_statement", "SSA iat is in the future");
  if (ctx.now - c.iat > ctx.quirks.ssa_max_age_seconds)
    throw badRequest("invalid_software_statement", "SSA is too old");
  if (c.exp !== undefined && c.exp <= ctx.now - tol)
    throw badRequest("invalid_software_statement", "SSA has expired");
  if (c.org_status !== "Active")
    throw badRequest("unapproved_software_statement", `organisation status is ${c.org_status}`);
  return c;
}

/** OBIE transport certificates name the software (CN) and organisation (OU): another TPP's SSA is refused. */
export function bindTransportCert(ctx: CheckContext, req: Req, ssa: SsaClaims): void {
  if (!ctx.quirks.transport_cert_binding) return;
  const attrs = subjectAttributes(req.peerCertDer!);
  if (attrs.CN !== ssa.software_id || attrs.OU !== ssa.org_id)
    throw unauthorized(
      ctx.realm,
      "invalid_client",
      "the client certificate does not belong to the SSA's software",
    );
}
