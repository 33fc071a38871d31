import * as jose from "jose";
import type { SigningKey } from "../keys.js";

export interface ClientAssertionInput {
  client_id: string;
  /** Token endpoint URL. */
  audience: string;
  now: number;
  jti: string;
  ttl_seconds?: number;
}

/** RFC 7523 `private_key_jwt` client assertion: iss=sub=client_id, short-lived, unique jti, kid header. */
export async function signClientAssertion(key: SigningKey, input: ClientAssertionInput): Promise<string> {
  return new jose.SignJWT({})
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
    .setIssuer(input.client_id)
    .setSubject(input.client_id)
    .setAudience(input.audience)
    .setIssuedAt(input.now)
    .setExpirationTime(input.now + (input.ttl_seconds ?? 300))
    .setJti(input.jti)
    .sign(key.key);
}
