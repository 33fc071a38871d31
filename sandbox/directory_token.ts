/**
 * The directory's token endpoint (`POST /as/token.oauth2`): client_credentials for a software, which
 * authenticates with mTLS (certificate CN = software_id) and a private_key_jwt assertion signed
 * with one of its keys.
 */
import crypto from "node:crypto";
import { type DirectoryContext, findSoftware, REALM } from "./directory_context.js";
import { revokedKids, softwareJwks } from "./directory_keystore.js";
import { subjectAttributes } from "./dn.js";
import { ASSERTION_TYPE, tokenForm } from "./guards.js";
import { badRequest, type Reply, type Req, unauthorized } from "./http.js";
import { checkAudience, checkTimes, decodeUnverified, JwtCheckError, verifyWithJwks } from "./jwt.js";

export const DIRECTORY_SCOPES = ["ASPSPReadAccess", "TPPReadAccess", "AuthoritiesReadAccess"] as const;
/** Client assertion algorithms: RS256 too, unlike the banks (PS256, ES256 only). */
export const DIRECTORY_ALGS = ["PS256", "ES256", "RS256"];

export function directoryTokenHandler(ctx: DirectoryContext): (req: Req) => Promise<Reply> {
  const { orgs, pki, faults, tokens, jtis, urls } = ctx;
  return async (req) => {
    const form = tokenForm(req, REALM);
    if (form.get("grant_type") !== "client_credentials")
      throw badRequest("unsupported_grant_type", "only client_credentials is supported");
    if (form.get("client_assertion_type") !== ASSERTION_TYPE)
      throw unauthorized(REALM, "invalid_client", "private_key_jwt client authentication is required");
    const assertion = form.get("client_assertion") ?? "";
    const now = faults.nowSeconds();
    try {
      const { payload: unverified } = decodeUnverified(assertion);
      const clientId = form.get("client_id") ?? unverified.iss;
      if (typeof clientId !== "string") throw new JwtCheckError("client_id missing");
      const found = findSoftware(orgs, clientId);
      if (!found) throw new JwtCheckError("unknown client_id");
      const attrs = subjectAttributes(req.peerCertDer!);
      if (attrs.CN !== clientId) throw new JwtCheckError("client certificate CN does not match client_id");
      const { payload } = await verifyWithJwks(assertion, {
        algorithms: DIRECTORY_ALGS,
        jwks: softwareJwks(pki, clientId),
        revokedKids: revokedKids(pki, clientId),
      });
      if (payload.iss !== clientId) throw new JwtCheckError("iss must equal client_id");
      if (payload.sub !== clientId) throw new JwtCheckError("sub must equal client_id");
      checkAudience(payload, [urls.token()]);
      checkTimes(payload, { now, tolerance: 30, maxLifetime: 3600 });
      if (typeof payload.jti !== "string" || payload.jti.length === 0) throw new JwtCheckError("jti missing");
      if (!jtis.remember(payload.jti, (payload.exp as number) + 30, now))
        throw new JwtCheckError("jti has been used before (replay)");
      const requested = (form.get("scope") ?? DIRECTORY_SCOPES.join(" ")).split(" ").filter(Boolean);
      const bad = requested.filter((s) => !(DIRECTORY_SCOPES as readonly string[]).includes(s));
      if (bad.length > 0) throw badRequest("invalid_scope", `scope not allowed: ${bad.join(" ")}`);
      const accessToken = crypto.randomBytes(32).toString("base64url");
      tokens.set(accessToken, {
        softwareId: clientId,
        orgId: found.org.org_id,
        scope: requested,
        exp: now + 3600,
      });
      return {
        status: 200,
        json: {
          access_token: accessToken,
          token_type: "Bearer",
          expires_in: 3600,
          scope: requested.join(" "),
        },
      };
    } catch (err) {
      if (err instanceof JwtCheckError) throw unauthorized(REALM, "invalid_client", err.reason);
      throw err;
    }
  };
}
