/**
 * Doctor's local checks (1–3): our signing key, transport certificate and trusted CA, read without
 * sending anything. A transport certificate or CA that fails here stops the network checks.
 */
import type { OrgIdDnFormat } from "../core/dn.js";
import { InvalidInputError } from "../core/errors.js";
import { certificateIdentity, daysLeft, pemCertificates, signingKeyIdentity } from "../core/material.js";
import { getProfile } from "../core/profiles/index.js";
import type { RegistrationParams } from "../core/schemas/params.js";
import { signCompact } from "../core/sign/signer.js";
import { validateTransportMaterial } from "../core/validate/transport_material.js";
import { signerFor } from "../signers/index.js";
import type { ObDcrContext } from "./context.js";
import { type DoctorCheck, fail, failed, line, ok, type Signer } from "./doctor_lines.js";

/**
 * Check 1: the signer opens (key imported; PKCS#11 token reached, logged in, key found; KMS key's
 * public key read) and signs a test message that verifies with its public key. The signer is what
 * later checks sign with.
 */
export async function signingKeyCheck(
  params: RegistrationParams,
  ctx: ObDcrContext,
): Promise<{ check: DoctorCheck; signer: Signer | undefined }> {
  try {
    const algs = getProfile(params.profile).algs as readonly string[];
    if (!algs.includes(params.signing_key.alg))
      throw new InvalidInputError(
        "signing_key.alg",
        `${params.signing_key.alg} is not allowed by ${params.profile} (allowed: ${algs.join(", ")})`,
      );
    const key = await signerFor(params.signing_key, ctx);
    const signer = { key, identity: await signingKeyIdentity(key) };
    const i = signer.identity;
    const where = key.backend === "in_process" ? "" : `${key.describe}: `;
    if (key.backend !== "in_process") {
      // Reachable and usable: one signature, verified with jose against the key's public JWK.
      await signCompact(key, { typ: "JWT" }, { probe: "ob-dcr doctor" });
    }
    const how = key.backend === "in_process" ? "" : ", signs and verifies";
    return {
      check: ok("signing key", `${where}kid ${i.kid}, alg ${i.alg}, thumbprint ${i.thumbprint}${how}`),
      signer,
    };
  } catch (e) {
    return { check: failed("signing key", e, "material"), signer: undefined };
  }
}

export function certificateCheck(p: RegistrationParams, dn: OrgIdDnFormat, now: number, warnDays: number) {
  const name = "transport certificate";
  if (!p.transport.cert) return ok(name, "none configured: TLS without a client certificate");
  let what = "";
  try {
    const c = certificateIdentity(p.transport.cert, dn);
    const left = daysLeft(c, now);
    what = `subject ${c.subject_dn}, issuer ${c.issuer_dn}, notAfter ${c.not_after}`;
    validateTransportMaterial(p.transport, now); // the key belongs to it, valid now
    const detail = `${what} (${left} days left)`;
    if (left >= warnDays) return ok(name, detail);
    return line(name, "warn", `${detail}: fewer than ${warnDays} days; renew it in the directory`);
  } catch (e) {
    const f = failed(name, e, "material");
    return what ? { ...f, detail: `${f.detail} (${what})` } : f;
  }
}

/** No line without a CA: Node's CA store is used. */
export function caCheck(p: RegistrationParams): DoctorCheck[] {
  if (p.transport.ca === undefined) return [];
  const pems = pemCertificates(p.transport.ca);
  if (pems.length === 0)
    return [fail("trusted CA", 'transport.ca: holds no PEM certificate ("BEGIN CERTIFICATE")', "material")];
  try {
    const prints = pems.map((pem, i) => certificateIdentity(pem, "hex", `transport.ca.${i}`).sha256);
    return [ok("trusted CA", `${prints.length} certificate(s), SHA-256 ${prints.join(", ")}`)];
  } catch (e) {
    return [failed("trusted CA", e, "material")];
  }
}
