/**
 * The directory side of one registration, resolved from the regime's directory profile and the
 * `directory.*` parameters (given values win): token client id and authentication, scope, SSA URL
 * and headers, accepted issuers, reuse and freshness. Pure.
 */
import { InvalidInputError } from "../errors.js";
import { getProfile } from "../profiles/index.js";
import type { RegistrationParams } from "../schemas/params.js";
import { DIRECTORY_PROFILES, type DirectoryProfile } from "./profiles.js";

export interface ResolvedDirectory {
  profile: DirectoryProfile;
  token_endpoint: string | undefined;
  /** The SSA URL with the template filled (undefined with an inline SSA only). */
  ssa_url: string | undefined;
  token_auth: "private_key_jwt" | "tls_client_auth";
  client_id: string;
  scope: string[];
  /** Headers of the SSA request besides the bearer token. */
  ssa_headers: Record<string, string>;
  issuers: string[];
  reuse_seconds: number;
  fresh_seconds: number | undefined;
}

/** The directory profile of a registration profile. */
export function directoryProfileOf(p: Pick<RegistrationParams, "profile">): DirectoryProfile {
  return DIRECTORY_PROFILES[getProfile(p.profile).directory];
}

/**
 * Fill an SSA URL template with the software's ids (URL-encoded). Only the regime's variables are
 * known: any other `{name}` is refused, naming `directory.ssa_endpoint`.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT` (field `directory.ssa_endpoint`).
 */
export function ssaUrlFor(
  template: string,
  vars: DirectoryProfile["ssa_url_vars"],
  software: { org_id: string; software_id: string },
): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => {
    const source = vars[name];
    if (!source)
      throw new InvalidInputError(
        "directory.ssa_endpoint",
        `has the variable ${whole}, which this regime does not fill (known: ${Object.keys(vars)
          .map((v) => `{${v}}`)
          .join(", ")})`,
      );
    return encodeURIComponent(software[source]);
  });
}

export function resolveDirectory(
  params: Pick<RegistrationParams, "profile" | "directory" | "software">,
): ResolvedDirectory | undefined {
  const d = params.directory;
  const sw = params.software;
  if (!d || !sw) return undefined;
  const profile = directoryProfileOf(params);
  const client_id = d.client_id ?? (profile.token_client_id === "software_id" ? sw.software_id : undefined);
  if (client_id === undefined && !d.software_statement)
    throw new InvalidInputError(
      "directory.client_id",
      `is required by the ${profile.label}: the software's client id there (the SSA's software_client_id)`,
    );
  const ssa_headers: Record<string, string> = { accept: profile.ssa_accept };
  const version = d.ssa_version ?? profile.ssa_version;
  if (version !== undefined) ssa_headers["x-v"] = String(version);
  if (d.ssa_min_version !== undefined) ssa_headers["x-min-v"] = String(d.ssa_min_version);
  else if (
    version !== undefined &&
    profile.ssa_min_version !== undefined &&
    profile.ssa_min_version < version
  )
    ssa_headers["x-min-v"] = String(profile.ssa_min_version);
  return {
    profile,
    token_endpoint: d.token_endpoint,
    ssa_url: d.ssa_endpoint ? ssaUrlFor(d.ssa_endpoint, profile.ssa_url_vars, sw) : undefined,
    token_auth: d.token_auth_method ?? profile.token_auth,
    client_id: client_id ?? sw.software_id,
    scope: d.scope ?? [...profile.scope],
    ssa_headers,
    issuers: d.issuer !== undefined ? [d.issuer] : [...profile.ssa_issuers],
    reuse_seconds: d.ssa_max_age_seconds ?? profile.ssa_reuse_seconds,
    fresh_seconds: d.ssa_fresh_seconds ?? profile.ssa_fresh_seconds,
  };
}

/** The URL of the directory an SSA came from (an inline one: "", held to the rules for all). */
export function ssaFromUrl(params: Pick<RegistrationParams, "profile" | "directory" | "software">): string {
  const r = resolveDirectory(params);
  return r?.ssa_url ?? r?.token_endpoint ?? "";
}

/**
 * The directory URL whose rules the software JWKS at `uri` is held to at connect: the SSA's
 * `software_jwks_endpoint`, fresh or recorded in state, is the directory's say; the configured
 * `directory.software_jwks_endpoint` is the user's (undefined).
 */
export function softwareJwksFrom(
  params: Pick<RegistrationParams, "profile" | "directory" | "software">,
  uri: string,
): string | undefined {
  if (!params.directory || uri === params.directory.software_jwks_endpoint) return undefined;
  return ssaFromUrl(params);
}
