/**
 * What a failed request's error means for a retry: nothing was sent (safe to retry), TLS (never
 * retried), a timeout, or a failure after the request may have reached the server.
 */

/** Error codes of failures that happen before any request byte is written. */
const BEFORE_SEND = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);
/** Certificate/handshake problems: never retried, never ambiguous. */
function isTlsError(code: string | undefined, msg: string): boolean {
  return (
    (!!code &&
      (code.startsWith("ERR_TLS") ||
        code.startsWith("ERR_SSL") ||
        code.includes("CERT") ||
        code === "DEPTH_ZERO_SELF_SIGNED_CERT" ||
        code === "SELF_SIGNED_CERT_IN_CHAIN" ||
        code === "UNABLE_TO_VERIFY_LEAF_SIGNATURE" ||
        code === "UNABLE_TO_GET_ISSUER_CERT_LOCALLY" ||
        code === "HOSTNAME_MISMATCH")) ||
    /alert|certificate|handshake/i.test(msg)
  );
}

function errCode(e: unknown): string | undefined {
  let x: unknown = e;
  for (let i = 0; i < 4 && x && typeof x === "object"; i++) {
    const c = (x as { code?: unknown }).code;
    if (typeof c === "string" && c !== "UND_ERR_SOCKET") return c;
    x = (x as { cause?: unknown }).cause;
  }
  const c = (e as { code?: unknown })?.code;
  return typeof c === "string" ? c : undefined;
}

function errMessage(e: unknown): string {
  const parts: string[] = [];
  let x: unknown = e;
  for (let i = 0; i < 4 && x instanceof Error; i++) {
    parts.push(x.message);
    x = x.cause;
  }
  return parts.join(": ");
}

export type Classified = {
  kind:
    | "before_send"
    | "tls"
    | "timeout_headers"
    | "timeout_body"
    | "deadline"
    | "after_send"
    /** The run's Cancel aborted the exchange (cancel.ts): the request may have been sent. */
    | "cancelled";
  code?: string;
};

export function classify(e: unknown): Classified {
  const code = errCode(e);
  const msg = errMessage(e);
  // First: an abort that cut a connect or a handshake short is the Cancel's, not a TLS failure.
  if (code === "OBDCR_RUN_CANCELLED") return { kind: "cancelled", code };
  if (code === "UND_ERR_CONNECT_TIMEOUT") return { kind: "before_send", code };
  if (code && BEFORE_SEND.has(code)) return { kind: "before_send", code };
  if (isTlsError(code, msg)) return { kind: "tls", ...(code ? { code } : {}) };
  if (code === "UND_ERR_HEADERS_TIMEOUT") return { kind: "timeout_headers", code };
  if (code === "UND_ERR_BODY_TIMEOUT") return { kind: "timeout_body", code };
  if (code === "OBDCR_EXCHANGE_DEADLINE") return { kind: "deadline", code };
  return { kind: "after_send", ...(code ? { code } : {}) };
}

/** Codes of a server certificate that no CA we trust issued. */
const UNTRUSTED_SERVER = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
]);

/**
 * What to check after a TLS failure, by its code: a server certificate we do not trust is about the
 * CA we were given (not our client certificate, which the server has not judged yet); a refusal by
 * the server (an alert) is about our client certificate and key.
 */
export function tlsAdvice(code: string | undefined): string {
  if (code && UNTRUSTED_SERVER.has(code))
    return "the server's certificate is not issued by a CA in transport.ca (the file in transport.caFile / ca_file; without one, Node's CA store): give the CA certificate that issued this server's certificate";
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID")
    return "a certificate of the server's chain, or the CA in transport.ca, is outside its validity: give the current CA (transport.ca) and check the machine's clock";
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || code === "HOSTNAME_MISMATCH")
    return "the server's certificate is not for this host name: check the URL";
  return "check transport.cert/key and the CA (transport.ca)";
}
