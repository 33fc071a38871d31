/**
 * A bank's /token: client_credentials for a registered client, authenticated the way it registered
 * (client_secret_basic / client_secret_post, private_key_jwt, tls_client_auth). The access token
 * it issues authorizes RFC 7592 management at /register/{client_id}.
 */
import crypto from "node:crypto";
import { type BankState, tokenUrl } from "./bank_state.js";
import { verifyClientAssertion } from "./client_keys.js";
import { normalizeDn, subjectDn } from "./dn.js";
import { ASSERTION_TYPE, tokenForm } from "./guards.js";
import { badRequest, type Reply, type Req, type SandboxHttpError, unauthorized } from "./http.js";
import { JwtCheckError } from "./jwt.js";
import { SIGNING_ALGS } from "./metadata_checks.js";
import { type StoredRegistration, sha256 } from "./store.js";

export function tokenHandler(s: BankState): (req: Req) => Promise<Reply> {
  const invalidClient = (d: string): SandboxHttpError => unauthorized(s.realm, "invalid_client", d);

  const checkSecret = (reg: StoredRegistration | undefined, secret: string): void => {
    if (!reg?.client_secret_sha256 || reg.client_secret_sha256 !== sha256(secret))
      throw invalidClient("client authentication failed");
  };

  /** Which client this is and how it proved it; the method is matched against its registration after. */
  const authenticate = async (
    req: Req,
    form: URLSearchParams,
  ): Promise<{ clientId?: string; method: string }> => {
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? "");
    if (basic) {
      const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
      const i = decoded.indexOf(":");
      if (i < 0) throw invalidClient("malformed Basic credentials");
      // RFC 6749 §2.3.1: both parts are form-urlencoded before Base64.
      const clientId = decodeURIComponent(decoded.slice(0, i).replace(/\+/g, " "));
      checkSecret(s.store.get(clientId), decodeURIComponent(decoded.slice(i + 1).replace(/\+/g, " ")));
      return { clientId, method: "client_secret_basic" };
    }
    if (form.has("client_assertion")) {
      if (form.get("client_assertion_type") !== ASSERTION_TYPE)
        throw invalidClient("unsupported client_assertion_type");
      try {
        const clientId = await verifyClientAssertion(
          {
            registration: (id) => s.store.get(id),
            fetchJwks: staleCopy(s),
            directoryUrl: s.directoryUrl,
            audiences: [tokenUrl(s), s.origin],
            now: s.faults.nowSeconds(),
            tolerance: s.quirks.clock_tolerance_seconds,
            jtis: s.assertionJtis,
            algorithms: SIGNING_ALGS,
          },
          form.get("client_assertion")!,
          form.get("client_id") ?? undefined,
        );
        return { clientId, method: "private_key_jwt" };
      } catch (err) {
        if (err instanceof JwtCheckError) throw invalidClient(`client assertion: ${err.reason}`);
        throw err;
      }
    }
    const clientId = form.get("client_id") ?? undefined;
    const reg = clientId ? s.store.get(clientId) : undefined;
    if (form.has("client_secret")) {
      checkSecret(reg, form.get("client_secret")!);
      return { clientId, method: "client_secret_post" };
    }
    if (!reg) throw invalidClient("unknown client");
    const registered = reg.metadata.tls_client_auth_subject_dn;
    const presented = subjectDn(req.peerCertDer!, s.quirks.subject_dn_encoding);
    if (typeof registered !== "string" || normalizeDn(registered) !== normalizeDn(presented))
      throw invalidClient("the client certificate does not match tls_client_auth_subject_dn");
    return { clientId, method: "tls_client_auth" };
  };

  return async (req) => {
    const form = tokenForm(req, s.realm);
    const { clientId, method } = await authenticate(req, form);
    const reg = s.store.get(clientId!)!;
    if (reg.metadata.token_endpoint_auth_method !== method)
      throw invalidClient(`this client is registered for ${String(reg.metadata.token_endpoint_auth_method)}`);
    if (form.get("grant_type") !== "client_credentials")
      throw badRequest("unsupported_grant_type", "only client_credentials is supported");
    const grants = reg.metadata.grant_types;
    if (Array.isArray(grants) && !grants.includes("client_credentials"))
      throw badRequest("unauthorized_client", "client_credentials is not a registered grant type");
    const requested = (form.get("scope") ?? "").split(" ").filter(Boolean);
    const forbidden = requested.filter((x) => s.quirks.management_scope_forbidden.includes(x));
    if (forbidden.length > 0)
      throw badRequest("invalid_scope", `scope not allowed here: ${forbidden.join(" ")}`);
    const registeredScopes = typeof reg.metadata.scope === "string" ? reg.metadata.scope.split(" ") : [];
    const unknown = requested.filter((x) => !registeredScopes.includes(x));
    if (unknown.length > 0) throw badRequest("invalid_scope", `scope not registered: ${unknown.join(" ")}`);
    const accessToken = crypto.randomBytes(32).toString("base64url");
    s.tokens.set(accessToken, {
      clientId: reg.client_id,
      scope: requested,
      exp: s.faults.nowSeconds() + 3600,
    });
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: 3600,
    };
    if (requested.length > 0) body.scope = requested.join(" ");
    return { status: 200, json: body };
  };
}

/** The JWKS as the bank's copy has it: without the kids it has not seen yet (`stale_client_keys`). */
function staleCopy(s: BankState): BankState["fetchJwks"] {
  const missing = new Set(s.quirks.stale_client_keys);
  if (missing.size === 0) return s.fetchJwks;
  return async (url) => {
    const jwks = await s.fetchJwks(url);
    return { ...jwks, keys: jwks.keys.filter((k) => !missing.has(k.kid ?? "")) };
  };
}
