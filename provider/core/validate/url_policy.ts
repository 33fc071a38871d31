/**
 * One policy for every URL a bank or a directory hands us (discovery, registration and management
 * answers, SSA claims, JWKS locations), applied before any credential is sent to it: https only
 * (http only on a literal loopback address, and only where the user's own settings allow it), no
 * other scheme, no user-info; the management URI stays on the registration endpoint's origin
 * unless the bank profile names another origin (`management.allowed_origins`). Pure.
 */
import { UnexpectedResponseError } from "../errors.js";
import { quotesSecret, untrustedText } from "../untrusted.js";

export interface UrlPolicy {
  /** http:// on 127.0.0.0/8 or [::1] (a local test server the user runs): off by default. */
  allow_http_loopback?: boolean | undefined;
  /**
   * The URL of the party that handed this one over (a bank's discovery URL, the directory's list or
   * SSA URL). When that party is on the internet, the URL may not name this machine or a private
   * network (`reachProblem`): a hostile answer must not turn the TPP's runner on its own network.
   * An empty string: a party whose own URL is unknown (an inline SSA), held to the rules for all.
   */
  from_url?: string | undefined;
}

/** A URL from a bank or a directory that ob-dcr will not use. `field` names where it came from. */
export class UnsafeUrlError extends UnexpectedResponseError {
  readonly field: string;
  constructor(field: string, message: string, options?: { client_id?: string | undefined; cause?: unknown }) {
    super(`${field}: ${message}`, options);
    this.field = field;
  }
}

function isLoopbackHost(host: string): boolean {
  if (host === "[::1]") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Where a host is, from its spelling alone: a name that may be public, or a local or private one. */
export type HostScope =
  | "public"
  | "this host"
  | "a private network"
  | "a link-local network"
  | "a local name";

function ipv4Scope(a: number, b: number): HostScope {
  if (a === 0 || a === 127) return "this host";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "a private network";
  if (a === 100 && b >= 64 && b <= 127) return "a private network"; // RFC 6598 shared space
  if (a === 169 && b === 254) return "a link-local network"; // cloud metadata services live here
  return "public";
}

/** The eight 16-bit words of an IPv6 address in hex notation (`::` expanded); undefined if malformed. */
function ipv6Words(ip: string): number[] | undefined {
  const halves = ip.split("::");
  if (halves.length > 2) return undefined;
  const part = (s: string) => (s === "" ? [] : s.split(":").map((w) => Number.parseInt(w, 16)));
  const head = part(halves[0]!);
  const tail = halves.length === 2 ? part(halves[1]!) : [];
  const gap = 8 - head.length - tail.length;
  if (gap < 0 || (halves.length === 1 && gap !== 0)) return undefined;
  const words = [...head, ...Array<number>(gap).fill(0), ...tail];
  return words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : undefined;
}

/**
 * The IPv4 address (dotted) an IPv6 one carries to a v4 host, for the forms a network may route
 * there: mapped (::ffff:0:0/96) and translated (::ffff:0:0:0/96), the deprecated compatible
 * (::/96), NAT64's well-known prefix (64:ff9b::/96), 6to4 (2002::/16), Teredo's client (2001::/32).
 */
function embeddedIpv4(w: number[]): string | undefined {
  const zero = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  const dotted = (hi: number, lo: number) => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join(".");
  if (zero(0, 5) && (w[5] === 0xffff || w[5] === 0)) return dotted(w[6]!, w[7]!);
  if (zero(0, 4) && w[4] === 0xffff && w[5] === 0) return dotted(w[6]!, w[7]!);
  if (w[0] === 0x64 && w[1] === 0xff9b && zero(2, 6)) return dotted(w[6]!, w[7]!);
  if (w[0] === 0x2002) return dotted(w[1]!, w[2]!);
  if (w[0] === 0x2001 && w[1] === 0) return dotted(w[6]! ^ 0xffff, w[7]! ^ 0xffff);
  return undefined;
}

/** The IPv4 address a bracketed IPv6 host carries (`embeddedIpv4`), if any. */
function carriedIpv4(hostname: string): string | undefined {
  if (!hostname.startsWith("[")) return undefined;
  const w = ipv6Words(hostname.slice(1, -1).toLowerCase());
  return w && !(w.slice(0, 7).every((x) => x === 0) && w[7]! <= 1) ? embeddedIpv4(w) : undefined;
}

/** The scope of a WHATWG-normalized host (`URL.hostname`: IPv4 dotted, IPv6 bracketed and compressed). */
export function hostScope(hostname: string): HostScope {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  if (h.startsWith("[")) {
    const w = ipv6Words(h.slice(1, -1));
    if (!w) return "a local name"; // not an address a URL parser would give: refused from the internet
    if (w.slice(0, 7).every((x) => x === 0) && w[7]! <= 1) return "this host"; // :: and ::1
    const v4 = embeddedIpv4(w);
    if (v4) return hostScope(v4);
    if ((w[0]! & 0xfe00) === 0xfc00) return "a private network"; // fc00::/7
    if ((w[0]! & 0xffc0) === 0xfec0) return "a private network"; // fec0::/10, the retired site-local
    if (w[0] === 0x64 && w[1] === 0xff9b && w[2] === 1) return "a private network"; // local-use NAT64 (RFC 8215)
    if ((w[0]! & 0xffc0) === 0xfe80) return "a link-local network"; // fe80::/10
    return "public";
  }
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(h);
  if (v4) return ipv4Scope(Number(v4[1]), Number(v4[2]));
  if (h === "localhost" || h.endsWith(".localhost")) return "this host";
  // One label (a search-domain name) or a TLD that is local by definition (RFC 6762, 8375; .internal).
  if (!h.includes(".") || /\.(local|internal|home\.arpa)$/.test(h)) return "a local name";
  return "public";
}

/**
 * Cloud instance metadata services by name, and those whose address is not link-local: AWS's IPv6
 * fd00:ec2::254, Alibaba Cloud's 100.100.100.200 (in the shared space, which a local party may name).
 */
const METADATA_HOSTS = new Set([
  "metadata.google.internal",
  "metadata.goog",
  "[fd00:ec2::254]",
  "100.100.100.200",
]);

/** Where a host may not lead, and why: what it points to, and the public party's host if that is the reason. */
interface Refusal {
  to: string;
  from_host?: string | undefined;
}

/**
 * The one rule for where a party may send us, for a host as spelled or an address it resolved to.
 * No party sends us to a link-local address or a cloud metadata service: no bank or test server
 * lives there, and the runner's cloud credentials do. A party on the internet may not name this
 * machine or a private network either; a party that is itself local (the sandbox, a test directory
 * on the user's network) may.
 */
function refusal(hostname: string, from_url: string): Refusal | undefined {
  const scope = hostScope(hostname);
  // A fully qualified name's root dot (metadata.goog.) resolves the same: judged without it.
  const name = hostname.toLowerCase().replace(/\.$/, "");
  if (scope === "a link-local network") return { to: scope };
  if (METADATA_HOSTS.has(name) || METADATA_HOSTS.has(carriedIpv4(name) ?? ""))
    return { to: "a cloud metadata service" };
  if (scope === "public" || partyKind(from_url) === "local") return undefined;
  return { to: scope, from_host: new URL(from_url).host };
}

const NOT_HERE = "no bank or directory serves from there, and the machine's own cloud credentials do";
const ASK_PUBLIC =
  "a bank or directory there does not send clients into the TPP's own machine or network. Ask the bank or the directory for the public address it serves from";

/**
 * Why `u`, handed over by the party at `from_url`, is refused for where it points (undefined: it
 * may be used), by its spelling. What a name resolves to is judged at connect (`addressProblem`).
 */
export function reachProblem(u: URL, from_url: string): string | undefined {
  const r = refusal(u.hostname, from_url);
  if (!r) return undefined;
  const host = untrustedText(u.hostname, 120);
  if (r.from_host === undefined) return `points to ${r.to} (${host}): ${NOT_HERE}`;
  return `points to ${r.to} (${host}), though it came from a server on the internet (${untrustedText(r.from_host, 120)}): ${ASK_PUBLIC}`;
}

/** An address as a WHATWG host (IPv6 bracketed and compressed), so that `hostScope` judges it. */
function addressHost(address: string): string {
  if (!address.includes(":")) return address;
  try {
    return new URL(`https://[${address.replace(/%.*$/, "")}]/`).hostname;
  } catch {
    return `[${address}]`;
  }
}

/**
 * Why `host` (from a URL the party at `from_url` handed over) may not be connected to at
 * `address`, one of the addresses DNS gave for it (undefined: it may). The rule of `reachProblem`,
 * applied to the address: a public name whose answer is a private, loopback, link-local or
 * metadata address is refused like that address spelled out.
 */
export function addressProblem(address: string, host: string, from_url: string): string | undefined {
  const r = refusal(addressHost(address), from_url);
  if (!r) return undefined;
  const at = `${untrustedText(host, 120)} resolves to ${untrustedText(address, 60)} (${r.to})`;
  if (r.from_host === undefined) return `${at}: ${NOT_HERE}`;
  return `${at}, though it came from a server on the internet (${untrustedText(r.from_host, 120)}): ${ASK_PUBLIC}`;
}

/**
 * Where a URL came from, for the check of the address connected to: the field it came in and the
 * URL of the party whose rules it is held to. None: the user configured it, or it is on the host
 * of a URL the user configured (the name the user chose, resolved as for that URL).
 */
export interface UrlSource {
  field: string;
  from_url: string;
}

/**
 * The source of `url`, given in `field` by the party at `from_url`, itself from `from_source`
 * (undefined: the user's). On the party's own host a URL is held to the party URL's own rules: the
 * same name, connected to as before (and through the same pooled connections).
 */
export function sourceOf(
  url: string,
  field: string,
  from_url: string,
  from_source?: UrlSource | undefined,
): UrlSource | undefined {
  if (!sameHost(url, from_url)) return { field, from_url };
  return from_source && { field, from_url: from_source.from_url };
}

/**
 * The rule set that `refusal` holds a party's URLs to, which depends on the party only through
 * this: a party on the internet, or one on this machine or network (or of unknown URL). Connections
 * checked for one party are good for every party of its kind, so they are pooled per kind.
 */
export function partyKind(from_url: string): "public" | "local" {
  try {
    return hostScope(new URL(from_url).hostname) === "public" ? "public" : "local";
  } catch {
    return "local";
  }
}

/** Whether two URLs name the same host (false when either does not parse). */
export function sameHost(a: string, b: string): boolean {
  try {
    return new URL(a).hostname.toLowerCase() === new URL(b).hostname.toLowerCase();
  } catch {
    return false;
  }
}

/** Why this URL is refused (undefined: it may be used). */
export function urlProblem(raw: unknown, policy: UrlPolicy = {}): string | undefined {
  if (typeof raw !== "string" || raw.length === 0) return "is not a URL";
  if (raw.length > 2048) return "is longer than 2048 characters";
  // The URL parser drops tabs and newlines silently; the raw text, kept and printed, would not.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
  if (/[\u0000-\u0020\u007f-\u009f\u2028\u2029]/.test(raw)) return "holds whitespace or control characters";
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `is not a URL (${untrustedText(raw, 120)})`;
  }
  if (u.username || u.password) return "carries user-info (credentials in the URL)";
  const reach = () => (policy.from_url !== undefined ? reachProblem(u, policy.from_url) : undefined);
  if (u.protocol === "https:") return reach();
  if (u.protocol === "http:") {
    if (policy.allow_http_loopback && isLoopbackHost(u.hostname)) return reach();
    return policy.allow_http_loopback
      ? `uses plain http on ${untrustedText(u.host, 120)}, which is not a loopback address: only https is used`
      : `uses plain http (${untrustedText(u.origin, 120)}): only https is used, so no credential travels unencrypted (a local http test server on 127.0.0.1 needs OBDCR_ALLOW_HTTP_LOOPBACK=1)`;
  }
  return `uses the ${untrustedText(u.protocol, 40)} scheme: only https URLs are used`;
}

/**
 * A URL that `from` (a bank or the directory, named for the message) supplied in `field`: returned
 * when the policy allows it, else an `UnsafeUrlError` naming the field and the source.
 */
export function checkUrl(raw: unknown, field: string, from: string, policy: UrlPolicy = {}): string {
  const problem = urlProblem(raw, policy);
  if (problem) throw new UnsafeUrlError(field, `the URL from ${from} ${problem}; nothing was sent to it`);
  return raw as string;
}

/** The origin of a URL, or undefined when it does not parse. */
export function originOf(raw: string): string | undefined {
  try {
    return new URL(raw).origin;
  } catch {
    return undefined;
  }
}

/**
 * Why a management URI (RFC 7592 `registration_client_uri`) is refused: it must pass the policy and
 * sit on the registration endpoint's origin or one of `allowed_origins` (undefined: it may be used).
 */
export function managementUriProblem(
  uri: unknown,
  registration_endpoint: string,
  allowed_origins: readonly string[] = [],
  policy: UrlPolicy = {},
): string | undefined {
  const problem = urlProblem(uri, policy);
  if (problem) return problem;
  const origin = originOf(uri as string);
  const home = originOf(registration_endpoint);
  if (origin === home || allowed_origins.some((o) => originOf(o) === origin)) return undefined;
  return `is on ${untrustedText(origin, 120)}, not on the registration endpoint's origin ${untrustedText(home, 120)}: the registration access token is sent only there (bank_profile.management.allowed_origins names other origins of this bank)`;
}

/**
 * Why a management URI that a bank's answer hands us is refused: as `managementUriProblem`, and it
 * must not quote a credential (a registration access token in its query, say): the URI is kept in
 * plain text (the CLI's state file, Pulumi outputs) and printed, where no credential may be.
 */
export function answeredManagementUriProblem(
  uri: unknown,
  registration_endpoint: string,
  allowed_origins: readonly string[] = [],
  policy: UrlPolicy = {},
): string | undefined {
  const problem = managementUriProblem(uri, registration_endpoint, allowed_origins, policy);
  if (problem) return problem;
  if (quotesSecret(uri as string))
    return "quotes a credential (a registration access token, a client secret or a token we sent): it would be kept and printed in plain text, so it is not used";
  return undefined;
}

/**
 * The issuer a discovery URL implies (OpenID Connect Discovery 1.0 §4.3: the document's `issuer`
 * must be the URL it was fetched from, less `/.well-known/openid-configuration`; RFC 8414 §3 for
 * `/.well-known/oauth-authorization-server`). Undefined when the URL has neither form.
 */
export function issuerOfDiscoveryUrl(discovery_url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(discovery_url);
  } catch {
    return undefined;
  }
  const oidc = "/.well-known/openid-configuration";
  if (u.pathname.endsWith(oidc)) return `${u.origin}${u.pathname.slice(0, -oidc.length)}`;
  const as = "/.well-known/oauth-authorization-server";
  // RFC 8414 §3.1: the issuer's path follows the well-known segment, as a segment of its own.
  const rest = u.pathname.slice(as.length);
  if (u.pathname.startsWith(as) && (rest === "" || rest.startsWith("/"))) return `${u.origin}${rest}`;
  return undefined;
}

/** Issuers compared as §4.3 says (exactly), but a lone trailing slash is not a different issuer. */
export function sameIssuer(a: string, b: string): boolean {
  return a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
}

/** The URLs of a discovery document that ob-dcr may send something to, with their field names. */
export interface DiscoveryUrls {
  issuer?: string | undefined;
  registration_endpoint?: string | undefined;
  token_endpoint?: string | undefined;
  jwks_uri?: string | undefined;
  mtls_endpoint_aliases?:
    | { registration_endpoint?: string | undefined; token_endpoint?: string | undefined }
    | undefined;
}

/**
 * A bank's discovery document before anything is sent to what it names: every endpoint we use
 * passes the URL policy, and its `issuer` is the one the discovery URL implies (OpenID Connect
 * Discovery §4.3), or the `bank.issuer` the user declared (a bank whose issuer differs from its
 * host, as CDR allows): a document naming another issuer is another bank's.
 */
export function checkDiscoveryDocument(
  d: DiscoveryUrls,
  discovery_url: string,
  declared_issuer: string | undefined,
  policy: UrlPolicy = {},
): void {
  const from = `the discovery document at ${untrustedText(discovery_url, 200)}`;
  const urls: [string, string | undefined][] = [
    ["registration_endpoint", d.registration_endpoint],
    ["token_endpoint", d.token_endpoint],
    ["jwks_uri", d.jwks_uri],
    ["mtls_endpoint_aliases.registration_endpoint", d.mtls_endpoint_aliases?.registration_endpoint],
    ["mtls_endpoint_aliases.token_endpoint", d.mtls_endpoint_aliases?.token_endpoint],
  ];
  // What the document names is the bank's say: a bank on the internet keeps to it.
  const named = { ...policy, from_url: discovery_url };
  for (const [field, url] of urls) if (url !== undefined) checkUrl(url, `discovery.${field}`, from, named);
  const expected = declared_issuer ?? issuerOfDiscoveryUrl(discovery_url);
  if (expected === undefined || d.issuer === undefined) return;
  if (!sameIssuer(d.issuer, expected))
    throw new UnsafeUrlError(
      "discovery.issuer",
      `${from} names the issuer ${untrustedText(d.issuer, 200)}, not ${untrustedText(expected, 200)} (${
        declared_issuer
          ? "bank.issuer"
          : "OpenID Connect Discovery §4.3: the issuer is the URL the document was fetched from"
      }); nothing was sent to this bank. If the bank documents this issuer, give it as bank.issuer`,
    );
}
