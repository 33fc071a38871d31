/**
 * A directory's bank list over the wire (directories.md): every page fetched (CDS `links.next`,
 * SCIM `startIndex`/`count`, or one array), `If-None-Match` from a cache of earlier pages (a 304
 * reuses the cached page), `updated-since` on request, each body parsed as untrusted JSON and read
 * by the directory profile's `listing.format`; then the filter, and for the selected banks the
 * discovery check ("offers a registration_endpoint", fetched, never trusted from a list flag).
 * A list that cannot be had is a `BankListError` (code OBDCR_DIRECTORY_LIST) saying why.
 */

import { capReached, type NewBankCap } from "../core/directory/bank_plan.js";
import {
  applyBankFilter,
  type BankFilter,
  type DirectoryBank,
  type ListingProfile,
  readListPage,
  selectedOf,
} from "../core/directory/listing.js";
import { DIRECTORY_PROFILES } from "../core/directory/profiles.js";
import { resolveDirectory } from "../core/directory/resolve.js";
import { BankListError, InvalidInputError, ObDcrError } from "../core/errors.js";
import { importSigningKey } from "../core/keys.js";
import { parseUntrustedJson } from "../core/parse/json.js";
import type { DirectoryKind } from "../core/profiles/types.js";
import type { RegistrationParams } from "../core/schemas/params.js";
import { untrustedText } from "../core/untrusted.js";
import { checkDiscoveryDocument, checkUrl, sourceOf } from "../core/validate/url_policy.js";
import { type ObDcrContext, policyOf } from "./context.js";
import { discover } from "./discovery.js";
import { send } from "./send.js";
import { getDirectoryToken } from "./token.js";
import { DEFAULT_TRANSPORT_OPTIONS, type TlsMaterial, tlsMaterialOf } from "./transport_types.js";

/** Earlier pages by URL, with their validators: a file under the CLI, memory under Pulumi. */
export type ListCache = Record<string, { etag: string; body: string }>;

export interface BankListSource {
  directory: DirectoryKind;
  /** The list URL (default: the profile's production URL). */
  url?: string | undefined;
  tls: TlsMaterial;
  /** The directory access token, for lists that need one (asked for only then). */
  token?: (() => Promise<string>) | undefined;
  cache?: ListCache | undefined;
  /** AU: only entries changed after this instant (`updated-since`). */
  updated_since?: string | undefined;
  /** Largest page body, bytes (default 64 MiB: the BR list is one multi-MB array). */
  max_bytes?: number | undefined;
  /** The whole list, every page (default 10 min, 256 MiB): a directory that trickles pages ends. */
  budget_ms?: number | undefined;
  max_total_bytes?: number | undefined;
  /** Stop the discovery checks once more new banks passed than the run may add (`NewBankCap`). */
  new_bank_cap?: NewBankCap | undefined;
}

export interface FetchedList {
  list_url: string;
  banks: DirectoryBank[];
  /** Requests made, and how many of them the directory answered 304. */
  pages: number;
  not_modified: number;
  /** Entries that could not be read (kept out). */
  unreadable: number;
}

const MAX_PAGES = 1000;
const LIST_BUDGET_MS = 10 * 60_000;
const LIST_MAX_TOTAL_BYTES = 256 * 1024 * 1024;

/** What is left of the whole list's time and bytes; each page gets no more than that. */
interface ListBudget {
  until: number;
  bytes_left: number;
}

export function listingOf(directory: DirectoryKind): ListingProfile {
  return DIRECTORY_PROFILES[directory].listing;
}

function withQuery(url: string, q: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(q)) u.searchParams.set(k, v);
  return u.toString();
}

async function getPage(
  ctx: ObDcrContext,
  src: BankListSource,
  listing: ListingProfile,
  url: string,
  token: string | undefined,
  budget: ListBudget,
): Promise<{ json: unknown; not_modified: boolean }> {
  const label = `${DIRECTORY_PROFILES[src.directory].label} bank list`;
  const left = budget.until - Date.now();
  if (left <= 0 || budget.bytes_left <= 0)
    throw new BankListError(
      "unreachable",
      `${label}: the list did not end within ${left <= 0 ? "its time" : "its size"} (every page together); no bank was touched`,
    );
  const headers: Record<string, string> = { ...listing.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  const cached = src.cache?.[url];
  if (cached) headers["if-none-match"] = cached.etag;
  let res: Awaited<ReturnType<typeof send>>;
  try {
    res = await send({ method: "GET", url, headers, idempotent: true, label }, src.tls, {
      ...ctx.transport,
      operation_budget_ms: Math.min(
        ctx.transport.operation_budget_ms ?? DEFAULT_TRANSPORT_OPTIONS.operation_budget_ms,
        left,
      ),
      max_response_bytes: Math.min(src.max_bytes ?? 64 * 1024 * 1024, budget.bytes_left),
    });
  } catch (e) {
    const why = e instanceof ObDcrError ? `${e.code}: ${e.message}` : String(e);
    const spent =
      Date.now() >= budget.until ? "the list did not end within its time (every page together): " : "";
    throw new BankListError(
      "unreachable",
      `${label}: ${spent}could not be read (${why}); no bank was touched`,
      {
        cause: e,
      },
    );
  }
  if (res.status === 304 && cached) return { json: parseUntrustedJson(cached.body), not_modified: true };
  if (res.status !== 200)
    throw new BankListError(
      "status",
      `${label}: ${untrustedText(url, 200)} answered HTTP ${res.status}; no bank was touched`,
    );
  budget.bytes_left -= res.body.length;
  const text = res.body.toString("utf8");
  let json: unknown;
  try {
    json = parseUntrustedJson(text);
  } catch (e) {
    throw new BankListError("malformed", `${label}: the body is not usable JSON (${text.length} bytes)`, {
      cause: e,
    });
  }
  const etag = res.headers.etag;
  if (src.cache && etag && etag.length < 200) src.cache[url] = { etag, body: text };
  return { json, not_modified: false };
}

/** Every page of the list, read into `DirectoryBank`s (unfiltered). */
export async function fetchBankList(ctx: ObDcrContext, src: BankListSource): Promise<FetchedList> {
  const listing = listingOf(src.directory);
  const policy = policyOf(ctx);
  const list_url = checkUrl(src.url ?? listing.default_url, "list_url", "the configuration", policy);
  const token = listing.auth === "directory-token" ? await src.token?.() : undefined;
  if (listing.auth === "directory-token" && !token)
    throw new BankListError("unreachable", "this directory's list needs the directory token (directory.*)");
  const out: FetchedList = { list_url, banks: [], pages: 0, not_modified: 0, unreadable: 0 };
  const budget: ListBudget = {
    until: Date.now() + (src.budget_ms ?? LIST_BUDGET_MS),
    bytes_left: src.max_total_bytes ?? LIST_MAX_TOTAL_BYTES,
  };
  const read = (json: unknown) => {
    try {
      const page = readListPage(listing.format, json, src.directory);
      out.banks.push(...page.banks);
      out.unreadable += page.unreadable;
    } catch (e) {
      throw new BankListError(
        "malformed",
        `the bank list is not a ${listing.format} list: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
  };
  const since =
    src.updated_since && listing.updated_since_param
      ? { [listing.updated_since_param]: src.updated_since }
      : {};
  const paging = listing.paging;
  if (paging.kind === "none") {
    const p = await getPage(ctx, src, listing, list_url, token, budget);
    out.pages++;
    if (p.not_modified) out.not_modified++;
    read(p.json);
    return out;
  }
  if (paging.kind === "cds-links") {
    let url: string | undefined = withQuery(list_url, {
      ...since,
      page: "1",
      "page-size": String(paging.page_size),
    });
    const origin = new URL(list_url).origin;
    const seen = new Set<string>();
    while (url) {
      if (out.pages >= MAX_PAGES || seen.has(url))
        throw new BankListError("malformed", `the bank list pages do not end (${out.pages} pages)`);
      seen.add(url);
      const p = await getPage(ctx, src, listing, url, token, budget);
      out.pages++;
      if (p.not_modified) out.not_modified++;
      read(p.json);
      const next = (p.json as { links?: { next?: unknown } }).links?.next;
      if (typeof next !== "string" || next === "") break;
      const nextUrl = checkUrl(next, "links.next", "the directory", policy);
      if (new URL(nextUrl).origin !== origin)
        throw new BankListError(
          "malformed",
          `links.next leaves the directory (${untrustedText(nextUrl, 200)})`,
        );
      url = nextUrl;
    }
    return out;
  }
  // SCIM: startIndex is 1-based; stop once totalResults are read (or a page comes back empty).
  let start = 1;
  for (;;) {
    if (out.pages >= MAX_PAGES) throw new BankListError("malformed", "the bank list pages do not end");
    const url = withQuery(list_url, { startIndex: String(start), count: String(paging.count) });
    const p = await getPage(ctx, src, listing, url, token, budget);
    out.pages++;
    if (p.not_modified) out.not_modified++;
    read(p.json);
    const j = p.json as { totalResults?: number; Resources?: unknown[] };
    const got = Array.isArray(j.Resources) ? j.Resources.length : 0;
    start += got;
    if (got === 0 || start > (j.totalResults ?? 0)) break;
  }
  return out;
}

/**
 * For each selected bank, fetch discovery and require a `registration_endpoint` (or its mTLS
 * alias) that passes the URL policy and an issuer the URL implies; a bank that fails is excluded
 * with the reason (one bank's failure never stops the others). Discovery is cached in `ctx`, so
 * the registrations of the same run reuse it.
 */
export async function checkRegistrationEndpoints(
  ctx: ObDcrContext,
  banks: DirectoryBank[],
  tls: TlsMaterial,
  concurrency = 16,
  /** When the list's time is up (epoch ms): the checks share it with the pages. */
  until = Number.POSITIVE_INFINITY,
  /** The discovery documents' bytes together (each is kept in the context's cache). */
  max_bytes = LIST_MAX_TOTAL_BYTES,
  /**
   * Once more new banks passed than the run may add, the run fails whatever the rest say: the
   * checks stop there (a list of 10,000 new entries costs max_new + 1 checks, not 10,000).
   */
  cap?: NewBankCap,
  /** The list the banks came from: each discovery URL is its say, checked at connect. */
  list_url?: string,
): Promise<DirectoryBank[]> {
  const todo = banks.map((b, i) => ({ b, i })).filter(({ b }) => b.excluded.length === 0 && b.discovery_url);
  const out = [...banks];
  let next = 0;
  let unchecked = 0;
  let bytes_left = max_bytes;
  let new_passed = 0;
  const worker = async () => {
    for (;;) {
      if (cap && capReached(cap, new_passed)) return;
      const job = todo[next++];
      if (!job) return;
      const left = until - Date.now();
      // The directory chose how many banks there are and where their discovery is: thousands of
      // slow servers would take hours one by one. Out of time, the list is not read at all.
      if (left <= 0 || bytes_left <= 0) {
        unchecked++;
        continue;
      }
      const url = job.b.discovery_url as string;
      const budgeted = {
        ...ctx,
        transport: {
          ...ctx.transport,
          operation_budget_ms: Math.min(
            ctx.transport.operation_budget_ms ?? DEFAULT_TRANSPORT_OPTIONS.operation_budget_ms,
            left,
          ),
          max_response_bytes: Math.min(
            ctx.transport.max_response_bytes ?? DEFAULT_TRANSPORT_OPTIONS.max_response_bytes,
            bytes_left,
          ),
        },
      };
      try {
        const source = list_url === undefined ? undefined : sourceOf(url, "discovery_url", list_url);
        const d = await discover(budgeted, url, tls, source);
        // Thousands of banks of a megabyte each would be gigabytes held in the cache.
        bytes_left -= JSON.stringify(d).length;
        checkDiscoveryDocument(d, url, undefined, policyOf(ctx));
        if (!d.registration_endpoint && !d.mtls_endpoint_aliases?.registration_endpoint)
          out[job.i] = {
            ...job.b,
            excluded: [
              {
                code: "no_registration_endpoint",
                detail: "the discovery document has no registration_endpoint",
              },
            ],
          };
        else if (cap && !cap.known.has(job.b.id)) new_passed++;
      } catch (e) {
        // Failed at the end of the list's time, or held to what is left of its bytes: the budget,
        // not the bank, may have cut it short.
        if (until - Date.now() < 1_000 || budgeted.transport.max_response_bytes === bytes_left) {
          unchecked++;
          continue;
        }
        const why = e instanceof ObDcrError ? `${e.code}: ${e.message}` : String(e);
        out[job.i] = {
          ...job.b,
          excluded: [{ code: "discovery_failed", detail: untrustedText(why, 300) }],
        };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
  // Past the ceiling the plan fails as "grew" whatever the unchecked would say: not "unreachable".
  if (unchecked > 0 && !(cap && capReached(cap, new_passed)))
    throw new BankListError(
      "unreachable",
      `the discovery checks of ${todo.length} banks did not end within ${bytes_left <= 0 ? `their size (${max_bytes} bytes of discovery documents together)` : "the list's time (every page and check together)"}; ${unchecked} not checked; no bank was touched`,
    );
  return out;
}

export interface ListedBanks extends FetchedList {
  /** Every entry, the excluded ones with their reasons. */
  banks: DirectoryBank[];
  selected: DirectoryBank[];
}

/** Fetch, filter and (unless the filter says not to) check discovery: the list a user asked for. */
export async function listBanks(
  ctx: ObDcrContext,
  src: BankListSource,
  filter: BankFilter,
): Promise<ListedBanks> {
  const until = Date.now() + (src.budget_ms ?? LIST_BUDGET_MS);
  const fetched = await fetchBankList(ctx, src);
  const today = new Date(ctx.now() * 1000).toISOString().slice(0, 10);
  let banks = applyBankFilter(fetched.banks, filter, listingOf(src.directory), {
    // A directory on the internet lists banks on the internet.
    policy: { ...policyOf(ctx), from_url: fetched.list_url },
    today,
  });
  if (filter.require_registration_endpoint)
    banks = await checkRegistrationEndpoints(
      ctx,
      banks,
      src.tls,
      16,
      until,
      src.max_total_bytes ?? LIST_MAX_TOTAL_BYTES,
      src.new_bank_cap,
      fetched.list_url,
    );
  return { ...fetched, banks, selected: selectedOf(banks) };
}

/**
 * What reading `directory`'s list takes when it needs the directory token: the registration's
 * mTLS material and a token source (its directory, software and signing key). `field` names the
 * token endpoint as the caller's face spells it.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT` when no directory token endpoint is known.
 */
export function listAccess(
  ctx: ObDcrContext,
  directory: DirectoryKind,
  params: RegistrationParams,
  field: string,
): { tls: TlsMaterial; token: () => Promise<string> } {
  const listing = listingOf(directory);
  const resolved = resolveDirectory(params);
  const token_endpoint = resolved?.token_endpoint;
  if (!resolved || !token_endpoint)
    throw new InvalidInputError(
      field,
      `is required: the ${DIRECTORY_PROFILES[directory].label} list needs its access token`,
    );
  const tls = tlsMaterialOf(params.transport);
  const token = async () =>
    getDirectoryToken(ctx, {
      token_endpoint,
      client_id: resolved.client_id,
      scope: listing.scope ?? resolved.scope,
      key: await importSigningKey(params.signing_key),
      tls,
      auth: resolved.token_auth,
    });
  return { tls, token };
}
