/**
 * Day-2 operations of ObClientRegistration, in the resource's words: the material identities it
 * records as outputs, what a rotation means for the bank (said at preview), and why a refresh
 * refuses to drop a registration on an ambiguous answer. Decisions come from the core
 * (`planRotation`, `keyBoundMetadata`); this module turns them into outputs and messages.
 */
import { resolveBankProfile } from "../core/bank_profiles/resolve.js";
import { GoneUnconfirmedError } from "../core/errors.js";
import {
  type KeyBoundSettings,
  planRotation,
  type RotationChange,
  type RotationPlan,
} from "../core/lifecycle/rotation.js";
import { daysLeft, type MaterialIdentity, materialIdentity } from "../core/material.js";
import type { RegistrationParams } from "../core/schemas/params.js";
import { camelKeys, snakeKeys } from "./args.js";

type Props = Record<string, unknown>;

/** Non-secret outputs that say which material a registration was applied with. */
export interface MaterialOutputs {
  /** kid, alg and RFC 7638 thumbprint of the signing key's public key. */
  signingKeyIdentity: { kid: string; alg: string; thumbprint: string };
  /** SHA-256, subject DN, issuer and validity of the transport certificate. */
  transportCertificate?: {
    sha256: string;
    subjectDn: string;
    issuerDn: string;
    notBefore: string;
    notAfter: string;
  };
  /** SHA-256 of each CA certificate trusted for the servers. */
  caFingerprints: string[];
}

export const MATERIAL_OUTPUTS = ["signingKeyIdentity", "transportCertificate", "caFingerprints"] as const;

export async function materialOutputs(params: RegistrationParams): Promise<MaterialOutputs> {
  const m = await materialIdentity(
    params.signing_key,
    params.transport,
    resolveBankProfile(params).dn_format,
  );
  return toOutputs(m);
}

function toOutputs(m: MaterialIdentity): MaterialOutputs {
  return {
    signingKeyIdentity: m.signing_key,
    ...(m.transport_certificate
      ? {
          transportCertificate: camelKeys(m.transport_certificate) as MaterialOutputs["transportCertificate"],
        }
      : {}),
    caFingerprints: m.ca_sha256,
  };
}

/** The recorded identity in props (undefined: state from before identities were recorded). */
export function recordedMaterial(props: Props): MaterialIdentity | undefined {
  const sk = props.signingKeyIdentity as MaterialIdentity["signing_key"] | undefined;
  if (!sk || typeof sk !== "object" || typeof sk.thumbprint !== "string") return undefined;
  return {
    signing_key: sk,
    transport_certificate: props.transportCertificate
      ? (snakeKeys(props.transportCertificate) as MaterialIdentity["transport_certificate"])
      : undefined,
    ca_sha256: Array.isArray(props.caFingerprints) ? (props.caFingerprints as string[]) : [],
  };
}

function settingsOf(props: Props): KeyBoundSettings {
  const client = (props.client ?? {}) as Record<string, unknown>;
  const extra = (client.extra ?? {}) as Record<string, unknown>;
  const format = props.profile === "rfc7591" ? "json" : "jwt";
  return {
    format,
    token_endpoint_auth_method: String(client.tokenEndpointAuthMethod ?? "private_key_jwt"),
    explicit_subject_dn: client.tlsClientAuthSubjectDn !== undefined,
    explicit_auth_signing_alg: client.tokenEndpointAuthSigningAlg !== undefined,
    keys_by_reference:
      client.jwksUri !== undefined ||
      client.jwks !== undefined ||
      "jwks" in extra ||
      "jwks_uri" in extra ||
      props.directory !== undefined,
  };
}

/** The rotation between two sets of props (undefined when either side's material is not known). */
export function rotationBetween(olds: Props, news: Props): RotationPlan | undefined {
  const a = recordedMaterial(olds);
  const b = recordedMaterial(news);
  if (!a || !b) return undefined;
  return planRotation(
    { material: a, settings: settingsOf(olds) },
    { material: b, settings: settingsOf(news) },
  );
}

function describeChange(c: RotationChange): string {
  switch (c.kind) {
    case "transport_certificate":
      if (!c.to) return "transport certificate removed";
      return c.subject_dn_changed
        ? `transport certificate renewed with a new subject DN (${c.from?.subject_dn ?? "none"} → ${c.to.subject_dn}), valid until ${c.to.not_after}`
        : `transport certificate renewed, same subject DN (${c.to.subject_dn}), valid until ${c.to.not_after}`;
    case "signing_key":
      return c.kid_changed
        ? `signing key rotated: kid ${c.from.kid} → ${c.to.kid} (${c.to.alg})`
        : `signing key replaced under the same kid ${c.to.kid} (thumbprint ${c.from.thumbprint} → ${c.to.thumbprint})`;
    case "ca":
      return "trusted CA certificates changed";
  }
}

export interface PutContext {
  /** Other reasons for a PUT (metadata, drift, rotation trigger), already decided. */
  other_reasons: string[];
  supports_update: boolean;
  refuses_duplicates: boolean;
}

/** What the preview says about a rotation: one line per change, then what is sent to the bank. */
export function describeRotation(name: string, plan: RotationPlan, ctx: PutContext): string[] {
  const lines = plan.changes.map((c) => `${name}: ${describeChange(c)}`);
  if (plan.verify_signing_key)
    lines.push(
      `${name}: the directory must publish the new key under its kid: checked before anything is sent`,
    );
  const reasons = [...plan.put_fields.map((f) => `new ${f}`), ...ctx.other_reasons];
  if (reasons.length === 0) {
    if (plan.changes.length > 0)
      lines.push(
        `${name}: update records the new fingerprints; nothing is sent to the bank (it holds nothing that changed)`,
      );
    return lines;
  }
  if (ctx.supports_update) {
    lines.push(`${name}: update = PUT of the registration (${reasons.join(", ")}), same client_id`);
    return lines;
  }
  lines.push(
    ctx.refuses_duplicates
      ? `${name}: this bank offers no PUT and refuses a second registration of the software, so ob-dcr cannot apply ${reasons.join(", ")}. In the bank's developer portal, update the client (or delete it and register again), then run \`pulumi refresh\``
      : `${name}: this bank offers no PUT: ${reasons.join(", ")} is applied by replacing the registration (a new client_id is registered, then the old one deleted)`,
  );
  return lines;
}

/** Days before `notAfter` under which a preview warns. */
export const DEFAULT_EXPIRY_WARNING_DAYS = 30;

export function expiryWarning(
  name: string,
  m: MaterialOutputs,
  days: number,
  now: number,
): string | undefined {
  const c = m.transportCertificate;
  if (!c) return undefined;
  const left = daysLeft({ not_after: c.notAfter }, now);
  if (left >= days) return undefined;
  return left < 0
    ? `${name}: the transport certificate (${c.subjectDn}) expired on ${c.notAfter}: renew it`
    : `${name}: the transport certificate (${c.subjectDn}) expires in ${left} days (${c.notAfter}): renew it and update transport`;
}

/** Client ids whose deletion at the bank the operator confirmed (`OBDCR_CONFIRM_GONE=id1,id2`). */
export function confirmedGone(clientId: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.OBDCR_CONFIRM_GONE ?? "")
    .split(",")
    .map((s) => s.trim())
    .includes(clientId);
}

const camelField = (f: string) => f.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The same error, in the resource's words (camelCase fields, Pulumi remedies). */
export function goneUnconfirmed(
  op: "refresh" | "destroy" | "update",
  e: GoneUnconfirmedError,
): GoneUnconfirmedError {
  return new GoneUnconfirmedError(e.client_id, goneUnconfirmedMessage(op, e), {
    cause: e,
    field: e.field,
    checks: e.checks,
  });
}

/** Why a refresh or destroy keeps a registration after an ambiguous answer, and what to do. */
function goneUnconfirmedMessage(op: "refresh" | "destroy" | "update", e: GoneUnconfirmedError): string {
  const id = e.client_id;
  const first = e.cause instanceof Error ? e.cause.message : e.message;
  const checked = e.checks.map((c) => `${camelField(c.field)}: ${c.ok ? "ok" : "WRONG"}, ${c.detail}`);
  const head = `registration ${id} is kept in state: ${first}.`;
  const what = checked.length ? ` Checked our side: ${checked.join("; ")}.` : "";
  if (e.field)
    return `${head}${what} Fix ${camelField(e.field)} and run \`pulumi ${op}\` again: the bank still holds the client.`;
  return (
    `${head}${what} If the bank really deleted client ${id}, drop it deliberately: ` +
    `\`OBDCR_CONFIRM_GONE=${id} pulumi refresh\` (the next \`pulumi up\` registers anew), or \`pulumi state delete <urn>\`.`
  );
}
