/** `ob-dcr discover`: fetch a bank's discovery document and check it against the chosen profile. */
import { defineCommand } from "citty";
import { InvalidInputError, isObDcrError } from "../../core/errors.js";
import { getProfile } from "../../core/profiles/index.js";
import { ProfileName, type SigningAlg } from "../../core/schemas/common.js";
import { isMovedIssue, RegistrationParams } from "../../core/schemas/params.js";
import type { DiscoveryDocument } from "../../core/schemas/responses.js";
import { validateAgainstDiscovery } from "../../core/validate/discovery.js";
import { checkDiscoveryDocument } from "../../core/validate/url_policy.js";
import { policyOf } from "../../http/context.js";
import { discover } from "../../http/discovery.js";
import { checkClientKeys, SSA_JWKS_NOT_FETCHED } from "../../http/doctor_client_keys.js";
import type { TlsMaterial } from "../../http/transport_types.js";
import { ENV } from "../config.js";
import { EXIT_INVALID_INPUT, ExitError } from "../exit.js";
import { COMMON_ARGS, loadConfigFor, withRuntime } from "../runtime.js";

const args = { ...COMMON_ARGS } as const;

export interface Check {
  check: string;
  result: "ok" | "warn" | "fail";
  detail: string;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

const norm = (s: string) => s.split(" ").filter(Boolean).sort().join(" ");

/** Compare one `*_supported` list with what the profile allows (order-insensitive for response types). */
function overlap(
  checks: Check[],
  name: string,
  supported: string[] | undefined,
  allowed: readonly string[] | undefined,
  normalise = (s: string) => s,
): void {
  if (!supported) {
    checks.push({ check: name, result: "warn", detail: "not published by the bank" });
    return;
  }
  if (!allowed) {
    checks.push({ check: name, result: "ok", detail: supported.join(", ") });
    return;
  }
  const allowedN = allowed.map(normalise);
  const both = supported.filter((s) => allowedN.includes(normalise(s)));
  checks.push(
    both.length > 0
      ? { check: name, result: "ok", detail: `usable: ${both.join(", ")}` }
      : {
          check: name,
          result: "fail",
          detail: `none of the bank's (${supported.join(", ")}) is allowed by the profile (${allowed.join(", ")})`,
        },
  );
}

/** A check that passes unless `run` throws one of our typed errors (its message is the detail). */
function refusal(check: string, ok: string, run: () => void): Check {
  try {
    run();
    return { check, result: "ok", detail: ok };
  } catch (e) {
    if (!isObDcrError(e)) throw e;
    return { check, result: "fail", detail: e.message };
  }
}

export function checkDiscovery(d: DiscoveryDocument, profileName: ProfileName): Check[] {
  const p = getProfile(profileName);
  const checks: Check[] = [];
  const present = (name: string, v: string | undefined, must: boolean) =>
    checks.push(
      v
        ? { check: name, result: "ok", detail: v }
        : { check: name, result: must ? "fail" : "warn", detail: "missing" },
    );
  present("issuer", str(d.issuer), false);
  present("registration_endpoint", str(d.registration_endpoint), true);
  present(
    "token_endpoint",
    str(d.mtls_endpoint_aliases?.token_endpoint) ?? str(d.token_endpoint),
    p.management.style === "obie",
  );
  present("jwks_uri", str(d.jwks_uri), false);
  overlap(
    checks,
    "token_endpoint_auth_methods_supported",
    d.token_endpoint_auth_methods_supported,
    p.auth_methods,
  );
  overlap(
    checks,
    "token_endpoint_auth_signing_alg_values_supported",
    d.token_endpoint_auth_signing_alg_values_supported,
    p.algs,
  );
  overlap(checks, "id_token_signing_alg_values_supported", d.id_token_signing_alg_values_supported, p.algs);
  overlap(
    checks,
    "request_object_signing_alg_values_supported",
    d.request_object_signing_alg_values_supported,
    p.algs,
  );
  overlap(checks, "response_types_supported", d.response_types_supported, p.response_types, norm);
  overlap(checks, "grant_types_supported", d.grant_types_supported, p.grant_types);
  return checks;
}

export const command = defineCommand({
  meta: {
    name: "discover",
    description:
      "Fetch the bank's discovery document and check it against the profile (auth methods, algs, types)",
  },
  args,
  run: (c) =>
    withRuntime(c, args, async (rt, a) => {
      const { out } = rt;
      const cfg = await loadConfigFor(rt, a, false);
      const profile = ProfileName.safeParse(cfg.raw.profile);
      if (!profile.success)
        throw new InvalidInputError(
          "profile",
          `${cfg.raw.profile === undefined ? "is required" : `"${String(cfg.raw.profile)}" is unknown`}: one of ${ProfileName.options.join(", ")} (--profile or ${ENV.profile})`,
        );
      const bank = (cfg.raw.bank ?? {}) as Record<string, unknown>;
      const url = str(bank.discovery_url);
      if (!url)
        throw new InvalidInputError(
          "bank.discovery_url",
          `is required: --bank-discovery-url URL, ${ENV.bank_discovery_url} or bank.discovery_url in the config`,
        );
      const t = (cfg.raw.transport ?? {}) as Record<string, unknown>;
      const tls: TlsMaterial = {
        cert: str(t.cert),
        key: str(t.key),
        ca: Array.isArray(t.ca) ? t.ca.map(String) : str(t.ca),
      };
      const doc: Record<string, unknown> = { command: "discover", profile: profile.data, discovery_url: url };
      rt.partial = doc;
      const d = await out.step("discovery", () => discover(rt.ctx, url, tls, rt.ctx.given.get(url)));
      const checks = checkDiscovery(d, profile.data);
      // What a registration refuses before it sends anything: the issuer, and every URL's policy.
      checks.push(
        refusal("issuer and URLs", "the issuer is this document's, every URL is https", () =>
          checkDiscoveryDocument(d, url, str(bank.issuer), policyOf(rt.ctx)),
        ),
      );
      // With a complete config, also check the configured client (what register would send).
      const full = RegistrationParams.safeParse(cfg.raw);
      if (full.success) {
        const alg = full.data.signing_key.alg as SigningAlg;
        checks.push(
          refusal("configured client", "fits the bank's discovery metadata", () =>
            validateAgainstDiscovery(d, full.data.client, alg),
          ),
        );
        // A client that fits the metadata can still be one the bank cannot verify (RFC 7591 *_jwt keys).
        const ssaJwks = full.data.directory ? SSA_JWKS_NOT_FETCHED : undefined;
        const keys = await checkClientKeys(rt.ctx, full.data, tls, ssaJwks);
        if (keys) checks.push({ check: keys.check, result: keys.result, detail: keys.detail });
      } else if (cfg.file) {
        // An old spelling (`bank.management`, …) is refused by every command that registers or
        // manages; discover only checks the bank's document, so it stays a warning, but says so.
        const old = full.error.issues.find((i) => isMovedIssue(i.message));
        const first = old ?? full.error.issues[0];
        const where = `${first?.path.join(".") || "(root)"}: ${first?.message}`;
        checks.push({
          check: "configured client",
          result: "warn",
          detail: old
            ? `not checked: the config uses an old spelling, which run, register, update, get, delete and doctor refuse (OBDCR_INVALID_INPUT, exit 3): ${where} (docs/migration.md)`
            : `not checked: the config is incomplete (${where})`,
        });
      }
      doc.issuer = d.issuer;
      doc.checks = checks;
      doc.document = d;
      out.line(`discovery: ${url}`);
      out.line(`profile: ${profile.data}`);
      const w = Math.max(...checks.map((x) => x.check.length));
      for (const x of checks) out.line(`${x.result.padEnd(4)}  ${x.check.padEnd(w)}  ${x.detail}`);
      const failed = checks.filter((x) => x.result === "fail");
      doc.ok = failed.length === 0;
      if (failed.length > 0) {
        const e = new ExitError(
          EXIT_INVALID_INPUT,
          "OBDCR_INVALID_INPUT",
          `the bank does not fit ${profile.data}${full.success ? " and this config" : ""}: ${failed.map((x) => x.check).join(", ")}`,
          "profile",
        );
        throw e;
      }
      out.json(doc);
    }),
});
