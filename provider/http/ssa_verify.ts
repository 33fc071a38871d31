/** SSA verification: signature against the directory JWKS, then the regime's claims in the common view. */

import * as jose from "jose";
import { DEFAULT_DIRECTORY, DIRECTORY_PROFILES } from "../core/directory/profiles.js";
import { type SsaView, ssaView, validateSsaView } from "../core/directory/ssa_view.js";
import { SsaInvalidError } from "../core/errors.js";
import { parseUntrustedJson, UntrustedJsonError } from "../core/parse/json.js";
import type { DirectoryKind } from "../core/profiles/types.js";
import type { Jwks } from "../core/schemas/common.js";
import { untrustedText } from "../core/untrusted.js";
import type { ObDcrContext } from "./context.js";
import { jwksForKid, verifyWithJwks } from "./jwks.js";
import type { TlsMaterial } from "./transport_types.js";

export interface SsaVerification {
  /** The accepted `iss` (one, or the regime's list). */
  issuer: string | readonly string[];
  software_id: string;
  org_id?: string | undefined;
  /** Directory JWKS URI (fetched, cached, refetched once on unknown kid) or an inline JWKS. */
  jwks_uri?: string | undefined;
  jwks?: Jwks | undefined;
  tls: TlsMaterial;
  algorithms?: readonly string[];
  /** Which directory's claims (default the OB Directory's). */
  kind?: DirectoryKind | undefined;
  /** An SSA older than this (by iat) is stale, seconds (OFB). */
  fresh_seconds?: number | undefined;
}

/**
 * Verify an SSA's signature (when a directory JWKS is known) and its claims, into the regime's
 * common view. Without a JWKS the SSA is only decoded and its claims checked (offline use).
 */
export async function verifySsa(ctx: ObDcrContext, ssa: string, v: SsaVerification): Promise<SsaView> {
  let header: jose.ProtectedHeaderParameters;
  let payload: unknown;
  try {
    header = jose.decodeProtectedHeader(ssa);
    payload = jose.decodeJwt(ssa);
    // The directory's claims as untrusted JSON: bounded depth, no duplicate members.
    parseUntrustedJson(Buffer.from(ssa.split(".")[1] ?? "", "base64url").toString("utf8"));
  } catch (cause) {
    throw new SsaInvalidError(
      cause instanceof UntrustedJsonError
        ? `SSA claims are not usable JSON (${cause.message})`
        : "SSA is not a compact JWS/JWT",
      { cause },
    );
  }
  const kind = v.kind ?? DEFAULT_DIRECTORY;
  const algorithms = [...(v.algorithms ?? DIRECTORY_PROFILES[kind].ssa_algs)];
  if (!header.alg || !algorithms.includes(header.alg))
    throw new SsaInvalidError(
      `SSA alg ${untrustedText(header.alg ?? "(none)", 40)} is not one of ${algorithms.join(", ")}`,
      {
        claim: "alg",
      },
    );
  if (v.jwks || v.jwks_uri) {
    const jwks = v.jwks ?? (await jwksForKid(ctx, v.jwks_uri as string, header.kid, v.tls));
    try {
      const r = await verifyWithJwks(ssa, jwks, algorithms, {
        currentDate: new Date(ctx.now() * 1000),
        clockTolerance: 60,
      });
      payload = r.payload;
    } catch (cause) {
      const code = (cause as { code?: string }).code;
      if (code === "ERR_JWT_EXPIRED")
        throw new SsaInvalidError("SSA has expired; fetch a fresh one", { cause, claim: "exp" });
      // The signature verified; a claim did not (nbf ahead of our clock, exp not a number): say
      // which, not "does not verify against the directory JWKS" (which sends one to the keys).
      if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED") {
        const { claim, reason } = ssaClaimFailure(cause);
        throw new SsaInvalidError(
          `SSA claim ${claim} is not usable (${reason === "check_failed" ? "its time is not yet, or past: check the clocks (ours and the directory's)" : "not a NumericDate"}); the signature verified`,
          { cause, claim },
        );
      }
      const hint = DIRECTORY_PROFILES[kind].ssa_jwks_hint;
      throw new SsaInvalidError(
        `SSA signature does not verify against the directory JWKS (${typeof code === "string" ? code : "error"}; kid ${untrustedText(header.kid ?? "none", 100)})${hint ? `: ${hint}` : ""}`,
        { cause },
      );
    }
  }
  const view = ssaView(kind, payload);
  validateSsaView(view, {
    issuers: typeof v.issuer === "string" ? [v.issuer] : v.issuer,
    software_id: v.software_id,
    org_id: v.org_id,
    now: ctx.now(),
    fresh_seconds: v.fresh_seconds,
  });
  return view;
}

/** The claim (one of jose's registered ones) and the reason a verified JWT's claims were refused. */
function ssaClaimFailure(cause: unknown): { claim: string; reason: string } {
  const c = cause as { claim?: unknown; reason?: unknown };
  const claim = typeof c.claim === "string" && /^[a-z]{2,8}$/.test(c.claim) ? c.claim : "(unspecified)";
  return { claim, reason: typeof c.reason === "string" ? c.reason : "invalid" };
}
