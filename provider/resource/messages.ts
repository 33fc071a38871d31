/**
 * The resource's words: what a rotation means for the bank (said at preview), expiry warnings, the
 * lifecycle's notes, and the remedies of errors, for a Pulumi user (camelCase fields, `pulumi`
 * commands). The decisions come from the lifecycle; nothing here decides.
 */

import type { Remedy } from "../core/errors.js";
import {
  GoneUnconfirmedError,
  InvalidInputError,
  ObDcrError,
  RegistrationRejectedError,
  restated,
  SignerError,
} from "../core/errors.js";
import type { RotationChange, RotationPlan } from "../core/policy/rotation.js";
import { isoTime } from "../core/time.js";
import { printable } from "../core/untrusted.js";
import type { RegistrationDiff } from "../lifecycle/diff.js";
import { STALE_KEYS } from "../lifecycle/management_auth.js";
import type { Note } from "../lifecycle/operations.js";
import { declared, describe, type Props } from "../lifecycle/props.js";

function describeChange(c: RotationChange): string {
  switch (c.kind) {
    case "transport_certificate":
      if (!c.to) return "transport certificate removed";
      return c.subject_dn_changed
        ? `transport certificate renewed with a new subject DN (${c.from?.subject_dn ?? "none"} → ${c.to.subject_dn}), valid until ${c.to.not_after}`
        : `transport certificate renewed, same subject DN (${c.to.subject_dn}), valid until ${c.to.not_after}`;
    case "signing_key":
      return c.kid_changed
        ? `signing key rotated: kid ${c.from.kid} → ${c.to.kid} (${c.to.alg})`
        : `signing key replaced under the same kid ${c.to.kid} (thumbprint ${c.from.thumbprint} → ${c.to.thumbprint})`;
    case "ca":
      return "trusted CA certificates changed";
  }
}

export interface PutContext {
  /** Other reasons for a PUT (metadata, drift, rotation trigger), already decided. */
  other_reasons: string[];
  supports_update: boolean;
  refuses_duplicate_registration: boolean;
  /** `client.tokenEndpointAuthMethod` (default private_key_jwt). */
  auth_method?: string | undefined;
}

/** A new signing key of another alg, that the registered assertion alg follows. */
function algChange(plan: RotationPlan): { from: string; to: string } | undefined {
  const c = plan.changes.find((x) => x.kind === "signing_key");
  if (c?.kind !== "signing_key" || c.from.alg === c.to.alg) return undefined;
  return plan.put_fields.includes("token_endpoint_auth_signing_alg")
    ? { from: c.from.alg, to: c.to.alg }
    : undefined;
}

/** What the preview says about a rotation: one line per change, then what is sent to the bank. */
/** What a diff's rotation will send to the bank, a line each, for the preview (both adapters). */
export function rotationLines(news: Props, d: RegistrationDiff): string[] {
  if (!d.rotation) return [];
  const client = (news.client ?? {}) as Props;
  return describeRotation(describe(declared(news)), d.rotation.plan, {
    other_reasons: d.rotation.other_reasons,
    supports_update: d.rotation.capabilities.supportsUpdate,
    refuses_duplicate_registration: d.rotation.capabilities.refusesDuplicateRegistration,
    auth_method:
      typeof client.tokenEndpointAuthMethod === "string" ? client.tokenEndpointAuthMethod : undefined,
  });
}

export function describeRotation(name: string, plan: RotationPlan, ctx: PutContext): string[] {
  const lines = plan.changes.map((c) => `${name}: ${describeChange(c)}`);
  if (plan.verify_signing_key)
    lines.push(
      `${name}: the directory must publish the new key under its kid: checked before anything is sent`,
    );
  const reasons = [...plan.put_fields.map((f) => `new ${f}`), ...ctx.other_reasons];
  if (reasons.length === 0) {
    if (plan.changes.length > 0)
      lines.push(
        `${name}: update records the new fingerprints; nothing is sent to the bank (it holds nothing that changed)`,
      );
    return lines;
  }
  if (ctx.supports_update) {
    lines.push(`${name}: update = PUT of the registration (${reasons.join(", ")}), same client_id`);
    const alg = algChange(plan);
    if (alg && (ctx.auth_method ?? "private_key_jwt") === "private_key_jwt")
      lines.push(
        `${name}: a bank that authorises the PUT with a token from its own token endpoint (OBIE-style management) ` +
          `refuses that token's client assertion in ${alg.to} while it holds ${alg.from}: there, change the alg in two steps, ` +
          `first client.tokenEndpointAuthSigningAlg = "${alg.to}" with the ${alg.from} key (\`pulumi up\`), then the new key (docs/rotation.md)`,
      );
    return lines;
  }
  lines.push(
    ctx.refuses_duplicate_registration
      ? `${name}: this bank offers no PUT and refuses a second registration of the software, so ob-dcr cannot apply ${reasons.join(", ")}. In the bank's developer portal, update the client (or delete it and register again), then run \`pulumi refresh\``
      : `${name}: this bank offers no PUT: ${reasons.join(", ")} is applied by replacing the registration (a new client_id is registered, then the old one deleted)`,
  );
  return lines;
}

/** Client ids whose deletion at the bank the operator confirmed (`OBDCR_CONFIRM_GONE=id1,id2`). */
export function confirmedGone(clientId: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.OBDCR_CONFIRM_GONE ?? "")
    .split(",")
    .map((s) => s.trim())
    .includes(clientId);
}

const camelField = (f: string) => f.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The same error, in the resource's words (camelCase fields, Pulumi remedies). */
export function goneUnconfirmed(
  op: "refresh" | "destroy" | "update",
  e: GoneUnconfirmedError,
): GoneUnconfirmedError {
  return new GoneUnconfirmedError(e.client_id, goneUnconfirmedMessage(op, e), {
    cause: e,
    field: e.field,
    checks: e.checks,
    ambiguity: e.ambiguity,
  });
}

/** Why a refresh or destroy keeps a registration after an ambiguous answer, and what to do. */
function goneUnconfirmedMessage(op: "refresh" | "destroy" | "update", e: GoneUnconfirmedError): string {
  const id = e.client_id;
  const first = e.cause instanceof Error ? e.cause.message : e.message;
  const checked = e.checks.map((c) => `${camelField(c.field)}: ${c.ok ? "ok" : "WRONG"}, ${c.detail}`);
  const head = `registration ${id} is kept in state: ${first}.`;
  const what = checked.length ? ` Checked our side: ${checked.join("; ")}.` : "";
  if (e.remedy?.kind === "renew-secret" || e.remedy?.kind === "adopt-current-token")
    return `registration ${id} is kept in state: ${e.message}. ${remedyWords(e.remedy)}`;
  if (e.field)
    return `${head}${what} Fix ${camelField(e.field)} and run \`pulumi ${op}\` again: the bank still holds the client.`;
  const why =
    e.ambiguity === "not_oauth_404"
      ? "A 404 that is not an OAuth error does NOT mean the client is gone: a gateway or a misrouted path answers so too."
      : `Our side checking out does NOT mean the client is gone: ${STALE_KEYS}`;
  return (
    `${head}${what} ${why} ` +
    `Only if the bank confirms that it deleted client ${id}, drop it deliberately: ` +
    `\`OBDCR_CONFIRM_GONE=${id} pulumi refresh\` (the next \`pulumi up\` registers anew), or \`pulumi state delete <urn>\`.`
  );
}

export function expiryWarning(
  name: string,
  e: { days_left: number; not_after: string; subject_dn: string },
): string {
  return e.days_left < 0
    ? `${name}: the transport certificate (${e.subject_dn}) expired on ${e.not_after}: renew it`
    : `${name}: the transport certificate (${e.subject_dn}) expires in ${e.days_left} days (${e.not_after}): renew it and update transport`;
}

/** A core field path (snake_case) as the resource's property path (camelCase). */
export const camelPath = (field: string) => field.split(".").map(camelField).join(".");

/** The remedy of an error, as a Pulumi user does it. */
export function remedyWords(r: Remedy): string {
  switch (r.kind) {
    case "adopt":
      return r.client_id
        ? `If the bank holds client ${r.client_id}, bring it under Pulumi with \`adopt: { clientId: "${r.client_id}", ... }\` (with its management credentials) on this resource, or delete it there.`
        : "Before running `pulumi up` again (which would register a second client if the first was committed), check the bank's developer portal for a client of this software created just now: if there is one, bring it under Pulumi with `adopt: { clientId, ... }` on this resource; if there is none, run `pulumi up` again.";
    case "fix-input":
      return `Fix ${camelPath(r.field)} and run again.`;
    case "confirm-gone":
      return `If the bank really deleted client ${r.client_id}, drop it deliberately: \`OBDCR_CONFIRM_GONE=${r.client_id} pulumi refresh\` (the next \`pulumi up\` registers anew), or \`pulumi state delete <urn>\`.`;
    case "update-in-portal":
      return "Update the client in the bank's developer portal (or delete it there and remove it from state with `pulumi state delete <urn>`, then `pulumi up` registers anew), then run `pulumi refresh`.";
    case "revoke-in-portal":
      return "Revoke the client in the bank's developer portal, then either set `retainOnDelete: true` on this resource and run `pulumi destroy` again, or remove it from state with `pulumi state delete <urn>`.";
    case "renew-secret":
      return `Get a new client secret for client ${r.client_id} from the bank (its developer portal), then bring the client under Pulumi with it: \`adopt: { clientId: "${r.client_id}", clientSecret: ... }\` on this resource after \`pulumi state delete <urn>\`.`;
    case "adopt-current-token": {
      const adopt = `Ask the bank for client ${r.client_id}'s current registration access token, then \`pulumi state delete <urn>\` and \`pulumi up\` with \`adopt: { clientId: "${r.client_id}", registrationAccessToken: ... }\` on this resource (a GET, no new registration).`;
      if (r.deletion === "refuted")
        return `OBDCR_CONFIRM_GONE=${r.client_id} was not applied: the bank still authenticates client ${r.client_id}, and dropping it would leave a live client at the bank. ${adopt} To drop it anyway, revoke it in the bank's developer portal first, then \`pulumi state delete <urn>\`.`;
      if (r.deletion === "possible")
        return `${adopt} If the bank says it deleted client ${r.client_id} instead, drop it deliberately: \`OBDCR_CONFIRM_GONE=${r.client_id} pulumi refresh\` (the next \`pulumi up\` registers anew).`;
      return adopt;
    }
    case "retry":
      return "Run again.";
  }
}

/** What the lifecycle reports, as one log line (undefined: nothing to say). */
/** A POST retried after a 503: the client the bank registered, and the one it may also have made. */
export function unavailableWords(where: string, client_id: string, count: number): string {
  return (
    `${where}: the bank answered ${count === 1 ? "a registration POST" : `${count} registration POSTs`} with 503 (unavailable) ` +
    `before the one that registered client ${client_id}; a 503 means "not processed", but if the bank created a client anyway, ` +
    "it holds one more client of this software that no state names: look in its developer portal"
  );
}

/** The bank answered with a client secret whose `client_secret_expires_at` is already past. */
export function secretExpiredWords(client_id: string, expires_at: number): string {
  return (
    `the bank answered for client ${client_id} with a client secret that expired at ${isoTime(expires_at)} ` +
    `(client_secret_expires_at ${expires_at}): the bank will refuse it at its token endpoint (invalid_client); get a new client secret from the bank (its developer portal)`
  );
}

export function noteWords(n: Note): string {
  switch (n.kind) {
    case "substitution":
      return `${n.where}: the bank registered ${n.substitution.field} = ${JSON.stringify(n.substitution.registered)} instead of ${JSON.stringify(n.substitution.requested)} (see the substitutions output)`;
    case "reconciled":
      return `${n.where}: found registration ${n.client_id} by its client_id hint (${n.how === "lost_response" ? "the bank committed the POST but its answer was lost" : "an earlier interrupted run registered it"}); it is now in state`;
    case "unavailable_before":
      return `warning: ${unavailableWords(n.where, n.client_id, n.count)}`;
    case "hint_ignored":
      return `${n.where}: the bank ignored the client_id hint (issued ${n.client_id}); set bankProfile.clientIdHint to false for this bank, lost answers cannot be reconciled`;
    case "expiring":
      return `warning: ${expiryWarning(n.where, n)}`;
    case "gone":
      return `registration ${n.client_id} is gone at the bank (${n.detail}); the next \`pulumi up\` creates it again`;
    case "no_get":
      return `registration ${n.client_id}: the bank does not offer GET, so refresh keeps the last known state`;
    case "already_gone":
      return `registration ${n.client_id} was already gone at the bank${n.detail ? ` (${n.detail})` : ""}`;
    case "delete_accepted":
      return `registration ${n.client_id}: the bank accepted the DELETE (HTTP 202) without saying it is done; it is removed from state, and the bank deletes it in its own time (its portal says when)`;
    case "token_kept":
      return `warning: registration ${n.client_id}: the bank's answer to the refresh could not be used, but it carried a new registration access token, which replaces the old one in state; the rest of the state is the last known (${n.detail})`;
    case "import_token_kept":
      return `warning: registration ${n.client_id}: the bank's answer to the import could not be used, but it carried a new registration access token, which is kept in state with the import inputs (the bank's view of the client is not recorded); run \`pulumi refresh\` before the next \`pulumi up\` (${n.detail})`;
    case "secret_expired":
      return `warning: ${n.where}: ${secretExpiredWords(n.client_id, n.expires_at)}`;
    case "other_kid":
      return `registration ${n.client_id}: the signing key changed since the last update; the directory publishes it under kid ${n.kid}, so refresh authenticates with it (state records kid ${n.recorded_kid} until the next \`pulumi up\`)`;
  }
}

/**
 * Errors in the resource's words: the stable code first (the engine shows only the message),
 * camelCase input names, and the remedy a Pulumi user can act on. Shared by the dynamic and the
 * native provider.
 */
export function worded(e: unknown, op: "refresh" | "update" | "destroy" | "create"): unknown {
  // Whatever reaches the engine is printed: no secret, no control character, no CI command.
  const line = (s: string) => printable(s).replace(/\n/g, " ");
  if (!(e instanceof ObDcrError)) return e instanceof Error ? restated(e, { message: line(e.message) }) : e;
  const x: ObDcrError = e instanceof GoneUnconfirmedError && op !== "create" ? goneUnconfirmed(op, e) : e;
  let message = x.message;
  if (!(x instanceof GoneUnconfirmedError && op !== "create")) {
    if (x instanceof InvalidInputError && message.startsWith(`${x.field}:`))
      message = `${camelPath(x.field)}:${message.slice(x.field.length + 1)}`;
    // A key store's error names signing_key.* paths (the field, "(signing_key.alg)", "Fix …").
    if (x instanceof SignerError)
      message = message.replace(/\bsigning_key(?:\.[a-z0-9_]+)*/g, (f) => camelPath(f));
    // The inputs a refusal names, in the program's spelling (`signingKey`, not `signing_key`).
    if (x instanceof RegistrationRejectedError)
      for (const f of new Set([...(x.field ? [x.field] : []), ...x.checks]))
        message = message.replace(new RegExp(`\\b${f.replace(/\./g, "\\.")}\\b`, "g"), camelPath(f));
    if (x.remedy && x.remedy.kind !== "fix-input") message = `${message}. ${remedyWords(x.remedy)}`;
  }
  if (!message.startsWith(x.code)) message = `${x.code}: ${message}`;
  return restated(x, { message: line(message) });
}

/** The message of a create that the bank committed but that could not be completed (kept in state). */
/** An update whose answer was unusable but carried a new registration access token (kept). */
export function partialUpdateMessage(
  client_id: string,
  cause: unknown,
  why: "token_kept" | "token_unconfirmed" = "token_kept",
): string {
  const text = cause instanceof ObDcrError ? cause.message : String(cause);
  if (why === "token_unconfirmed")
    return printable(
      `registration ${client_id}: the answer to the update was lost, so the bank may have applied it and ` +
        "handed out a new registration access token in that answer (RFC 7592 §2.2); the registration stays in " +
        "state, and until a call succeeds with the stored token a refusal of it (HTTP 401) is not taken for a " +
        `deletion; the update is not recorded as applied (run \`pulumi up\` again): ${text}`,
    );
  return printable(
    `registration ${client_id}: the bank's answer to the update could not be used, but it carried a new ` +
      "registration access token, which replaces the old one in state; the update is not recorded as applied " +
      `(fix the cause and run \`pulumi up\` again): ${text}`,
  );
}

export function partialCreateMessage(client_id: string, cause: unknown): string {
  const text = cause instanceof ObDcrError ? cause.message : String(cause);
  return printable(
    `registration ${client_id} was created at the bank but could not be completed; it is kept in state ` +
      `(fix the cause and run \`pulumi up\` again, or \`pulumi destroy\` to delete it): ${text}`,
  );
}
