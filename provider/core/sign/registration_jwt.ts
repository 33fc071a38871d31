import * as jose from "jose";
import type { SigningKey } from "../keys.js";

/** Sign a request JWT (`typ: JWT`, `kid` header, no embedded keys). */
export async function signRegistrationRequest(
  claims: Record<string, unknown>,
  key: SigningKey,
): Promise<string> {
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
    .sign(key.key);
}
