/**
 * Day-2 rotation as a pure decision: what changed in the key and certificate material, and what
 * the bank must be told about it. A rotation that changes nothing the bank holds sends nothing;
 * one that changes registered metadata (the subject DN of `tls_client_auth`, the assertion alg, an
 * inline `jwks`) is a PUT on the same client_id.
 */
import type { CertificateIdentity, MaterialIdentity, SigningKeyIdentity } from "../material.js";

const JWT_AUTH = new Set(["private_key_jwt", "client_secret_jwt"]);

/** The client settings that decide which registered metadata follows from the material. */
export interface KeyBoundSettings {
  format: "jwt" | "json";
  token_endpoint_auth_method: string;
  /** `client.tls_client_auth_subject_dn` given: the DN does not follow the certificate. */
  explicit_subject_dn: boolean;
  /** `client.token_endpoint_auth_signing_alg` given: the alg does not follow the key. */
  explicit_auth_signing_alg: boolean;
  /** `client.jwks` / `client.jwks_uri` given, or an SSA whose `software_jwks_endpoint` is sent. */
  keys_by_reference: boolean;
}

/** Registered metadata derived from the material (name → value; `jwks` as the key's thumbprint). */
export function keyBoundMetadata(s: KeyBoundSettings, m: MaterialIdentity): Record<string, string> {
  const out: Record<string, string> = {};
  if (s.token_endpoint_auth_method === "tls_client_auth" && !s.explicit_subject_dn && m.transport_certificate)
    out.tls_client_auth_subject_dn = m.transport_certificate.subject_dn;
  if (!s.explicit_auth_signing_alg) out.token_endpoint_auth_signing_alg = m.signing_key.alg;
  if (s.format === "json" && JWT_AUTH.has(s.token_endpoint_auth_method) && !s.keys_by_reference)
    out.jwks = `{ keys: [kid ${m.signing_key.kid}, thumbprint ${m.signing_key.thumbprint}] }`;
  return out;
}

export type RotationChange =
  | {
      kind: "transport_certificate";
      from: CertificateIdentity | undefined;
      to: CertificateIdentity | undefined;
      subject_dn_changed: boolean;
    }
  | { kind: "signing_key"; from: SigningKeyIdentity; to: SigningKeyIdentity; kid_changed: boolean }
  | { kind: "ca"; from: readonly string[]; to: readonly string[] };

export interface RotationPlan {
  changes: RotationChange[];
  /** Registered metadata that the rotation changes: non-empty means a PUT. */
  put_fields: string[];
  /** A new signing key: the directory must publish it under its kid before anything is sent. */
  verify_signing_key: boolean;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function planRotation(
  old: { material: MaterialIdentity; settings: KeyBoundSettings },
  next: { material: MaterialIdentity; settings: KeyBoundSettings },
): RotationPlan {
  const changes: RotationChange[] = [];
  const a = old.material;
  const b = next.material;
  if (a.transport_certificate?.sha256 !== b.transport_certificate?.sha256)
    changes.push({
      kind: "transport_certificate",
      from: a.transport_certificate,
      to: b.transport_certificate,
      subject_dn_changed: a.transport_certificate?.subject_dn !== b.transport_certificate?.subject_dn,
    });
  const keyChanged =
    a.signing_key.thumbprint !== b.signing_key.thumbprint ||
    a.signing_key.kid !== b.signing_key.kid ||
    a.signing_key.alg !== b.signing_key.alg;
  if (keyChanged)
    changes.push({
      kind: "signing_key",
      from: a.signing_key,
      to: b.signing_key,
      kid_changed: a.signing_key.kid !== b.signing_key.kid,
    });
  if (!same([...a.ca_sha256].sort(), [...b.ca_sha256].sort()))
    changes.push({ kind: "ca", from: a.ca_sha256, to: b.ca_sha256 });
  const before = keyBoundMetadata(old.settings, a);
  const after = keyBoundMetadata(next.settings, b);
  const put_fields = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((k) => before[k] !== after[k])
    .sort();
  return { changes, put_fields, verify_signing_key: keyChanged };
}
