/**
 * The CLI's side of a directory's bank list: which directory a config names, the token for a
 * list that needs one, the ETag cache file, and `--bank <id>` (a bank picked from the list by its
 * stable id, whose discovery URL becomes `bank.discovery_url`).
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { BankListError, InvalidInputError } from "../core/errors.js";
import { parseUntrustedJson } from "../core/parse/json.js";
import { getProfile } from "../core/profiles/index.js";
import type { DirectoryKind } from "../core/profiles/types.js";
import { ProfileName } from "../core/schemas/common.js";
import { RegistrationParams } from "../core/schemas/params.js";
import { checkUrl, sourceOf } from "../core/validate/url_policy.js";
import { policyOf } from "../http/context.js";
import {
  type BankListSource,
  fetchBankList,
  type ListCache,
  listAccess,
  listingOf,
} from "../http/directory_list.js";
import { configError, type LoadedConfig, validateConfig } from "./config.js";
import { type ConfigArgValues, loadConfigFor, type Runtime } from "./runtime.js";

export const LIST_URL_ENV = "OBDCR_DIRECTORY_LIST_URL";

export const LIST_ARGS = {
  "list-url": {
    type: "string",
    valueHint: "url",
    description: `The directory's bank list (default: the regime's production list; env ${LIST_URL_ENV})`,
  },
} as const;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v);

/** A list URL that must be present in a config that registers nowhere yet. */
const PLACEHOLDER_BANK = { discovery_url: "https://bank.invalid/.well-known/openid-configuration" };

/** The directory a config's profile uses, and the list source (token only when the list needs one). */
export async function listSourceFor(
  rt: Runtime,
  cfg: LoadedConfig,
  listUrl: string | undefined,
): Promise<BankListSource & { directory: DirectoryKind }> {
  const p = ProfileName.safeParse(cfg.raw.profile);
  if (!p.success)
    throw new InvalidInputError("profile", "is required to know which directory lists the banks");
  const directory = getProfile(p.data).directory;
  const listing = listingOf(directory);
  const url = listUrl ?? rt.io.env[LIST_URL_ENV];
  const transport = isRecord(cfg.raw.transport) ? cfg.raw.transport : {};
  if (listing.auth === "none") {
    const ca = typeof transport.ca === "string" ? transport.ca : undefined;
    return { directory, url, tls: { ca } };
  }
  // The list needs the directory token: the registration's directory, software, key and certificate.
  const raw = { ...cfg.raw, bank: isRecord(cfg.raw.bank) ? cfg.raw.bank : PLACEHOLDER_BANK };
  const r = RegistrationParams.safeParse(raw);
  if (!r.success) throw configError(r.error);
  const params = r.data;
  const { tls, token } = listAccess(rt.ctx, directory, params, "directory.token_endpoint");
  return { directory, url, tls, token };
}

const CacheFile = z.record(z.string(), z.object({ etag: z.string(), body: z.string() }));

/** The ETag cache kept in a file between runs (`--cache`). */
export function readListCache(rt: Runtime, file: string | undefined): { cache: ListCache; save: () => void } {
  if (!file) return { cache: {}, save: () => undefined };
  const f = path.resolve(rt.io.cwd, file);
  let cache: ListCache = {};
  try {
    const parsed = CacheFile.safeParse(parseUntrustedJson(readFileSync(f, "utf8")));
    if (parsed.success) cache = parsed.data;
  } catch {
    /* no cache yet */
  }
  return {
    cache,
    save: () => {
      writeFileSync(`${f}.tmp`, JSON.stringify(cache), { mode: 0o600 });
      renameSync(`${f}.tmp`, f);
    },
  };
}

/**
 * `--bank <id>`: the list entry with this stable id; its discovery URL becomes `bank.discovery_url`
 * and, where the list's organisation is the bank's (UK), its organisation id `bank.org_id` (the
 * request's `aud`), as `registerBanks` does (a `bank_profile` in the config still applies). An id
 * the list does not have is an error.
 */
export async function pickBank(
  rt: Runtime,
  cfg: LoadedConfig,
  id: string,
  listUrl: string | undefined,
): Promise<void> {
  const src = await listSourceFor(rt, cfg, listUrl);
  const list = await rt.out.step("directory bank list", () => fetchBankList(rt.ctx, src));
  const bank = list.banks.find((b) => b.id === id);
  if (!bank)
    throw new BankListError(
      "unknown_bank",
      `--bank ${id}: the directory list (${list.banks.length} entries) has no bank with this id; see ob-dcr banks`,
      { field: "--bank" },
    );
  if (bank.status !== "active")
    rt.out.note(
      `warning: bank ${id} (${bank.name}) is ${bank.status} in the directory (${bank.status_detail})`,
    );
  const url = checkUrl(bank.discovery_url, "discovery_url", `the directory's entry for ${id}`, {
    ...policyOf(rt.ctx),
    from_url: list.list_url,
  });
  const source = sourceOf(url, "discovery_url", list.list_url);
  if (source) rt.ctx.given.set(url, source);
  cfg.raw.bank = {
    ...(isRecord(cfg.raw.bank) ? cfg.raw.bank : {}),
    discovery_url: url,
    ...(listingOf(src.directory).org_id_is_bank_org_id ? { org_id: bank.org_id } : {}),
  };
  rt.out.note(`bank ${id} (${bank.name}): ${url}`);
}

export const BANK_ARGS = {
  bank: {
    type: "string",
    valueHint: "id",
    description:
      "A bank from the directory's list by its id (ob-dcr banks); sets bank.discovery_url (UK: and bank.org_id)",
  },
  ...LIST_ARGS,
} as const;

/** The config as registration parameters, the bank picked from the directory list with `--bank`. */
export async function loadParamsWithBank(
  rt: Runtime,
  a: ConfigArgValues & { bank?: string | undefined; "list-url"?: string | undefined },
) {
  const cfg = await loadConfigFor(rt, a);
  if (a.bank !== undefined) await pickBank(rt, cfg, a.bank, a["list-url"]);
  return validateConfig(cfg);
}
