/**
 * A data holder's registration endpoint: POST (§1.3, §4 AU 7–16, 18) and GET/PUT/DELETE
 * `/connect/register/{clientId}` (AU 17–18), MTLS everywhere, management by a certificate-bound
 * `cdr:registration` token.
 */
import crypto from "node:crypto";
import { bearerToken } from "../guards.js";
import { badRequest, type Reply, type Req, SandboxHttpError, unauthorized } from "../http.js";
import type { StoredRegistration } from "../store.js";
import { metadataFaults, redirectFault, registeredMetadata } from "./holder_checks.js";
import { verifyRegistrationRequest } from "./holder_request.js";
import { dropClient, type HolderState, REGISTRATION_SCOPE } from "./holder_state.js";
import { certThumbprint } from "./mtls.js";

/** MTLS for every registration call: no (trusted) certificate ⇒ 403 client_certificate_required. */
function requireCert(req: Req): Uint8Array {
  if (!req.peerCertDer || !req.peerAuthorized)
    throw new SandboxHttpError(
      403,
      "client_certificate_required",
      "a client certificate issued by the CDR CA is required",
    );
  return req.peerCertDer;
}

/** The body of POST/PUT: application/jwt (415 otherwise, unless content_type_strict is off). */
function jwtBody(s: HolderState, req: Req): string {
  if (s.config.content_type_strict && req.contentType !== "application/jwt")
    throw new SandboxHttpError(415, "invalid_request", "Content-Type must be application/jwt");
  return req.body.toString("utf8").trim();
}

/** Checks a request and returns the metadata to register (POST, or PUT of `existing`). */
async function validate(
  s: HolderState,
  body: string,
  existing?: StoredRegistration,
): Promise<Record<string, unknown>> {
  const { request, ssa, ssaJwt } = await verifyRegistrationRequest(s, body);
  const softwareId = String(ssa.software_id);
  if (existing && existing.software_id !== softwareId)
    throw badRequest(
      "invalid_software_statement",
      "the SSA is for another software product than this client",
    );
  const faults = metadataFaults(request, s.config);
  if (faults.length > 0) throw badRequest("invalid_client_metadata", faults.join("; "));
  const redirect = redirectFault(request.redirect_uris, ssa.redirect_uris as string[]);
  if (redirect) throw badRequest("invalid_redirect_uri", redirect);
  // PUT replaces the client's own registration: no duplicate check (like the mock).
  if (!existing && s.store.list().some((r) => r.software_id === softwareId))
    throw badRequest(s.config.duplicate_error, "an active registration already exists for this software_id");
  return registeredMetadata(request, ssa, ssaJwt, s.config);
}

const body = (reg: StoredRegistration) => ({
  client_id: reg.client_id,
  client_id_issued_at: reg.client_id_issued_at,
  ...reg.metadata,
});

export function registrationHandlers(s: HolderState) {
  const realm = s.config.name;
  const unknownClient = () => unauthorized(realm, "invalid_request", "The client is unknown");

  /** Bearer token checks in order: token, certificate binding, scope, then the client of the path. */
  const authorize = (req: Req, clientId: string): StoredRegistration => {
    const der = requireCert(req);
    const presented = bearerToken(req);
    if (presented === undefined)
      throw unauthorized(realm, "invalid_token", "a Bearer access token is required");
    const token = s.tokens.get(presented);
    if (!token || token.exp <= Math.floor(Date.now() / 1000))
      throw unauthorized(realm, "invalid_token", "the access token is unknown, expired or revoked");
    if (token.certThumbprint !== certThumbprint(der))
      throw unauthorized(realm, "invalid_token", "the access token is bound to another client certificate");
    if (!token.scope.includes(REGISTRATION_SCOPE))
      throw new SandboxHttpError(403, "insufficient_scope", `the access token lacks ${REGISTRATION_SCOPE}`, {
        "www-authenticate": `Bearer realm="${realm}", error="insufficient_scope", scope="${REGISTRATION_SCOPE}"`,
      });
    const reg = s.store.get(clientId);
    if (token.clientId !== clientId || !reg) throw unknownClient();
    return reg;
  };

  const register = async (req: Req): Promise<Reply> => {
    requireCert(req);
    const metadata = await validate(s, jwtBody(s, req));
    const reg: StoredRegistration = {
      client_id: crypto.randomUUID(),
      software_id: String(metadata.software_id),
      org_id: String(metadata.org_id),
      client_id_issued_at: Math.floor(Date.now() / 1000),
      metadata,
    };
    s.store.put(reg);
    return { status: 201, json: body(reg) };
  };

  const get = (req: Req, p: Record<string, string>): Reply => ({
    status: 200,
    json: body(authorize(req, decodeURIComponent(p.client_id!))),
  });

  const put = async (req: Req, p: Record<string, string>): Promise<Reply> => {
    const existing = authorize(req, decodeURIComponent(p.client_id!));
    const metadata = await validate(s, jwtBody(s, req), existing);
    const reg: StoredRegistration = { ...existing, metadata };
    s.store.put(reg);
    return { status: 200, json: body(reg) };
  };

  const del = (req: Req, p: Record<string, string>): Reply => {
    const reg = authorize(req, decodeURIComponent(p.client_id!));
    dropClient(s, reg.client_id);
    return { status: 204 };
  };

  return { register, get, put, delete: del };
}
