import { z } from "zod";
import { PROFILE_NAMES } from "../profiles/names.js";

export const SigningAlg = z.enum(["PS256", "ES256", "RS256"]);
export type SigningAlg = z.infer<typeof SigningAlg>;

export const ProfileName = z.enum(PROFILE_NAMES);
export type ProfileName = z.infer<typeof ProfileName>;

export const TokenEndpointAuthMethod = z.enum([
  "private_key_jwt",
  "tls_client_auth",
  "client_secret_basic",
  "client_secret_post",
  "client_secret_jwt",
  "none",
]);
export type TokenEndpointAuthMethod = z.infer<typeof TokenEndpointAuthMethod>;

export const HttpsUrl = z.url({ protocol: /^https$/, error: "must be an https URL" });
/** https, or http only on loopback (127.0.0.1 / [::1]) for local interop tests. */
export const EndpointUrl = z
  .url({ error: "must be an absolute URL" })
  .refine(
    (u) => {
      // zod runs refinements after a failed format check too: an unparseable URL is reported once, above.
      if (!URL.canParse(u)) return true;
      const x = new URL(u);
      return (
        x.protocol === "https:" || (x.protocol === "http:" && ["127.0.0.1", "[::1]"].includes(x.hostname))
      );
    },
    { error: "must be an https URL (http only on 127.0.0.1)" },
  )
  .refine(
    // A URL is an input, kept in plaintext state and shown in diffs: no credentials in it. The
    // message does not quote the URL.
    (u) => !URL.canParse(u) || (new URL(u).username === "" && new URL(u).password === ""),
    {
      error:
        "must not carry user-info (user:password@): give credentials the way the service expects, never in a URL",
    },
  );

/** A public or private JWK (loose: jose checks it). */
/** "." and ".." name another path when put in one (`{registration_endpoint}/..`), even percent-encoded. */
export const isDotSegment = (v: string): boolean => v === "." || v === "..";

/** A client identifier we keep and put in a management URL. */
export const ClientId = z
  .string()
  .min(1)
  .refine((v) => !isDotSegment(v), { error: "must not be . or .. (it would name another path at the bank)" });

export const Jwk = z.looseObject({ kty: z.string(), kid: z.string().optional() });
export type Jwk = z.infer<typeof Jwk>;

export const Jwks = z.looseObject({ keys: z.array(Jwk) });
export type Jwks = z.infer<typeof Jwks>;

/** Space-delimited string or array, normalised to an array of distinct tokens. */
export const ScopeInput = z
  .union([z.string(), z.array(z.string())])
  .transform((s) => [...new Set((Array.isArray(s) ? s : s.split(" ")).map((x) => x.trim()).filter(Boolean))]);
