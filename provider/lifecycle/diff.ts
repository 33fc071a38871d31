/**
 * What a change of inputs means for a registration: replace (another bank, software or profile),
 * update (metadata, material, a rotation trigger, drift at the bank) or nothing. Pure: the adapter
 * passes the recorded outputs (`olds`) and the checked inputs (`news`).
 */
import type { RotationPlan } from "../core/policy/rotation.js";
import { IDENTITY_PATHS } from "./fields.js";
import { recordedMaterial, rotationBetween } from "./material.js";
import { appliedOf, sameManagedMetadata } from "./outputs.js";
import { at, INPUT_KEYS, migrated, type Props, same } from "./props.js";

/** The bank's capabilities a diff needs, resolved in `check` from the bank profile. */
export interface BankCapabilities {
  supportsUpdate: boolean;
  refusesDuplicateRegistration: boolean;
}

/** From the checked inputs (the bank profile, resolved in `check`). */
export function capabilitiesOf(news: Props): BankCapabilities {
  const c = news.bankCapabilities as BankCapabilities | undefined;
  return {
    supportsUpdate: c?.supportsUpdate ?? true,
    refusesDuplicateRegistration: c?.refusesDuplicateRegistration ?? false,
  };
}

/** The bank's view differs from what our last POST/PUT left there: a PUT puts it back. */
export function drifted(olds: Props): boolean {
  const reg = olds.registeredMetadata as Record<string, unknown> | undefined;
  const applied = appliedOf(olds);
  if (!reg || !applied) return false;
  return !sameManagedMetadata(reg, applied);
}

/** Reasons besides the material for a PUT: declared metadata, a new inline SSA, drift, a trigger. */
export function putReasons(olds: Props, news: Props): string[] {
  const reasons: string[] = [];
  // A partial create recorded the client but never the bank's view of it.
  if (olds.registeredMetadata === undefined) reasons.push("completing an interrupted create");
  if (!same(olds.client, news.client)) reasons.push("client metadata changed");
  if (!same(at(olds, ["directory", "softwareStatement"]), at(news, ["directory", "softwareStatement"])))
    reasons.push("new software statement");
  if (drifted(olds)) reasons.push("metadata changed at the bank");
  if (!same(olds.rotationTrigger, news.rotationTrigger)) reasons.push("rotationTrigger changed");
  return reasons;
}

/** Inputs compared by material identity instead of by value (a path change alone is no change). */
const MATERIAL_INPUTS = new Set(["signingKey", "transport", "signingPrivateKey", "transportPrivateKey"]);

function materialChanged(olds: Props, news: Props): boolean {
  const a = recordedMaterial(olds);
  const b = recordedMaterial(news);
  // State from before identities were recorded: compare what was declared.
  if (!a || !b) return [...MATERIAL_INPUTS].some((k) => !same(olds[k], news[k]));
  const keyDecl = (p: Props) => ({
    kid: at(p, ["signingKey", "kid"]),
    alg: at(p, ["signingKey", "alg"]) ?? "PS256",
  });
  return !same(a, b) || !same(keyDecl(olds), keyDecl(news));
}

export interface RegistrationDiff {
  changes: boolean;
  /** Top-level input names whose change replaces the registration. */
  replaces: string[];
  deleteBeforeReplace: boolean;
  /** A rotation of key or certificate material, with what it sends (for the preview's words). */
  rotation?: { plan: RotationPlan; other_reasons: string[]; capabilities: BankCapabilities } | undefined;
}

export function diffRegistration(recorded: Props, declaredNews: Props): RegistrationDiff {
  // Both sides in today's spelling (private keys split off, behaviours in bankProfile).
  const olds = migrated(recorded);
  const news = migrated(declaredNews);
  const replaces = new Set<string>();
  for (const path of IDENTITY_PATHS) {
    if (!same(at(olds, path), at(news, path))) replaces.add(path[0]);
  }
  // Adoption only matters at create: changing or removing it later is not a change.
  const changed = INPUT_KEYS.filter(
    (k) => k !== "adopt" && !MATERIAL_INPUTS.has(k) && !same(olds[k], news[k]),
  );
  const caps = capabilitiesOf(news);
  const plan = rotationBetween(olds, news);
  let rotation: RegistrationDiff["rotation"];
  if (plan && plan.changes.length > 0 && replaces.size === 0) {
    rotation = { plan, other_reasons: putReasons(olds, news), capabilities: caps };
    // No PUT at this bank: a rotation the bank must know of is a replacement, where allowed.
    if (!caps.supportsUpdate && plan.put_fields.length > 0 && !caps.refusesDuplicateRegistration)
      replaces.add(plan.changes.some((c) => c.kind === "transport_certificate") ? "transport" : "signingKey");
  }
  const changes = replaces.size > 0 || changed.length > 0 || materialChanged(olds, news) || drifted(olds);
  return {
    changes,
    replaces: [...replaces],
    deleteBeforeReplace: replaces.size > 0 && caps.refusesDuplicateRegistration,
    rotation,
  };
}
