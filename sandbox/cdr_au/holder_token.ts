/**
 * A data holder's token endpoint (`POST /connect/token`, MTLS): client_credentials for a registered
 * client, private_key_jwt (iss = sub = client_id, aud = token URL or issuer, alg = the registered
 * token_endpoint_auth_signing_alg, key from the registered jwks_uri). The token is bound to the
 * client certificate (RFC 8705) and, with scope cdr:registration, authorizes /register/{clientId}.
 */
import crypto from "node:crypto";
import type * as jose from "jose";
import { ASSERTION_TYPE } from "../guards.js";
import { badRequest, type Reply, type Req } from "../http.js";
import { checkAudience, decodeUnverified, JwtCheckError, requireString, verifyWithJwks } from "../jwt.js";
import { HOLDER_TOKEN_SECONDS, type HolderState, holderUrls } from "./holder_state.js";
import { certThumbprint } from "./mtls.js";

const invalidClient = (d: string) => badRequest("invalid_client", d);

export function holderTokenHandler(s: HolderState): (req: Req) => Promise<Reply> {
  return async (req) => {
    if (req.contentType !== "application/x-www-form-urlencoded")
      throw badRequest("invalid_request", "body must be application/x-www-form-urlencoded");
    if (!req.peerCertDer || !req.peerAuthorized)
      throw invalidClient("a client certificate issued by the CDR CA is required");
    const form = new URLSearchParams(req.body.toString("utf8"));
    if (form.get("grant_type") !== "client_credentials")
      throw badRequest("unsupported_grant_type", "grant_type must be client_credentials");
    if (form.get("client_assertion_type") !== ASSERTION_TYPE)
      throw invalidClient(`client_assertion_type must be ${ASSERTION_TYPE}`);
    const assertion = form.get("client_assertion") ?? "";
    const now = Math.floor(Date.now() / 1000);
    const urls = holderUrls(s);
    let clientId: string;
    try {
      clientId = requireString(decodeUnverified(assertion).payload, "iss");
      const formId = form.get("client_id");
      if (formId !== null && formId !== clientId)
        throw new JwtCheckError("client_id must equal the assertion iss");
      const reg = s.store.get(clientId);
      if (!reg) throw new JwtCheckError("unknown client");
      let jwks: jose.JSONWebKeySet;
      try {
        jwks = (await s.fetchJson(s.currentUrl(String(reg.metadata.jwks_uri)))) as jose.JSONWebKeySet;
      } catch {
        throw new JwtCheckError("the client's jwks_uri could not be fetched");
      }
      const { payload } = await verifyWithJwks(assertion, {
        algorithms: [String(reg.metadata.token_endpoint_auth_signing_alg)],
        jwks,
      });
      if (payload.sub !== clientId) throw new JwtCheckError("sub must equal iss (the client_id)");
      checkAudience(payload, [urls.token, urls.issuer]);
      if (typeof payload.exp !== "number") throw new JwtCheckError("exp is required");
      if (payload.exp <= now) throw new JwtCheckError("the assertion has expired");
      const jti = requireString(payload, "jti");
      if (!s.assertionJtis.remember(jti, payload.exp + 60, now))
        throw new JwtCheckError("jti has been used before");
    } catch (err) {
      if (err instanceof JwtCheckError) throw invalidClient(`client_assertion: ${err.reason}`);
      throw err;
    }
    const reg = s.store.get(clientId)!;
    const grants = reg.metadata.grant_types;
    if (!Array.isArray(grants) || !grants.includes("client_credentials"))
      throw badRequest("unauthorized_client", "client_credentials is not a registered grant type");
    const registered = String(reg.metadata.scope ?? "").split(" ");
    const requested = (form.get("scope") ?? "").split(" ").filter(Boolean);
    const unknown = requested.filter((x) => !registered.includes(x));
    if (unknown.length > 0) throw badRequest("invalid_scope", `scope not registered: ${unknown.join(" ")}`);
    const accessToken = crypto.randomBytes(32).toString("base64url");
    s.tokens.set(accessToken, {
      clientId,
      scope: requested,
      exp: now + HOLDER_TOKEN_SECONDS,
      certThumbprint: certThumbprint(req.peerCertDer),
    });
    return {
      status: 200,
      json: {
        access_token: accessToken,
        token_type: "Bearer",
        expires_in: HOLDER_TOKEN_SECONDS,
        scope: requested.join(" "),
      },
    };
  };
}
