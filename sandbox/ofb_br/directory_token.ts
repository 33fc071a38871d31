/**
 * The directory's token endpoint (`POST /token`, digest §2.1, checklist BR 1): client_credentials
 * with `tls_client_auth`: client_id = the software statement's `software_client_id`, and the
 * certificate presented must be the transport certificate registered for it. Scope `directory:software`.
 */
import crypto from "node:crypto";
import { tokenForm } from "../guards.js";
import { badRequest, type Reply, type Req, unauthorized } from "../http.js";
import {
  DIRECTORY_REALM,
  DIRECTORY_SCOPE,
  DIRECTORY_TOKEN_TTL,
  type DirectoryContext,
  findByClientId,
} from "./directory_context.js";

const now = () => Math.floor(Date.now() / 1000);

export function directoryTokenHandler(ctx: DirectoryContext): (req: Req) => Reply {
  return (req) => {
    ctx.stats.token_requests++;
    const form = tokenForm(req, DIRECTORY_REALM);
    if (form.get("grant_type") !== "client_credentials")
      throw badRequest("unsupported_grant_type", "only client_credentials is supported");
    if (form.has("client_assertion") || form.has("client_secret"))
      throw unauthorized(
        DIRECTORY_REALM,
        "invalid_client",
        "software statement clients authenticate with tls_client_auth (the certificate), not a secret or assertion",
      );
    const clientId = form.get("client_id") ?? "";
    const found = findByClientId(ctx.opts.orgs, clientId);
    if (!found) throw unauthorized(DIRECTORY_REALM, "invalid_client", "unknown client_id");
    const registered = ctx.pki.softwares.get(found.sw.software_id)!.transport.der;
    const presented = Buffer.from(req.peerCertDer!);
    if (!presented.equals(Buffer.from(registered)))
      throw unauthorized(
        DIRECTORY_REALM,
        "invalid_client",
        "the client certificate is not the one registered for this client_id",
      );
    if (form.get("scope") !== DIRECTORY_SCOPE)
      throw badRequest("invalid_scope", `scope must be ${DIRECTORY_SCOPE}`);
    const accessToken = crypto.randomBytes(32).toString("base64url");
    for (const [k, t] of ctx.tokens) if (t.exp <= now()) ctx.tokens.delete(k);
    ctx.tokens.set(accessToken, {
      softwareId: found.sw.software_id,
      orgId: found.org.org_id,
      exp: now() + DIRECTORY_TOKEN_TTL,
      certDer: presented,
    });
    return {
      status: 200,
      json: {
        access_token: accessToken,
        token_type: "Bearer",
        expires_in: DIRECTORY_TOKEN_TTL,
        scope: DIRECTORY_SCOPE,
      },
    };
  };
}
