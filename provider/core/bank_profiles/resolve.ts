/**
 * Resolution of a bank profile (pure): spec profile → preset → the user's overrides
 * (`bank_profile` fields, then the client's own `client.grant_types`, which wins).
 * The bank's discovery document is applied afterwards (`validateProfileAgainstDiscovery`).
 */
import { InvalidInputError } from "../errors.js";
import { getProfile } from "../profiles/index.js";
import type { Profile } from "../profiles/types.js";
import type { ProfileName } from "../schemas/common.js";
import type { RegistrationParams } from "../schemas/params.js";
import { BANK_PRESET_NAMES, BANK_PRESETS, isBankPresetName } from "./presets.js";
import {
  BankProfile,
  type BankProfileField,
  type BankProfilePatch,
  type RequestContentType,
  type SettingSource,
} from "./schema.js";

/** The library's grant types when neither the client, the preset nor an override names them. */
export const DEFAULT_GRANT_TYPES = ["authorization_code", "client_credentials", "refresh_token"] as const;

export interface SettingOrigin {
  source: SettingSource;
  /** Exactly where: `spec obie-3.2`, `preset hsbc`, `bank_profile.content_type`. */
  from: string;
}

export interface ResolvedBankProfile extends BankProfile {
  /** The spec profile the bank profile is layered on. */
  spec_profile: ProfileName;
  /** The preset used, if any. */
  preset: string | undefined;
  /** Where each setting came from. */
  sources: Record<BankProfileField, SettingSource>;
  /** Where each setting came from, with the exact parameter path. */
  origins: Record<BankProfileField, SettingOrigin>;
}

/** Request content types each spec profile's format allows. */
export function allowedContentTypes(profile: Profile): readonly RequestContentType[] {
  return profile.format === "jwt" ? ["application/jwt", "application/jose"] : ["application/json"];
}

/** The spec layer: what the spec profile says (or the library default where the spec is silent). */
export function specBankProfile(profile: Profile): BankProfile {
  return {
    content_type: profile.content_type as RequestContentType,
    aud: profile.aud,
    iss: "software_id",
    jti_case: "lower",
    scope_format: profile.scope_format,
    grant_types: [...DEFAULT_GRANT_TYPES],
    extra_claims: {},
    dn_format: "hex",
    management: {
      style: profile.management.style,
      scope: profile.management.scope,
      gone_statuses: [...profile.management.gone_statuses],
      invalid_client_is_gone: false,
      rat_may_rotate: profile.management.rat_may_rotate ?? false,
      allowed_origins: [],
    },
    supports: { read: true, update: true, delete: true },
    response: {
      timestamp_unit: "s",
      scope_format: profile.scope_format,
      created_status: 201,
      dn_claim: profile.dn_claim,
    },
    refuses_duplicate_registration: profile.refuses_duplicate_registration,
    duplicate_errors: [...profile.duplicate_errors],
    client_id_hint: false,
    request_ttl_seconds: 300,
    skip_discovery_checks: false,
  };
}

type Leaf = { field: BankProfileField; value: unknown };

/** The leaves a patch sets, as dotted field names. */
function leaves(patch: BankProfilePatch): Leaf[] {
  const out: Leaf[] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (k === "management" || k === "supports" || k === "response") {
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>))
        if (v2 !== undefined) out.push({ field: `${k}.${k2}` as BankProfileField, value: v2 });
    } else out.push({ field: k as BankProfileField, value: v });
  }
  return out;
}

function setLeaf(p: BankProfile, field: BankProfileField, value: unknown): void {
  const [a, b] = field.split(".") as [string, string | undefined];
  const target = p as unknown as Record<string, Record<string, unknown>>;
  if (b === undefined) (p as unknown as Record<string, unknown>)[a] = value;
  else target[a] = { ...target[a], [b]: value };
}

/** The client's own `client.grant_types`, which wins over the profile's. */
function explicitOverrides(
  params: RegistrationParams,
): { field: BankProfileField; value: unknown; from: string }[] {
  const g = params.client.grant_types;
  return g === undefined ? [] : [{ field: "grant_types", value: g, from: "client.grant_types" }];
}

const describe = (o: SettingOrigin) => o.from;

/**
 * Merge spec profile, preset and overrides into one profile, recording each value's origin.
 * Throws `InvalidInputError` (field `bank_profile`) for an unknown preset, and naming the field and
 * both sides for an override that the spec profile does not allow.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT`: an unknown preset, or a setting the spec
 *   profile does not allow (`field` is the setting's path).
 */
export function resolveBankProfile(params: RegistrationParams): ResolvedBankProfile {
  const profile = getProfile(params.profile);
  const merged = specBankProfile(profile);
  const specOrigin: SettingOrigin = { source: "spec", from: `spec ${profile.name}` };
  const origins = {} as Record<BankProfileField, SettingOrigin>;
  for (const { field } of leaves(merged as BankProfilePatch)) origins[field] = specOrigin;

  const input = params.bank_profile;
  const presetName = typeof input === "string" ? input : input?.preset;
  if (presetName !== undefined) {
    if (!isBankPresetName(presetName))
      throw new InvalidInputError(
        "bank_profile",
        `unknown bank preset "${presetName}"; known presets: ${BANK_PRESET_NAMES.join(", ")}`,
      );
    for (const { field, value } of leaves(BANK_PRESETS[presetName].profile)) {
      setLeaf(merged, field, structuredClone(value));
      origins[field] = { source: "preset", from: `preset ${presetName}` };
    }
  }
  if (typeof input === "object") {
    const { preset: _preset, ...patch } = input;
    for (const { field, value } of leaves(patch)) {
      setLeaf(merged, field, structuredClone(value));
      origins[field] = { source: "override", from: `bank_profile.${field}` };
    }
  }
  for (const { field, value, from } of explicitOverrides(params)) {
    setLeaf(merged, field, structuredClone(value));
    origins[field] = { source: "override", from };
  }
  checkAgainstSpec(profile, merged, origins, params);
  const parsed = BankProfile.parse(merged);
  const sources = Object.fromEntries(Object.entries(origins).map(([k, o]) => [k, o.source])) as Record<
    BankProfileField,
    SettingSource
  >;
  return {
    ...parsed,
    spec_profile: profile.name,
    preset: presetName,
    sources,
    origins,
  };
}

/** Conflicts between the merged settings and the spec profile, named by field and both sides. */
function checkAgainstSpec(
  profile: Profile,
  p: BankProfile,
  origins: Record<BankProfileField, SettingOrigin>,
  params: RegistrationParams,
): void {
  const spec = `spec profile ${profile.name}`;
  const allowed = allowedContentTypes(profile);
  if (!allowed.includes(p.content_type))
    throw new InvalidInputError(
      origins.content_type.from.startsWith("bank") ? origins.content_type.from : "bank_profile.content_type",
      `${p.content_type} (from ${describe(origins.content_type)}) is not allowed by ${spec}, which sends ${allowed.join(" or ")}`,
    );
  if (profile.grant_types) {
    for (const g of p.grant_types)
      if (!profile.grant_types.includes(g))
        throw new InvalidInputError(
          fieldOf(origins.grant_types, "grant_types"),
          `${g} (from ${describe(origins.grant_types)}) is not a grant type of ${spec} (${profile.grant_types.join(", ")})`,
        );
  }
  if (typeof p.iss === "object" && profile.software_id_max !== undefined) {
    if (!/^[0-9a-zA-Z]+$/.test(p.iss.literal) || p.iss.literal.length > profile.software_id_max)
      throw new InvalidInputError(
        fieldOf(origins.iss, "iss"),
        `"${p.iss.literal}" (from ${describe(origins.iss)}) is not a valid iss for ${spec} (1-${profile.software_id_max} Base62 characters)`,
      );
  }
  if (p.iss === "org_id" && profile.format === "jwt" && params.software) {
    const org = params.software.org_id;
    if (profile.software_id_max !== undefined && org.length > profile.software_id_max)
      throw new InvalidInputError(
        fieldOf(origins.iss, "iss"),
        `iss = org_id (from ${describe(origins.iss)}) gives "${org}", longer than ${spec} allows (${profile.software_id_max})`,
      );
  }
}

function fieldOf(o: SettingOrigin, field: string): string {
  if (o.source === "override") return o.from;
  return `bank_profile.${field}`;
}

/** Human-readable resolution, one line per field: `content_type = application/jose  (preset hsbc)`. */
export function describeBankProfile(r: ResolvedBankProfile): string[] {
  const value = (field: BankProfileField): unknown => {
    const [a, b] = field.split(".") as [keyof BankProfile, string | undefined];
    const v = r[a] as unknown;
    return b === undefined ? v : (v as Record<string, unknown>)[b];
  };
  const lines = [
    `spec profile ${r.spec_profile}${r.preset ? `, preset ${r.preset}` : ""} (order: spec → preset → overrides → discovery)`,
  ];
  for (const f of Object.keys(r.origins) as BankProfileField[])
    lines.push(`${f} = ${JSON.stringify(value(f))}  (${r.origins[f].from})`);
  return lines;
}
