/** Shared processing of HTTP responses: JSON bodies and OAuth error bodies. */

import {
  NotSupportedError,
  RegistrationRejectedError,
  type Remedy,
  TransportError,
  UnexpectedResponseError,
} from "../core/errors.js";
import { parseUntrustedJson, UntrustedJsonError } from "../core/parse/json.js";
import { OAuthErrorBody } from "../core/schemas/responses.js";
import { untrustedText } from "../core/untrusted.js";
import type { HttpResponse } from "./transport_types.js";

export function contentType(res: HttpResponse): string {
  return (res.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** A JSON body, parsed as untrusted input (depth, duplicate members, BOM: core/parse/json.ts). */
export function parseJsonBody(res: HttpResponse, label: string): unknown {
  const text = res.body.toString("utf8");
  try {
    return parseUntrustedJson(text);
  } catch (cause) {
    const p = cause instanceof UntrustedJsonError ? cause.problem : undefined;
    throw new UnexpectedResponseError(
      `${label}: HTTP ${res.status} body is ${p && p.kind !== "syntax" ? `not usable JSON (${cause instanceof Error ? cause.message : ""})` : "not JSON"} (content-type ${contentType(res) || "none"})`,
      { cause, status: res.status, content_type: contentType(res) },
    );
  }
}

/** A JSON body or undefined (error bodies: a malformed one is reported by status alone). */
export function peekJson(res: HttpResponse): unknown {
  try {
    return parseUntrustedJson(res.body.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** Throw the right error for a non-success status: 405 NotSupported, OAuth error body Rejected, else Unexpected. */
export function throwForStatus(
  res: HttpResponse,
  label: string,
  o: { not_supported?: Remedy | undefined } = {},
): never {
  if (res.status === 405)
    throw new NotSupportedError(
      `${label}: the server does not offer this operation (HTTP 405, Allow: ${untrustedText(res.headers.allow ?? "?", 100)})`,
      { remedy: o.not_supported },
    );
  if (res.status === 429 || res.status === 503)
    throw new TransportError(
      `${label}: the server is ${res.status === 429 ? "rate limiting" : "unavailable"} (HTTP ${res.status}${
        res.headers["retry-after"] ? `, Retry-After ${res.headers["retry-after"]}` : ""
      }) and retries did not get through; nothing was registered or changed by this call: run again later`,
    );
  const err = OAuthErrorBody.safeParse(peekJson(res));
  if (err.success && res.status >= 400 && res.status < 500)
    throw new RegistrationRejectedError(res.status, err.data.error, err.data.error_description, label);
  throw new UnexpectedResponseError(`${label}: unexpected HTTP ${res.status}`, {
    status: res.status,
    content_type: contentType(res),
  });
}
