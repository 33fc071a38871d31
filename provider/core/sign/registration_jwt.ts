import type { SigningKey } from "../keys.js";
import { signCompact } from "./signer.js";

/** Sign a request JWT (`typ: JWT`, `kid` header, no embedded keys) with the signer. */
export async function signRegistrationRequest(
  claims: Record<string, unknown>,
  key: SigningKey,
): Promise<string> {
  return signCompact(key, { typ: "JWT" }, claims);
}
