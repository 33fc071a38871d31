/**
 * `doctor`: a configuration checked end to end without registering anything. The directory gets a
 * token request and the SSA download; the bank gets GETs only. Every finding is a check line, never
 * a throw, so a scheduled pipeline sees all of them at once.
 */
import type * as jose from "jose";
import { validateProfileAgainstDiscovery } from "../core/bank_profiles/discovery.js";
import { type ResolvedBankProfile, resolveBankProfile } from "../core/bank_profiles/resolve.js";
import { clientKeys } from "../core/build/client_keys.js";
import type { OrgIdDnFormat } from "../core/dn.js";
import {
  OBDCR_TIMEOUT,
  OBDCR_TRANSPORT,
  OBDCR_UNEXPECTED_RESPONSE,
  ObDcrError,
  RegistrationRejectedError,
} from "../core/errors.js";
import { importSigningKey, type SigningKey } from "../core/keys.js";
import {
  certificateIdentity,
  daysLeft,
  jwkThumbprint,
  pemCertificates,
  publicJwk,
  type SigningKeyIdentity,
  signingKeyIdentity,
} from "../core/material.js";
import { getProfile } from "../core/profiles/index.js";
import type { Jwks } from "../core/schemas/common.js";
import type { RegistrationParams, RegistrationParamsInput } from "../core/schemas/params.js";
import type { DiscoveryDocument, SsaClaims } from "../core/schemas/responses.js";
import { validateTransportMaterial } from "../core/validate/preflight.js";
import type { ObDcrContext } from "./context.js";
import { getDirectoryToken, getSsa, verifySsa } from "./directory.js";
import { discover } from "./discovery.js";
import { fetchJwks } from "./jwks.js";
import { describePublication, findPublishedKey } from "./own_side.js";
import { parseRegistrationParams } from "./registration.js";
import { send, type TlsMaterial } from "./transport.js";

/**
 * Which side a failure is on (the CLI's exit code): our own material or config, a refusal by the
 * directory or bank, or the transport (connection, TLS, timeout, an answer that cannot be used).
 */
export type FailureSide = "material" | "refused" | "transport";

export interface DoctorCheck {
  check: string;
  result: "ok" | "warn" | "fail";
  detail: string;
  /** Set on a failure. */
  side?: FailureSide | undefined;
}

const line = (check: string, result: DoctorCheck["result"], detail: string, side?: FailureSide) =>
  ({ check, result, detail, ...(side ? { side } : {}) }) as DoctorCheck;
const ok = (check: string, detail: string) => line(check, "ok", detail);
const fail = (check: string, detail: string, side: FailureSide) => line(check, "fail", detail, side);
const notChecked = (check: string, why: string) => line(check, "warn", `not checked: ${why}`);
const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Below-HTTP problems (connection, TLS, timeout, an unusable answer) are transport failures in any check. */
const TRANSPORT_CODES = new Set<string>([OBDCR_TRANSPORT, OBDCR_TIMEOUT, OBDCR_UNEXPECTED_RESPONSE]);

function failed(check: string, e: unknown, side: FailureSide): DoctorCheck {
  const transport = e instanceof ObDcrError && TRANSPORT_CODES.has(e.code);
  return line(check, "fail", msg(e), transport ? "transport" : side);
}

type Signer = { key: SigningKey; identity: SigningKeyIdentity };

/** What the checks share. `bank_profile` is an Error when our bank_profile / bank.* do not resolve. */
interface Run {
  params: RegistrationParams;
  ctx: ObDcrContext;
  tls: TlsMaterial;
  bank_profile: ResolvedBankProfile | Error;
  signer: Signer | undefined;
  /** Why nothing is sent: a client certificate or CA that does not load only makes TLS errors. */
  transport_problem: string | undefined;
  checks: DoctorCheck[];
}

/** Run every check in order. Throws only on a bug; what it finds is a `fail` or `warn` line. */
export async function runDoctor(
  input: RegistrationParamsInput,
  ctx: ObDcrContext,
  opts: { expiry_warning_days: number },
): Promise<DoctorCheck[]> {
  let params: RegistrationParams;
  try {
    params = parseRegistrationParams(input);
  } catch (e) {
    return [failed("config", e, "material")];
  }
  const { cert, key, ca } = params.transport;
  const checks: DoctorCheck[] = [];
  let signer: Signer | undefined;
  try {
    const sk = params.signing_key;
    signer = { key: await importSigningKey(sk), identity: await signingKeyIdentity(sk) };
    const i = signer.identity;
    checks.push(ok("signing key", `kid ${i.kid}, alg ${i.alg}, thumbprint ${i.thumbprint}`));
  } catch (e) {
    checks.push(failed("signing key", e, "material"));
  }
  let bank_profile: ResolvedBankProfile | Error;
  try {
    bank_profile = resolveBankProfile(params);
  } catch (e) {
    bank_profile = e instanceof Error ? e : new Error(String(e));
  }
  const dn = bank_profile instanceof Error ? "hex" : bank_profile.dn_format;
  checks.push(certificateCheck(params, dn, ctx.now(), opts.expiry_warning_days), ...caCheck(params));
  const broken = checks.find((c) => c.check !== "signing key" && c.result === "fail");
  const transport_problem = broken ? `the ${broken.check} failed` : undefined;
  const run: Run = { params, ctx, tls: { cert, key, ca }, bank_profile, signer, transport_problem, checks };
  const claims = await directoryChecks(run);
  await bankChecks(run);
  if (clientKeysApply(params)) {
    // Without explicit keys, a client with a directory sends the SSA's software_jwks_endpoint.
    const needsSsa = params.directory && !params.client.jwks && !params.client.jwks_uri;
    if (!signer) checks.push(notChecked("client keys", "the signing key failed"));
    else if (needsSsa && typeof claims === "string") checks.push(notChecked("client keys", claims));
    else {
      const endpoint = typeof claims === "object" ? claims.software_jwks_endpoint : undefined;
      checks.push((await checkClientKeys(ctx, params, run.tls, endpoint)) as DoctorCheck);
    }
  }
  return checks;
}

function certificateCheck(p: RegistrationParams, dn: OrgIdDnFormat, now: number, warnDays: number) {
  const name = "transport certificate";
  if (!p.transport.cert) return ok(name, "none configured: TLS without a client certificate");
  let what = "";
  try {
    const c = certificateIdentity(p.transport.cert, dn);
    const left = daysLeft(c, now);
    what = `subject ${c.subject_dn}, issuer ${c.issuer_dn}, notAfter ${c.not_after}`;
    validateTransportMaterial(p.transport, now); // the key belongs to it, valid now
    const detail = `${what} (${left} days left)`;
    if (left >= warnDays) return ok(name, detail);
    return line(name, "warn", `${detail}: fewer than ${warnDays} days; renew it in the directory`);
  } catch (e) {
    const f = failed(name, e, "material");
    return what ? { ...f, detail: `${f.detail} (${what})` } : f;
  }
}

/** No line without a CA: Node's CA store is used. */
function caCheck(p: RegistrationParams): DoctorCheck[] {
  if (p.transport.ca === undefined) return [];
  const pems = pemCertificates(p.transport.ca);
  if (pems.length === 0)
    return [fail("trusted CA", 'transport.ca: holds no PEM certificate ("BEGIN CERTIFICATE")', "material")];
  try {
    const prints = pems.map((pem, i) => certificateIdentity(pem, "hex", `transport.ca.${i}`).sha256);
    return [ok("trusted CA", `${prints.length} certificate(s), SHA-256 ${prints.join(", ")}`)];
  } catch (e) {
    return [failed("trusted CA", e, "material")];
  }
}

const DIRECTORY_CHECKS = ["directory token", "software statement", "signing key published"] as const;

/**
 * Checks 4–6. Returns the SSA's claims, why there are none (a string), or undefined without a
 * directory (the lines do not apply).
 */
async function directoryChecks(r: Run): Promise<SsaClaims | string | undefined> {
  const { directory: d, software: sw } = r.params;
  const { ctx, tls, signer, checks } = r;
  if (!d || !sw) return undefined;
  const skipFrom = (i: number, why: string) => {
    for (const n of DIRECTORY_CHECKS.slice(i)) checks.push(notChecked(n, why));
    return why;
  };
  let ssa = d.software_statement;
  if (ssa) checks.push(ok("directory token", "not needed: inline software statement"));
  else {
    if (!signer || r.transport_problem) return skipFrom(0, r.transport_problem ?? "the signing key failed");
    const { token_endpoint, ssa_endpoint, scope, ssa_max_age_seconds: max_age_seconds } = d;
    const source = {
      ...sw,
      token_endpoint: token_endpoint!,
      ssa_endpoint: ssa_endpoint!,
      scope,
      max_age_seconds,
    };
    let step = 0;
    try {
      await getDirectoryToken(ctx, { ...source, client_id: sw.software_id, key: signer.key, tls });
      checks.push(ok("directory token", `client_credentials token from ${token_endpoint} (private_key_jwt)`));
      step = 1;
      ssa = await getSsa(ctx, { ...source, key: signer.key, tls }); // the token above, from the cache
    } catch (e) {
      // The directory verifies our assertion against the keys it publishes: invalid_client there
      // says our signing key (or kid) is not one it publishes, a fault on our side.
      const ours = step === 0 && e instanceof RegistrationRejectedError && e.error === "invalid_client";
      const f = failed(DIRECTORY_CHECKS[step]!, e, ours ? "material" : "refused");
      if (ours)
        f.detail = `${f.detail}: the directory does not accept our client assertion (kid ${signer.key.kid}); the signing key or its kid is wrong`;
      checks.push(f);
      return skipFrom(step + 1, step === 0 ? "no directory token" : "no software statement");
    }
  }
  let claims: SsaClaims;
  try {
    claims = await verifySsa(ctx, ssa, { issuer: d.issuer, ...sw, jwks_uri: d.jwks_uri, jwks: d.jwks, tls });
  } catch (e) {
    checks.push(failed("software statement", e, "refused"));
    return skipFrom(2, "the software statement failed");
  }
  const inline = d.software_statement ? "inline software statement, " : "";
  const unsigned = d.jwks || d.jwks_uri ? "" : "; signature not checked: no directory.jwks_uri or .jwks";
  const uri = claims.software_jwks_endpoint;
  const ssaLine = `${inline}software_id ${claims.software_id}, software_jwks_endpoint ${uri ?? "(none)"}`;
  checks.push(ok("software statement", `${ssaLine}${unsigned}`));
  const name = DIRECTORY_CHECKS[2];
  if (!signer) checks.push(notChecked(name, "the signing key failed"));
  else if (!uri) checks.push(ok(name, "not checked: the SSA names no software_jwks_endpoint"));
  else {
    try {
      const revoked = claims.software_jwks_revoked_endpoint;
      const p = await findPublishedKey(ctx, uri, tls, signer.identity, revoked);
      const detail = describePublication(p, signer.identity);
      checks.push(p.status === "published" ? ok(name, detail) : fail(name, detail, "material"));
    } catch (e) {
      checks.push(failed(name, e, "material"));
    }
  }
  return claims;
}

/** Checks 7–8: the bank's discovery document, then one GET with our client certificate. */
async function bankChecks(r: Run): Promise<void> {
  const { params, ctx, tls, checks, transport_problem: problem } = r;
  const url = params.bank.discovery_url;
  const bp = r.bank_profile;
  let doc: DiscoveryDocument | undefined;
  if (bp instanceof Error)
    checks.push(failed("bank discovery", bp, "material")); // our bank_profile / bank.*
  else if (!url) checks.push(ok("bank discovery", "not checked: no bank.discovery_url"));
  else if (problem) checks.push(notChecked("bank discovery", problem));
  else {
    try {
      doc = await discover(ctx, url, tls);
      checks.push(discoveryFit(params, bp, doc, url));
    } catch (e) {
      checks.push(failed("bank discovery", e, "refused"));
    }
  }
  const name = "bank reachable over mTLS";
  const endpoint = params.bank.registration_endpoint ?? doc?.registration_endpoint;
  if (problem || !endpoint)
    return void checks.push(notChecked(name, problem ?? "no registration endpoint is known"));
  try {
    // Any HTTP answer proves the handshake; a GET changes nothing at the bank.
    const probe = { method: "GET", url: endpoint, idempotent: true, label: "mTLS probe" } as const;
    const res = await send(probe, tls, ctx.transport);
    const how = tls.cert ? "with our client certificate" : "(no client certificate configured)";
    checks.push(ok(name, `GET ${endpoint}: HTTP ${res.status}; the TLS handshake ${how} worked`));
  } catch (e) {
    checks.push(fail(name, msg(e), "transport"));
  }
}

/** What `prepare` checks before a registration: the resolved bank profile and client against discovery. */
function discoveryFit(
  params: RegistrationParams,
  bp: ResolvedBankProfile,
  doc: DiscoveryDocument,
  url: string,
): DoctorCheck {
  const name = "bank discovery";
  const skip = bp.skip_discovery_checks;
  try {
    const client = { ...params.client, grant_types: bp.grant_types };
    if (!skip) validateProfileAgainstDiscovery(bp, doc, client, params.signing_key.alg, url);
  } catch (e) {
    return failed(name, e, "refused");
  }
  if (!params.bank.registration_endpoint && !doc.registration_endpoint)
    return fail(
      name,
      `${url} has no registration_endpoint and bank.registration_endpoint is not given`,
      "refused",
    );
  const fit = skip
    ? "fit not checked (bank_profile.skip_discovery_checks)"
    : `fits ${params.profile}, the bank profile and the client`;
  return ok(name, `issuer ${doc.issuer ?? "(none)"}: ${fit}`);
}

const JWT_AUTH = new Set(["private_key_jwt", "client_secret_jwt"]);
const clientKeysApply = (p: RegistrationParams) =>
  p.profile === "rfc7591" && JWT_AUTH.has(p.client.token_endpoint_auth_method);

/** Pass as `ssa_jwks_endpoint` when there is an SSA that was not downloaded (discover): named, not fetched. */
export const SSA_JWKS_NOT_FETCHED = "the SSA's software_jwks_endpoint";

/**
 * Check 9 (also `discover`'s): the keys an RFC 7591 `*_jwt` request carries must let the bank verify
 * our assertions. Undefined when the check does not apply.
 */
export async function checkClientKeys(
  ctx: ObDcrContext,
  params: RegistrationParams,
  tls: TlsMaterial,
  ssa_jwks_endpoint: string | undefined,
): Promise<DoctorCheck | undefined> {
  if (!clientKeysApply(params)) return undefined;
  const name = "client keys";
  let own: jose.JWK;
  let keys: Awaited<ReturnType<typeof clientKeys>>;
  try {
    own = publicJwk(params.signing_key);
    const profile = getProfile(params.profile);
    keys = await clientKeys({ profile, client: params.client, ssa_jwks_endpoint, signing_public_jwk: own });
  } catch (e) {
    return failed(name, e, "material");
  }
  if (!keys) return ok(name, "client.extra carries jwks or jwks_uri: sent as given, not checked");
  const id = { kid: params.signing_key.kid, thumbprint: await jwkThumbprint(own) };
  const method = params.client.token_endpoint_auth_method;
  if ("jwks" in keys) {
    const where = params.client.jwks ? "jwks (client.jwks)" : "jwks (the signing key's public JWK)";
    return holdsKey(keys.jwks, id, where, method);
  }
  if (keys.jwks_uri === SSA_JWKS_NOT_FETCHED)
    return ok(name, `jwks_uri: ${SSA_JWKS_NOT_FETCHED} (checked by doctor)`);
  try {
    return await holdsKey(await fetchJwks(ctx, keys.jwks_uri, tls), id, `jwks_uri ${keys.jwks_uri}`, method);
  } catch (e) {
    return failed(name, e, "material");
  }
}

/** The bank looks our key up by the assertion's kid: both kid and public key must match. */
async function holdsKey(jwks: Jwks, id: { kid: string; thumbprint: string }, where: string, method: string) {
  const prints = await Promise.all(jwks.keys.map((k) => jwkThumbprint(k as jose.JWK).catch(() => undefined)));
  const mine = jwks.keys[prints.indexOf(id.thumbprint)];
  if (jwks.keys.some((k, i) => k.kid === id.kid && prints[i] === id.thumbprint))
    return ok(
      "client keys",
      `${where}: holds kid ${id.kid} with the signing key (thumbprint ${id.thumbprint})`,
    );
  const what = mine
    ? `holds the signing key under kid ${mine.kid ?? "(none)"}, not kid ${id.kid}`
    : jwks.keys.some((k) => k.kid === id.kid)
      ? `holds kid ${id.kid} with another public key than the signing key (thumbprint ${id.thumbprint})`
      : `does not hold the signing key (kid ${id.kid}, thumbprint ${id.thumbprint})`;
  return fail(
    "client keys",
    `${where} ${what}: the bank could not verify our ${method} assertions`,
    "material",
  );
}
