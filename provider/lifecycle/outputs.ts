/** The outputs a registration outcome makes, and the management state the verbs need back. */
import { sameRegisteredValue } from "../core/parse/registration_response.js";
import type { RegistrationStateInput } from "../core/schemas/params.js";
import { untrustedText } from "../core/untrusted.js";
import { MANAGED_METADATA } from "./fields.js";
import type { RegistrationInputs } from "./inputs.js";
import type { MaterialOutputs } from "./material.js";
import type { RegistrationOutcome } from "./outcome.js";
import { type Props, withoutUndefined } from "./props.js";

export interface Substitution {
  field: string;
  requested: unknown;
  registered: unknown;
}

/** Computed outputs (besides the echoed inputs). */
export interface RegistrationComputed {
  clientId: string;
  clientIdIssuedAt?: number;
  clientSecretExpiresAt?: number;
  /** Secret. */
  clientSecret?: string;
  /** Secret. RFC 7592 management credential, kept current when the bank rotates it. */
  registrationAccessToken?: string;
  registrationClientUri?: string;
  /** Where GET/PUT/DELETE go. */
  managementUri: string;
  /** The bank's current view of the client (non-secret members; the SSA and what is above left out). */
  registeredMetadata: Record<string, unknown>;
  /**
   * The managed members of the bank's view right after our last POST/PUT, kept only when the bank
   * holds something else now (drift): absent, it is `registeredMetadata`.
   */
  appliedMetadata?: Record<string, unknown>;
  /** Values the bank registered instead of the ones requested. */
  substitutions: Substitution[];
  /** The SSA's software_jwks_endpoint: where the directory publishes our keys (checked on rotation). */
  softwareJwksEndpoint?: string;
}

export type RegistrationOutputs = RegistrationInputs & RegistrationComputed & MaterialOutputs;

/** Members of the bank's answer that are outputs of their own: not repeated in `registeredMetadata`. */
const ABOVE = [
  "software_statement",
  "client_id",
  "client_id_issued_at",
  "client_secret_expires_at",
  "registration_client_uri",
];

/** Outputs from an outcome; `applied` keeps the drift baseline of a read. */
export function computed(
  r: RegistrationOutcome,
  applied: Record<string, unknown> | undefined,
): RegistrationComputed {
  const metadata = cleaned(
    Object.fromEntries(Object.entries(r.metadata).filter(([k]) => !ABOVE.includes(k))),
  );
  // State is rewritten after every step of an `up`: the baseline is kept only when it differs.
  const baseline = applied && !sameManagedMetadata(applied, metadata) ? managedMetadata(applied) : undefined;
  return withoutUndefined({
    softwareJwksEndpoint: r.software_jwks_endpoint,
    clientId: r.client_id,
    clientIdIssuedAt: r.client_id_issued_at,
    clientSecretExpiresAt: r.client_secret_expires_at,
    clientSecret: r.secrets.client_secret,
    registrationAccessToken: r.secrets.registration_access_token,
    registrationClientUri: r.registration_client_uri,
    managementUri: r.management_uri,
    registeredMetadata: metadata,
    appliedMetadata: baseline,
    // What the bank registered instead is the bank's text too, plain in state like the metadata.
    substitutions: r.substitutions.map((s) => ({
      field: s.field,
      requested: s.requested,
      registered: cleaned(s.registered),
    })),
  });
}

/**
 * The bank's view as state may hold it (plain, not secret, shown by diffs): a credential it quotes
 * back in any member, or in a member's name (a token we sent, our SSA or request JWT), is
 * `[redacted]`, controls escaped.
 */
function cleaned<T>(v: T): T {
  if (typeof v === "string") return untrustedText(v, Number.POSITIVE_INFINITY) as T;
  if (Array.isArray(v)) return v.map(cleaned) as T;
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [untrustedText(k, Number.POSITIVE_INFINITY), cleaned(x)]),
    ) as T;
  return v;
}

/**
 * Two views of the managed members say the same (a bank that sorts scopes or redirect URIs on GET
 * has not changed them): the same members, each equal in meaning (`sameRegisteredValue`).
 */
export function sameManagedMetadata(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const x = managedMetadata(a);
  const y = managedMetadata(b);
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  return [...keys].every((k) => k in x && k in y && sameRegisteredValue(k, x[k], y[k]));
}

/** The members of a bank's view that a PUT corrects when they drift. */
export function managedMetadata(m: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(MANAGED_METADATA.filter((k) => m[k] !== undefined).map((k) => [k, m[k]]));
}

/** What our last POST/PUT left at the bank: recorded only when it differs from the bank's view now. */
export function appliedOf(props: Props): Record<string, unknown> | undefined {
  return (props.appliedMetadata ?? props.registeredMetadata) as Record<string, unknown> | undefined;
}

/** Recorded props with a new outcome over them: a baseline the outcome no longer keeps is dropped. */
export function withOutcome(base: Props, outs: RegistrationComputed): Props {
  const { appliedMetadata: _stale, ...rest } = base;
  return { ...rest, ...outs };
}

/** The management state the verbs need, from stored outputs. */
export function stateOf(props: Props): RegistrationStateInput {
  return {
    client_id: String(props.clientId),
    registration_client_uri: props.registrationClientUri as string | undefined,
    secrets: withoutUndefined({
      client_secret: props.clientSecret as string | undefined,
      registration_access_token: props.registrationAccessToken as string | undefined,
    }),
  };
}

/** The management state of an adoption, from the `adopt` input. */
export function adoptedState(adopt: NonNullable<RegistrationInputs["adopt"]>): RegistrationStateInput {
  return {
    client_id: adopt.clientId,
    registration_client_uri: adopt.registrationClientUri,
    secrets: withoutUndefined({
      client_secret: adopt.clientSecret,
      registration_access_token: adopt.registrationAccessToken,
    }),
  };
}
