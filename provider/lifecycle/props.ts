/**
 * The shape a resource adapter hands the lifecycle: the declared inputs (camelCase, as Pulumi
 * programs write them) and the recorded outputs of a registration, as plain values. The input
 * keys come from the zod schemas, so a new schema field is echoed and diffed without a list to edit.
 */
import { RegistrationParams } from "../core/schemas/params.js";
import {
  givenInputs,
  type RegistrationInputs,
  ResourceOnlyInputs,
  SECRET_MATERIAL_INPUTS,
  snakeToCamel,
} from "./inputs.js";

export type Props = Record<string, unknown>;

/** What the engine sends in place of a value it does not know yet (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The declared inputs, echoed into the outputs so that diff compares declared against declared. */
export const INPUT_KEYS: readonly string[] = [
  ...Object.keys(RegistrationParams.shape).map(snakeToCamel),
  ...Object.keys(ResourceOnlyInputs.shape),
  ...SECRET_MATERIAL_INPUTS,
];

export function declared(props: Props): RegistrationInputs {
  const out: Props = {};
  for (const k of INPUT_KEYS) if (props[k] !== undefined) out[k] = props[k];
  return out as unknown as RegistrationInputs;
}

/**
 * What `check` (and the adapter) adds to the declared inputs: bank capabilities, material
 * identities, the client_id hint and its seed. Bookkeeping that diff and create need, recorded in
 * the outputs too, so that a refresh can give it back as inputs.
 */
export const BOOKKEEPING_KEYS = [
  "bankCapabilities",
  "caFingerprints",
  "signingKeyIdentity",
  "transportCertificate",
  "clientIdHint",
  "clientIdHintSeed",
] as const;

/** The bookkeeping members of `props`, for the outputs. */
export function bookkeeping(props: Props): Props {
  const out: Props = {};
  for (const k of BOOKKEEPING_KEYS) if (props[k] !== undefined) out[k] = props[k];
  return out;
}

/**
 * The inputs a refresh records: the declared ones and the bookkeeping as recorded, so that the
 * next update's diff (the engine's, of old and new inputs) shows only what the user changed.
 */
export function recordedInputs(props: Props): Props {
  return { ...declared(props), ...bookkeeping(props) };
}

/** The value at a path; UNKNOWN when the path crosses a value unknown during preview. */
export function at(obj: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = obj;
  for (const p of path) {
    if (v === UNKNOWN) return UNKNOWN;
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** JSON with sorted object keys: equal values, equal strings. */
export function stable(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );
}

export const same = (a: unknown, b: unknown) => stable(a ?? null) === stable(b ?? null);

export function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Where a registration is sent, for messages (no secrets). */
export function describe(inputs: RegistrationInputs): string {
  const bank = inputs.bank?.registrationEndpoint ?? inputs.bank?.discoveryUrl ?? "the bank";
  return `software ${inputs.software?.softwareId ?? "?"} at ${bank}`;
}

/** Bank behaviours that older versions took under `bank` (camelCase), and their `bankProfile` names. */
const MOVED_FROM_BANK: Record<string, string> = {
  contentType: "contentType",
  scopeFormat: "scopeFormat",
  jtiCase: "jtiCase",
  dnFormat: "dnFormat",
  extraClaims: "extraClaims",
  requestTtlSeconds: "requestTtlSeconds",
  skipDiscoveryChecks: "skipDiscoveryChecks",
  clientIdHint: "clientIdHint",
};

/**
 * State written by an older version, in today's spelling: bank behaviours move to `bankProfile`
 * (a program must use the new names, `check` refuses the old; recorded state is only read), and
 * an empty optional list or object recorded as given is left out, as `check` does today.
 */
export function migrated(recorded: Props): Props {
  const props = givenInputs(recorded);
  const bank = props.bank as Record<string, unknown> | undefined;
  const moved: Record<string, unknown> = {};
  let rest = bank;
  if (bank && typeof bank === "object") {
    rest = {};
    for (const [k, v] of Object.entries(bank)) {
      if (v === undefined) continue;
      if (k in MOVED_FROM_BANK) moved[MOVED_FROM_BANK[k]!] = v;
      else if (k === "aud") moved.aud = { literal: v };
      else if (k === "management" && v && typeof v === "object") {
        const { supportsRead, supportsUpdate, supportsDelete, ...m } = v as Record<string, unknown>;
        if (Object.keys(m).length) moved.management = m;
        const supports = withoutUndefined({
          read: supportsRead,
          update: supportsUpdate,
          delete: supportsDelete,
        });
        if (Object.keys(supports).length) moved.supports = supports;
      } else rest[k] = v;
    }
  }
  if (typeof props.refusesDuplicates === "boolean")
    moved.refusesDuplicateRegistration = props.refusesDuplicates;
  const keys = splitPrivateKeys(props);
  if (Object.keys(moved).length === 0) return keys ?? props;
  const { refusesDuplicates: _r, ...others } = keys ?? props;
  const bp = props.bankProfile;
  const base = typeof bp === "string" ? { preset: bp } : ((bp as Record<string, unknown> | undefined) ?? {});
  return { ...others, bank: rest, bankProfile: { ...moved, ...base } };
}

/**
 * Older versions kept an inline private key inside `signingKey` / `transport`, which were secret
 * outputs as a whole. Today only the split-off members are: move the keys there, so that no
 * refresh or update of an old stack writes a private key into plaintext state.
 */
export function splitPrivateKeys(props: Props): Props | undefined {
  const sk = props.signingKey as Record<string, unknown> | undefined;
  const tr = props.transport as Record<string, unknown> | undefined;
  const skKey = sk && typeof sk === "object" ? sk.privateKey : undefined;
  const trKey = tr && typeof tr === "object" ? tr.key : undefined;
  if (skKey === undefined && trKey === undefined) return undefined;
  const out: Props = { ...props };
  if (sk && skKey !== undefined) {
    const { privateKey: _k, ...rest } = sk;
    out.signingKey = rest;
    out.signingPrivateKey ??= skKey;
  }
  if (tr && trKey !== undefined) {
    const { key: _k, ...rest } = tr;
    out.transport = rest;
    out.transportPrivateKey ??= trKey;
  }
  return out;
}
