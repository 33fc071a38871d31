/**
 * What the directory's and the banks' protected endpoints check before their own logic: an mTLS
 * client certificate from the sandbox CA, a Bearer token, a form-encoded token request.
 */
import { badRequest, type Req, unauthorized } from "./http.js";

/** RFC 7523 client authentication by a signed JWT (private_key_jwt). */
export const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/**
 * The TLS layer asks for a certificate but accepts any (so a refusal can be a JSON 401 naming the
 * reason, not a bare handshake failure): each protected route decides here.
 */
export function requireMtls(req: Req, realm: string): void {
  if (!req.peerCertDer)
    throw unauthorized(realm, "invalid_client", "a client certificate is required (mTLS)");
  if (!req.peerAuthorized)
    throw unauthorized(realm, "invalid_client", "the client certificate is not issued by a trusted CA");
}

/** The token of an `Authorization: Bearer` header; undefined if there is none (the caller names what it wanted). */
export function bearerToken(req: Req): string | undefined {
  return /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(req.headers.authorization ?? "")?.[1];
}

/** A token endpoint's request: mTLS, then the form body (RFC 6749 §4.4). */
export function tokenForm(req: Req, realm: string): URLSearchParams {
  requireMtls(req, realm);
  if (req.contentType !== "application/x-www-form-urlencoded")
    throw badRequest("invalid_request", "body must be application/x-www-form-urlencoded");
  return new URLSearchParams(req.body.toString("utf8"));
}
