/**
 * Authentication of GET/PUT/DELETE /register/{client_id}: a registration access token (RFC 7592)
 * or an OBIE client_credentials token; and the answer to an ambiguous refusal (our side checked).
 */

import { softwareJwksFrom } from "../core/directory/resolve.js";
import {
  GoneUnconfirmedError,
  InterruptedError,
  InvalidInputError,
  invalidInputFromZod,
  NotSupportedError,
  ObDcrError,
  RegistrationGoneError,
  RegistrationRejectedError,
  type Remedy,
  SignerError,
} from "../core/errors.js";
import { managementStyle, managementUri } from "../core/policy/plan.js";
import {
  type RegistrationParamsInput,
  RegistrationState,
  type RegistrationStateInput,
} from "../core/schemas/params.js";
import { isoTime } from "../core/time.js";
import { rememberSecret } from "../core/untrusted.js";
import {
  managementUriProblem,
  sameHost,
  UnsafeUrlError,
  type UrlSource,
} from "../core/validate/url_policy.js";
import type { ObDcrContext } from "../http/context.js";
import { evictManagementToken, getManagementToken } from "../http/management.js";
import { checkOwnSide } from "../http/own_side.js";
import { type ManagementOptions, secretExpired } from "./outcome.js";
import { obtainSsa, type Prepared, prepare } from "./prepare.js";

export function ownSideInput(p: Prepared, ctx: ObDcrContext, software_jwks_endpoint: string | undefined) {
  return {
    key: p.identity,
    tls: p.tls,
    software_jwks_endpoint: software_jwks_endpoint ?? p.ssa_claims?.jwks_uri,
    ssa_claims:
      p.params.directory && p.params.software
        ? async () => ({ software_jwks_endpoint: (await obtainSsa(p, ctx)).claims?.jwks_uri })
        : undefined,
    jwks_from: (uri: string) => softwareJwksFrom(p.params, uri),
    now: ctx.now(),
  };
}

/** The case an ambiguous `invalid_client` most often is, and how to tell it from a deletion. */
export const STALE_KEYS =
  "a bank that still holds an old copy of our keys (it caches the software JWKS, often for hours) answers invalid_client " +
  "just as it does for a deleted client, for a while after a signing key rotation. If the signing key changed recently, " +
  "wait for the bank to fetch the directory's JWKS again (or ask it to) and run again; to tell the two apart, look the " +
  "client up in the bank's developer portal (a deleted client is not listed).";

/**
 * Why a bank refuses the management token of a client whose signing key changed alg, and the two
 * steps that change it: the bank checks the client assertion against the alg it holds (OIDC Core
 * §9, `token_endpoint_auth_signing_alg`), so the new key cannot authorise the PUT that would
 * register the new alg.
 */
export function algChangeWords(registered: string, next: string): string {
  return (
    `the bank holds token_endpoint_auth_signing_alg ${registered} for this client and refuses a token request whose ` +
    `client assertion is signed in ${next}, the alg of the signing key configured now, so the update that would register ` +
    `${next} cannot be sent with that key. Change the alg in two steps: with the ${registered} key still configured, set ` +
    `the client's token_endpoint_auth_signing_alg (tokenEndpointAuthSigningAlg in a Pulumi program) to ${next} and update (the PUT, authorised with the ${registered} key, registers ` +
    `${next}); then configure the ${next} key and update again (docs/rotation.md)`
  );
}

/**
 * An ambiguous refusal (`invalid_client` at the bank's token endpoint). Gone only when the caller
 * confirms it; otherwise check our own side, so that the error says which side is wrong.
 */
export async function explainAmbiguous(
  p: Prepared,
  state: RegistrationState,
  ctx: ObDcrContext,
  e: unknown,
  opts: ManagementOptions,
): Promise<never> {
  if (!(e instanceof GoneUnconfirmedError)) throw e;
  const status = e.ambiguity === "not_oauth_404" ? 404 : 401;
  // The bank's token endpoint has just authenticated the client: it is not deleted, whatever the
  // caller confirmed. Dropping it would leave a live client (with live credentials) at the bank.
  if (opts.confirm_gone && e.ambiguity === "superseded_token")
    throw new GoneUnconfirmedError(
      state.client_id,
      `${e.message}. The caller confirmed that the bank deleted client ${state.client_id}, but the bank still authenticates it, ` +
        "so the confirmation is not applied: dropping the client would leave it live at the bank with no state naming it",
      {
        cause: e,
        ambiguity: e.ambiguity,
        remedy: { kind: "adopt-current-token", client_id: state.client_id, deletion: "refuted" },
      },
    );
  if (opts.confirm_gone)
    throw new RegistrationGoneError(status, `${e.message}; counted as deleted, as the caller confirmed`, {
      cause: e,
    });
  // A 404 that is no OAuth error is not about our keys: only the bank can say the client is gone.
  if (e.ambiguity === "not_oauth_404")
    throw new GoneUnconfirmedError(
      state.client_id,
      `${e.message}. Confirm a deletion only when the bank confirms it (a deleted client is not listed in its developer portal)`,
      { cause: e, ambiguity: e.ambiguity, remedy: { kind: "confirm-gone", client_id: state.client_id } },
    );
  // A refused registration access token: the bank still authenticates the client (our side is
  // fine, only the token is stale), or it may have rotated the token in an answer we lost. Neither
  // is about our keys: checking them, or the stale-key advice, would only mislead.
  if (e.ambiguity === "superseded_token" || e.ambiguity === "rotated_token") throw e;
  const alg = p.identity.alg;
  if (
    opts.registered_auth_alg &&
    opts.registered_auth_alg !== alg &&
    p.params.client.token_endpoint_auth_method === "private_key_jwt" &&
    managementStyle(p, state) === "obie"
  ) {
    const check = { field: "signing_key", ok: false, detail: algChangeWords(opts.registered_auth_alg, alg) };
    throw new GoneUnconfirmedError(
      state.client_id,
      `${e.message}. Our side is wrong: signing_key: ${check.detail}`,
      {
        cause: e,
        field: "signing_key",
        checks: [check],
        remedy: { kind: "fix-input", field: "signing_key" },
      },
    );
  }
  // A client secret past its expiry is refused as invalid_client too (RFC 7591 §3.2.1): the likely
  // cause, named before our keys are checked, for it is no deletion either.
  const expiresAt = opts.client_secret_expires_at;
  if (
    secretExpired(expiresAt, ctx.now()) &&
    state.secrets.client_secret !== undefined &&
    p.params.client.token_endpoint_auth_method.startsWith("client_secret")
  )
    throw new GoneUnconfirmedError(
      state.client_id,
      `${e.message}. The client secret expired at ${isoTime(expiresAt as number)} (client_secret_expires_at ${expiresAt}, as the bank answered): a bank refuses an expired secret with invalid_client, which is the likely cause, not a deletion`,
      { cause: e, remedy: { kind: "renew-secret", client_id: state.client_id } },
    );
  const checks = await checkOwnSide(ctx, ownSideInput(p, ctx, opts.software_jwks_endpoint));
  const bad = checks.find((c) => !c.ok);
  const message = bad
    ? `${e.message}. Our side is wrong: ${bad.field}: ${bad.detail}`
    : `${e.message}. Our side checks out (${checks.map((c) => c.detail).join("; ")}), which does not mean the client is gone: ${STALE_KEYS} Confirm a deletion only when the bank confirms it`;
  // Fix our side when a check found it wrong; else only the caller can confirm the deletion.
  const remedy = bad
    ? ({ kind: "fix-input", field: bad.field } as const)
    : ({ kind: "confirm-gone", client_id: state.client_id } as const);
  throw new GoneUnconfirmedError(state.client_id, message, { cause: e, field: bad?.field, checks, remedy });
}

/**
 * The state a GET, PUT or DELETE starts from. Its secrets are remembered for scrubbing at once: in
 * a new process (a Pulumi refresh or destroy, the CLI's next step) the client secret comes from the
 * state alone, and RFC 7592 management never sends it, so a bank's text that quoted it was printed.
 */
export function parseState(s: RegistrationStateInput): RegistrationState {
  const r = RegistrationState.safeParse(s);
  if (!r.success) throw invalidInputFromZod("state", r.error);
  rememberSecret(r.data.secrets.client_secret);
  rememberSecret(r.data.secrets.registration_access_token);
  return r.data;
}

function managementTokenInput(p: Prepared, state: RegistrationState, token_endpoint: string) {
  return {
    token_endpoint,
    token_endpoint_source: p.sources.token_endpoint,
    client_id: state.client_id,
    auth_method: p.params.client.token_endpoint_auth_method,
    scope: p.bank_profile.management.scope,
    key: p.key,
    client_secret: state.secrets.client_secret,
    tls: p.tls,
    invalid_client_is_gone: p.bank_profile.management.invalid_client_is_gone,
  };
}

/** The client authentications `getManagementToken` asks a token with. */
const PROBED_AUTH: ReadonlySet<string> = new Set([
  "private_key_jwt",
  "tls_client_auth",
  "client_secret_basic",
  "client_secret_post",
]);

/** What the bank's token endpoint says of a client whose registration access token it refused. */
type ClientProbe = { kind: "authenticated" } | { kind: "refused" } | { kind: "inconclusive"; detail: string };

/**
 * Ask the bank's token endpoint for a client_credentials token as the client itself (its own
 * authentication, the profile's management scope): the same request as OBIE-style management, sent
 * once. The token is dropped at once: it only says whether the bank still knows the client.
 */
async function probeClient(p: Prepared, state: RegistrationState, ctx: ObDcrContext): Promise<ClientProbe> {
  if (!p.token_endpoint) return { kind: "inconclusive", detail: "the bank publishes no token endpoint" };
  const ti = managementTokenInput(p, state, p.token_endpoint);
  // A client that authenticates in a way ob-dcr cannot ask a token with (none, client_secret_jwt):
  // the endpoint cannot be asked, which is no fault of the inputs.
  if (!PROBED_AUTH.has(ti.auth_method))
    return {
      kind: "inconclusive",
      detail: `the client authenticates with ${ti.auth_method}, which ob-dcr does not ask a token with`,
    };
  // A token cached earlier in this process says nothing of the client now.
  evictManagementToken(ctx, ti);
  try {
    await getManagementToken(ctx, ti);
    return { kind: "authenticated" };
  } catch (e) {
    // invalid_client (either way the profile words it): the client does not authenticate.
    if (e instanceof GoneUnconfirmedError || e instanceof RegistrationGoneError) return { kind: "refused" };
    // RFC 6749 §5.2: unauthorized_client is said to an authenticated client (a grant it may not use).
    if (e instanceof RegistrationRejectedError && e.error === "unauthorized_client")
      return { kind: "authenticated" };
    // Not a bank's answer (a bug): fail the call, which drops nothing, rather than hide it.
    if (!(e instanceof ObDcrError)) throw e;
    // No word from the bank either, and taking it as inconclusive dropped a live client (the 401
    // as gone): the run's Cancel cut the check short (the user's Ctrl-C), or our side could not
    // ask (the signing key did not sign: an HSM or KMS down; no stored client secret). Fail the
    // call, naming what to fix; nothing is dropped.
    if (e instanceof InterruptedError || e instanceof SignerError || e instanceof InvalidInputError) throw e;
    return { kind: "inconclusive", detail: `${e.code}: ${e.message}` };
  } finally {
    evictManagementToken(ctx, ti);
  }
}

/**
 * A 401 for the stored registration access token: a deleted client, or a token the bank superseded
 * in an answer never saved (a forced stop mid-update, a rotation outside ob-dcr). The bank's token
 * endpoint tells the two apart: it still authenticates a client that lives.
 */
async function goneOrSuperseded(
  p: Prepared,
  state: RegistrationState,
  ctx: ObDcrContext,
  e: RegistrationGoneError,
  token_given: boolean | undefined,
): Promise<never> {
  const id = state.client_id;
  const probe = await probeClient(p, state, ctx);
  if (probe.kind === "authenticated")
    throw new GoneUnconfirmedError(
      id,
      `the bank refused the ${token_given ? "given" : "stored"} registration access token (HTTP 401), but its token endpoint still authenticates client ${id} ` +
        `(a client_credentials request with the client's own authentication, ${p.params.client.token_endpoint_auth_method}, was not refused): ` +
        "the client lives and the bank superseded the token with one no state holds (an update whose answer was never " +
        "saved, such as a forced stop mid-update, or a token rotated outside ob-dcr)",
      { cause: e, ambiguity: "superseded_token", remedy: { kind: "adopt-current-token", client_id: id } },
    );
  const why =
    probe.kind === "refused"
      ? `the bank's token endpoint refuses client ${id} too (invalid_client)`
      : `asking the bank's token endpoint whether it still authenticates client ${id} was inconclusive (${probe.detail}), so the 401 is taken as the bank's word`;
  throw new RegistrationGoneError(e.status, `${e.message}; ${why}`, {
    cause: e,
    lost_attempts: e.lost_attempts,
  });
}

/** Run a management call with the right bearer; on a gone status with an OBIE token retry once with a fresh token. */
export async function withManagementAuth<T>(
  p: Prepared,
  state: RegistrationState,
  ctx: ObDcrContext,
  call: (token: string) => Promise<T>,
  opts: Pick<ManagementOptions, "token_unconfirmed" | "token_given"> = {},
): Promise<T> {
  if (managementStyle(p, state) === "rfc7592") {
    const rat = state.secrets.registration_access_token;
    if (!rat)
      throw new InvalidInputError(
        "state.secrets.registration_access_token",
        "is required for RFC 7592 management (keep the one returned at registration or the last update)",
      );
    try {
      return await call(rat);
    } catch (e) {
      if (!(e instanceof RegistrationGoneError) || e.status !== 401) throw e;
      // The token may have been rotated in an answer we lost, or the client deleted: adopt the
      // bank's current token, or confirm the deletion.
      const rotated = {
        kind: "adopt-current-token",
        client_id: state.client_id,
        deletion: "possible",
      } as const;
      // An attempt whose answer was lost reached the bank: a bank may hand out a new token on any
      // call (RFC 7592 §2.1, §2.2), so the retry's 401 for the old one does not say "deleted".
      if (e.lost_attempts > 0)
        throw new GoneUnconfirmedError(
          state.client_id,
          `the bank refused the registration access token (HTTP 401) on a retry: an earlier attempt of the same call reached the bank but its answer was lost (a reset or a timeout), and a bank that hands out a new token on any call (RFC 7592 §2.1, §2.2) would have sent it in that answer; the client may live on with a token no state holds: ask the bank for the client's current registration access token and adopt it (if it does, declare bank_profile.management.rat_may_rotate)`,
          { cause: e, ambiguity: "rotated_token", remedy: rotated },
        );
      if (opts.token_unconfirmed)
        throw new GoneUnconfirmedError(
          state.client_id,
          "the bank refused the registration access token (HTTP 401): it deleted the client, or it " +
            "applied an earlier update whose answer was lost and handed out a new token in that answer " +
            "(RFC 7592 §2.2); ask the bank for the client's current registration access token and adopt it",
          { cause: e, ambiguity: "rotated_token", remedy: rotated },
        );
      if (p.bank_profile.management.rat_may_rotate)
        throw new GoneUnconfirmedError(
          state.client_id,
          "the bank refused the registration access token (HTTP 401): it deleted the client, or it " +
            "superseded the token with a newer one on an earlier call whose answer was never saved " +
            "(`pulumi preview --refresh`, the preview of `pulumi refresh`, an interrupted run); ask the bank for " +
            "the client's current registration access token and adopt it",
          { cause: e, ambiguity: "rotated_token", remedy: rotated },
        );
      return await goneOrSuperseded(p, state, ctx, e, opts.token_given);
    }
  }
  if (!p.token_endpoint)
    throw new InvalidInputError("bank.token_endpoint", "is needed for OBIE-style management");
  const ti = managementTokenInput(p, state, p.token_endpoint);
  const token = await getManagementToken(ctx, ti);
  try {
    return await call(token);
  } catch (e) {
    if (e instanceof RegistrationRejectedError && e.error === "insufficient_scope")
      throw new RegistrationRejectedError(
        e.status,
        e.error,
        `${e.error_description ?? "the management token's scope is not enough"}; the token was asked for scope ${ti.scope ?? "(none)"} (fix bank_profile.management.scope)`,
        "registration management",
        {
          cause: e,
          field: "bank_profile.management.scope",
          remedy: { kind: "fix-input", field: "bank_profile.management.scope" },
        },
      );
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
      if (!(e2 instanceof RegistrationGoneError)) throw e2;
      evictManagementToken(ctx, ti);
      // The token endpoint has just issued a token for this client: it knows it. A "gone" from the
      // registration endpoint then disagrees with it (a wrong management style or scope, a token the
      // endpoint does not take) and is not enough to drop a registration the bank may still hold.
      throw new GoneUnconfirmedError(
        state.client_id,
        `the bank's token endpoint issued a management token for client ${state.client_id}, yet its registration endpoint answered HTTP ${e2.status} as for an unknown client: the two disagree, so the client is not taken as deleted (check bank_profile.management.style and .scope)`,
        { cause: e2 },
      );
    }
  }
}

/** Where a change the bank's API does not offer is made instead (no PUT, no DELETE: its portal). */
export function portalRemedy(op: "read" | "update" | "delete", client_id: string): Remedy | undefined {
  if (op === "update") return { kind: "update-in-portal", client_id };
  if (op === "delete") return { kind: "revoke-in-portal", client_id };
  return undefined;
}

/** What GET, PUT and DELETE share: parameters, state, the bank offering the call, the URI. */
export async function prepareManagement(
  input: RegistrationParamsInput,
  stateInput: RegistrationStateInput,
  ctx: ObDcrContext,
  op: "read" | "update" | "delete",
): Promise<{ p: Prepared; state: RegistrationState; uri: string; source: UrlSource | undefined }> {
  const state = parseState(stateInput);
  const p = await prepare(input, ctx);
  if (!p.bank_profile.supports[op]) {
    const method = { read: "GET", update: "PUT", delete: "DELETE" }[op];
    throw new NotSupportedError(
      `this bank does not offer ${method} /register/{client_id} for client ${state.client_id} (bank_profile.supports.${op} = false from ${p.bank_profile.origins[`supports.${op}`].from})`,
      { remedy: portalRemedy(op, state.client_id) },
    );
  }
  const rcu = state.registration_client_uri;
  const problem =
    rcu === undefined
      ? undefined
      : managementUriProblem(
          rcu,
          p.registration_endpoint,
          p.bank_profile.management.allowed_origins,
          p.url_policy,
        );
  // Checked before any credential is sent: state written by an earlier version may hold any URI.
  if (problem)
    throw new UnsafeUrlError(
      "registration_client_uri",
      `client ${state.client_id}: the recorded registration_client_uri ${problem}; nothing was sent`,
    );
  const uri = managementUri(p, state.client_id, rcu);
  return { p, state, uri, source: managementSource(p, uri) };
}

/**
 * Where a management URI came from, for the check at connect: on the registration endpoint's host,
 * the registration endpoint's source (the discovery document that named that host); elsewhere it is
 * on an origin the user allowed (`management.allowed_origins`), the user's.
 */
export function managementSource(p: Prepared, uri: string): UrlSource | undefined {
  const reg = p.sources.registration_endpoint;
  if (!reg || !sameHost(uri, p.registration_endpoint)) return undefined;
  return { field: "registration_client_uri", from_url: reg.from_url };
}
