/**
 * The lifecycle in the core's own shapes (snake_case parameters, `ManagedState`): what the CLI calls,
 * with the same decisions the Pulumi adapters make — a stable client_id hint on create, a new
 * signing key checked against the directory before anything reaches the bank, a rotated
 * registration access token kept, the same errors and remedies.
 */
import { z } from "zod";
import { SigningKeyIdentity, signingKeyIdentity } from "../core/material.js";
import {
  parseRegistrationParams,
  type RegistrationParamsInput,
  RegistrationState,
} from "../core/schemas/params.js";
import type { ObDcrContext } from "../http/context.js";
import { signerFor } from "../signers/index.js";
import { uuidFrom } from "./hint.js";
import {
  checkSigningKeyPublished,
  createRegistration,
  deleteRegistrationOutcome,
  type ManagementOptions,
  type RegistrationOutcome,
  readRegistration,
  updateRegistration,
} from "./registration.js";

/**
 * What manages a registration after create: the lifecycle's `RegistrationState` plus the identity
 * of the signing key last sent to the bank and where the directory publishes it, so that a later
 * call tells a rotation (check the new key is published, then send) from an unchanged key.
 */
export const ManagedState = RegistrationState.extend({
  signing_key_identity: SigningKeyIdentity.optional(),
  software_jwks_endpoint: z.string().optional(),
  /** The assertion alg the bank registered (its answer): a rotation to another alg is told apart. */
  token_endpoint_auth_signing_alg: z.string().optional(),
  /** An update's answer was lost: the stored registration access token may be superseded (`tokenUnconfirmedAfter`). */
  token_unconfirmed: z.boolean().optional(),
  /**
   * When the bank said the client secret expires (RFC 7591 §3.2.1 `client_secret_expires_at`,
   * seconds; 0 = never): a refusal after it is named as a likely cause.
   */
  client_secret_expires_at: z.number().optional(),
});
export type ManagedState = z.infer<typeof ManagedState>;

/** The lifecycle's own state (what the four verbs take) from a managed one. */
const core = (s: ManagedState): RegistrationState => ({
  client_id: s.client_id,
  ...(s.registration_client_uri ? { registration_client_uri: s.registration_client_uri } : {}),
  secrets: s.secrets,
});

/** What the state recorded that explains a bank's refusal (where our keys are, the alg it holds). */
const managementOptionsOf = (s: ManagedState): ManagementOptions => ({
  software_jwks_endpoint: s.software_jwks_endpoint,
  registered_auth_alg: s.token_endpoint_auth_signing_alg ?? s.signing_key_identity?.alg,
  token_unconfirmed: s.token_unconfirmed,
  client_secret_expires_at: s.client_secret_expires_at,
});

/** JWS algorithm names (RFC 7518 §3.1, RFC 8037, RFC 8812): what a bank may say it registered. */
const JWS_ALGS = new Set([
  ...["HS", "RS", "ES", "PS"].flatMap((f) => ["256", "384", "512"].map((n) => `${f}${n}`)),
  "EdDSA",
  "ES256K",
]);

/** The state to keep after a create, read or update (a rotated token replaces the old one). */
export async function managedStateOf(
  o: RegistrationOutcome,
  params: RegistrationParamsInput,
  ctx: ObDcrContext,
  before?: ManagedState,
): Promise<ManagedState> {
  const p = parseRegistrationParams(params);
  const answered = o.metadata.token_endpoint_auth_signing_alg;
  // Bank text recorded in plain (the state file, outside `secrets`): an alg name, or nothing.
  const registeredAlg =
    typeof answered === "string" && JWS_ALGS.has(answered)
      ? answered
      : before?.token_endpoint_auth_signing_alg;
  // The answer's expiry, else the one recorded with the secret (a GET need not repeat it).
  const secretExpiresAt = o.client_secret_expires_at ?? before?.client_secret_expires_at;
  return {
    client_id: o.client_id,
    ...(o.registration_client_uri ? { registration_client_uri: o.registration_client_uri } : {}),
    secrets: Object.fromEntries(Object.entries(o.secrets).filter(([, v]) => v !== undefined)),
    signing_key_identity: await signingKeyIdentity(await signerFor(p.signing_key, ctx)),
    ...((o.software_jwks_endpoint ?? before?.software_jwks_endpoint)
      ? { software_jwks_endpoint: o.software_jwks_endpoint ?? before?.software_jwks_endpoint }
      : {}),
    ...(registeredAlg ? { token_endpoint_auth_signing_alg: registeredAlg } : {}),
    ...(secretExpiresAt !== undefined ? { client_secret_expires_at: secretExpiresAt } : {}),
  };
}

/** The management credentials a bank may hand out anew on any call (RFC 7592 §2.1, §2.2). */
const ROTATABLE = ["registration_access_token", "client_secret"] as const;
export type RotatedCredential = (typeof ROTATABLE)[number];

/**
 * The credentials the bank replaced between two states (a GET or a PUT answer with a new
 * registration access token or client secret): RFC 7592 §2.1 says the client MUST discard the old
 * one at once, so whichever changed must be written back before anything else.
 */
export function rotatedCredentials(before: ManagedState, after: ManagedState): RotatedCredential[] {
  return ROTATABLE.filter((k) => after.secrets[k] !== undefined && after.secrets[k] !== before.secrets[k]);
}

/**
 * The client_id hint a CLI create proposes (to a bank that honours one): stable for one software at
 * one bank kept in one state file, so a run that died after the bank committed is found next time.
 */
export function cliClientIdHint(params: RegistrationParamsInput, state_file: string | undefined): string {
  const p = parseRegistrationParams(params);
  const bank = p.bank.registration_endpoint ?? p.bank.discovery_url ?? "";
  return uuidFrom(
    `cli|${p.software?.org_id ?? ""}|${p.software?.software_id ?? ""}|${bank}|${state_file ?? ""}`,
  );
}

/**
 * Before a call that signs with the signing key: a key other than the recorded one must be published
 * by the directory under its kid (else the bank's refusal would be ours, not the bank's say).
 * Throws InvalidInputError (`signing_key`, fix-input) before anything is sent to the bank.
 */
export async function checkRotatedSigningKey(
  params: RegistrationParamsInput,
  state: ManagedState,
  ctx: ObDcrContext,
): Promise<void> {
  const recorded = state.signing_key_identity;
  if (!recorded) return; // state from before identities were recorded: nothing to compare
  const now = await signingKeyIdentity(await signerFor(parseRegistrationParams(params).signing_key, ctx));
  if (now.thumbprint === recorded.thumbprint && now.kid === recorded.kid) return;
  await checkSigningKeyPublished(params, ctx, { software_jwks_endpoint: state.software_jwks_endpoint });
}

export async function create(
  params: RegistrationParamsInput,
  ctx: ObDcrContext,
  o: { state_file?: string | undefined } = {},
): Promise<{ outcome: RegistrationOutcome; state: ManagedState }> {
  const outcome = await createRegistration(params, ctx, {
    client_id_hint: cliClientIdHint(params, o.state_file),
  });
  return { outcome, state: await managedStateOf(outcome, params, ctx) };
}

export async function read(
  params: RegistrationParamsInput,
  state: ManagedState,
  ctx: ObDcrContext,
  o: ManagementOptions = {},
): Promise<{ outcome: RegistrationOutcome; state: ManagedState }> {
  await checkRotatedSigningKey(params, state, ctx);
  const outcome = await readRegistration(params, core(state), ctx, { ...managementOptionsOf(state), ...o });
  return { outcome, state: await managedStateOf(outcome, params, ctx, state) };
}

export async function update(
  params: RegistrationParamsInput,
  state: ManagedState,
  ctx: ObDcrContext,
): Promise<{ outcome: RegistrationOutcome; state: ManagedState }> {
  await checkRotatedSigningKey(params, state, ctx);
  const outcome = await updateRegistration(params, core(state), ctx, managementOptionsOf(state));
  return { outcome, state: await managedStateOf(outcome, params, ctx, state) };
}

export async function remove(
  params: RegistrationParamsInput,
  state: ManagedState,
  ctx: ObDcrContext,
  o: ManagementOptions = {},
): Promise<{ result: "deleted" | "accepted" | "gone"; detail?: string | undefined }> {
  await checkRotatedSigningKey(params, state, ctx);
  return deleteRegistrationOutcome(params, core(state), ctx, { ...managementOptionsOf(state), ...o });
}
