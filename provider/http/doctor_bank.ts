/** Doctor's bank checks (7–8): GETs only, so the bank sees nothing change. */
import { validateProfileAgainstDiscovery } from "../core/bank_profiles/discovery.js";
import type { ResolvedBankProfile } from "../core/bank_profiles/resolve.js";
import type { RegistrationParams } from "../core/schemas/params.js";
import type { DiscoveryDocument } from "../core/schemas/responses.js";
import { checkDiscoveryDocument, sourceOf } from "../core/validate/url_policy.js";
import { policyOf } from "./context.js";
import { discover } from "./discovery.js";
import { type DoctorCheck, fail, failed, msg, notChecked, ok, type Run } from "./doctor_lines.js";
import { send } from "./send.js";

/** Checks 7–8: the bank's discovery document, then one GET with our client certificate. */
export async function bankChecks(r: Run): Promise<void> {
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
      doc = await discover(ctx, url, tls, ctx.given.get(url));
      // What a registration refuses, doctor refuses: the issuer and every URL the document names.
      checkDiscoveryDocument(doc, url, params.bank.issuer, policyOf(ctx));
      checks.push(discoveryFit(params, bp, doc, url));
    } catch (e) {
      doc = undefined; // no probe of an endpoint from a document that failed its checks
      checks.push(failed("bank discovery", e, "refused"));
    }
  }
  const name = "bank reachable over mTLS";
  const endpoint = params.bank.registration_endpoint ?? doc?.registration_endpoint;
  if (problem || !endpoint)
    return void checks.push(notChecked(name, problem ?? "no registration endpoint is known"));
  try {
    // Any HTTP answer proves the handshake; a GET changes nothing at the bank.
    // An endpoint the document named is the bank's say: held to its rules at connect, as register's.
    const source =
      params.bank.registration_endpoint || !url
        ? undefined
        : sourceOf(endpoint, "discovery.registration_endpoint", url, ctx.given.get(url));
    const probe = { method: "GET", url: endpoint, idempotent: true, label: "mTLS probe", source } as const;
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
