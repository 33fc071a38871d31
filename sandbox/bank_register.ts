/**
 * A bank's /register: RFC 7591 registration (POST) and RFC 7592 management (GET/PUT/DELETE on
 * /register/{client_id}), authorized by an access token from /token or a registration access token.
 */
import crypto from "node:crypto";
import { type IssuedSecrets, registrationResponse } from "./bank_render.js";
import type { BankState } from "./bank_state.js";
import { bearerToken, requireMtls } from "./guards.js";
import { metadataError, type Reply, type Req, SandboxHttpError, unauthorized } from "./http.js";
import { checkSameSoftware } from "./metadata_checks.js";
import { type CheckContext, validateRegistrationRequest } from "./registration_checks.js";
import type { SsaClaims } from "./ssa_checks.js";
import { type StoredRegistration, sha256 } from "./store.js";

/** The methods whose client gets a client_secret from the bank. */
const SECRET_METHODS = ["client_secret_basic", "client_secret_post", "client_secret_jwt"];

type Handler = (req: Req, p: Record<string, string>) => Promise<Reply> | Reply;

const newSecret = () => crypto.randomBytes(24).toString("base64url");

export function registrationHandlers(s: BankState): {
  register: Handler;
  get: Handler;
  put: Handler;
  delete: Handler;
} {
  const { config, store, tokens } = s;

  const ctx = (): CheckContext => ({
    realm: s.realm,
    bank: config,
    quirks: s.quirks,
    issuer: s.origin,
    now: s.faults.nowSeconds(),
    directoryJwksUrl: s.directoryJwksUrl,
    fetchJwks: s.fetchJwks,
    jtis: s.registrationJtis,
  });

  /** A new registration access token, if this bank manages clients with one (RFC 7592). */
  const newRat = () => (config.management === "registration_access_token" ? newSecret() : undefined);

  /** The request's part of a stored registration: metadata (with the bank's substitutions) and the SSA's keys. */
  const fromRequest = (metadata: Record<string, unknown>, ssa: SsaClaims | undefined) => ({
    metadata: { ...metadata, ...s.quirks.substitute },
    software_jwks_endpoint: ssa?.software_jwks_endpoint,
    software_jwks_revoked_endpoint: ssa?.software_jwks_revoked_endpoint,
  });

  const answer = (status: number, reg: StoredRegistration, secrets: IssuedSecrets): Reply => ({
    status,
    json: registrationResponse(s, reg, secrets),
  });

  const register = async (req: Req): Promise<Reply> => {
    requireMtls(req, s.realm);
    const { metadata, ssa, clientId: hint } = await validateRegistrationRequest(ctx(), req);
    const requestSoftwareId = typeof metadata.software_id === "string" ? metadata.software_id : undefined;
    const dupOf = ssa?.software_id ?? requestSoftwareId;
    if (s.quirks.reject_duplicate_software && dupOf && store.list().some((r) => r.software_id === dupOf))
      throw metadataError("this software is already registered");
    let clientId: string = crypto.randomUUID();
    if (s.quirks.honour_client_id_hint && hint !== undefined) {
      if (!/^[A-Za-z0-9._-]{1,36}$/.test(hint))
        throw metadataError("client_id must be 1 to 36 characters [A-Za-z0-9._-]");
      if (store.get(hint)) throw metadataError(`client_id ${hint} is already registered`);
      clientId = hint;
    }
    const method = metadata.token_endpoint_auth_method as string;
    const clientSecret = SECRET_METHODS.includes(method) ? newSecret() : undefined;
    const rat = newRat();
    const reg: StoredRegistration = {
      client_id: clientId,
      // An open registration (no SSA): the request's software_id, else the client itself.
      software_id: ssa?.software_id ?? requestSoftwareId ?? clientId,
      org_id: ssa?.org_id ?? "",
      client_id_issued_at: s.faults.nowSeconds(),
      ...fromRequest(metadata, ssa),
      client_secret_sha256: clientSecret ? sha256(clientSecret) : undefined,
      registration_access_token_sha256: rat ? sha256(rat) : undefined,
    };
    store.put(reg);
    return answer(s.quirks.created_status, reg, { client_secret: clientSecret, rat });
  };

  const unknownClient = (): SandboxHttpError =>
    s.quirks.unknown_client_status === 404
      ? new SandboxHttpError(404, "not_found", "unknown client_id")
      : unauthorized(s.realm, "invalid_token", "unknown client_id");

  /** Management authentication (mTLS + Bearer): returns the registration. */
  const authorizeManagement = (req: Req, clientId: string): StoredRegistration => {
    requireMtls(req, s.realm);
    const presented = bearerToken(req);
    if (presented === undefined) throw unauthorized(s.realm, "invalid_token", "a Bearer token is required");
    const reg = store.get(clientId);
    if (!reg) {
      // UK rule: unknown/deleted client => 401 and the bearer token is revoked.
      tokens.delete(presented);
      throw unknownClient();
    }
    if (config.management === "registration_access_token") {
      if (reg.registration_access_token_sha256 !== sha256(presented))
        throw unauthorized(
          s.realm,
          "invalid_token",
          "the registration access token is not valid for this client",
        );
      return reg;
    }
    const token = tokens.get(presented);
    if (!token || token.exp <= s.faults.nowSeconds())
      throw unauthorized(s.realm, "invalid_token", "the access token is unknown or expired");
    if (token.clientId !== clientId)
      throw new SandboxHttpError(403, "access_denied", "the access token was issued to another client");
    const required = s.quirks.management_scope_required;
    if (required && !token.scope.includes(required))
      throw new SandboxHttpError(403, "insufficient_scope", `the access token needs scope ${required}`, {
        "www-authenticate": `Bearer realm="${s.realm}", error="insufficient_scope", scope="${required}"`,
      });
    return reg;
  };

  /** 405 for an operation the bank's quirks switch off, with the ones it does offer. */
  const notOffered = (): Reply => {
    const q = s.quirks;
    const allow = [q.allow_get && "GET", q.allow_put && "PUT", q.allow_delete && "DELETE"].filter(
      (x): x is string => typeof x === "string",
    );
    return {
      status: 405,
      headers: { allow: allow.join(", ") },
      json: { error: "method_not_allowed", error_description: "this bank does not offer this operation" },
    };
  };

  const get = (req: Req, p: Record<string, string>): Reply => {
    if (!s.quirks.allow_get) return notOffered();
    const reg = authorizeManagement(req, p.client_id!);
    return answer(200, reg, {});
  };

  const put = async (req: Req, p: Record<string, string>): Promise<Reply> => {
    if (!s.quirks.allow_put) return notOffered();
    const reg = authorizeManagement(req, p.client_id!);
    // A client registered with an SSA keeps needing one, whatever ssa_required says.
    const bound = reg.software_jwks_endpoint !== undefined;
    const check = ctx();
    if (bound) check.quirks = { ...s.quirks, ssa_required: true };
    const { metadata, ssa, clientId } = await validateRegistrationRequest(check, req);
    if (clientId === undefined) throw metadataError("client_id is required on update");
    if (clientId !== reg.client_id) throw metadataError("client_id does not match the URL");
    checkSameSoftware(reg, metadata, ssa);
    const method = metadata.token_endpoint_auth_method as string;
    let clientSecret: string | undefined;
    let secretHash = reg.client_secret_sha256;
    if (SECRET_METHODS.includes(method) && (!secretHash || s.quirks.rotate_client_secret_on_put)) {
      clientSecret = newSecret();
      secretHash = sha256(clientSecret);
    }
    if (!SECRET_METHODS.includes(method)) secretHash = undefined;
    const rat = newRat();
    const updated: StoredRegistration = {
      ...reg,
      ...fromRequest(metadata, ssa),
      client_secret_sha256: secretHash,
      registration_access_token_sha256: rat ? sha256(rat) : reg.registration_access_token_sha256,
    };
    store.put(updated);
    return answer(200, updated, { client_secret: clientSecret, rat });
  };

  const remove = (req: Req, p: Record<string, string>): Reply => {
    if (!s.quirks.allow_delete) return notOffered();
    const reg = authorizeManagement(req, p.client_id!);
    store.delete(reg.client_id);
    // The client is gone, and so is what it could do with its access tokens.
    for (const [t, v] of tokens) if (v.clientId === reg.client_id) tokens.delete(t);
    return { status: 204 };
  };

  return { register, get, put, delete: remove };
}
