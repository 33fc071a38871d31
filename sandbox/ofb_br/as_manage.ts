/**
 * DCM on the registration client URI (digest §2.3, checklist BR 15–17): GET, PUT and DELETE over MTLS
 * with `Authorization: Bearer <registration access token>`. A missing or wrong token, or an unknown
 * or deleted client, is 401 `invalid_token` (never 404). With `rat_rotation` the successful calls it
 * names answer with a new `registration_access_token`, and the previous one stops working at once.
 */
import { bearerToken, requireMtls } from "../guards.js";
import { badRequest, type Reply, type Req, unauthorized } from "../http.js";
import { type StoredRegistration, sha256 } from "../store.js";
import { AS_REALM, type AsContext, newRat } from "./as_context.js";
import { jsonBody, validateRegistration } from "./as_register.js";

/** Fields a client must not send in a PUT (RFC 7592 §2.2). */
const SERVER_FIELDS = [
  "registration_access_token",
  "registration_client_uri",
  "client_id_issued_at",
  "client_secret_expires_at",
] as const;

/** The client the RCU names, if the Bearer token is its current registration access token. */
function authorize(ctx: AsContext, req: Req, clientId: string | undefined): StoredRegistration {
  requireMtls(req, AS_REALM);
  const rat = bearerToken(req);
  if (rat === undefined)
    throw unauthorized(AS_REALM, "invalid_token", "a Bearer registration access token is required");
  const reg = clientId ? ctx.store.get(clientId) : undefined;
  if (!reg?.registration_access_token_sha256 || reg.registration_access_token_sha256 !== sha256(rat))
    throw unauthorized(
      AS_REALM,
      "invalid_token",
      "the registration access token is not valid for this client",
    );
  return reg;
}

/** Rotates the RAT if this operation rotates under the server's mode; the new token for the reply, if any. */
function rotate(ctx: AsContext, reg: StoredRegistration, op: "get" | "put"): string | undefined {
  const mode = ctx.cfg.rat_rotation;
  if (mode === "none" || (mode === "on-put" && op === "get")) return undefined;
  const rat = newRat();
  ctx.store.put({ ...reg, registration_access_token_sha256: sha256(rat) });
  return rat;
}

function view(ctx: AsContext, reg: StoredRegistration, rat: string | undefined): Record<string, unknown> {
  return {
    ...reg.metadata,
    client_id: reg.client_id,
    client_id_issued_at: reg.client_id_issued_at,
    registration_client_uri: ctx.urls.rcu(reg.client_id),
    ...(rat ? { registration_access_token: rat } : {}),
  };
}

export interface ManageHandlers {
  get(req: Req, clientId: string | undefined): Reply;
  put(req: Req, clientId: string | undefined): Promise<Reply>;
  delete(req: Req, clientId: string | undefined): Reply;
}

export function manageHandlers(ctx: AsContext): ManageHandlers {
  return {
    get: (req, clientId) => {
      ctx.stats.gets++;
      const reg = authorize(ctx, req, clientId);
      return { status: 200, json: view(ctx, reg, rotate(ctx, reg, "get")) };
    },
    put: async (req, clientId) => {
      ctx.stats.puts++;
      const reg = authorize(ctx, req, clientId);
      const body = jsonBody(req);
      // BR 16: the body names its client; server-issued fields are not the client's to send.
      if (body.client_id !== reg.client_id)
        throw badRequest("invalid_client_metadata", "client_id in the body must be the client being updated");
      for (const f of SERVER_FIELDS)
        if (body[f] !== undefined)
          throw badRequest("invalid_client_metadata", `${f} must not be sent in a PUT`);
      const { claims, metadata } = await validateRegistration(ctx, req, body);
      if (claims.software_id !== reg.software_id)
        throw badRequest("invalid_client_metadata", "the software_statement is for another software");
      const updated = { ...reg, metadata };
      ctx.store.put(updated);
      return { status: 200, json: view(ctx, updated, rotate(ctx, updated, "put")) };
    },
    delete: (req, clientId) => {
      ctx.stats.deletes++;
      const reg = authorize(ctx, req, clientId);
      ctx.store.delete(reg.client_id);
      return { status: 204 };
    },
  };
}
