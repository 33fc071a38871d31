import type { SigningKey } from "../keys.js";
import { signCompact } from "./signer.js";

export interface ClientAssertionInput {
  client_id: string;
  /** Token endpoint URL. */
  audience: string;
  now: number;
  jti: string;
  ttl_seconds?: number;
}

/**
 * RFC 7523 `private_key_jwt` client assertion: iss=sub=client_id, short-lived, unique jti, kid
 * header. Signed by the signer (in-process key, HSM or KMS).
 */
export async function signClientAssertion(key: SigningKey, input: ClientAssertionInput): Promise<string> {
  return signCompact(
    key,
    { typ: "JWT" },
    {
      iss: input.client_id,
      sub: input.client_id,
      aud: input.audience,
      iat: input.now,
      exp: input.now + (input.ttl_seconds ?? 300),
      jti: input.jti,
    },
  );
}
