/**
 * A POST/PUT /register request end to end: mTLS, the bank's request format (a signed JWT, or JSON
 * with or without an SSA), then the metadata. The checks themselves are in ssa_checks.ts,
 * request_jwt_checks.ts and metadata_checks.ts.
 */
import type * as jose from "jose";
import { requireMtls } from "./guards.js";
import { metadataError, type Req, SandboxHttpError } from "./http.js";
import type { JtiCache } from "./jwt.js";
import { validateMetadata } from "./metadata_checks.js";
import type { BankConfig } from "./options.js";
import type { BankQuirks } from "./quirks.js";
import { verifyRequestJwt } from "./request_jwt_checks.js";
import { bindTransportCert, type SsaClaims, verifySsa } from "./ssa_checks.js";

/** What the checks need of the bank, read once per request (quirks as they are now). */
export interface CheckContext {
  realm: string;
  bank: BankConfig;
  quirks: BankQuirks;
  issuer: string;
  now: number;
  directoryJwksUrl: string;
  fetchJwks(url: string): Promise<jose.JSONWebKeySet>;
  jtis: JtiCache;
}

export interface ValidatedRegistration {
  metadata: Record<string, unknown>;
  /** Absent only for an open RFC 7591 registration (JSON mode, `ssa_required: false`, no SSA sent). */
  ssa?: SsaClaims;
  /** `client_id` claim of the request (required on PUT). */
  clientId?: string;
}

/** Parses, authenticates and validates a POST/PUT /register body; returns the metadata to register. */
export async function validateRegistrationRequest(
  ctx: CheckContext,
  req: Req,
): Promise<ValidatedRegistration> {
  requireMtls(req, ctx.realm);
  const jsonMode = ctx.bank.request_format === "json";
  const expectedType = jsonMode ? "application/json" : ctx.quirks.content_type;
  if (req.contentType !== expectedType)
    throw new SandboxHttpError(415, "invalid_request", `Content-Type must be ${expectedType}`);

  const { claims, ssa } = jsonMode ? await readJsonRequest(ctx, req) : await verifyRequestJwt(ctx, req);
  const metadata = validateMetadata(ctx, req, claims, ssa);
  const clientId = claims.client_id;
  if (clientId !== undefined && typeof clientId !== "string")
    throw metadataError("client_id must be a string");
  return { metadata, ssa, clientId };
}

/** RFC 7591 JSON body; its SSA (if any) is verified like the signed request's. */
async function readJsonRequest(
  ctx: CheckContext,
  req: Req,
): Promise<{ claims: Record<string, unknown>; ssa?: SsaClaims }> {
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(req.body.toString("utf8"));
  } catch {
    throw metadataError("body is not JSON");
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims))
    throw metadataError("body is not a JSON object");
  // An open RFC 7591 registration has no SSA to check and no software to bind the certificate to.
  if (claims.software_statement === undefined && !ctx.quirks.ssa_required) return { claims };
  const ssa = await verifySsa(ctx, claims.software_statement);
  bindTransportCert(ctx, req, ssa);
  return { claims, ssa };
}
