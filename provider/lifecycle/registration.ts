/**
 * The four verbs the Pulumi resource and the CLI call: createRegistration / readRegistration /
 * updateRegistration / deleteRegistration (DCR POST / GET / PUT / DELETE). Policy is decided in
 * `core/policy/plan.ts`; preparation, authentication and reconciliation live beside this file.
 */

import { randomUUID } from "node:crypto";
import { softwareJwksFrom } from "../core/directory/resolve.js";
import {
  InterruptedError,
  OutcomeUnknownError,
  RegistrationGoneError,
  RegistrationRejectedError,
  UnexpectedResponseError,
} from "../core/errors.js";
import { signingKeyIdentity } from "../core/material.js";
import { rejectionField } from "../core/parse/rejection.js";
import { managementStyle } from "../core/policy/plan.js";
import type { RegistrationParamsInput, RegistrationStateInput } from "../core/schemas/params.js";
import { untrustedText } from "../core/untrusted.js";
import { missingManagementCredentials, ratPairEnforced } from "../core/validate/regime.js";
import { createContext, type ObDcrContext, settling } from "../http/context.js";
import {
  ACCEPT,
  deleteRegistrationRequest,
  processDeleteRegistrationResponse,
  processReadRegistrationResponse,
  processRegistrationResponse,
  processUpdateRegistrationResponse,
  readRegistrationRequest,
  registrationRequest,
  updateRegistrationRequest,
} from "../http/dcr.js";
import { evictManagementToken } from "../http/management.js";
import { assertKeyPublished } from "../http/own_side.js";
import { tlsMaterialOf } from "../http/transport_types.js";
import { signerFor } from "../signers/index.js";
import { explainAmbiguous, portalRemedy, prepareManagement, withManagementAuth } from "./management_auth.js";
import {
  type CreateOptions,
  deviations,
  keepSecrets,
  type ManagementOptions,
  outcome,
  type RegistrationOutcome,
  withSecretExpiry,
} from "./outcome.js";
import { buildBody, obtainSsa, type Prepared, parseRegistrationParams, prepare } from "./prepare.js";
import { withoutUndefined } from "./props.js";
import { postReconciled } from "./reconcile.js";
import { signedAnswerExpectation } from "./signed_answer.js";

export type { CreateOptions, ManagementOptions, RegistrationOutcome } from "./outcome.js";
export { parseRegistrationParams } from "./prepare.js";

/** The Accept of registration calls: the regime's (AU, BR: JSON), else JSON or a signed answer. */
const acceptOf = (p: Prepared) => p.profile.accept ?? ACCEPT;

/**
 * Register a client: SSA (downloaded or inline) → checks → signed/JSON request → POST → normalised result.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT`: the params, key material or bank profile are
 *   invalid, or a check against discovery or the SSA fails; `field` names the input. Nothing is sent.
 * @throws {SsaInvalidError} `OBDCR_SSA_INVALID`: the SSA does not verify or its claims do not fit.
 * @throws {DirectoryRejectedError} `OBDCR_REGISTRATION_REJECTED`: the directory refused the token or
 *   the SSA download (`error`, and the field to fix).
 * @throws {RegistrationRejectedError} `OBDCR_REGISTRATION_REJECTED`: the bank refused the POST
 *   (RFC 7591 `error`, e.g. `invalid_redirect_uri`, with the field when known).
 * @throws {OutcomeUnknownError} `OBDCR_OUTCOME_UNKNOWN`: the POST's answer was lost; the bank may
 *   hold the client (the message says how to adopt it).
 * @throws {TransportError} `OBDCR_TRANSPORT`: TLS, connection or DNS failure after the retries.
 * @throws {TimeoutError} `OBDCR_TIMEOUT`: a call exceeded the transport's timeouts.
 * @throws {UnexpectedResponseError} `OBDCR_UNEXPECTED_RESPONSE`: a status, content type or body the
 *   spec does not allow (discovery, directory or bank).
 */
export async function createRegistration(
  input: RegistrationParamsInput,
  ctx: ObDcrContext = createContext(),
  opts: CreateOptions = {},
): Promise<RegistrationOutcome> {
  const p = await prepare(input, ctx, { fetch_ssa: true });
  const hint = p.bank_profile.client_id_hint ? (opts.client_id_hint ?? randomUUID()) : undefined;
  const subject = `${p.params.software?.software_id ?? "the software"} at ${untrustedText(new URL(p.registration_endpoint).host, 200)}`;
  const post = async (): Promise<RegistrationOutcome> => {
    const { body, content_type, requested } = await buildBody(p, ctx, hint);
    // The hint is not metadata: a bank that ignores it is not "substituting" client_id.
    delete requested.client_id;
    const res = await registrationRequest(
      ctx,
      p.registration_endpoint,
      body,
      content_type,
      p.tls,
      {},
      acceptOf(p),
      // A retry after a 503 or 429 signs a new request JWT: its jti is used once.
      async () => (await buildBody(p, ctx, hint)).body,
      p.sources.registration_endpoint,
    ).catch((e: unknown) => {
      // A 2xx whose body could not be read (over the size cap, cut off, past the deadline): the
      // bank probably created a client whose id we never saw. An unknown outcome, not a failure.
      const status = (e as { status?: unknown }).status;
      if (
        (e instanceof UnexpectedResponseError || e instanceof OutcomeUnknownError) &&
        typeof status === "number" &&
        status >= 200 &&
        status < 300
      )
        throw new OutcomeUnknownError(
          `registration of ${subject}: the bank answered HTTP ${status}, so it probably created a client, but its answer could not be read (${e.message}); no client_id could be read from it`,
          { cause: e, status, remedy: { kind: "adopt" } },
        );
      if (e instanceof OutcomeUnknownError)
        throw new OutcomeUnknownError(
          hint
            ? `registration of ${subject}: ${e.message}`
            : `the registration POST of ${subject} may have reached the bank, but no answer came back: ${e.message}. ` +
                "ob-dcr cannot find the client by itself: this bank is not declared to honour a client_id hint " +
                "(bank_profile.client_id_hint), and DCR offers no search",
          // No hint: the bank's portal is the only place to look.
          { cause: e, remedy: e.remedy ?? { kind: "adopt" } },
        );
      throw e;
    });
    const r = await processRegistrationResponse(res, {
      requested,
      bank_jwks: p.bank_jwks,
      signed: signedAnswerExpectation(p),
      rat_pair: ratPairEnforced(p.profile),
      registration_endpoint: p.registration_endpoint,
      allowed_origins: p.bank_profile.management.allowed_origins,
      policy: p.url_policy,
      subject,
    }).catch((e) => {
      throw explainRejection(p, e, "registration (POST)");
    });
    const missing = missingManagementCredentials(p.profile, r);
    if (missing.length > 0) {
      // The client exists at the bank: the error carries it, and whatever credential its answer did
      // hold, so that it is kept (a registration access token without its URI too), never orphaned.
      const rat = r.secrets.registration_access_token;
      throw new UnexpectedResponseError(
        `registration (POST): the bank registered client ${r.client_id} but its answer lacks ${missing.join(" and ")}, which ${p.profile.name} requires to read, update or delete it (RFC 7592); the client_id is kept${
          rat ? " with the registration access token the answer did carry" : ""
        }: ask the bank for ${rat ? "the client's registration_client_uri" : "its registration access token"} and adopt the client with it, or revoke the client in the bank's portal`,
        {
          status: res.status,
          client_id: r.client_id,
          salvaged: withoutUndefined({
            client_id: r.client_id,
            registration_access_token: rat,
            client_secret: r.secrets.client_secret,
            registration_client_uri: r.registration_client_uri,
          }),
        },
      );
    }
    const o = outcome(p, r, deviations(p, res, true));
    const honoured = hint !== undefined && r.client_id === hint;
    const unavailable = (res.retried_statuses ?? []).filter((s) => s === 503).length;
    return {
      ...o,
      ...(hint ? { client_id_hint: { sent: hint, honoured } } : {}),
      ...(unavailable > 0 && !honoured ? { unavailable_before: unavailable } : {}),
    };
  };
  return withSecretExpiry(await (hint ? postReconciled(p, hint, post, ctx) : post()), ctx.now());
}

/**
 * A refused POST/PUT, named by the input it is about (`rejectionField`). A regime that allows one
 * registration per software answers a second POST with a generic code (AU: invalid_client_metadata
 * or invalid_software_statement; BR: invalid_client_metadata or invalid_request): say so too.
 */
function explainRejection(p: Prepared, e: unknown, context: string): unknown {
  if (!(e instanceof RegistrationRejectedError) || e.field !== undefined || e.status === 401) return e;
  // 415: the bank does not take our request media type (a bank profile setting).
  const field = e.status === 415 ? "bank_profile.content_type" : rejectionField(e.error, e.error_description);
  let description = e.error_description;
  const duplicate =
    context.includes("POST") &&
    e.status === 400 &&
    p.bank_profile.refuses_duplicate_registration &&
    !!e.error &&
    p.bank_profile.duplicate_errors.includes(e.error) &&
    (field === undefined || field === "software.software_id");
  if (duplicate) {
    // Not an input to fix: the bank's other registration of this software is in the way.
    const sw = p.params.software?.software_id ?? "this software";
    description = `this bank allows one registration per software (${p.profile.name}) and refuses a second one with ${e.error}: if ${sw} is registered at this bank already, adopt that registration or delete it (the bank says: ${description ?? e.error})`;
    return new RegistrationRejectedError(e.status, e.error, description, context, { cause: e });
  }
  // The aud a bank refuses comes from an input: by default the bank's org id (a new user's typo in
  // bank.org_id, not a bank profile to change), or its issuer.
  const audFrom =
    field === "bank_profile.aud" && typeof p.bank_profile.aud === "string"
      ? p.bank_profile.aud === "org_id"
        ? "bank.org_id"
        : "bank.issuer"
      : undefined;
  if (audFrom) {
    description = `${description ?? e.error ?? ""} (fix ${audFrom}, which the request sends as aud; or bank_profile.aud if this bank expects another aud)`;
    return new RegistrationRejectedError(e.status, e.error, description, context, {
      cause: e,
      field: audFrom,
      checks: ["bank_profile.aud"],
      remedy: { kind: "fix-input", field: audFrom },
    });
  }
  if (field) description = `${description ?? e.error ?? ""} (fix ${field})`;
  if (!field && !duplicate) return e;
  return new RegistrationRejectedError(e.status, e.error, description, context, {
    cause: e,
    field,
    remedy: field ? { kind: "fix-input", field } : undefined,
  });
}

/**
 * GET the registration. Throws RegistrationGoneError when the bank says it is unknown/deleted.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT`: invalid params or state (`field` names it).
 * @throws {RegistrationGoneError} `OBDCR_REGISTRATION_GONE`: the bank answered with a status its
 *   profile declares as gone.
 * @throws {GoneUnconfirmedError} `OBDCR_GONE_UNCONFIRMED`: an ambiguous answer (`invalid_client`,
 *   a possibly rotated registration access token); the registration may still exist.
 * @throws {NotSupportedError} `OBDCR_NOT_SUPPORTED`: the bank offers no GET (`bankProfile.supports.read`).
 * @throws {TransportError} `OBDCR_TRANSPORT`: TLS, connection or DNS failure after the retries.
 * @throws {TimeoutError} `OBDCR_TIMEOUT`: a call exceeded the transport's timeouts.
 * @throws {UnexpectedResponseError} `OBDCR_UNEXPECTED_RESPONSE`: a status, content type or body the
 *   spec does not allow (discovery, directory or bank).
 */
export async function readRegistration(
  input: RegistrationParamsInput,
  stateInput: RegistrationStateInput,
  ctx: ObDcrContext = createContext(),
  opts: ManagementOptions = {},
): Promise<RegistrationOutcome> {
  const { p, state, uri, source } = await prepareManagement(input, stateInput, ctx, "read");
  const r = await withManagementAuth(
    p,
    state,
    ctx,
    async (t) =>
      processReadRegistrationResponse(
        await readRegistrationRequest(ctx, uri, t, p.tls, acceptOf(p), source),
        {
          bank_jwks: p.bank_jwks,
          signed: signedAnswerExpectation(p, state.client_id),
          gone_statuses: p.gone_statuses,
          client_id: state.client_id,
        },
      ),
    opts,
  ).catch((e) => explainAmbiguous(p, state, ctx, e, opts));
  return withSecretExpiry(keepSecrets(p, state, r), ctx.now());
}

/**
 * PUT the full claim set with client_id (fresh SSA). Keeps a rotated registration access token.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT`: invalid params, state or material, or a check
 *   fails before sending (`field` names the input).
 * @throws {SsaInvalidError} `OBDCR_SSA_INVALID`: the fresh SSA does not verify or fit.
 * @throws {RegistrationRejectedError} `OBDCR_REGISTRATION_REJECTED`: the directory or the bank
 *   refused (`error`, and the field when known).
 * @throws {RegistrationGoneError} `OBDCR_REGISTRATION_GONE`: the bank does not know the client.
 * @throws {GoneUnconfirmedError} `OBDCR_GONE_UNCONFIRMED`: an ambiguous answer; the registration may
 *   still exist.
 * @throws {NotSupportedError} `OBDCR_NOT_SUPPORTED`: the bank offers no PUT (`bankProfile.supports.update`).
 * @throws {TransportError} `OBDCR_TRANSPORT`: TLS, connection or DNS failure after the retries.
 * @throws {TimeoutError} `OBDCR_TIMEOUT`: a call exceeded the transport's timeouts.
 * @throws {UnexpectedResponseError} `OBDCR_UNEXPECTED_RESPONSE`: a status, content type or body the
 *   spec does not allow (discovery, directory or bank).
 */
export async function updateRegistration(
  input: RegistrationParamsInput,
  stateInput: RegistrationStateInput,
  ctx: ObDcrContext = createContext(),
  opts: ManagementOptions = {},
): Promise<RegistrationOutcome> {
  const { p, state, uri, source } = await prepareManagement(input, stateInput, ctx, "update");
  const { body, content_type, requested } = await buildBody(p, ctx, state.client_id);
  const r = await withManagementAuth(
    p,
    state,
    ctx,
    async (t) =>
      processUpdateRegistrationResponse(
        await updateRegistrationRequest(
          ctx,
          uri,
          t,
          body,
          content_type,
          p.tls,
          acceptOf(p),
          async () => (await buildBody(p, ctx, state.client_id)).body,
          source,
        ),
        {
          requested,
          bank_jwks: p.bank_jwks,
          signed: signedAnswerExpectation(p, state.client_id),
          gone_statuses: p.gone_statuses,
          not_supported: portalRemedy("update", state.client_id),
          client_id: state.client_id,
        },
      ),
    opts,
  )
    .catch((e) => {
      throw explainRejection(p, e, "registration update (PUT)");
    })
    .catch((e) => explainAmbiguous(p, state, ctx, e, opts));
  return withSecretExpiry(keepSecrets(p, state, r, "update"), ctx.now());
}

/**
 * DELETE the registration. Returns "gone" when the bank already does not know it, "accepted" when
 * it answered 202 (taken on, not said to be done: counted as deleted, for the caller to say so).
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT`: invalid params or state (`field` names it).
 * @throws {NotSupportedError} `OBDCR_NOT_SUPPORTED`: the bank offers no DELETE (405, or
 *   `bankProfile.supports.delete` false); `remedy` says to revoke it in the bank's portal.
 * @throws {GoneUnconfirmedError} `OBDCR_GONE_UNCONFIRMED`: an ambiguous answer; nothing is assumed deleted.
 * @throws {RegistrationRejectedError} `OBDCR_REGISTRATION_REJECTED`: the bank refused the DELETE.
 * @throws {TransportError} `OBDCR_TRANSPORT`: TLS, connection or DNS failure after the retries.
 * @throws {TimeoutError} `OBDCR_TIMEOUT`: a call exceeded the transport's timeouts.
 * @throws {UnexpectedResponseError} `OBDCR_UNEXPECTED_RESPONSE`: a status, content type or body the
 *   spec does not allow (discovery, directory or bank).
 */
export async function deleteRegistration(
  input: RegistrationParamsInput,
  stateInput: RegistrationStateInput,
  ctx: ObDcrContext = createContext(),
  opts: ManagementOptions = {},
): Promise<"deleted" | "accepted" | "gone"> {
  return (await deleteRegistrationOutcome(input, stateInput, ctx, opts)).result;
}

/** `deleteRegistration`, and for "gone" the bank's answer that said so (for each face to show). */
export async function deleteRegistrationOutcome(
  input: RegistrationParamsInput,
  stateInput: RegistrationStateInput,
  ctx: ObDcrContext = createContext(),
  opts: ManagementOptions = {},
): Promise<{ result: "deleted" | "accepted" | "gone"; detail?: string | undefined }> {
  const { p, state, uri, source } = await prepareManagement(input, stateInput, ctx, "delete");
  const del = (c: ObDcrContext, lost_before = 0) =>
    withManagementAuth(
      p,
      state,
      c,
      async (t) =>
        processDeleteRegistrationResponse(
          await deleteRegistrationRequest(c, uri, t, p.tls, acceptOf(p), lost_before, source),
          {
            gone_statuses: p.gone_statuses,
            not_supported: portalRemedy("delete", state.client_id),
            client_id: state.client_id,
          },
        ),
      opts,
    ).catch((e) => explainAmbiguous(p, state, c, e, opts));
  let result: "deleted" | "accepted";
  try {
    result = await del(ctx).catch((e: unknown) => {
      // A Cancel cut the DELETE short after it was sent: its answer is lost. Settled as after a
      // lost answer (the DELETE again: a client already deleted is answered "gone"), within the grace.
      if (e instanceof InterruptedError && e.in_flight?.method === "DELETE") return del(settling(ctx), 1);
      throw e;
    });
  } catch (e) {
    if (e instanceof RegistrationGoneError) return { result: "gone", detail: e.message };
    throw e;
  }
  if (managementStyle(p, state) === "obie" && p.token_endpoint)
    evictManagementToken(ctx, {
      token_endpoint: p.token_endpoint,
      client_id: state.client_id,
      scope: p.bank_profile.management.scope,
    });
  // 202: the bank took the DELETE on and did not say it is done. Asking again (GET) would prove
  // nothing (a client being deleted may still answer 200), and the bank has it in hand: counted as
  // deleted, and said so ("accepted"), so that each face tells its user.
  return { result };
}

/**
 * Refuse a signing key that the directory does not publish under its kid (before a rotation is
 * applied). Uses the recorded `software_jwks_endpoint`, else the SSA's. Returns false when nothing
 * publishes this software's keys (no directory): there is nothing to check against.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT` (field `signingKey`): the directory does not
 *   publish this key under its kid, or the params are invalid.
 * @throws {SsaInvalidError} `OBDCR_SSA_INVALID`: the SSA naming the JWKS does not verify.
 * @throws {TransportError} `OBDCR_TRANSPORT`: TLS, connection or DNS failure after the retries.
 * @throws {TimeoutError} `OBDCR_TIMEOUT`: a call exceeded the transport's timeouts.
 * @throws {UnexpectedResponseError} `OBDCR_UNEXPECTED_RESPONSE`: a status, content type or body the
 *   spec does not allow (discovery, directory or bank).
 */
export async function checkSigningKeyPublished(
  input: RegistrationParamsInput,
  ctx: ObDcrContext = createContext(),
  opts: { software_jwks_endpoint?: string | undefined } = {},
): Promise<boolean> {
  // No discovery: a rotation that sends nothing to the bank asks it nothing either.
  const params = parseRegistrationParams(input);
  const t = params.transport;
  const key = await signerFor(params.signing_key, ctx);
  const p = { params, key, identity: await signingKeyIdentity(key), tls: tlsMaterialOf(t) };
  let uri = opts.software_jwks_endpoint ?? params.directory?.software_jwks_endpoint;
  let revoked: string | undefined;
  if (!uri && p.params.directory && p.params.software) {
    const { claims } = await obtainSsa(p, ctx);
    uri = claims?.jwks_uri;
    revoked = claims?.jwks_revoked_uri;
  }
  if (!uri) return false;
  await assertKeyPublished(ctx, uri, p.tls, p.identity, revoked, softwareJwksFrom(params, uri));
  return true;
}
