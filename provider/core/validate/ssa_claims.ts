/** Preflight check of a software statement's claims against what the configuration expects. */
import { SsaInvalidError } from "../errors.js";
import type { SsaClaims } from "../schemas/responses.js";
import { untrustedText } from "../untrusted.js";

export interface SsaExpectations {
  issuer: string;
  software_id: string;
  org_id?: string | undefined;
  now: number;
  /** Allowed clock skew in seconds. */
  skew?: number;
}

/**
 * Claim checks of a (verified or decoded) SSA.
 * @throws {SsaInvalidError} `OBDCR_SSA_INVALID`: wrong `iss`, `software_id` or `org_id`, expired,
 *   issued in the future, or an organisation that is not Active (`claim` names it).
 */
export function validateSsaClaims(claims: SsaClaims, e: SsaExpectations): void {
  const skew = e.skew ?? 60;
  if (claims.iss !== e.issuer)
    throw new SsaInvalidError(
      `SSA iss is "${untrustedText(claims.iss, 200)}", expected "${e.issuer}" (directory.issuer)`,
      {
        claim: "iss",
      },
    );
  if (claims.software_id !== e.software_id)
    throw new SsaInvalidError(
      `SSA software_id is "${untrustedText(claims.software_id, 200)}", expected "${e.software_id}" (software.software_id)`,
      { claim: "software_id" },
    );
  if (e.org_id && claims.org_id !== undefined && claims.org_id !== e.org_id)
    throw new SsaInvalidError(
      `SSA org_id is "${untrustedText(claims.org_id, 200)}", expected "${e.org_id}" (software.org_id)`,
      {
        claim: "org_id",
      },
    );
  if (claims.exp !== undefined && claims.exp + skew <= e.now)
    throw new SsaInvalidError("SSA has expired; fetch a fresh one", { claim: "exp" });
  if (claims.iat !== undefined && claims.iat - skew > e.now)
    throw new SsaInvalidError("SSA iat is in the future; check the clock", { claim: "iat" });
  if (claims.org_status !== undefined && claims.org_status.toLowerCase() !== "active")
    throw new SsaInvalidError(
      `SSA org_status is "${untrustedText(claims.org_status, 200)}", expected Active`,
      {
        claim: "org_status",
      },
    );
}
