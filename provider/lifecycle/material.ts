/**
 * The material a registration was applied with, as the non-secret outputs the resource records
 * (kid and thumbprint, certificate fingerprint, DN and validity, CA fingerprints), and the rotation
 * between two recorded sets. Decisions come from the core (`planRotation`); no wording here.
 */
import { resolveBankProfile } from "../core/bank_profiles/resolve.js";
import { daysLeft, type MaterialIdentity, materialIdentity } from "../core/material.js";
import { type KeyBoundSettings, planRotation, type RotationPlan } from "../core/policy/rotation.js";
import { PROFILES, type Profile } from "../core/profiles/index.js";
import type { ProfileName } from "../core/schemas/common.js";
import type { RegistrationParams } from "../core/schemas/params.js";
import type { ObDcrContext } from "../http/context.js";
import { signerFor } from "../signers/index.js";
import { camelKeys, snakeKeys } from "./inputs.js";
import type { Props } from "./props.js";

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

/** The material's identity; the signing key's from its signer (in-process, PKCS#11 or KMS). */
export async function materialOutputs(
  params: RegistrationParams,
  ctx: ObDcrContext,
): Promise<MaterialOutputs> {
  const m = await materialIdentity(
    await signerFor(params.signing_key, ctx),
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
  // The spec profile says whether the body is a signed JWT (UK, AU) or JSON (RFC 7591, Brazil).
  const profile = PROFILES[props.profile as ProfileName] as Profile | undefined;
  return {
    format: profile?.format ?? "jwt",
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

/** Days before `notAfter` under which a preview warns. */
export const DEFAULT_EXPIRY_WARNING_DAYS = 30;

/** Days left on the transport certificate when fewer than `days` (undefined: no warning). */
export function expiringCertificate(
  m: MaterialOutputs,
  days: number,
  now: number,
): { days_left: number; not_after: string; subject_dn: string } | undefined {
  const c = m.transportCertificate;
  if (!c) return undefined;
  const left = daysLeft({ not_after: c.notAfter }, now);
  return left < days ? { days_left: left, not_after: c.notAfter, subject_dn: c.subjectDn } : undefined;
}
