/**
 * A registration's lifecycle as a resource sees it: check, create (or adopt), read, update, delete
 * over the resource's inputs and recorded outputs. It calls the four verbs and the own-side checks,
 * and reports what happened as data (`Note`s, errors with a `remedy`); each adapter (the dynamic
 * provider today) turns those into its own words. No Pulumi here.
 */
import { resolveBankProfile } from "../core/bank_profiles/resolve.js";
import {
  GoneUnconfirmedError,
  InvalidInputError,
  NotSupportedError,
  OBDCR_NOT_SUPPORTED,
  OBDCR_OUTCOME_UNKNOWN,
  OBDCR_REGISTRATION_GONE,
  ObDcrError,
} from "../core/errors.js";
import type { SigningKeyIdentity } from "../core/material.js";
import { RegistrationParams, type RegistrationParamsInput } from "../core/schemas/params.js";
import type { ObDcrContext } from "../http/context.js";
import { describePublication, findPublishedKey } from "../http/own_side.js";
import {
  checkSigningKeyPublished,
  createRegistration,
  deleteRegistration,
  parseRegistrationParams,
  type RegistrationOutcome,
  readRegistration,
  updateRegistration,
} from "../http/registration.js";
import type { TlsMaterial } from "../http/transport.js";
import type { BankCapabilities } from "./diff.js";
import { putReasons } from "./diff.js";
import {
  type ConfigSecrets,
  propertyPath,
  type RegistrationInputs,
  ResourceOnlyInputs,
  toCoreParams,
} from "./inputs.js";
import {
  DEFAULT_EXPIRY_WARNING_DAYS,
  expiringCertificate,
  materialOutputs,
  recordedMaterial,
  rotationBetween,
} from "./material.js";
import { adoptedState, computed, type Substitution, stateOf } from "./outputs.js";
import { at, declared, INPUT_KEYS, type Props, UNKNOWN } from "./props.js";

/** What an adapter hands every operation: the shared context and its secrets, created in `configure`. */
export interface Lifecycle {
  ctx: ObDcrContext;
  secrets: ConfigSecrets;
  /** The operator confirmed that the bank deleted this client (`OBDCR_CONFIRM_GONE`). */
  confirmedGone(client_id: string): boolean;
  now(): number;
}

/** What happened, for the adapter to say (no secrets in any of them). */
export type Note =
  | { kind: "substitution"; where: string; substitution: Substitution }
  | { kind: "reconciled"; where: string; client_id: string; how: "lost_response" | "earlier_attempt" }
  | { kind: "hint_ignored"; where: string; client_id: string }
  | { kind: "expiring"; where: string; days_left: number; not_after: string; subject_dn: string }
  | { kind: "gone"; client_id: string; detail: string }
  | { kind: "no_get"; client_id: string }
  | { kind: "already_gone"; client_id: string }
  | { kind: "other_kid"; client_id: string; kid: string; recorded_kid: string };

/** The bank created the registration but it could not be completed: keep it (never orphan it). */
export class PartiallyCreated extends Error {
  constructor(
    readonly client_id: string,
    readonly outputs: Props,
    readonly error: unknown,
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

export interface CheckResult {
  inputs: Props;
  failures: { property: string; reason: string }[];
  notes: Note[];
}

const where = (inputs: RegistrationInputs) => {
  const bank = inputs.bank?.registrationEndpoint ?? inputs.bank?.discoveryUrl ?? "the bank";
  return `software ${inputs.software?.softwareId ?? "?"} at ${bank}`;
};

const tlsOf = (params: RegistrationParamsInput): TlsMaterial => {
  const t = params.transport ?? {};
  return { cert: t.cert, key: t.key, ca: t.ca };
};

const jwksUriOf = (props: Props) =>
  typeof props.softwareJwksEndpoint === "string" ? props.softwareJwksEndpoint : undefined;

/** Validate inputs (every failure with its property), and add what diff needs: material and bank capabilities. */
export async function check(lc: Lifecycle, news: Props): Promise<CheckResult> {
  const inputs = declared(news);
  const failures: CheckResult["failures"] = [];
  const notes: Note[] = [];
  const extra: Props = {};
  const ro = ResourceOnlyInputs.safeParse(
    Object.fromEntries(Object.keys(ResourceOnlyInputs.shape).map((k) => [k, news[k]])),
  );
  if (!ro.success)
    for (const i of ro.error.issues) failures.push({ property: propertyPath(i.path), reason: i.message });
  try {
    const params = await toCoreParams(inputs, lc.secrets, { unknown: UNKNOWN });
    const r = RegistrationParams.safeParse(params);
    if (!r.success) {
      for (const i of r.error.issues) {
        if (at(params, i.path) === UNKNOWN) continue; // known only at `up`
        let reason = i.message;
        if (i.path.join(".") === "signing_key.private_key")
          reason = `${reason}; give signingKey.privateKey, signingKey.privateKeyFile or the ob-dcr:signingPrivateKey config secret`;
        if (i.path.join(".") === "transport.key")
          reason = `${reason}; give transport.key, transport.keyFile or the ob-dcr:transportKey config secret`;
        failures.push({ property: propertyPath(i.path), reason });
      }
      return { inputs: news, failures, notes };
    }
    const bp = resolveBankProfile(r.data);
    extra.bankCapabilities = {
      supportsUpdate: bp.supports.update,
      refusesDuplicateRegistration: bp.refuses_duplicate_registration,
    } satisfies BankCapabilities;
    if (!JSON.stringify([params.signing_key, params.transport]).includes(UNKNOWN)) {
      // The material's identity: what diff compares (never the file paths) and outputs record.
      // Material that does not parse is reported by `up`, where it is used, with its field.
      const material = await materialOutputs(r.data).catch(() => undefined);
      if (material) {
        Object.assign(extra, material);
        const soon = expiringCertificate(
          material,
          inputs.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS,
          lc.now(),
        );
        if (soon) notes.push({ kind: "expiring", where: where(inputs), ...soon });
      }
    }
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    failures.push({ property: propertyPath(e.field.split(".")), reason: e.message });
  }
  return { inputs: { ...news, ...extra }, failures, notes };
}

/** The core's parameters and the material in use. */
async function load(lc: Lifecycle, inputs: RegistrationInputs) {
  const params = await toCoreParams(inputs, lc.secrets);
  const material = await materialOutputs(parseRegistrationParams(params));
  return { params, material };
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
  const { params, material } = await load(lc, inputs);
  if (inputs.adopt) {
    const r = await readRegistration(params, adoptedState(inputs.adopt), lc.ctx);
    return { id: r.client_id, outs: { ...inputs, ...material, ...computed(r, undefined) }, notes: [] };
  }
  let r: RegistrationOutcome;
  try {
    const hint = typeof props.clientIdHint === "string" ? props.clientIdHint : undefined;
    r = await createRegistration(params, lc.ctx, { client_id_hint: hint });
  } catch (e) {
    const id = (e as { client_id?: unknown } | undefined)?.client_id;
    if (typeof id === "string" && id)
      throw new PartiallyCreated(id, { ...inputs, ...material, clientId: id, managementUri: "" }, e);
    if (e instanceof ObDcrError && e.code === OBDCR_OUTCOME_UNKNOWN) {
      e.message = params.bank?.client_id_hint
        ? `registration of ${where(inputs)}: ${e.message}`
        : `the registration POST for ${where(inputs)} may have reached the bank, but no answer came back: ${e.message}. ` +
          "ob-dcr cannot find the client by itself: this bank is not declared to honour a client_id hint " +
          "(bank.client_id_hint), and DCR offers no search";
      e.remedy ??= { kind: "adopt" }; // no hint: the bank's portal is the only place to look
    }
    throw e;
  }
  const notes: Note[] = [];
  if (r.reconciled)
    notes.push({ kind: "reconciled", where: where(inputs), client_id: r.client_id, how: r.reconciled });
  else if (r.client_id_hint && !r.client_id_hint.honoured)
    notes.push({ kind: "hint_ignored", where: where(inputs), client_id: r.client_id });
  const outs = computed(r, undefined);
  return {
    id: r.client_id,
    outs: { ...inputs, ...material, ...outs },
    notes: [...notes, ...substitutionNotes(inputs, outs)],
  };
}

export type ReadResult =
  | { kind: "read"; props: Props; notes: Note[] }
  | { kind: "gone"; notes: Note[] }
  | { kind: "unchanged"; notes: Note[] };

/**
 * GET. Our own side first: a signing key that changed since the last update must be one the
 * directory publishes (under the recorded kid, or another: then that kid is used), or the bank's
 * refusal would be ours, not a deletion. Dropped only on an unambiguous answer.
 */
export async function read(lc: Lifecycle, id: string, props: Props): Promise<ReadResult> {
  const inputs = declared(props);
  const { params, material } = await load(lc, inputs);
  const recorded = recordedMaterial(props);
  const jwksUri = jwksUriOf(props);
  const notes: Note[] = [];
  if (recorded && recorded.signing_key.thumbprint !== material.signingKeyIdentity.thumbprint && jwksUri) {
    const key = material.signingKeyIdentity as SigningKeyIdentity;
    const found = await findPublishedKey(lc.ctx, jwksUri, tlsOf(params), key);
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
      software_jwks_endpoint: jwksUri,
    });
  } catch (e) {
    if (e instanceof ObDcrError && e.code === OBDCR_REGISTRATION_GONE)
      return { kind: "gone", notes: [...notes, { kind: "gone", client_id: id, detail: e.message }] };
    if (e instanceof ObDcrError && e.code === OBDCR_NOT_SUPPORTED)
      return { kind: "unchanged", notes: [...notes, { kind: "no_get", client_id: id }] };
    if (e instanceof GoneUnconfirmedError)
      e.remedy = e.field ? { kind: "fix-input", field: e.field } : { kind: "confirm-gone", client_id: id };
    throw e;
  }
  const outs = computed(r, props.appliedMetadata as Record<string, unknown> | undefined);
  // State from before identities were recorded: record the material in use now.
  return { kind: "read", props: { ...props, ...(recorded ? {} : material), ...outs }, notes };
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
  const inputs = declared(news);
  const plan = rotationBetween(olds, news);
  const reasons = [...putReasons(olds, news), ...(plan?.put_fields.map((f) => `new ${f}`) ?? [])];
  const kept: Props = Object.fromEntries(Object.entries(olds).filter(([k]) => !INPUT_KEYS.includes(k)));
  const { params, material } = await load(lc, inputs);
  const jwksUri = jwksUriOf(olds);
  if (plan?.verify_signing_key)
    await checkSigningKeyPublished(params, lc.ctx, { software_jwks_endpoint: jwksUri }).catch((e) => {
      if (e instanceof InvalidInputError) e.remedy = { kind: "fix-input", field: "signing_key" };
      throw e;
    });
  if (reasons.length === 0) return { outs: { ...kept, ...inputs, ...material }, notes: [] };
  if (!capabilities.supportsUpdate)
    throw new NotSupportedError(
      `${where(inputs)}: this bank offers no PUT, so ${reasons.join(", ")} cannot be applied to registration ${id}`,
      { remedy: { kind: "update-in-portal", client_id: id } },
    );
  let r: RegistrationOutcome;
  try {
    r = await updateRegistration(params, stateOf(olds), lc.ctx, { software_jwks_endpoint: jwksUri });
  } catch (e) {
    if (e instanceof GoneUnconfirmedError)
      e.remedy = e.field ? { kind: "fix-input", field: e.field } : { kind: "confirm-gone", client_id: id };
    throw e;
  }
  if (r.client_id !== id)
    throw new InvalidInputError(
      "client_id",
      `the bank answered the update of ${id} with client_id ${r.client_id}; refusing to change identity`,
    );
  const outs = computed(r, undefined);
  return { outs: { ...kept, ...inputs, ...material, ...outs }, notes: substitutionNotes(inputs, outs) };
}

/** DELETE; "already gone" only on an unambiguous answer (or the operator's confirmation). */
export async function remove(lc: Lifecycle, id: string, props: Props): Promise<{ notes: Note[] }> {
  const inputs = declared(props);
  const params = await toCoreParams(inputs, lc.secrets);
  try {
    const result = await deleteRegistration(params, stateOf(props), lc.ctx, {
      confirm_gone: lc.confirmedGone(id),
      software_jwks_endpoint: jwksUriOf(props),
    });
    return { notes: result === "gone" ? [{ kind: "already_gone", client_id: id }] : [] };
  } catch (e) {
    if (e instanceof ObDcrError && e.code === OBDCR_NOT_SUPPORTED) {
      e.message = `the bank does not let ob-dcr delete registration ${id} (${where(inputs)}): ${e.message}`;
      e.remedy = { kind: "revoke-in-portal", client_id: id };
    }
    if (e instanceof GoneUnconfirmedError)
      e.remedy = e.field ? { kind: "fix-input", field: e.field } : { kind: "confirm-gone", client_id: id };
    throw e;
  }
}
