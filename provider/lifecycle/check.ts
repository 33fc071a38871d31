/** `check`: validate the inputs (every failure with its property) and add what diff needs. */
import { resolveBankProfile } from "../core/bank_profiles/resolve.js";
import { InvalidInputError } from "../core/errors.js";
import { RegistrationParams } from "../core/schemas/params.js";
import { type Lifecycle, type Note, where } from "./context.js";
import type { BankCapabilities } from "./diff.js";
import { propertyPath, ResourceOnlyInputs, toCoreParams } from "./inputs.js";
import { DEFAULT_EXPIRY_WARNING_DAYS, expiringCertificate, materialOutputs } from "./material.js";
import { prefetch } from "./prefetch.js";
import { at, declared, type Props, UNKNOWN } from "./props.js";

export interface CheckResult {
  inputs: Props;
  failures: { property: string; reason: string }[];
  notes: Note[];
}

/** Validate inputs (every failure with its property), and add what diff needs: material and bank capabilities. */
export async function check(lc: Lifecycle, news: Props): Promise<CheckResult> {
  const inputs = declared(news);
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
        if (i.path.join(".") === "signing_key.private_key")
          reason = `${reason}; give signingKey.privateKey, signingKey.privateKeyFile or the ${lc.configKey("signingPrivateKey")} config secret`;
        if (i.path.join(".") === "transport.key")
          reason = `${reason}; give transport.key, transport.keyFile or the ${lc.configKey("transportKey")} config secret`;
        // A setting that moved names its new home in the resource's spelling.
        if (reason.startsWith("moved: "))
          reason = reason.replace(/[a-z]+_[a-z0-9_.]*/g, (w) => propertyPath(w.split(".")));
        failures.push({ property: propertyPath(i.path), reason });
      }
      return { inputs: news, failures, notes };
    }
    if (!JSON.stringify([params.bank, params.directory, params.transport]).includes(UNKNOWN))
      prefetch(r.data, lc.ctx);
    const bp = resolveBankProfile(r.data);
    extra.bankCapabilities = {
      supportsUpdate: bp.supports.update,
      refusesDuplicateRegistration: bp.refuses_duplicate_registration,
    } satisfies BankCapabilities;
    if (!JSON.stringify([params.signing_key, params.transport]).includes(UNKNOWN)) {
      // The material's identity: what diff compares (never the file paths) and outputs record.
      // Material that does not parse is reported by `up`, where it is used, with its field.
      const material = await materialOutputs(r.data, lc.ctx).catch(() => undefined);
      if (material) {
        Object.assign(extra, material);
        const soon = expiringCertificate(
          material,
          inputs.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS,
          lc.now(),
        );
        if (soon) notes.push({ kind: "expiring", where: where(inputs), ...soon });
      }
    }
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    const reason = e.message.startsWith(`${e.field}: `) ? e.message.slice(e.field.length + 2) : e.message;
    failures.push({ property: propertyPath(e.field.split(".")), reason });
  }
  return { inputs: { ...news, ...extra }, failures, notes };
}
