/**
 * The signed registration request of the OBIE profiles (`application/jwt` body): its SSA, then its
 * signature with the software's keys, iss / aud / iat / exp / jti by the bank's quirks, no replay.
 * Returns the verified claims, metadata included.
 */
import type * as jose from "jose";
import { metadataError, type Req } from "./http.js";
import { checkAudience, checkTimes, decodeUnverified, isUuid, JwtCheckError, verifyWithJwks } from "./jwt.js";
import { SIGNING_ALGS } from "./metadata_checks.js";
import type { CheckContext } from "./registration_checks.js";
import { bindTransportCert, fetchJwksOr, type SsaClaims, verifySsa } from "./ssa_checks.js";

function expectedAud(ctx: CheckContext): string {
  const q = ctx.quirks.aud;
  if (q === "org_id") return ctx.bank.org_id;
  if (q === "issuer") return ctx.issuer;
  return q.literal;
}

export async function verifyRequestJwt(
  ctx: CheckContext,
  req: Req,
): Promise<{ claims: Record<string, unknown>; ssa: SsaClaims }> {
  const token = req.body.toString("utf8").trim();
  let unverified: jose.JWTPayload;
  try {
    ({ payload: unverified } = decodeUnverified(token));
  } catch (err) {
    throw metadataError(`request: ${(err as JwtCheckError).reason}`);
  }
  // The SSA inside says whose keys sign the request, so it is checked before the signature.
  const ssa = await verifySsa(ctx, unverified.software_statement);
  bindTransportCert(ctx, req, ssa);
  const jwks = await fetchJwksOr(ctx, ssa.software_jwks_endpoint, "invalid_software_statement");
  const revoked = ssa.software_jwks_revoked_endpoint
    ? await fetchJwksOr(ctx, ssa.software_jwks_revoked_endpoint, "invalid_software_statement")
    : { keys: [] };
  const revokedKids = new Set(
    revoked.keys.map((k) => k.kid).filter((k): k is string => typeof k === "string"),
  );
  try {
    const { payload } = await verifyWithJwks(token, { algorithms: SIGNING_ALGS, jwks, revokedKids });
    const issQ = ctx.quirks.iss;
    const wantIss = issQ === "software_id" ? ssa.software_id : issQ === "org_id" ? ssa.org_id : issQ.literal;
    if (payload.iss !== wantIss)
      throw new JwtCheckError(
        issQ !== "software_id"
          ? `iss must be ${typeof issQ === "string" ? `the SSA ${issQ}` : `"${issQ.literal}"`} at this bank`
          : typeof payload.iss === "string" && /^[0-9a-zA-Z]{1,22}$/.test(payload.iss)
            ? "iss must equal the SSA software_id"
            : "iss must be the software_id (1-22 Base62 characters)",
      );
    checkAudience(payload, [expectedAud(ctx)]);
    checkTimes(payload, {
      now: ctx.now,
      tolerance: ctx.quirks.clock_tolerance_seconds,
      maxLifetime: ctx.quirks.max_jwt_lifetime_seconds,
    });
    if (!isUuid(payload.jti)) throw new JwtCheckError("jti must be a UUID");
    if (
      (ctx.quirks.lowercase_jti || ctx.quirks.jti_case === "lower") &&
      payload.jti !== payload.jti.toLowerCase()
    )
      throw new JwtCheckError("jti must be lower-case");
    if (ctx.quirks.jti_case === "upper" && payload.jti !== payload.jti.toUpperCase())
      throw new JwtCheckError("jti must be upper-case");
    // Remembered lower-case: a replay that only changes the case is still a replay.
    if (
      !ctx.jtis.remember(
        payload.jti.toLowerCase(),
        (payload.exp as number) + ctx.quirks.clock_tolerance_seconds,
        ctx.now,
      )
    )
      throw new JwtCheckError("jti has been used before (replay)");
    return { claims: payload as Record<string, unknown>, ssa };
  } catch (err) {
    if (err instanceof JwtCheckError) throw metadataError(`request JWT: ${err.reason}`);
    throw err;
  }
}
