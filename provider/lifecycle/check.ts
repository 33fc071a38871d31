/** `check`: validate the inputs (every failure with its property) and add what diff needs. */
import { resolveBankProfile } from "../core/bank_profiles/resolve.js";
import { InvalidInputError } from "../core/errors.js";
import { unknownKeys } from "../core/schemas/key_hint.js";
import { isMovedIssue, RegistrationParams } from "../core/schemas/params.js";
import { type Lifecycle, type Note, refuseAfterCancel, where } from "./context.js";
import type { BankCapabilities } from "./diff.js";
import { givenInputs, propertyPath, ResourceOnlyInputs, snakeToCamel, toCoreParams } from "./inputs.js";
import {
  DEFAULT_EXPIRY_WARNING_DAYS,
  expiringCertificate,
  MATERIAL_OUTPUTS,
  materialOutputs,
} from "./material.js";
import { prefetch } from "./prefetch.js";
import { at, declared, type Props, UNKNOWN } from "./props.js";

export interface CheckResult {
  inputs: Props;
  failures: { property: string; reason: string }[];
  notes: Note[];
}

/**
 * Validate inputs (every failure with its property), and add what diff needs: material and bank
 * capabilities. `prefetch`: a registration that does not exist yet (no recorded inputs) starts the
 * reads its create will need; one that exists sends nothing from `check`.
 */
export async function check(
  lc: Lifecycle,
  given: Props,
  opts: { prefetch?: boolean } = {},
): Promise<CheckResult> {
  // An empty optional list or object is "not given": checked, recorded and diffed as absent.
  const news = givenInputs(given);
  const inputs = declared(news);
  refuseAfterCancel(lc, `the check of ${where(inputs)}`);
  const failures: CheckResult["failures"] = [];
  const notes: Note[] = [];
  const extra: Props = {};
  const ro = ResourceOnlyInputs.safeParse(
    Object.fromEntries(Object.keys(ResourceOnlyInputs.shape).map((k) => [k, news[k]])),
  );
  if (!ro.success)
    for (const i of ro.error.issues) failures.push({ property: propertyPath(i.path), reason: i.message });
  try {
    const params = await toCoreParams(inputs, lc.secrets, { unknown: UNKNOWN });
    const r = RegistrationParams.safeParse(params);
    if (!r.success) {
      for (const i of r.error.issues) {
        if (at(params, i.path) === UNKNOWN) continue; // known only at `up`
        let reason = i.message;
        // No key at all: what a first program most often lacks, said in the resource's spelling
        // (the core's words name private_key, pkcs11, aws_kms), the config secret first.
        // (The schema's one custom issue there; a key given but malformed keeps its own words.)
        if (i.path.join(".") === "signing_key.private_key" && i.code === "custom")
          reason = `no signing key: set the ${lc.configKey("signingPrivateKey")} config secret (\`pulumi config set --secret ${lc.configKey("signingPrivateKey")} < key.pem\`), or give signingKey.privateKeyFile or signingKey.privateKey, or where the key is kept (signingKey.pkcs11 or signingKey.awsKms)`;
        else if (i.path.join(".") === "signing_key.private_key")
          reason = `${reason}; give signingKey.privateKey, signingKey.privateKeyFile or the ${lc.configKey("signingPrivateKey")} config secret`;
        if (i.path.join(".") === "transport.key")
          reason = `${reason}; give transport.key, transport.keyFile or the ${lc.configKey("transportKey")} config secret`;
        // A setting that moved names its new home in the resource's spelling.
        if (isMovedIssue(reason))
          reason = reason.replace(/[a-z]+_[a-z0-9_.]*/g, (w) => propertyPath(w.split(".")));
        // A typo of a member (`redirectUri`), named as the program spells it, with the closest one.
        else if (i.code === "unrecognized_keys") reason = unknownKeys(i.path, i.keys, snakeToCamel);
        failures.push({ property: propertyPath(i.path), reason });
      }
      return { inputs: news, failures, notes };
    }
    if (opts.prefetch && !JSON.stringify([params.bank, params.directory, params.transport]).includes(UNKNOWN))
      prefetch(r.data, lc.ctx);
    const d = await derivedFrom(lc, r.data, params);
    Object.assign(extra, d.derived);
    const soon = d.material
      ? expiringCertificate(d.material, inputs.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS, lc.now())
      : undefined;
    if (soon) notes.push({ kind: "expiring", where: where(inputs), ...soon });
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    const reason = e.message.startsWith(`${e.field}: `) ? e.message.slice(e.field.length + 2) : e.message;
    failures.push({ property: propertyPath(e.field.split(".")), reason });
  }
  return { inputs: { ...news, ...extra }, failures, notes };
}

/** The bookkeeping `check` derives from valid inputs: the bank's capabilities and the material's identity. */
export const DERIVED_KEYS = ["bankCapabilities", ...MATERIAL_OUTPUTS] as const;

async function derivedFrom(lc: Lifecycle, data: RegistrationParams, params: unknown) {
  const bp = resolveBankProfile(data);
  const derived: Props = {
    bankCapabilities: {
      supportsUpdate: bp.supports.update,
      refusesDuplicateRegistration: bp.refuses_duplicate_registration,
    } satisfies BankCapabilities,
  };
  const p = params as { signing_key?: unknown; transport?: unknown };
  if (JSON.stringify([p.signing_key, p.transport]).includes(UNKNOWN)) return { derived };
  // The material's identity: what diff compares (never the file paths) and outputs record.
  // Material that does not parse is reported by `up`, where it is used, with its field.
  const material = await materialOutputs(data, lc.ctx).catch(() => undefined);
  return { derived: { ...derived, ...material }, material };
}

/**
 * The checked inputs with what `check` derives from them, for an adapter that does not record it
 * (the plugin keeps state small: derived again by diff and update). Unknown or invalid inputs: as given.
 */
export async function withDerived(lc: Lifecycle, news: Props): Promise<Props> {
  if (DERIVED_KEYS.every((k) => news[k] !== undefined)) return news;
  try {
    const params = await toCoreParams(declared(news), lc.secrets, { unknown: UNKNOWN });
    const r = RegistrationParams.safeParse(params);
    if (!r.success) return news;
    return { ...news, ...(await derivedFrom(lc, r.data, params)).derived };
  } catch {
    return news;
  }
}
