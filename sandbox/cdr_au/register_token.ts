/**
 * The Register's token endpoint (`POST /idp/connect/token`, MTLS): client_credentials for a software
 * product (client_id = product id), authenticated by private_key_jwt with the product's keys, scope
 * `cdr-register:read`. Like the mock, every refusal is a 400 `{error, error_description}` (§4 AU 1–3).
 */
import crypto from "node:crypto";
import { subjectAttributes } from "../dn.js";
import { ASSERTION_TYPE } from "../guards.js";
import { badRequest, type Reply, type Req } from "../http.js";
import { checkAudience, JwtCheckError, requireString, verifyWithJwks } from "../jwt.js";
import { certThumbprint } from "./mtls.js";
import {
  findProduct,
  productJwks,
  REGISTER_SCOPE,
  REGISTER_TOKEN_SECONDS,
  type RegisterState,
  registerUrls,
} from "./register_state.js";

export const ASSERTION_ALGS = ["PS256", "ES256"];
/** Clock tolerance for `iat` in the future (exp is checked without tolerance, like the mock). */
const IAT_SKEW = 30;

const invalidClient = (d: string) => badRequest("invalid_client", d);

export function registerTokenHandler(s: RegisterState): (req: Req) => Promise<Reply> {
  return async (req) => {
    if (req.contentType !== "application/x-www-form-urlencoded")
      throw badRequest("invalid_request", "body must be application/x-www-form-urlencoded");
    const form = new URLSearchParams(req.body.toString("utf8"));
    if (form.get("grant_type") !== "client_credentials")
      throw badRequest("unsupported_grant_type", "grant_type must be client_credentials");
    const clientId = form.get("client_id");
    if (!clientId) throw invalidClient("client_id is required (the software product id)");
    if (form.get("client_assertion_type") !== ASSERTION_TYPE)
      throw invalidClient(`client_assertion_type must be ${ASSERTION_TYPE}`);
    if (form.get("scope") !== REGISTER_SCOPE) throw invalidClient(`scope must be ${REGISTER_SCOPE}`);
    if (!req.peerCertDer || !req.peerAuthorized)
      throw invalidClient("a client certificate issued by the CDR CA is required");
    // Brand ids are still accepted by the real Register (to be deprecated); the emulator, like the
    // mock's SSA API, knows software product ids only.
    const found = findProduct(s.brands, clientId);
    const jwks = productJwks(s.pki, clientId);
    if (!found || !jwks) throw invalidClient("unknown client_id (not a registered software product)");
    if (subjectAttributes(req.peerCertDer).CN !== clientId)
      throw invalidClient("the client certificate is not registered for this software product");
    const urls = registerUrls(s);
    const now = Math.floor(Date.now() / 1000);
    try {
      const { payload } = await verifyWithJwks(form.get("client_assertion") ?? "", {
        algorithms: ASSERTION_ALGS,
        jwks,
      });
      if (payload.iss !== clientId) throw new JwtCheckError("iss must equal client_id");
      if (payload.sub !== clientId) throw new JwtCheckError("sub must equal client_id");
      checkAudience(payload, [urls.issuer, urls.token]);
      if (typeof payload.exp !== "number") throw new JwtCheckError("exp is required");
      if (payload.exp <= now) throw new JwtCheckError("the assertion has expired");
      if (payload.iat !== undefined && (typeof payload.iat !== "number" || payload.iat > now + IAT_SKEW))
        throw new JwtCheckError("iat is not a number or in the future");
      const jti = requireString(payload, "jti");
      if (!s.jtis.remember(jti, payload.exp + 60, now)) throw new JwtCheckError("jti has been used before");
    } catch (err) {
      if (err instanceof JwtCheckError) throw invalidClient(`client_assertion: ${err.reason}`);
      throw err;
    }
    const accessToken = crypto.randomBytes(32).toString("base64url");
    s.tokens.set(accessToken, {
      productId: clientId,
      scope: [REGISTER_SCOPE],
      exp: now + REGISTER_TOKEN_SECONDS,
      certThumbprint: certThumbprint(req.peerCertDer),
    });
    return {
      status: 200,
      json: {
        access_token: accessToken,
        expires_in: REGISTER_TOKEN_SECONDS,
        token_type: "Bearer",
        scope: REGISTER_SCOPE,
      },
    };
  };
}
