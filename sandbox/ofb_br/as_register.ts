/**
 * `POST /mtls/register` (digest §2.3, checklist BR 3–14): plain JSON over MTLS, the SSA verified and
 * bound to the certificate, the metadata checked and overridden by the SSA, one registration per
 * software. 201 with `client_id`, the registration client URI and a registration access token.
 */
import crypto from "node:crypto";
import { requireMtls } from "../guards.js";
import { badRequest, type Reply, type Req } from "../http.js";
import { sha256 } from "../store.js";
import {
  type Claims,
  checkApproval,
  checkCertBinding,
  checkMetadata,
  verifySoftwareStatement,
} from "./as_checks.js";
import { AS_REALM, type AsContext, newRat } from "./as_context.js";

const now = () => Math.floor(Date.now() / 1000);

/** BR 3: the body is a JSON object (`application/json`). */
export function jsonBody(req: Req): Claims {
  if (req.contentType !== "application/json")
    throw badRequest("invalid_client_metadata", "the body must be application/json");
  let body: unknown;
  try {
    body = JSON.parse(req.body.toString("utf8"));
  } catch {
    throw badRequest("invalid_client_metadata", "the body is not JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw badRequest("invalid_client_metadata", "the body must be a JSON object");
  return body as Claims;
}

/** The checks POST and PUT share (BR 3–13): returns the SSA claims and the metadata to register. */
export async function validateRegistration(
  ctx: AsContext,
  req: Req,
  body: Claims,
): Promise<{ claims: Claims; metadata: Claims }> {
  const claims = await verifySoftwareStatement(body.software_statement, {
    jwks: ctx.directoryJwks,
    issuer: ctx.ssaIssuer,
    maxAgeSeconds: ctx.cfg.ssa_max_age_seconds,
    now: now(),
  });
  checkApproval(claims);
  const cert = req.peerCertDer!;
  checkCertBinding(claims, cert, ctx.cfg.cert_binding_error);
  const metadata = checkMetadata(body, claims, cert, ctx.cfg);
  return { claims, metadata: { ...metadata, software_statement: body.software_statement } };
}

export function registerHandler(ctx: AsContext): (req: Req) => Promise<Reply> {
  return async (req) => {
    ctx.stats.registrations++;
    requireMtls(req, AS_REALM);
    const body = jsonBody(req);
    const { claims, metadata } = await validateRegistration(ctx, req, body);
    // BR 14: one active registration per software statement.
    if (ctx.store.list().some((r) => r.software_id === claims.software_id))
      throw badRequest(ctx.cfg.duplicate_error, "this software statement already has a registration here");
    const clientId = crypto.randomUUID();
    const rat = newRat();
    const issuedAt = now();
    ctx.store.put({
      client_id: clientId,
      software_id: claims.software_id as string,
      org_id: claims.org_id as string,
      client_id_issued_at: issuedAt,
      metadata,
      registration_access_token_sha256: sha256(rat),
    });
    const dcm =
      ctx.cfg.management_credentials === "both"
        ? { registration_client_uri: ctx.urls.rcu(clientId), registration_access_token: rat }
        : ctx.cfg.management_credentials === "rat_only"
          ? { registration_access_token: rat }
          : {};
    return {
      status: 201,
      json: { ...metadata, client_id: clientId, client_id_issued_at: issuedAt, ...dcm },
    };
  };
}
