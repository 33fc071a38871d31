/**
 * The signer of a registration's `signing_key`: the in-process key (`private_key`), a PKCS#11
 * token (`pkcs11`) or an AWS KMS key (`aws_kms`). Every signature goes through the returned
 * `Signer`; the backends' packages are loaded only when configured.
 */
import { importSigningKey } from "../core/keys.js";
import type { SigningKeyParams } from "../core/schemas/params.js";
import type { Signer } from "../core/sign/signer.js";

/** Secrets for key stores, from the provider configuration (never inputs, never in state). */
export interface SignerSecrets {
  /** The PKCS#11 user PIN (else the environment variable `signing_key.pkcs11.pin_env`). */
  pkcs11_pin?: string | undefined;
}

/** Where secrets and the environment come from (injectable for tests). */
export interface SignerEnv {
  secrets?: SignerSecrets | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

export async function openSigner(p: SigningKeyParams, o: SignerEnv = {}): Promise<Signer> {
  if (p.pkcs11) {
    const { openPkcs11Signer, DEFAULT_PIN_ENV } = await import("./pkcs11.js");
    const env = o.env ?? process.env;
    const name = p.pkcs11.pin_env ?? DEFAULT_PIN_ENV;
    const secret = o.secrets?.pkcs11_pin;
    // A refused PIN says which of the two was used: the secret wins, so fixing the variable
    // while a stale secret is set changed nothing, under a message naming both.
    const source =
      secret === undefined
        ? `the environment variable ${name}`
        : `the provider's pkcs11Pin config secret, which is used before the environment variable ${name}`;
    return openPkcs11Signer(p.pkcs11, p.kid, p.alg, secret ?? env[name], source);
  }
  if (p.aws_kms) {
    const { openKmsSigner } = await import("./aws_kms.js");
    return openKmsSigner(p.aws_kms, p.kid, p.alg);
  }
  return importSigningKey(p);
}

/** The signer of `p` with the secrets of the context (`ObDcrContext.signer_secrets`). */
export const signerFor = (p: SigningKeyParams, ctx: { signer_secrets?: SignerSecrets | undefined }) =>
  openSigner(p, { secrets: ctx.signer_secrets });

export type { Signer };
