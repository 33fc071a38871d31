/**
 * High-level registration lifecycle the Pulumi resource and CLI call:
 * createRegistration / readRegistration / updateRegistration / deleteRegistration.
 */
import { randomUUID } from "node:crypto";
import * as jose from "jose";
import { validateProfileAgainstDiscovery } from "../core/bank_profiles/discovery.js";
import { type ResolvedBankProfile, resolveBankProfile } from "../core/bank_profiles/resolve.js";
import {
  observeResponseShape,
  type ResponseDeviation,
  responseDeviations,
} from "../core/bank_profiles/response.js";
import { clientKeys } from "../core/build/client_keys.js";
import { buildRegistrationClaims } from "../core/build/registration_request.js";
import { subjectDnFromCertificate } from "../core/dn.js";
import {
  GoneUnconfirmedError,
  InvalidInputError,
  invalidInputFromZod,
  NotSupportedError,
  OutcomeUnknownError,
  RegistrationGoneError,
  RegistrationRejectedError,
  TransportError,
  UnexpectedResponseError,
} from "../core/errors.js";
import { importSigningKey, type SigningKey } from "../core/keys.js";
import { jwkThumbprint, publicJwk, type SigningKeyIdentity, signingKeyIdentity } from "../core/material.js";
import type { RegistrationResult } from "../core/parse/registration_response.js";
import { getProfile, type Profile } from "../core/profiles/index.js";
import type { Jwks } from "../core/schemas/common.js";
import type { ClientParams } from "../core/schemas/params.js";
import {
  RegistrationParams,
  type RegistrationParamsInput,
  RegistrationState,
  type RegistrationStateInput,
} from "../core/schemas/params.js";
import type { DiscoveryDocument, SsaClaims } from "../core/schemas/responses.js";
import { signRegistrationRequest } from "../core/sign/registration_jwt.js";
import {
  validateAuthMaterial,
  validateClientForProfile,
  validateRedirectUris,
  validateSigningKid,
  validateTransportMaterial,
} from "../core/validate/preflight.js";
import { createContext, type ObDcrContext } from "./context.js";
import {
  deleteRegistrationRequest,
  type JwksSource,
  processDeleteRegistrationResponse,
  processReadRegistrationResponse,
  processRegistrationResponse,
  processUpdateRegistrationResponse,
  readRegistrationRequest,
  registrationRequest,
  updateRegistrationRequest,
} from "./dcr.js";
import { getSsa, verifySsa } from "./directory.js";
import { discover } from "./discovery.js";
import { fetchJwks } from "./jwks.js";
import { evictManagementToken, getManagementToken } from "./management.js";
import { assertKeyPublished, checkOwnSide, describePublication } from "./own_side.js";
import type { HttpResponse, TlsMaterial } from "./transport.js";

export interface RegistrationOutcome extends RegistrationResult {
  profile: string;
  /** Where to manage the registration (RFC 7592 `registration_client_uri` or `{registration_endpoint}/{client_id}`). */
  management_uri: string;
  /** The bank profile used (spec → preset → overrides), with each setting's origin. */
  bank_profile: ResolvedBankProfile;
  /** Where the bank's response differed from what the bank profile declares (`response.*`). */
  response_deviations: ResponseDeviation[];
  /** The client_id proposed in the request (`bank.client_id_hint`), and whether the bank used it. */
  client_id_hint?: { sent: string; honoured: boolean } | undefined;
  /**
   * Set when create did not get its own 201 but found the registration by its client_id hint:
   * `lost_response` (this POST's answer was lost after the bank committed it), `earlier_attempt`
   * (an earlier, interrupted run registered it; the bank refused the duplicate id).
   */
  reconciled?: "lost_response" | "earlier_attempt" | undefined;
  /** The SSA's `software_jwks_endpoint` (create/update): where the directory publishes our keys. */
  software_jwks_endpoint?: string | undefined;
}

/** Options of GET/PUT/DELETE. */
export interface ManagementOptions {
  /**
   * The caller confirms that the bank deleted this client: an ambiguous answer (`invalid_client`
   * at the bank's token endpoint) then counts as gone. Never set by default.
   */
  confirm_gone?: boolean | undefined;
  /** Where the directory publishes our keys (recorded at registration): checked on an ambiguous answer. */
  software_jwks_endpoint?: string | undefined;
}

export interface CreateOptions {
  /**
   * The client_id proposed when `bank.client_id_hint` is on (default: a random UUIDv4). A hint that
   * is stable across runs lets a later run find a registration whose POST outcome was lost even
   * when the process died (the Pulumi resource derives one from its stack, name and identity).
   */
  client_id_hint?: string | undefined;
}

interface Prepared {
  params: RegistrationParams;
  profile: Profile;
  bank_profile: ResolvedBankProfile;
  /** `params.client` with the bank profile's grant types. */
  client: ClientParams;
  key: SigningKey;
  /** The signing key's kid, alg and public-key thumbprint. */
  identity: SigningKeyIdentity;
  tls: TlsMaterial;
  discovery: DiscoveryDocument | undefined;
  registration_endpoint: string;
  token_endpoint: string | undefined;
  bank_jwks: JwksSource;
  management_style: "obie" | "rfc7592";
  gone_statuses: readonly number[];
  /** The SSA download started by prepare (create/update), running while the bank side is fetched. */
  ssa_pending?: Promise<string> | undefined;
  /** The verified SSA's claims, once obtained. */
  ssa_claims?: SsaClaims | undefined;
}

export function parseRegistrationParams(
  input: RegistrationParamsInput | RegistrationParams,
): RegistrationParams {
  const r = RegistrationParams.safeParse(input);
  if (!r.success) throw invalidInputFromZod("", r.error);
  return r.data;
}

/**
 * Create and update need the SSA: start its download (token → SSA, and the directory JWKS that
 * verifies it) now, so that it runs while the bank side (discovery, bank JWKS) is fetched.
 */
function startSsa(params: RegistrationParams, key: SigningKey, tls: TlsMaterial, ctx: ObDcrContext) {
  const d = params.directory;
  const software = params.software;
  if (!d || !software || d.software_statement) return undefined;
  // Warm only: verifySsa joins this fetch (or fetches again if it failed).
  if (d.jwks_uri && !d.jwks) fetchJwks(ctx, d.jwks_uri, tls).catch(() => undefined);
  const pending = downloadSsa(d, software, key, tls, ctx);
  pending.catch(() => undefined); // awaited by obtainSsa; not unhandled if prepare fails first
  return pending;
}

/** The SSA from the directory (token + download, both cached per process). */
function downloadSsa(
  d: NonNullable<RegistrationParams["directory"]>,
  software: NonNullable<RegistrationParams["software"]>,
  key: SigningKey,
  tls: TlsMaterial,
  ctx: ObDcrContext,
): Promise<string> {
  return getSsa(ctx, {
    token_endpoint: d.token_endpoint as string,
    ssa_endpoint: d.ssa_endpoint as string,
    org_id: software.org_id,
    software_id: software.software_id,
    scope: d.scope,
    max_age_seconds: d.ssa_max_age_seconds,
    key,
    tls,
  });
}

async function prepare(
  input: RegistrationParamsInput,
  ctx: ObDcrContext,
  opts: { fetch_ssa?: boolean } = {},
): Promise<Prepared> {
  const params = parseRegistrationParams(input);
  const profile = getProfile(params.profile);
  const bank_profile = resolveBankProfile(params);
  const client: ClientParams = { ...params.client, grant_types: bank_profile.grant_types };
  validateClientForProfile(profile, client, params.signing_key, params.software?.software_id);
  const key = await importSigningKey(params.signing_key);
  const identity = await signingKeyIdentity(params.signing_key);
  validateTransportMaterial(params.transport, ctx.now());
  const tls: TlsMaterial = {
    cert: params.transport.cert,
    key: params.transport.key,
    ca: params.transport.ca,
  };
  const ssa_pending = opts.fetch_ssa ? startSsa(params, key, tls, ctx) : undefined;
  let discovery: DiscoveryDocument | undefined;
  if (params.bank.discovery_url) discovery = await discover(ctx, params.bank.discovery_url, tls);
  const registration_endpoint = params.bank.registration_endpoint ?? discovery?.registration_endpoint;
  if (!registration_endpoint)
    throw new InvalidInputError(
      "bank.registration_endpoint",
      "is not given and the discovery document has none",
    );
  const token_endpoint =
    params.bank.token_endpoint ??
    discovery?.mtls_endpoint_aliases?.token_endpoint ??
    discovery?.token_endpoint;
  if (discovery && !params.bank.skip_discovery_checks)
    validateProfileAgainstDiscovery(bank_profile, discovery, client, key.alg, params.bank.discovery_url);
  // Only a signed (JWT) response needs the bank's keys: fetched then, not on every call.
  const bankJwksUri = params.bank.jwks_uri ?? discovery?.jwks_uri;
  const bank_jwks: JwksSource = bankJwksUri
    ? () => fetchJwks(ctx, bankJwksUri, tls).catch(() => undefined) // unreachable: decode-only
    : undefined;
  return {
    params,
    profile,
    bank_profile,
    client,
    key,
    identity,
    tls,
    discovery,
    registration_endpoint,
    token_endpoint,
    bank_jwks,
    management_style: bank_profile.management.style,
    gone_statuses: bank_profile.management.gone_statuses,
    ssa_pending,
  };
}

async function obtainSsa(
  p: Pick<Prepared, "params" | "key" | "tls" | "ssa_pending" | "ssa_claims">,
  ctx: ObDcrContext,
): Promise<{ ssa: string | undefined; claims: SsaClaims | undefined }> {
  const { params, key, tls } = p;
  const d = params.directory;
  const software = params.software;
  if (!d || !software) return { ssa: undefined, claims: undefined };
  const ssa = d.software_statement ?? (await (p.ssa_pending ?? downloadSsa(d, software, key, tls, ctx)));
  const claims = await verifySsa(ctx, ssa, {
    issuer: d.issuer,
    software_id: software.software_id,
    org_id: software.org_id,
    jwks_uri: d.jwks_uri,
    jwks: d.jwks,
    tls,
  });
  p.ssa_claims = claims;
  return { ssa, claims };
}

/** Check the signing kid against the SSA's software JWKS where it can be resolved. */
async function checkSoftwareKey(p: Prepared, claims: SsaClaims, ctx: ObDcrContext): Promise<void> {
  if (!claims.software_jwks_endpoint) return;
  // Both sets at once (one round trip, not two).
  const revokedPending = claims.software_jwks_revoked_endpoint
    ? fetchJwks(ctx, claims.software_jwks_revoked_endpoint, p.tls).catch(() => undefined)
    : Promise.resolve(undefined);
  let jwks: Jwks;
  try {
    jwks = await fetchJwks(ctx, claims.software_jwks_endpoint, p.tls);
  } catch (e) {
    if (e instanceof TransportError) return; // cannot be resolved from here (offline): the bank checks it
    throw e;
  }
  if (!jwks.keys.some((k) => k.kid === p.key.kid))
    jwks = await fetchJwks(ctx, claims.software_jwks_endpoint, p.tls, true);
  const revoked = await revokedPending;
  validateSigningKid(p.key.kid, jwks, revoked);
  // The kid alone is not enough: a key file overwritten with another key keeps its kid.
  const published = jwks.keys.find((k) => k.kid === p.key.kid)!;
  const print = await jwkThumbprint(published as Parameters<typeof jwkThumbprint>[0]).catch(() => undefined);
  if (print !== p.identity.thumbprint)
    throw new InvalidInputError(
      "signing_key",
      describePublication(
        { status: "key_mismatch", kid: p.key.kid, jwks_uri: claims.software_jwks_endpoint },
        p.identity,
      ),
    );
}

async function buildBody(
  p: Prepared,
  ctx: ObDcrContext,
  client_id?: string,
): Promise<{ body: string; content_type: string; requested: Record<string, unknown> }> {
  const { params, profile, bank_profile: bp, client } = p;
  const { ssa, claims } = await obtainSsa(p, ctx);
  validateRedirectUris(profile, client.redirect_uris, claims?.software_redirect_uris);
  let subject_dn: string | undefined;
  if (
    params.client.token_endpoint_auth_method === "tls_client_auth" &&
    !params.client.tls_client_auth_subject_dn
  )
    if (params.transport.cert) subject_dn = subjectDnFromCertificate(params.transport.cert, bp.dn_format);
  validateAuthMaterial(client, { subject_dn });
  if (profile.format === "jwt" && claims) await checkSoftwareKey(p, claims, ctx);
  const keys = await clientKeys({
    profile,
    client,
    ssa_jwks_endpoint: claims?.software_jwks_endpoint,
    signing_public_jwk: publicJwk(params.signing_key),
  });
  const built = buildRegistrationClaims({
    profile,
    client,
    software_id: params.software?.software_id,
    iss: requestIss(p),
    aud: requestAud(p),
    software_statement: ssa,
    ssa_redirect_uris: claims?.software_redirect_uris,
    subject_dn,
    default_auth_signing_alg: p.key.alg,
    now: ctx.now(),
    jti: randomUUID(),
    ttl_seconds: params.bank.request_ttl_seconds,
    jti_case: bp.jti_case,
    scope_format: bp.scope_format,
    extra_claims: bp.extra_claims,
    client_keys: keys,
    client_id,
  });
  const content_type = bp.content_type;
  const body =
    profile.format === "jwt"
      ? await signRegistrationRequest(built.payload, p.key)
      : JSON.stringify(built.payload);
  return { body, content_type, requested: built.metadata };
}

/** Request `aud` per the bank profile: the bank's org id, its issuer URL, or a literal. */
function requestAud(p: Prepared): string | undefined {
  const aud = p.bank_profile.aud;
  if (typeof aud === "object") return aud.literal;
  if (aud === "issuer") {
    const issuer = p.params.bank.issuer ?? p.discovery?.issuer;
    if (!issuer)
      throw new InvalidInputError(
        "bank.issuer",
        `is needed for aud = issuer (from ${p.bank_profile.origins.aud.from}); give it or a discovery_url`,
      );
    return issuer;
  }
  return p.params.bank.org_id;
}

/** Request `iss` per the bank profile (undefined: the software_id). */
function requestIss(p: Prepared): string | undefined {
  const iss = p.bank_profile.iss;
  if (typeof iss === "object") return iss.literal;
  if (iss === "org_id") return p.params.software?.org_id;
  return undefined;
}

/** The raw (un-normalised) body of a registration response, for deviation reports; never thrown on. */
function rawBody(res: HttpResponse): Record<string, unknown> {
  const text = res.body.toString("utf8").trim();
  try {
    const v = text.startsWith("{") ? JSON.parse(text) : jose.decodeJwt(text);
    return v && typeof v === "object" ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function deviations(p: Prepared, res: HttpResponse, created: boolean): ResponseDeviation[] {
  const shape = observeResponseShape(rawBody(res), created ? res.status : undefined);
  return responseDeviations(p.bank_profile.response, shape);
}

function managementUri(p: Prepared, client_id: string, rcu?: string): string {
  if (rcu) return rcu;
  return `${p.registration_endpoint.replace(/\/+$/, "")}/${encodeURIComponent(client_id)}`;
}

function outcome(
  p: Prepared,
  r: RegistrationResult,
  response_deviations: ResponseDeviation[] = [],
): RegistrationOutcome {
  return {
    ...r,
    profile: p.profile.name,
    management_uri: managementUri(p, r.client_id, r.registration_client_uri),
    bank_profile: p.bank_profile,
    response_deviations,
    software_jwks_endpoint: p.ssa_claims?.software_jwks_endpoint,
  };
}

/** Register a client: SSA (downloaded or inline) → checks → signed/JSON request → POST → normalised result. */
export async function createRegistration(
  input: RegistrationParamsInput,
  ctx: ObDcrContext = createContext(),
  opts: CreateOptions = {},
): Promise<RegistrationOutcome> {
  const p = await prepare(input, ctx, { fetch_ssa: true });
  const hint = p.params.bank.client_id_hint ? (opts.client_id_hint ?? randomUUID()) : undefined;
  const post = async (): Promise<RegistrationOutcome> => {
    const { body, content_type, requested } = await buildBody(p, ctx, hint);
    // The hint is not metadata: a bank that ignores it is not "substituting" client_id.
    delete requested.client_id;
    const res = await registrationRequest(ctx, p.registration_endpoint, body, content_type, p.tls).catch(
      (e: unknown) => {
        // A 2xx whose body could not be read (over the size cap, cut off): the bank probably
        // created a client whose id we never saw. That is an unknown outcome, not a plain failure.
        if (e instanceof UnexpectedResponseError && (e.status === 200 || e.status === 201) && !e.client_id)
          throw new OutcomeUnknownError(
            `${e.message}; the bank answered HTTP ${e.status}, so it probably created a client, but its client_id could not be read`,
            { cause: e },
          );
        throw e;
      },
    );
    const r = await processRegistrationResponse(res, { requested, bank_jwks: p.bank_jwks });
    const o = outcome(p, r, deviations(p, res, true));
    return hint ? { ...o, client_id_hint: { sent: hint, honoured: r.client_id === hint } } : o;
  };
  if (!hint) return post();
  // At most three POSTs, each after a GET proved that the one before was not committed.
  for (let attempt = 0; ; attempt++) {
    try {
      return await post();
    } catch (e) {
      if (e instanceof OutcomeUnknownError) {
        const found = await findByHint(p, hint, ctx, e);
        if (found) return { ...found, reconciled: "lost_response" };
        if (attempt < 2) continue; // the bank does not hold the hinted client: nothing was committed
        throw new TransportError(
          `registration (POST) of ${p.params.software?.software_id ?? "the software"}: the connection failed ${attempt + 1} times; ` +
            `each time a GET on the proposed client_id ${hint} showed that the bank had not registered it, so nothing was registered. Run again`,
          { cause: e },
        );
      }
      if (e instanceof RegistrationRejectedError && e.status === 400 && canReadByHint(p) === undefined) {
        // An earlier run that was interrupted may already have registered this hint.
        const found = await findByHint(p, hint, ctx, undefined).catch(() => undefined);
        if (found) return { ...found, reconciled: "earlier_attempt" };
      }
      throw e;
    }
  }
}

/** Why a registration cannot be read by its hinted client_id alone (undefined: it can). */
function canReadByHint(p: Prepared): string | undefined {
  if (!p.bank_profile.supports.read) return "the bank does not offer GET /register/{client_id}";
  if (p.management_style === "rfc7592")
    return "the bank manages clients with a registration access token, which only its lost answer carried";
  const method = p.params.client.token_endpoint_auth_method;
  if (method !== "private_key_jwt" && method !== "tls_client_auth")
    return `the client authenticates with ${method}, whose secret only the bank's lost answer carried`;
  if (!p.token_endpoint) return "no bank token endpoint is known (bank.token_endpoint)";
  return undefined;
}

/**
 * After an unknown outcome: GET the hinted client_id. Returns the registration when the bank holds
 * it, undefined when the bank says it does not exist (the POST was not committed), and throws an
 * OutcomeUnknownError that says exactly what to do when it cannot tell.
 */
async function findByHint(
  p: Prepared,
  hint: string,
  ctx: ObDcrContext,
  cause: OutcomeUnknownError | undefined,
): Promise<RegistrationOutcome | undefined> {
  const software = p.params.software?.software_id ?? "the software";
  const todo =
    `Check at the bank whether client ${hint} exists (its developer portal or support): if it does, ` +
    `adopt it (\`adopt: { clientId: "${hint}", ... }\` with its management credentials) or delete it there; ` +
    "if it does not, run again.";
  const lost = cause ? `${cause.message}. ` : "";
  const why = canReadByHint(p);
  if (why)
    throw new OutcomeUnknownError(
      `${lost}The bank may hold a registration of ${software} under the proposed client_id ${hint}, and ob-dcr cannot look it up: ${why}. ${todo}`,
      { cause },
    );
  const state: RegistrationState = { client_id: hint, secrets: {} };
  const uri = managementUri(p, hint);
  let r: RegistrationResult;
  try {
    r = await withManagementAuth(p, state, ctx, async (t) =>
      processReadRegistrationResponse(await readRegistrationRequest(ctx, uri, t, p.tls), {
        bank_jwks: p.bank_jwks,
        gone_statuses: p.gone_statuses,
      }),
    );
  } catch (e) {
    if (e instanceof RegistrationGoneError) return undefined;
    if (e instanceof GoneUnconfirmedError) {
      // invalid_client for a hint is "not registered" only if the bank could have verified us.
      const checks = await checkOwnSide(ctx, ownSideInput(p, ctx, undefined));
      if (checks.every((c) => c.ok)) return undefined;
    }
    throw new OutcomeUnknownError(
      `${lost}Looking up the proposed client_id ${hint} of ${software} failed too (${(e as Error).message}). ` +
        "Run again: the next run proposes the same client_id and finds it if the bank committed it. If it keeps failing: " +
        todo,
      { cause: e },
    );
  }
  const registered = r.metadata.software_id;
  if (typeof registered === "string" && p.params.software && registered !== p.params.software.software_id)
    throw new OutcomeUnknownError(
      `client ${hint} exists at the bank but belongs to software ${registered}, not ${software}; ` +
        "give this resource another client_id hint (or turn bank.client_id_hint off)",
      { cause },
    );
  return keepSecrets(p, state, r);
}

function ownSideInput(p: Prepared, ctx: ObDcrContext, software_jwks_endpoint: string | undefined) {
  return {
    key: p.identity,
    tls: p.tls,
    software_jwks_endpoint: software_jwks_endpoint ?? p.ssa_claims?.software_jwks_endpoint,
    ssa_claims:
      p.params.directory && p.params.software
        ? async () => (await obtainSsa(p, ctx)).claims ?? {}
        : undefined,
    now: ctx.now(),
  };
}

/**
 * An ambiguous refusal (`invalid_client` at the bank's token endpoint). Gone only when the caller
 * confirms it; otherwise check our own side, so that the error says which side is wrong.
 */
async function explainAmbiguous(
  p: Prepared,
  state: RegistrationState,
  ctx: ObDcrContext,
  e: unknown,
  opts: ManagementOptions,
): Promise<never> {
  if (!(e instanceof GoneUnconfirmedError)) throw e;
  if (opts.confirm_gone)
    throw new RegistrationGoneError(401, `${e.message}; counted as deleted, as the caller confirmed`, {
      cause: e,
    });
  const checks = await checkOwnSide(ctx, ownSideInput(p, ctx, opts.software_jwks_endpoint));
  const bad = checks.find((c) => !c.ok);
  const message = bad
    ? `${e.message}. Our side is wrong: ${bad.field}: ${bad.detail}`
    : `${e.message}. Our side checks out (${checks.map((c) => c.detail).join("; ")}), so the bank may have deleted the client`;
  throw new GoneUnconfirmedError(state.client_id, message, { cause: e, field: bad?.field, checks });
}

function parseState(s: RegistrationStateInput): RegistrationState {
  const r = RegistrationState.safeParse(s);
  if (!r.success) throw invalidInputFromZod("state", r.error);
  return r.data;
}

/**
 * How this registration is managed. A bank that issued a registration access token expects it
 * (RFC 7592 §3), so the token decides unless a preset or the user set the style explicitly.
 */
function managementStyle(p: Prepared, state: RegistrationState): "obie" | "rfc7592" {
  const explicit = p.bank_profile.origins["management.style"]?.source !== "spec";
  if (!explicit && state.secrets.registration_access_token) return "rfc7592";
  return p.management_style;
}

/** Run a management call with the right bearer; on a gone status with an OBIE token retry once with a fresh token. */
async function withManagementAuth<T>(
  p: Prepared,
  state: RegistrationState,
  ctx: ObDcrContext,
  call: (token: string) => Promise<T>,
): Promise<T> {
  if (managementStyle(p, state) === "rfc7592") {
    const rat = state.secrets.registration_access_token;
    if (!rat)
      throw new InvalidInputError(
        "state.secrets.registration_access_token",
        "is required for RFC 7592 management (keep the one returned at registration or the last update)",
      );
    return call(rat);
  }
  if (!p.token_endpoint)
    throw new InvalidInputError("bank.token_endpoint", "is needed for OBIE-style management");
  const ti = {
    token_endpoint: p.token_endpoint,
    client_id: state.client_id,
    auth_method: p.params.client.token_endpoint_auth_method,
    scope: p.bank_profile.management.scope,
    key: p.key,
    client_secret: state.secrets.client_secret,
    tls: p.tls,
    invalid_client_is_gone: p.bank_profile.management.invalid_client_is_gone,
  };
  const token = await getManagementToken(ctx, ti);
  try {
    return await call(token);
  } catch (e) {
    if (!(e instanceof RegistrationGoneError) || e.status !== 401) throw e;
    // The cached token may be the one revoked; a fresh one tells gone from stale.
    evictManagementToken(ctx, ti);
    // The bank issued us a token for this client before and now answers a declared "gone": a
    // token endpoint that no longer knows the client confirms it (two signals, not one).
    const fresh = await getManagementToken(ctx, ti).catch((e2: unknown) => {
      throw e2 instanceof GoneUnconfirmedError ? e : e2;
    });
    try {
      return await call(fresh);
    } catch (e2) {
      if (e2 instanceof RegistrationGoneError) evictManagementToken(ctx, ti);
      throw e2;
    }
  }
}

/** What GET, PUT and DELETE share: parameters, state, the bank offering the call, the URI. */
async function prepareManagement(
  input: RegistrationParamsInput,
  stateInput: RegistrationStateInput,
  ctx: ObDcrContext,
  op: "read" | "update" | "delete",
): Promise<{ p: Prepared; state: RegistrationState; uri: string }> {
  const p = await prepare(input, ctx);
  const state = parseState(stateInput);
  if (!p.bank_profile.supports[op]) {
    const method = { read: "GET", update: "PUT", delete: "DELETE" }[op];
    throw new NotSupportedError(
      `this bank does not offer ${method} /register/{client_id} (supports.${op} = false from ${p.bank_profile.origins[`supports.${op}`].from})`,
    );
  }
  return { p, state, uri: managementUri(p, state.client_id, state.registration_client_uri) };
}

/** GET the registration. Throws RegistrationGoneError when the bank says it is unknown/deleted. */
export async function readRegistration(
  input: RegistrationParamsInput,
  stateInput: RegistrationStateInput,
  ctx: ObDcrContext = createContext(),
  opts: ManagementOptions = {},
): Promise<RegistrationOutcome> {
  const { p, state, uri } = await prepareManagement(input, stateInput, ctx, "read");
  const r = await withManagementAuth(p, state, ctx, async (t) =>
    processReadRegistrationResponse(await readRegistrationRequest(ctx, uri, t, p.tls), {
      bank_jwks: p.bank_jwks,
      gone_statuses: p.gone_statuses,
    }),
  ).catch((e) => explainAmbiguous(p, state, ctx, e, opts));
  return keepSecrets(p, state, r);
}

/** Carry forward secrets the bank did not return again (RAT kept unless rotated). */
function keepSecrets(p: Prepared, state: RegistrationState, r: RegistrationResult): RegistrationOutcome {
  if (r.client_id !== state.client_id)
    throw new UnexpectedResponseError(
      `the bank answered for client ${r.client_id} when asked about ${state.client_id}; refusing to take another client's registration (check the management URI and the bank)`,
    );
  const secrets = {
    ...state.secrets,
    ...Object.fromEntries(Object.entries(r.secrets).filter(([, v]) => v !== undefined)),
  };
  return outcome(p, {
    ...r,
    secrets,
    registration_client_uri: r.registration_client_uri ?? state.registration_client_uri,
  });
}

/** PUT the full claim set with client_id (fresh SSA). Keeps a rotated registration access token. */
export async function updateRegistration(
  input: RegistrationParamsInput,
  stateInput: RegistrationStateInput,
  ctx: ObDcrContext = createContext(),
  opts: ManagementOptions = {},
): Promise<RegistrationOutcome> {
  const { p, state, uri } = await prepareManagement(input, stateInput, ctx, "update");
  const { body, content_type, requested } = await buildBody(p, ctx, state.client_id);
  const r = await withManagementAuth(p, state, ctx, async (t) =>
    processUpdateRegistrationResponse(
      await updateRegistrationRequest(ctx, uri, t, body, content_type, p.tls),
      {
        requested,
        bank_jwks: p.bank_jwks,
        gone_statuses: p.gone_statuses,
      },
    ),
  ).catch((e) => explainAmbiguous(p, state, ctx, e, opts));
  return keepSecrets(p, state, r);
}

/** DELETE the registration. Returns "gone" when the bank already does not know it. */
export async function deleteRegistration(
  input: RegistrationParamsInput,
  stateInput: RegistrationStateInput,
  ctx: ObDcrContext = createContext(),
  opts: ManagementOptions = {},
): Promise<"deleted" | "gone"> {
  const { p, state, uri } = await prepareManagement(input, stateInput, ctx, "delete");
  try {
    await withManagementAuth(p, state, ctx, async (t) =>
      processDeleteRegistrationResponse(await deleteRegistrationRequest(ctx, uri, t, p.tls), {
        gone_statuses: p.gone_statuses,
      }),
    ).catch((e) => explainAmbiguous(p, state, ctx, e, opts));
  } catch (e) {
    if (e instanceof RegistrationGoneError) return "gone";
    throw e;
  }
  if (managementStyle(p, state) === "obie" && p.token_endpoint)
    evictManagementToken(ctx, {
      token_endpoint: p.token_endpoint,
      client_id: state.client_id,
      scope: p.bank_profile.management.scope,
    });
  return "deleted";
}

/**
 * Refuse a signing key that the directory does not publish under its kid (before a rotation is
 * applied). Uses the recorded `software_jwks_endpoint`, else the SSA's. Returns false when nothing
 * publishes this software's keys (no directory): there is nothing to check against.
 */
export async function checkSigningKeyPublished(
  input: RegistrationParamsInput,
  ctx: ObDcrContext = createContext(),
  opts: { software_jwks_endpoint?: string | undefined } = {},
): Promise<boolean> {
  // No discovery: a rotation that sends nothing to the bank asks it nothing either.
  const params = parseRegistrationParams(input);
  const t = params.transport;
  const p = {
    params,
    key: await importSigningKey(params.signing_key),
    identity: await signingKeyIdentity(params.signing_key),
    tls: { cert: t.cert, key: t.key, ca: t.ca } as TlsMaterial,
  };
  let uri = opts.software_jwks_endpoint;
  let revoked: string | undefined;
  if (!uri && p.params.directory && p.params.software) {
    const { claims } = await obtainSsa(p, ctx);
    uri = claims?.software_jwks_endpoint;
    revoked = claims?.software_jwks_revoked_endpoint;
  }
  if (!uri) return false;
  await assertKeyPublished(ctx, uri, p.tls, p.identity, revoked);
  return true;
}
