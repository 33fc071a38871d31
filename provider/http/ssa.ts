/**
 * SSA download: the URL and headers of the regime (x-v, Accept), the directory's error format
 * (RFC 6749 or the CDS list) turned into typed errors, reuse up to a maximum age, and one download
 * shared by concurrent registrations.
 */

import * as jose from "jose";
import { adviceForCdsErrors, parseCdsErrors } from "../core/directory/cds_errors.js";
import { DEFAULT_DIRECTORY, DIRECTORY_PROFILES } from "../core/directory/profiles.js";
import { narrowedScope, ssaReusable } from "../core/directory/ssa_view.js";
import {
  DirectoryRejectedError,
  RegistrationRejectedError,
  UnexpectedResponseError,
} from "../core/errors.js";
import type { SigningKey } from "../core/keys.js";
import { rememberSecret } from "../core/untrusted.js";
import { type ObDcrContext, shared } from "./context.js";
import { contentType, parseJsonBody, peekJson, throwForStatus } from "./response.js";
import { send } from "./send.js";
import { getDirectoryToken, grantedDirectoryScope } from "./token.js";
import type { HttpResponse, TlsMaterial } from "./transport_types.js";

export function ssaUrl(template: string, org_id: string, software_id: string): string {
  return template
    .replaceAll("{org_id}", encodeURIComponent(org_id))
    .replaceAll("{software_id}", encodeURIComponent(software_id));
}

export function ssaRequest(
  ctx: ObDcrContext,
  url: string,
  token: string,
  tls: TlsMaterial,
  /** The regime's headers (`accept`, AU `x-v` / `x-min-v`). */
  headers: Record<string, string> = { accept: DIRECTORY_PROFILES[DEFAULT_DIRECTORY].ssa_accept },
): Promise<HttpResponse> {
  return send(
    {
      method: "GET",
      url,
      headers: { ...headers, authorization: `Bearer ${token}` },
      idempotent: true,
      label: "SSA download",
    },
    tls,
    ctx.transport,
  );
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** A CDS error list (`{"errors":[…]}`) as a typed error naming what to fix; else the usual mapping. */
export function throwForSsaStatus(
  res: HttpResponse,
  format: "oauth" | "cds" = "oauth",
  /** Scopes asked for that the directory's token answer left out (`narrowedScope`). */
  narrowed: { missing: string[]; granted: string } | undefined = undefined,
): never {
  if (format === "cds" && res.status >= 400 && res.status < 500) {
    const list = parseCdsErrors(peekJson(res));
    if (list) {
      const advice = adviceForCdsErrors(res.status, list);
      const first = list.errors.find((e) => e.code === advice.code) ?? list.errors[0];
      throw new DirectoryRejectedError(res.status, advice.code, first?.detail, "SSA download", advice);
    }
  }
  if (res.status === 403 || res.status === 404) {
    try {
      throwForStatus(res, "SSA download");
    } catch (e) {
      // The token was granted less scope than asked for: that, not the path, is the first suspect.
      if (e instanceof RegistrationRejectedError && narrowed && narrowed.missing.length > 0)
        throw new RegistrationRejectedError(
          e.status,
          e.error,
          `${e.error_description ? `${e.error_description}; ` : ""}the directory granted the token scope "${narrowed.granted}", without ${narrowed.missing.join(", ")} that was asked for (directory.scope), which the SSA download needs: the software's roles at the directory do not cover it (check them in the directory), or fix directory.scope`,
          "SSA download",
          { cause: e, field: "directory.scope", remedy: { kind: "fix-input", field: "directory.scope" } },
        );
      // The SSA path is the software's ids: the directory has no statement there for our token.
      if (e instanceof RegistrationRejectedError)
        throw new RegistrationRejectedError(
          e.status,
          e.error,
          `${e.error_description ?? ""} (fix software.org_id and software.software_id: they fill the SSA path, and must be this certificate's organisation and software)`,
          "SSA download",
          {
            cause: e,
            field: "software",
            // Named in full, so each face spells them its way (software.orgId in a Pulumi program).
            checks: ["software.org_id", "software.software_id"],
            remedy: { kind: "fix-input", field: "software" },
          },
        );
      throw e;
    }
  }
  throwForStatus(res, "SSA download");
}

/** The SSA (compact JWS) from the SSA API response (raw body, or a JSON string / `{ssa}` wrapper). */
export function processSsaResponse(
  res: HttpResponse,
  format: "oauth" | "cds" = "oauth",
  narrowed?: { missing: string[]; granted: string },
): string {
  if (res.status !== 200) throwForSsaStatus(res, format, narrowed);
  let text = res.body.toString("utf8").trim();
  if (text.startsWith('"') || text.startsWith("{")) {
    const j = parseJsonBody(res, "SSA download");
    if (typeof j === "string") text = j;
    else if (j && typeof j === "object" && typeof (j as { ssa?: unknown }).ssa === "string")
      text = (j as { ssa: string }).ssa;
  }
  if (!COMPACT_JWS.test(text))
    throw new UnexpectedResponseError(
      `SSA download: body is not a compact JWS (content-type ${contentType(res) || "none"})`,
      {
        status: res.status,
        content_type: contentType(res),
      },
    );
  rememberSecret(text);
  return text;
}

export interface SsaSource {
  token_endpoint: string;
  ssa_endpoint: string;
  org_id: string;
  software_id: string;
  scope: readonly string[];
  max_age_seconds: number;
  key: SigningKey;
  tls: TlsMaterial;
  /** The SSA URL already filled (regime template variables); default: `ssa_endpoint` with the UK ones. */
  url?: string | undefined;
  /** Headers of the SSA request (regime). */
  headers?: Record<string, string> | undefined;
  error_format?: "oauth" | "cds" | undefined;
  /** The directory token's client_id (default: software_id). */
  client_id?: string | undefined;
  auth?: "private_key_jwt" | "tls_client_auth" | undefined;
  client_id_field?: string | undefined;
  /**
   * The SSA's verification (signature against the directory JWKS when one is configured, and the
   * regime's claims), run on a fresh download before it is kept: only an SSA that passed is reused.
   * Without it the download is not kept at all.
   */
  verify?: ((ssa: string) => Promise<unknown>) | undefined;
}

/** iat/exp of a downloaded SSA (unverified: only for the reuse decision); none if undecodable. */
function claimsOf(ssa: string): { iat?: unknown; exp?: unknown } {
  try {
    return jose.decodeJwt(ssa);
  } catch {
    return {};
  }
}

/**
 * The SSA for a software: reused while younger than max_age_seconds and (with an exp) more than
 * half its lifetime from expiry; concurrent callers share one download. A download is kept for
 * reuse only once `verify` passed: an SSA whose signature or claims fail is never served again.
 */
export async function getSsa(ctx: ObDcrContext, s: SsaSource): Promise<string> {
  const url = s.url ?? ssaUrl(s.ssa_endpoint, s.org_id, s.software_id);
  const hit = ctx.ssas.get(url);
  if (hit && ssaReusable(claimsOf(hit.ssa), hit.fetched_at, ctx.now(), s.max_age_seconds)) return hit.ssa;
  return shared(ctx.ssa_inflight, url, async () => {
    const ti = {
      token_endpoint: s.token_endpoint,
      client_id: s.client_id ?? s.software_id,
      scope: s.scope,
      key: s.key,
      tls: s.tls,
      auth: s.auth,
      client_id_field: s.client_id_field,
    };
    const token = await getDirectoryToken(ctx, ti);
    const granted = grantedDirectoryScope(ctx, ti);
    const missing = narrowedScope(s.scope, granted);
    ctx.stats.ssa_downloads++;
    const ssa = processSsaResponse(
      await ssaRequest(ctx, url, token, s.tls, s.headers),
      s.error_format,
      granted !== undefined && missing.length > 0 ? { missing, granted } : undefined,
    );
    if (s.verify) {
      const fetched_at = ctx.now();
      await s.verify(ssa);
      ctx.ssas.set(url, { ssa, fetched_at });
    }
    return ssa;
  });
}
