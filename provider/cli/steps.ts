/**
 * The reference flow's directory steps, composed from the core's request/process pairs so each can
 * be printed: client assertion → directory token → SSA download → SSA verification. Registration
 * itself goes through the core's createRegistration (no second implementation); `run` prints what
 * it sent and received from the HTTP recorder.
 */
import { randomUUID } from "node:crypto";
import * as jose from "jose";
import { InvalidInputError } from "../core/errors.js";
import { importSigningKey, type SigningKey } from "../core/keys.js";
import type { RegistrationParams } from "../core/schemas/params.js";
import type { SsaClaims, TokenResponse } from "../core/schemas/responses.js";
import { signClientAssertion } from "../core/sign/client_assertion.js";
import {
  JWT_BEARER_ASSERTION,
  processSsaResponse,
  processTokenResponse,
  ssaRequest,
  ssaUrl,
  tokenRequest,
  verifySsa,
} from "../http/directory.js";
import type { RegistrationOutcome } from "../http/registration.js";
import type { HttpResponse, TlsMaterial } from "../http/transport_types.js";
import { REDACTED, redact } from "./redact.js";
import type { Runtime } from "./runtime.js";

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

export function decodeJwt(jwt: string): DecodedJwt | undefined {
  try {
    return {
      header: jose.decodeProtectedHeader(jwt) as Record<string, unknown>,
      claims: jose.decodeJwt(jwt) as Record<string, unknown>,
    };
  } catch {
    return undefined;
  }
}

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** A response or request body for printing: JSON parsed, a JWT decoded, else (short) text. */
export function bodyForPrint(b: Buffer | undefined): unknown {
  if (!b || b.length === 0) return undefined;
  const text = b.toString("utf8").trim();
  try {
    return JSON.parse(text);
  } catch {
    if (COMPACT.test(text)) return decodeJwt(text) ?? "(undecodable JWT)";
    return text.length > 500 ? `${text.slice(0, 500)}…` : text;
  }
}

export function tlsOf(params: RegistrationParams): TlsMaterial {
  return { cert: params.transport.cert, key: params.transport.key, ca: params.transport.ca };
}

export interface DirectoryNeeds {
  token_endpoint: string;
  ssa_endpoint: string | undefined;
  software_id: string;
  org_id: string;
  scope: string[];
}

/** The directory settings the token and SSA steps need, naming the field that is missing. */
export function directoryNeeds(params: RegistrationParams, needSsaEndpoint: boolean): DirectoryNeeds {
  const d = params.directory;
  if (!d)
    throw new InvalidInputError("directory", "is required (token_endpoint, ssa_endpoint, jwks_uri, issuer)");
  if (!params.software) throw new InvalidInputError("software", "is required (software_id, org_id)");
  if (!d.token_endpoint)
    throw new InvalidInputError("directory.token_endpoint", "is required to get a directory token");
  if (needSsaEndpoint && !d.ssa_endpoint)
    throw new InvalidInputError("directory.ssa_endpoint", "is required to download the SSA");
  return {
    token_endpoint: d.token_endpoint,
    ssa_endpoint: d.ssa_endpoint,
    software_id: params.software.software_id,
    org_id: params.software.org_id,
    scope: d.scope,
  };
}

export interface TokenStepResult {
  key: SigningKey;
  assertion: string;
  response: HttpResponse;
  token: TokenResponse;
}

/** Step 1+2: sign the client assertion and POST the client_credentials request; print both. */
export async function tokenStep(
  rt: Runtime,
  params: RegistrationParams,
  need: DirectoryNeeds,
  doc: Record<string, unknown>,
  n = 1,
): Promise<TokenStepResult> {
  const { out } = rt;
  const key = await importSigningKey(params.signing_key);
  const assertion = await signClientAssertion(key, {
    client_id: need.software_id,
    audience: need.token_endpoint,
    now: rt.ctx.now(),
    jti: randomUUID(),
  });
  const decoded = decodeJwt(assertion);
  doc.client_assertion = { ...decoded, jwt: out.showSecrets ? assertion : REDACTED };
  out.heading(`${n}. Client assertion (private_key_jwt for the directory)`);
  out.field("header", decoded?.header);
  out.field("claims", decoded?.claims);
  out.line(`jwt: ${out.showSecrets ? assertion : `${REDACTED} (--show-secrets prints it)`}`);

  const response = await out.step("directory token", () =>
    tokenRequest(
      rt.ctx,
      need.token_endpoint,
      {
        grant_type: "client_credentials",
        client_id: need.software_id,
        client_assertion_type: JWT_BEARER_ASSERTION,
        client_assertion: assertion,
        scope: need.scope.join(" "),
      },
      tlsOf(params),
      {},
      "directory token request",
    ),
  );
  const body = bodyForPrint(response.body);
  doc.directory_token = { url: need.token_endpoint, status: response.status, body };
  out.heading(`${n + 1}. Directory token`);
  out.line(`POST ${need.token_endpoint}`);
  out.line(`status: ${response.status}`);
  out.field("body", body);
  const token = processTokenResponse(response, "directory token request");
  return { key, assertion, response, token };
}

export interface SsaStepResult {
  ssa: string;
  claims: SsaClaims;
  url: string | undefined;
}

/** Step 3: download the SSA (or take the inline one) and verify it; print endpoint, status, claims. */
export async function ssaStep(
  rt: Runtime,
  params: RegistrationParams,
  doc: Record<string, unknown>,
  n: number,
  token?: string,
): Promise<SsaStepResult> {
  const { out } = rt;
  const d = params.directory;
  const sw = params.software;
  if (!d || !sw) throw new InvalidInputError("directory", "is required to obtain an SSA");
  let ssa: string;
  let url: string | undefined;
  out.heading(`${n}. Software statement (SSA)`);
  if (token !== undefined) {
    const need = directoryNeeds(params, true);
    url = ssaUrl(need.ssa_endpoint as string, sw.org_id, sw.software_id);
    out.line(`endpoint: GET ${url}`);
    const res = await out.step("SSA download", () => ssaRequest(rt.ctx, url as string, token, tlsOf(params)));
    out.line(`status: ${res.status}`);
    doc.ssa = { url, status: res.status };
    ssa = processSsaResponse(res);
  } else {
    if (!d.software_statement)
      throw new InvalidInputError("directory.software_statement", "is required when no SSA is downloaded");
    ssa = d.software_statement;
    out.line("source: directory.software_statement (inline; not downloaded)");
    doc.ssa = { source: "inline" };
  }
  const claims = await out.step("SSA verification", () =>
    verifySsa(rt.ctx, ssa, {
      issuer: d.issuer,
      software_id: sw.software_id,
      org_id: sw.org_id,
      jwks_uri: d.jwks_uri,
      jwks: d.jwks,
      tls: tlsOf(params),
    }),
  );
  const verified = d.jwks || d.jwks_uri ? "signature (directory JWKS) and claims" : "claims only (no JWKS)";
  const header = decodeJwt(ssa)?.header;
  Object.assign(doc.ssa as object, {
    verified,
    header,
    claims,
    jwt: out.showSecrets ? ssa : REDACTED,
  });
  out.line(`verified: ${verified}`);
  out.field("header", header);
  out.field("claims", claims);
  if (out.showSecrets) out.line(`ssa: ${ssa}`);
  return { ssa, claims, url };
}

/** Outcome of register/get/update for printing and --json (secrets redacted by Output). */
export function printOutcome(
  rt: Runtime,
  o: RegistrationOutcome,
  doc: Record<string, unknown>,
  withMetadata = true,
): void {
  const { out } = rt;
  doc.registration = o;
  out.line(`client_id: ${o.client_id}`);
  out.line(`profile: ${o.profile}`);
  out.line(`management_uri: ${o.management_uri}`);
  if (o.client_id_issued_at !== undefined) out.line(`client_id_issued_at: ${o.client_id_issued_at}`);
  if (o.client_secret_expires_at !== undefined)
    out.line(`client_secret_expires_at: ${o.client_secret_expires_at}`);
  const secrets = Object.fromEntries(Object.entries(o.secrets).filter(([, v]) => v !== undefined));
  if (Object.keys(secrets).length > 0) out.field("secrets", redact(secrets, out.showSecrets));
  if (o.substitutions.length > 0) out.field("substitutions (the bank changed these)", o.substitutions);
  if (withMetadata) out.field("metadata", o.metadata);
}
