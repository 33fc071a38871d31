import { softwareJwksFrom } from "../core/directory/resolve.js";
import {
  InvalidInputError,
  NotSupportedError,
  OBDCR_NOT_SUPPORTED,
  OBDCR_REGISTRATION_GONE,
  ObDcrError,
  OutcomeUnknownError,
  UnexpectedResponseError,
} from "../core/errors.js";
import type { SigningKeyIdentity } from "../core/material.js";
import { describePublication, findPublishedKey } from "../http/own_side.js";
import {
  jwksUriOf,
  type Lifecycle,
  type Note,
  PartiallyCreated,
  PartiallyUpdated,
  recordedOf,
  refuseAfterCancel,
  tlsOf,
  where,
} from "./context.js";
import type { BankCapabilities } from "./diff.js";
import { putReasons } from "./diff.js";
import { type RegistrationInputs, toCoreParams } from "./inputs.js";
import { materialOutputs, recordedMaterial, rotationBetween } from "./material.js";
import { tokenUnconfirmedAfter } from "./outcome.js";
import { adoptedState, appliedOf, computed, type Substitution, stateOf, withOutcome } from "./outputs.js";
import { bookkeeping, declared, INPUT_KEYS, migrated, type Props, withoutUndefined } from "./props.js";
import {
  checkSigningKeyPublished,
  createRegistration,
  deleteRegistrationOutcome,
  parseRegistrationParams,
  type RegistrationOutcome,
  readRegistration,
  updateRegistration,
} from "./registration.js";

export { type CheckResult, check } from "./check.js";
export { type Lifecycle, type Note, PartiallyCreated, PartiallyUpdated } from "./context.js";

/** The core's parameters and the material in use. */
async function load(lc: Lifecycle, inputs: RegistrationInputs) {
  const params = await toCoreParams(inputs, lc.secrets);
  const material = await materialOutputs(parseRegistrationParams(params), lc.ctx);
  return { params, material };
}

/** The answer's secret has expired already: say so (`withSecretExpiry` decided). */
function expiryNotes(inputs: RegistrationInputs, r: RegistrationOutcome): Note[] {
  return r.client_secret_expired && r.client_secret_expires_at !== undefined
    ? [
        {
          kind: "secret_expired",
          where: where(inputs),
          client_id: r.client_id,
          expires_at: r.client_secret_expires_at,
        },
      ]
    : [];
}

function substitutionNotes(inputs: RegistrationInputs, outs: { substitutions: Substitution[] }): Note[] {
  return outs.substitutions.map((s) => ({ kind: "substitution", where: where(inputs), substitution: s }));
}

/** POST (or adopt by GET); a failure after the bank issued a client_id is `PartiallyCreated`. */
export async function create(
  lc: Lifecycle,
  props: Props,
): Promise<{ id: string; outs: Props; notes: Note[] }> {
  const inputs = declared(props);
  refuseAfterCancel(lc, `the create of ${where(inputs)}`);
  const { params, material } = await load(lc, inputs);
  if (inputs.adopt) {
    const r = await readRegistration(params, adoptedState(inputs.adopt), lc.ctx, { token_given: true });
    return {
      id: r.client_id,
      outs: { ...inputs, ...bookkeeping(props), ...material, ...computed(r, undefined) },
      notes: expiryNotes(inputs, r),
    };
  }
  let r: RegistrationOutcome;
  try {
    const hint = typeof props.clientIdHint === "string" ? props.clientIdHint : undefined;
    r = await createRegistration(params, lc.ctx, { client_id_hint: hint });
  } catch (e) {
    // The bank created a client and named it: keep it (and what manages it) in state with the error.
    const salvaged =
      e instanceof OutcomeUnknownError || e instanceof UnexpectedResponseError ? e.salvaged : undefined;
    const id = salvaged?.client_id ?? (e instanceof UnexpectedResponseError ? e.client_id : undefined);
    if (typeof id === "string" && id)
      throw new PartiallyCreated(
        id,
        withoutUndefined({
          ...inputs,
          ...bookkeeping(props),
          ...material,
          clientId: id,
          managementUri: salvaged?.registration_client_uri ?? "",
          registrationClientUri: salvaged?.registration_client_uri,
          registrationAccessToken: salvaged?.registration_access_token,
          clientSecret: salvaged?.client_secret,
        }),
        e,
      );
    throw e;
  }
  const notes: Note[] = [];
  if (r.reconciled)
    notes.push({ kind: "reconciled", where: where(inputs), client_id: r.client_id, how: r.reconciled });
  else if (r.client_id_hint && !r.client_id_hint.honoured)
    notes.push({ kind: "hint_ignored", where: where(inputs), client_id: r.client_id });
  if (r.unavailable_before)
    notes.push({
      kind: "unavailable_before",
      where: where(inputs),
      client_id: r.client_id,
      count: r.unavailable_before,
    });
  const outs = computed(r, undefined);
  return {
    id: r.client_id,
    outs: { ...inputs, ...bookkeeping(props), ...material, ...outs },
    notes: [...notes, ...expiryNotes(inputs, r), ...substitutionNotes(inputs, outs)],
  };
}

export type ReadResult =
  | { kind: "read"; props: Props; notes: Note[] }
  | { kind: "gone"; notes: Note[] }
  /**
   * No GET at this bank, or an unusable answer that handed out a new registration access token:
   * the recorded props (in today's spelling) are kept, the token replaced.
   */
  | { kind: "unchanged"; props: Props; notes: Note[] };

/**
 * GET. Our own side first: a signing key that changed since the last update must be one the
 * directory publishes (under the recorded kid, or another: then that kid is used), or the bank's
 * refusal would be ours, not a deletion. Dropped only on an unambiguous answer.
 */
export async function read(
  lc: Lifecycle,
  id: string,
  recorded_props: Props,
  /** `token_given`: the props hold what was given for an import, not recorded state. */
  o: { token_given?: boolean } = {},
): Promise<ReadResult> {
  const props = migrated(recorded_props);
  const inputs = declared(props);
  refuseAfterCancel(lc, `the read of registration ${id}`);
  const { params, material } = await load(lc, inputs);
  const recorded = recordedMaterial(props);
  const jwksUri = jwksUriOf(props);
  const notes: Note[] = [];
  if (recorded && recorded.signing_key.thumbprint !== material.signingKeyIdentity.thumbprint && jwksUri) {
    const key = material.signingKeyIdentity as SigningKeyIdentity;
    const found = await findPublishedKey(
      lc.ctx,
      jwksUri,
      tlsOf(params),
      key,
      undefined,
      softwareJwksFrom(parseRegistrationParams(params), jwksUri),
    );
    if (found.status === "other_kid") {
      notes.push({ kind: "other_kid", client_id: id, kid: found.kid, recorded_kid: key.kid });
      params.signing_key = { ...(params.signing_key as object), kid: found.kid } as typeof params.signing_key;
    } else if (found.status !== "published")
      throw new InvalidInputError(
        "signing_key",
        `registration ${id} is kept in state and nothing was sent to the bank: the signing key changed since the last update, and ${describePublication(found, key)}`,
        { remedy: { kind: "fix-input", field: "signing_key" } },
      );
  }
  let r: RegistrationOutcome;
  try {
    r = await readRegistration(params, stateOf(props), lc.ctx, {
      confirm_gone: lc.confirmedGone(id),
      ...recordedOf(props),
      ...(o.token_given ? { token_given: true } : {}),
    });
  } catch (e) {
    if (e instanceof ObDcrError && e.code === OBDCR_REGISTRATION_GONE)
      return { kind: "gone", notes: [...notes, { kind: "gone", client_id: id, detail: e.message }] };
    if (e instanceof ObDcrError && e.code === OBDCR_NOT_SUPPORTED)
      return { kind: "unchanged", props, notes: [...notes, { kind: "no_get", client_id: id }] };
    // A refresh cannot fail and keep state: the new token is kept with the last known rest, said.
    const salvaged = e instanceof UnexpectedResponseError ? e.salvaged : undefined;
    const rat = salvaged?.client_id === id ? salvaged.registration_access_token : undefined;
    if (rat && rat !== props.registrationAccessToken)
      return {
        kind: "unchanged",
        props: { ...props, registrationAccessToken: rat },
        notes: [...notes, { kind: "token_kept", client_id: id, detail: (e as Error).message }],
      };
    throw e;
  }
  const outs = computed(r, appliedOf(props));
  // The stored token worked: no longer in doubt. State from before identities were recorded:
  // record the material in use now.
  const { tokenUnconfirmed: _confirmed, ...rest } = props;
  return {
    kind: "read",
    props: withOutcome({ ...rest, ...(recorded ? {} : material) }, outs),
    notes: [...notes, ...expiryNotes(inputs, r)],
  };
}

/**
 * PUT when the bank must be told (metadata, a trigger, drift, rotated material it holds); else
 * record the new inputs and fingerprints and send nothing. A new signing key must be published by
 * the directory under its kid before anything is sent.
 */
export async function update(
  lc: Lifecycle,
  id: string,
  olds: Props,
  news: Props,
  capabilities: BankCapabilities,
): Promise<{ outs: Props; notes: Note[] }> {
  refuseAfterCancel(lc, `the update of registration ${id}`);
  olds = migrated(olds);
  news = migrated(news);
  const inputs = declared(news);
  const plan = rotationBetween(olds, news);
  const reasons = [...putReasons(olds, news), ...(plan?.put_fields.map((f) => `new ${f}`) ?? [])];
  // A token that a lost answer left in doubt is confirmed again by a PUT it authorises.
  const kept: Props = Object.fromEntries(
    Object.entries(olds).filter(([k]) => !INPUT_KEYS.includes(k) && k !== "tokenUnconfirmed"),
  );
  const { params, material } = await load(lc, inputs);
  const jwksUri = jwksUriOf(olds);
  if (plan?.verify_signing_key)
    await checkSigningKeyPublished(params, lc.ctx, { software_jwks_endpoint: jwksUri });
  // Nothing sent, nothing confirmed: a token in doubt stays so (a refresh's 401 is not a deletion).
  const doubt = olds.tokenUnconfirmed === true ? { tokenUnconfirmed: true } : {};
  if (reasons.length === 0)
    return { outs: { ...kept, ...doubt, ...inputs, ...bookkeeping(news), ...material }, notes: [] };
  if (!capabilities.supportsUpdate)
    throw new NotSupportedError(
      `${where(inputs)}: this bank offers no PUT, so ${reasons.join(", ")} cannot be applied to registration ${id}`,
      { remedy: { kind: "update-in-portal", client_id: id } },
    );
  let r: RegistrationOutcome;
  try {
    r = await updateRegistration(params, stateOf(olds), lc.ctx, recordedOf(olds));
  } catch (e) {
    // A new registration access token in an unusable answer: the old one may be dead already.
    const salvaged = e instanceof UnexpectedResponseError ? e.salvaged : undefined;
    const rat = salvaged?.client_id === id ? salvaged.registration_access_token : undefined;
    if (rat && rat !== olds.registrationAccessToken)
      throw new PartiallyUpdated(id, { ...olds, registrationAccessToken: rat }, e);
    if (tokenUnconfirmedAfter(e, olds.registrationAccessToken as string | undefined))
      throw new PartiallyUpdated(id, { ...olds, tokenUnconfirmed: true }, e, "token_unconfirmed");
    throw e;
  }
  if (r.client_id !== id)
    throw new InvalidInputError(
      "client_id",
      `the bank answered the update of ${id} with client_id ${r.client_id}; refusing to change identity`,
    );
  const outs = computed(r, undefined);
  return {
    outs: withOutcome({ ...kept, ...inputs, ...bookkeeping(news), ...material }, outs),
    notes: [...expiryNotes(inputs, r), ...substitutionNotes(inputs, outs)],
  };
}

/** DELETE; "already gone" only on an unambiguous answer (or the operator's confirmation). */
export async function remove(lc: Lifecycle, id: string, recorded_props: Props): Promise<{ notes: Note[] }> {
  refuseAfterCancel(lc, `the delete of registration ${id}`);
  const props = migrated(recorded_props);
  const inputs = declared(props);
  const params = await toCoreParams(inputs, lc.secrets);
  const { result, detail } = await deleteRegistrationOutcome(params, stateOf(props), lc.ctx, {
    confirm_gone: lc.confirmedGone(id),
    ...recordedOf(props),
  });
  if (result === "gone") return { notes: [{ kind: "already_gone", client_id: id, detail }] };
  if (result === "accepted") return { notes: [{ kind: "delete_accepted", client_id: id }] };
  return { notes: [] };
}
