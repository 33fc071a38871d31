/** The outputs a registration outcome makes, and the management state the verbs need back. */
import type { RegistrationStateInput } from "../core/schemas/params.js";
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
  /** The bank's current view of the client (non-secret members, SSA left out). */
  registeredMetadata: Record<string, unknown>;
  /** The bank's view right after our last POST/PUT: drift is measured against it. */
  appliedMetadata: Record<string, unknown>;
  /** Values the bank registered instead of the ones requested. */
  substitutions: Substitution[];
  /** The SSA's software_jwks_endpoint: where the directory publishes our keys (checked on rotation). */
  softwareJwksEndpoint?: string;
}

export type RegistrationOutputs = RegistrationInputs & RegistrationComputed & MaterialOutputs;

/** Outputs from an outcome; `applied` keeps the drift baseline of a read. */
export function computed(
  r: RegistrationOutcome,
  applied: Record<string, unknown> | undefined,
): RegistrationComputed {
  const { software_statement: _ssa, ...metadata } = r.metadata;
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
    appliedMetadata: applied ?? metadata,
    substitutions: r.substitutions.map((s) => ({
      field: s.field,
      requested: s.requested,
      registered: s.registered,
    })),
  });
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
