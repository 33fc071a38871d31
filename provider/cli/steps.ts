/**
 * The reference flow's directory steps, composed from the core's request/process pairs so each can
 * be printed: client assertion → directory token → SSA download → SSA verification. Registration
 * itself goes through the core's createRegistration (no second implementation); `run` prints what
 * it sent and received from the HTTP recorder.
 */

import { type ResolvedDirectory, resolveDirectory } from "../core/directory/resolve.js";
import { narrowedScope, type SsaView } from "../core/directory/ssa_view.js";
import { InvalidInputError } from "../core/errors.js";
import type { SigningKey } from "../core/keys.js";
import { signingKeyIdentity } from "../core/material.js";
import { parseUntrustedJson } from "../core/parse/json.js";
import type { RegistrationParams } from "../core/schemas/params.js";
import type { TokenResponse } from "../core/schemas/responses.js";
import { isoTime } from "../core/time.js";
import { rememberSecret } from "../core/untrusted.js";
import {
  directoryTokenForm,
  processSsaResponse,
  processTokenResponse,
  ssaRequest,
  tokenRequest,
  verifySsa,
} from "../http/directory.js";
import { type HttpResponse, type TlsMaterial, tlsMaterialOf } from "../http/transport_types.js";
import { checkPublishedFirst } from "../lifecycle/prepare.js";
import type { RegistrationOutcome } from "../lifecycle/registration.js";
import { signerFor } from "../signers/index.js";
import { REDACTED, redact } from "./redact.js";
import type { Runtime } from "./runtime.js";
import type { KeptState } from "./state.js";

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

export function decodeJwt(jwt: string): DecodedJwt | undefined {
  try {
    const [h = "", c = ""] = jwt.split(".");
    const part = (s: string) => parseUntrustedJson(Buffer.from(s, "base64url").toString("utf8"));
    return {
      header: part(h) as Record<string, unknown>,
      claims: part(c) as Record<string, unknown>,
    };
  } catch {
    return undefined;
  }
}

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * A response or request body for printing: JSON parsed, a JWT decoded, else what it was. Text is
 * shown only from an error answer (an HTML page, a gateway's words): a success may carry credentials
 * in a form we never parsed, so never remembered to scrub (a form-encoded token or registration).
 */
export function bodyForPrint(b: Buffer | undefined, status?: number): unknown {
  if (!b || b.length === 0) return undefined;
  const text = b.toString("utf8").trim();
  try {
    return parseUntrustedJson(text);
  } catch {
    if (COMPACT.test(text)) return decodeJwt(text) ?? "(undecodable JWT)";
    if (status === undefined || status < 400 || text.startsWith("{") || text.startsWith("["))
      return `(${b.length} bytes, not usable JSON)`;
    return text.length > 500 ? `${text.slice(0, 500)}…` : text;
  }
}

export function tlsOf(params: RegistrationParams): TlsMaterial {
  return tlsMaterialOf(params.transport);
}

export interface DirectoryNeeds {
  token_endpoint: string;
  ssa_endpoint: string | undefined;
  software_id: string;
  org_id: string;
  scope: string[];
  /** The regime's directory side (token auth and client id, SSA URL and headers). */
  resolved: ResolvedDirectory;
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
  const resolved = resolveDirectory(params)!;
  return {
    token_endpoint: d.token_endpoint,
    ssa_endpoint: d.ssa_endpoint,
    software_id: params.software.software_id,
    org_id: params.software.org_id,
    scope: resolved.scope,
    resolved,
  };
}

export interface TokenStepResult {
  key: SigningKey;
  /** The client assertion the directory answered (the last one sent; "" with tls_client_auth). */
  assertion: string;
  response: HttpResponse;
  token: TokenResponse;
  /** The number of the step after this one. */
  next: number;
}

/**
 * Steps 1+2 (or step 1 with tls_client_auth): the client assertion, if the regime's directory wants
 * one, and the client_credentials request; print both. Returns the number of the next step.
 */
export async function tokenStep(
  rt: Runtime,
  params: RegistrationParams,
  need: DirectoryNeeds,
  doc: Record<string, unknown>,
  n = 1,
): Promise<TokenStepResult> {
  const { out } = rt;
  const r = need.resolved;
  const key = await signerFor(params.signing_key, rt.ctx);
  // As in createRegistration: an unpublished key is refused before the token request it would sign.
  await checkPublishedFirst(params, await signingKeyIdentity(key), tlsOf(params), rt.ctx);
  const input = {
    token_endpoint: need.token_endpoint,
    client_id: r.client_id,
    scope: r.scope,
    key,
    auth: r.token_auth,
  };
  const form = await directoryTokenForm(input, rt.ctx.now());
  const assertion = form.client_assertion ?? "";
  let next = n;
  if (assertion) {
    const decoded = decodeJwt(assertion);
    doc.client_assertion = { ...decoded, jwt: out.showSecrets ? assertion : REDACTED };
    out.heading(`${next}. Client assertion (private_key_jwt for the directory)`);
    out.field("header", decoded?.header);
    out.field("claims", decoded?.claims);
    out.line(`jwt: ${out.showSecrets ? assertion : `${REDACTED} (--show-secrets prints it)`}`);
    next++;
  }
  // A retry sends a fresh assertion: the last one sent is the one the directory answered.
  let answered = form;
  let retries = 0;
  const response = await out.step("directory token", () =>
    tokenRequest(
      rt.ctx,
      need.token_endpoint,
      form,
      tlsOf(params),
      {},
      "directory token request",
      async () => {
        answered = await directoryTokenForm(input, rt.ctx.now());
        retries++;
        return answered;
      },
    ),
  );
  const accepted = answered.client_assertion ?? "";
  if (retries > 0 && accepted) {
    const decoded = decodeJwt(accepted);
    doc.client_assertion = {
      ...decoded,
      jwt: out.showSecrets ? accepted : REDACTED,
      retries,
      first_jti: decodeJwt(assertion)?.claims.jti,
    };
    out.line(
      `the token request was retried ${retries} time(s), each with a fresh client assertion; the one the directory answered:`,
    );
    out.field("header", decoded?.header);
    out.field("claims", decoded?.claims);
    out.line(`jwt: ${out.showSecrets ? accepted : `${REDACTED} (--show-secrets prints it)`}`);
  }
  const body = bodyForPrint(response.body, response.status);
  // Printed before it is checked (a refusal is shown too): the token is known first, so that a
  // copy of it under another member name is scrubbed by value, not only the access_token member.
  const issued = (body as { access_token?: unknown } | undefined)?.access_token;
  if (typeof issued === "string") rememberSecret(issued);
  doc.directory_token = { url: need.token_endpoint, status: response.status, body };
  out.heading(`${next}. Directory token`);
  out.line(`POST ${need.token_endpoint}`);
  out.line(
    `directory: ${r.profile.label}, ${r.token_auth}, client_id ${r.client_id}, scope ${r.scope.join(" ")}`,
  );
  out.line(`status: ${response.status}`);
  out.field("body", body);
  const token = processTokenResponse(response, "directory token request");
  return { key, assertion: accepted, response, token, next: next + 1 };
}

export interface SsaStepResult {
  ssa: string;
  claims: SsaView;
  url: string | undefined;
}

/** Step 3: download the SSA (or take the inline one) and verify it; print endpoint, status, claims. */
export async function ssaStep(
  rt: Runtime,
  params: RegistrationParams,
  doc: Record<string, unknown>,
  n: number,
  token?: string,
  /** The directory token answer's `scope` (what was granted), to name a narrowed one. */
  granted?: string,
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
    const r = need.resolved;
    url = r.ssa_url as string;
    out.line(`endpoint: GET ${url}`);
    const shown = Object.entries(r.ssa_headers).map(([k, v]) => `${k}: ${v}`);
    out.line(`headers: ${shown.join(", ")}`);
    const res = await out.step("SSA download", () =>
      ssaRequest(rt.ctx, url as string, token, tlsOf(params), r.ssa_headers),
    );
    out.line(`status: ${res.status}`);
    doc.ssa = { url, status: res.status, headers: r.ssa_headers };
    const missing = narrowedScope(r.scope, granted);
    ssa = processSsaResponse(
      res,
      r.profile.error_format,
      granted !== undefined && missing.length > 0 ? { missing, granted } : undefined,
    );
  } else {
    if (!d.software_statement)
      throw new InvalidInputError("directory.software_statement", "is required when no SSA is downloaded");
    ssa = d.software_statement;
    out.line("source: directory.software_statement (inline; not downloaded)");
    doc.ssa = { source: "inline" };
  }
  const rd = resolveDirectory(params)!;
  const view = await out.step("SSA verification", () =>
    verifySsa(rt.ctx, ssa, {
      issuer: rd.issuers,
      software_id: sw.software_id,
      org_id: sw.org_id,
      jwks_uri: d.jwks_uri,
      jwks: d.jwks,
      tls: tlsOf(params),
      kind: rd.profile.kind,
      fresh_seconds: rd.fresh_seconds,
    }),
  );
  const claims = view.claims;
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
  return { ssa, claims: view, url };
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
  if (o.client_secret_expired && o.client_secret_expires_at !== undefined)
    out.note(
      `warning: the bank answered with a client secret that expired at ${isoTime(o.client_secret_expires_at)} ` +
        `(client_secret_expires_at ${o.client_secret_expires_at}): its token endpoint will refuse it (invalid_client); ` +
        `get a new client secret for client ${o.client_id} from the bank (its developer portal)`,
    );
  if (o.unavailable_before)
    out.note(
      `warning: the bank answered ${o.unavailable_before} earlier registration POST(s) with 503 (unavailable) before ` +
        `registering client ${o.client_id}; if it created a client anyway, it holds one more client of this software ` +
        "that no state file names: look in its developer portal",
    );
  if (withMetadata) out.field("metadata", o.metadata);
}

/** Where the registration went: the given endpoint, else discovery's mTLS alias, else its plain one. */
export function registrationEndpointOf(rt: Runtime, params: RegistrationParams): string | undefined {
  const doc0 = params.bank.discovery_url ? rt.ctx.discovery.get(params.bank.discovery_url)?.doc : undefined;
  return (
    params.bank.registration_endpoint ??
    doc0?.mtls_endpoint_aliases?.registration_endpoint ??
    doc0?.registration_endpoint
  );
}

/** Say where the client's state went (stderr, and the --json document, also on error). */
export function keptNote(rt: Runtime, doc: Record<string, unknown>, k: KeptState): void {
  doc.client_id = k.client_id;
  doc.state_file = k.file;
  rt.out.note(
    `state: client ${k.client_id} kept in ${k.file} (mode 0600)${
      k.by_default ? "; no --state was given and the bank returned secrets that manage it" : ""
    }`,
  );
}
