/**
 * The dynamic provider behind ObClientRegistration. The serialized provider in state is a stub
 * that `require`s this module by package name inside each method, so the protocol logic is
 * never frozen into state and old resources run current code. Module state (caches, config
 * secrets) lives here, once per provider host process: one directory token and one SSA
 * download serve every registration of a software in one `pulumi up`.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { BANK_PRESETS, isBankPresetName } from "../core/bank_profiles/presets.js";
import { resolveBankProfile } from "../core/bank_profiles/resolve.js";
import {
  GoneUnconfirmedError,
  InvalidInputError,
  NotSupportedError,
  OBDCR_NOT_SUPPORTED,
  OBDCR_OUTCOME_UNKNOWN,
  OBDCR_REGISTRATION_GONE,
  ObDcrError,
} from "../core/errors.js";
import type { SigningKeyIdentity } from "../core/material.js";
import type { RegistrationParamsInput, RegistrationStateInput } from "../core/schemas/params.js";
import { RegistrationParams } from "../core/schemas/params.js";
import { createContext } from "../http/context.js";
import { describePublication, findPublishedKey } from "../http/own_side.js";
import {
  checkSigningKeyPublished,
  createRegistration,
  deleteRegistration,
  parseRegistrationParams,
  type RegistrationOutcome,
  readRegistration,
  updateRegistration,
} from "../http/registration.js";
import type { TlsMaterial, TransportOptions } from "../http/transport.js";
import {
  type ConfigSecrets,
  propertyPath,
  type RegistrationInputs,
  ResourceOnlyInputs,
  snakeKeys,
  toCoreParams,
} from "./args.js";
import {
  confirmedGone,
  DEFAULT_EXPIRY_WARNING_DAYS,
  describeRotation,
  expiryWarning,
  goneUnconfirmed,
  type MaterialOutputs,
  materialOutputs,
  recordedMaterial,
  rotationBetween,
} from "./day2.js";

/** What the engine sends in place of a value it does not know yet (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The declared inputs, echoed into the outputs so that diff compares declared against declared. */
export const INPUT_KEYS = [
  "profile",
  "bankProfile",
  "bank",
  "directory",
  "software",
  "signingKey",
  "transport",
  "client",
  "adopt",
  "refusesDuplicates",
  "rotationTrigger",
  "expiryWarningDays",
] as const;

/** A change here is a different registration (another bank, software or profile): replace. */
const IDENTITY_PATHS = [
  ["profile"],
  ["bank", "discoveryUrl"],
  ["bank", "registrationEndpoint"],
  ["bank", "orgId"],
  ["software", "softwareId"],
  ["software", "orgId"],
] as const;

/** Registered client metadata whose drift at the bank a PUT corrects. */
const MANAGED_METADATA = [
  "redirect_uris",
  "scope",
  "grant_types",
  "response_types",
  "token_endpoint_auth_method",
  "token_endpoint_auth_signing_alg",
  "id_token_signed_response_alg",
  "request_object_signing_alg",
  "application_type",
  "tls_client_auth_subject_dn",
] as const;

export interface Substitution {
  field: string;
  requested: unknown;
  registered: unknown;
}

/** Computed outputs (besides the echoed inputs). */
export interface RegistrationComputed {
  clientId: string;
  clientIdIssuedAt?: number;
  clientSecretExpiresAt?: number;
  /** Secret. */
  clientSecret?: string;
  /** Secret. RFC 7592 management credential, kept current when the bank rotates it. */
  registrationAccessToken?: string;
  registrationClientUri?: string;
  /** Where GET/PUT/DELETE go. */
  managementUri: string;
  /** The bank's current view of the client (non-secret members, SSA left out). */
  registeredMetadata: Record<string, unknown>;
  /** The bank's view right after our last POST/PUT: drift is measured against it. */
  appliedMetadata: Record<string, unknown>;
  /** Values the bank registered instead of the ones requested. */
  substitutions: Substitution[];
  /** The SSA's software_jwks_endpoint: where the directory publishes our keys (checked on rotation). */
  softwareJwksEndpoint?: string;
}

export type RegistrationOutputs = RegistrationInputs & RegistrationComputed & MaterialOutputs;

type Props = Record<string, unknown>;

/** Transport knobs from the environment of the provider host (the engine passes its own down). */
export function transportFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<TransportOptions> {
  const knobs: [string, keyof TransportOptions][] = [
    ["OBDCR_CONNECT_TIMEOUT_MS", "connect_timeout_ms"],
    ["OBDCR_HEADERS_TIMEOUT_MS", "headers_timeout_ms"],
    ["OBDCR_BODY_TIMEOUT_MS", "body_timeout_ms"],
    ["OBDCR_MAX_RETRIES", "max_retries"],
    ["OBDCR_BACKOFF_BASE_MS", "backoff_base_ms"],
    ["OBDCR_MAX_RETRY_AFTER_MS", "max_retry_after_ms"],
  ];
  const out: Partial<Record<keyof TransportOptions, number>> = {};
  for (const [name, key] of knobs) {
    const v = env[name];
    if (v === undefined || v === "") continue;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidInputError(name, `must be a non-negative integer, got ${JSON.stringify(v)}`);
    out[key] = n;
  }
  return out as Partial<TransportOptions>;
}

const ctx = createContext({ transport: transportFromEnv() });

/** A name-based (v5-style) UUID from SHA-1, the shape UK banks accept for a client_id (Str(36)). */
export function uuidFrom(seed: string): string {
  const h = createHash("sha1").update(`ob-dcr client_id hint\n${seed}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * The client_id a create proposes (used when bank.clientIdHint is on). A new resource derives it
 * from its stack, its name and its identity, so a run that died after the bank committed the POST
 * is found by the next run, which proposes the same id. A resource that already exists derives
 * the next one from its last, so a replacement never proposes the id of the registration it replaces.
 */
function nextClientIdHint(olds: Props, news: Props): string | undefined {
  if (typeof olds.clientIdHint === "string") return uuidFrom(`next:${olds.clientIdHint}`);
  if (typeof news.clientIdHintSeed !== "string" || news.clientIdHintSeed.includes(UNKNOWN)) return undefined;
  const identity = IDENTITY_PATHS.map((path) => at(news, path) ?? null);
  if (identity.includes(UNKNOWN)) return undefined;
  return uuidFrom(`${news.clientIdHintSeed}|${stable(identity)}`);
}
let configSecrets: ConfigSecrets = {};

const log = (msg: string) => process.stderr.write(`ob-dcr: ${msg}\n`);

function declared(props: Props): RegistrationInputs {
  const out: Props = {};
  for (const k of INPUT_KEYS) if (props[k] !== undefined) out[k] = props[k];
  return out as unknown as RegistrationInputs;
}

/** The value at a path; UNKNOWN when the path crosses a value unknown during preview. */
function at(obj: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = obj;
  for (const p of path) {
    if (v === UNKNOWN) return UNKNOWN;
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function stable(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );
}
const same = (a: unknown, b: unknown) => stable(a ?? null) === stable(b ?? null);

function pickMetadata(m: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(MANAGED_METADATA.filter((k) => m[k] !== undefined).map((k) => [k, m[k]]));
}

function drifted(olds: Props): boolean {
  const reg = olds.registeredMetadata as Record<string, unknown> | undefined;
  const applied = olds.appliedMetadata as Record<string, unknown> | undefined;
  if (!reg || !applied) return false;
  return !same(pickMetadata(reg), pickMetadata(applied));
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function computed(
  r: RegistrationOutcome,
  applied: Record<string, unknown> | undefined,
): RegistrationComputed {
  const { software_statement: _ssa, ...metadata } = r.metadata;
  return withoutUndefined({
    softwareJwksEndpoint: r.software_jwks_endpoint,
    clientId: r.client_id,
    clientIdIssuedAt: r.client_id_issued_at,
    clientSecretExpiresAt: r.client_secret_expires_at,
    clientSecret: r.secrets.client_secret,
    registrationAccessToken: r.secrets.registration_access_token,
    registrationClientUri: r.registration_client_uri,
    managementUri: r.management_uri,
    registeredMetadata: metadata,
    appliedMetadata: applied ?? metadata,
    substitutions: r.substitutions.map((s) => ({
      field: s.field,
      requested: s.requested,
      registered: s.registered,
    })),
  });
}

/** The management state the core needs, from stored outputs. */
function stateOf(props: Props): RegistrationStateInput {
  return {
    client_id: String(props.clientId),
    registration_client_uri: props.registrationClientUri as string | undefined,
    secrets: withoutUndefined({
      client_secret: props.clientSecret as string | undefined,
      registration_access_token: props.registrationAccessToken as string | undefined,
    }),
  };
}

function warnSubstitutions(name: string, subs: readonly Substitution[]) {
  for (const s of subs) {
    log(
      `${name}: the bank registered ${s.field} = ${JSON.stringify(s.registered)} instead of ${JSON.stringify(s.requested)} (see the substitutions output)`,
    );
  }
}

/** The TLS material of (unparsed) core parameters. */
function tlsOf(params: RegistrationParamsInput): TlsMaterial {
  const t = params.transport ?? {};
  return { cert: t.cert, key: t.key, ca: t.ca };
}

/** The core's parameters: files read, stack-config secrets filled in. */
const paramsFor = (inputs: RegistrationInputs) => toCoreParams(inputs, configSecrets);

/** Where a registration was sent, for messages (no secrets). */
function describe(inputs: RegistrationInputs): string {
  const bank = inputs.bank?.registrationEndpoint ?? inputs.bank?.discoveryUrl ?? "the bank";
  return `software ${inputs.software?.softwareId ?? "?"} at ${bank}`;
}

/** Create reached the bank and it issued a client_id: record it in state with the error (never orphan it). */
class PartialCreateError extends Error {
  constructor(
    message: string,
    readonly id: string,
    readonly properties: Props,
    readonly reasons: string[],
  ) {
    super(message);
  }
}

function clientIdOf(e: unknown): string | undefined {
  const id = (e as { client_id?: unknown } | undefined)?.client_id;
  return typeof id === "string" && id ? id : undefined;
}

/**
 * Whether a replacement must delete first: the explicit input wins, else the bank profile
 * (its own field, or its preset's).
 */
function refusesDuplicates(news: Props): boolean {
  if (typeof news.refusesDuplicates === "boolean") return news.refusesDuplicates;
  const bp = news.bankProfile;
  const fromPreset = (name: unknown) =>
    typeof name === "string" && isBankPresetName(name)
      ? (BANK_PRESETS[name].profile as { refuses_duplicate_registration?: boolean })
          .refuses_duplicate_registration === true
      : false;
  if (typeof bp === "string") return fromPreset(bp);
  if (bp && typeof bp === "object") {
    const own = (bp as Record<string, unknown>).refusesDuplicateRegistration;
    return typeof own === "boolean" ? own : fromPreset((bp as Record<string, unknown>).preset);
  }
  return false;
}

/** Prefix messages with the stable error code: the engine shows only the message. */
function coded(e: unknown): unknown {
  if (e instanceof ObDcrError && !e.message.startsWith(e.code)) e.message = `${e.code}: ${e.message}`;
  return e;
}

// biome-ignore lint/suspicious/noExplicitAny: a wrapper that keeps each method's own signature
function withCodes<T extends Record<string, (...args: any[]) => Promise<unknown>>>(methods: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(methods)) {
    out[name] = async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        throw coded(e);
      }
    };
  }
  return out as T;
}

/** The bank's capabilities a diff needs, from the checked inputs (resolved in `check`). */
interface BankCapabilities {
  supportsUpdate: boolean;
  refusesDuplicateRegistration: boolean;
}

function capabilitiesOf(news: Props): BankCapabilities {
  const c = news.bankCapabilities as BankCapabilities | undefined;
  return {
    supportsUpdate: c?.supportsUpdate ?? true,
    refusesDuplicateRegistration: refusesDuplicates(news) || (c?.refusesDuplicateRegistration ?? false),
  };
}

/** Reasons besides the material for a PUT: declared metadata, a new inline SSA, drift, a trigger. */
function putReasons(olds: Props, news: Props): string[] {
  const reasons: string[] = [];
  if (olds.appliedMetadata === undefined) reasons.push("completing an interrupted create");
  if (!same(olds.client, news.client)) reasons.push("client metadata changed");
  if (!same(at(olds, ["directory", "softwareStatement"]), at(news, ["directory", "softwareStatement"])))
    reasons.push("new software statement");
  if (drifted(olds)) reasons.push("metadata changed at the bank");
  if (!same(olds.rotationTrigger, news.rotationTrigger)) reasons.push("rotationTrigger changed");
  return reasons;
}

/** Inputs compared by material identity instead of by value (a path change alone is no change). */
const MATERIAL_INPUTS = new Set(["signingKey", "transport"]);

function materialChanged(olds: Props, news: Props): boolean {
  const a = recordedMaterial(olds);
  const b = recordedMaterial(news);
  // State from before identities were recorded: compare what was declared.
  if (!a || !b) return !same(olds.signingKey, news.signingKey) || !same(olds.transport, news.transport);
  const keyDecl = (p: Props) => ({
    kid: at(p, ["signingKey", "kid"]),
    alg: at(p, ["signingKey", "alg"]) ?? "PS256",
  });
  return !same(a, b) || !same(keyDecl(olds), keyDecl(news));
}

/** Outputs of a registration: declared inputs, the material it was applied with, the outcome. */
function outputsOf(
  inputs: RegistrationInputs,
  material: MaterialOutputs,
  outs: RegistrationComputed | Props,
) {
  return { ...inputs, ...material, ...outs };
}

export const registrationProvider = withCodes({
  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    configSecrets = withoutUndefined({
      signingPrivateKey: req.config.get("ob-dcr:signingPrivateKey"),
      transportKey: req.config.get("ob-dcr:transportKey"),
    });
  },

  async check(_olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    const inputs = declared(news);
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const extra: Props = {};
    const ro = ResourceOnlyInputs.safeParse({
      adopt: inputs.adopt,
      refusesDuplicates: inputs.refusesDuplicates,
      rotationTrigger: inputs.rotationTrigger,
      expiryWarningDays: inputs.expiryWarningDays,
    });
    if (!ro.success) {
      for (const i of ro.error.issues) failures.push({ property: propertyPath(i.path), reason: i.message });
    }
    try {
      const params = await toCoreParams(inputs, configSecrets, { unknown: UNKNOWN });
      const r = RegistrationParams.safeParse(params);
      if (!r.success) {
        for (const i of r.error.issues) {
          if (at(params, i.path) === UNKNOWN) continue; // known only at `up`
          let reason = i.message;
          if (i.path.join(".") === "signing_key.private_key")
            reason = `${reason}; give signingKey.privateKey, signingKey.privateKeyFile or the ob-dcr:signingPrivateKey config secret`;
          if (i.path.join(".") === "transport.key")
            reason = `${reason}; give transport.key, transport.keyFile or the ob-dcr:transportKey config secret`;
          failures.push({ property: propertyPath(i.path), reason });
        }
      } else if (!JSON.stringify([params.signing_key, params.transport]).includes(UNKNOWN)) {
        // The material's identity: what diff compares (never the file paths) and outputs record.
        // Material that does not parse is reported by `up`, where it is used, with its field.
        const material = await materialOutputs(r.data).catch(() => undefined);
        if (material) Object.assign(extra, material);
        const bp = resolveBankProfile(r.data);
        extra.bankCapabilities = {
          supportsUpdate: bp.supports.update,
          refusesDuplicateRegistration: bp.refuses_duplicate_registration,
        } satisfies BankCapabilities;
        const warning =
          material &&
          expiryWarning(
            describe(inputs),
            material,
            inputs.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS,
            Math.floor(Date.now() / 1000),
          );
        if (warning) log(`warning: ${warning}`);
      }
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw e;
      failures.push({ property: propertyPath(e.field.split(".")), reason: e.message });
    }
    const hint = nextClientIdHint(_olds, news);
    if (hint) extra.clientIdHint = hint;
    return { inputs: { ...news, ...extra }, failures };
  },

  async diff(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    const replaces = new Set<string>();
    for (const path of IDENTITY_PATHS) {
      if (!same(at(olds, path), at(news, path))) replaces.add(path[0]);
    }
    // Adoption only matters at create: changing or removing it later is not a change.
    const changed = INPUT_KEYS.filter(
      (k) => k !== "adopt" && !MATERIAL_INPUTS.has(k) && !same(olds[k], news[k]),
    );
    const rotated = materialChanged(olds, news);
    const drift = drifted(olds);
    const plan = rotationBetween(olds, news);
    if (plan && replaces.size === 0) {
      const caps = capabilitiesOf(news);
      const reasons = putReasons(olds, news);
      const lines = describeRotation(describe(declared(news)), plan, {
        other_reasons: plan.changes.length > 0 ? reasons : [],
        supports_update: caps.supportsUpdate,
        refuses_duplicates: caps.refusesDuplicateRegistration,
      });
      if (plan.changes.length > 0) for (const l of lines) log(l);
      // No PUT at this bank: a rotation the bank must know of is a replacement, where allowed.
      if (!caps.supportsUpdate && plan.put_fields.length > 0 && !caps.refusesDuplicateRegistration)
        replaces.add(
          plan.changes.some((c) => c.kind === "transport_certificate") ? "transport" : "signingKey",
        );
    }
    const changes = replaces.size > 0 || changed.length > 0 || rotated || drift;
    return {
      changes,
      replaces: [...replaces],
      deleteBeforeReplace: replaces.size > 0 && capabilitiesOf(news).refusesDuplicateRegistration,
    };
  },

  async create(props: Props): Promise<pulumi.dynamic.CreateResult> {
    const inputs = declared(props);
    const params = await paramsFor(inputs);
    const material = await materialOutputs(parseRegistrationParams(params));
    if (inputs.adopt) {
      // Take over an existing registration: GET it with its management credentials, no POST.
      const state: RegistrationStateInput = {
        client_id: inputs.adopt.clientId,
        registration_client_uri: inputs.adopt.registrationClientUri,
        secrets: withoutUndefined({
          client_secret: inputs.adopt.clientSecret,
          registration_access_token: inputs.adopt.registrationAccessToken,
        }),
      };
      const r = await readRegistration(params, state, ctx);
      const outs = computed(r, undefined);
      return { id: r.client_id, outs: outputsOf(inputs, material, outs) };
    }
    let r: RegistrationOutcome;
    try {
      const hint = typeof props.clientIdHint === "string" ? props.clientIdHint : undefined;
      r = await createRegistration(params, ctx, { client_id_hint: hint });
    } catch (e) {
      const id = clientIdOf(e);
      if (id) {
        // The bank issued a client_id but we could not finish: keep it in state with the error,
        // so that `pulumi up` retries as an update and `pulumi destroy` deletes it.
        const cause = e instanceof ObDcrError ? `${e.code}: ${e.message}` : String(e);
        // The engine shows the reasons, not the message: both say everything.
        const msg =
          `registration ${id} was created at the bank but could not be completed; it is kept in state ` +
          `(fix the cause and run \`pulumi up\` again, or \`pulumi destroy\` to delete it): ${cause}`;
        throw new PartialCreateError(
          msg,
          id,
          { ...inputs, ...material, clientId: id, managementUri: "", __provider: props.__provider },
          [msg],
        );
      }
      if (e instanceof ObDcrError && e.code === OBDCR_OUTCOME_UNKNOWN) {
        if (params.bank?.client_id_hint)
          throw new ObDcrError(OBDCR_OUTCOME_UNKNOWN, `registration of ${describe(inputs)}: ${e.message}`, {
            cause: e,
          });
        throw new ObDcrError(
          OBDCR_OUTCOME_UNKNOWN,
          `the registration POST for ${describe(inputs)} may have reached the bank, but no answer came back: ${e.message}. ` +
            "ob-dcr cannot find the client by itself: this bank is not declared to honour a client_id hint " +
            "(bank.clientIdHint), and DCR offers no search. Before running `pulumi up` again (which would register " +
            "a second client if the first was committed), check the bank's developer portal for a client of this " +
            "software created just now: if there is one, bring it under Pulumi with `adopt: { clientId, ... }` on " +
            "this resource; if there is none, run `pulumi up` again.",
          { cause: e },
        );
      }
      throw e;
    }
    if (r.reconciled)
      log(
        `${describe(inputs)}: found registration ${r.client_id} by its client_id hint (${r.reconciled === "lost_response" ? "the bank committed the POST but its answer was lost" : "an earlier interrupted run registered it"}); it is now in state`,
      );
    else if (r.client_id_hint && !r.client_id_hint.honoured)
      log(
        `${describe(inputs)}: the bank ignored the client_id hint (issued ${r.client_id}); set bank.clientIdHint to false for this bank, lost answers cannot be reconciled`,
      );
    const outs = computed(r, undefined);
    warnSubstitutions(describe(inputs), outs.substitutions);
    return { id: r.client_id, outs: outputsOf(inputs, material, outs) };
  },

  async read(id: string, props: Props): Promise<pulumi.dynamic.ReadResult> {
    const inputs = declared(props);
    const params = await paramsFor(inputs);
    const current = await materialOutputs(parseRegistrationParams(params));
    const recorded = recordedMaterial(props);
    const jwksUri = typeof props.softwareJwksEndpoint === "string" ? props.softwareJwksEndpoint : undefined;
    // Our own side first: a key that changed since the last update must be one the directory
    // publishes, or the bank's refusal would be ours, not a deletion.
    if (recorded && recorded.signing_key.thumbprint !== current.signingKeyIdentity.thumbprint && jwksUri) {
      const key = current.signingKeyIdentity as SigningKeyIdentity;
      const found = await findPublishedKey(ctx, jwksUri, tlsOf(params), key);
      if (found.status === "other_kid") {
        // A routine rotation: the key file holds the new key; state still names the old kid.
        log(
          `registration ${id}: the signing key changed since the last update; the directory publishes it under kid ${found.kid}, so refresh authenticates with it (state records kid ${key.kid} until the next \`pulumi up\`)`,
        );
        params.signing_key = {
          ...(params.signing_key as object),
          kid: found.kid,
        } as typeof params.signing_key;
      } else if (found.status !== "published")
        throw new InvalidInputError(
          "signingKey",
          `registration ${id} is kept in state and nothing was sent to the bank: the signing key changed since the last update, and ${describePublication(found, key)}`,
        );
    }
    let r: RegistrationOutcome;
    try {
      r = await readRegistration(params, stateOf(props), ctx, {
        confirm_gone: confirmedGone(id),
        software_jwks_endpoint: jwksUri,
      });
    } catch (e) {
      if (e instanceof ObDcrError && e.code === OBDCR_REGISTRATION_GONE) {
        log(`registration ${id} is gone at the bank (${e.message}); the next \`pulumi up\` creates it again`);
        return {};
      }
      if (e instanceof ObDcrError && e.code === OBDCR_NOT_SUPPORTED) {
        log(`registration ${id}: the bank does not offer GET, so refresh keeps the last known state`);
        return { id, props, inputs };
      }
      if (e instanceof GoneUnconfirmedError) throw goneUnconfirmed("refresh", e);
      throw e;
    }
    const outs = computed(r, props.appliedMetadata as Record<string, unknown> | undefined);
    // State from before identities were recorded: record the material in use now.
    const material = recorded ? {} : current;
    return { id, props: { ...props, ...material, ...outs }, inputs };
  },

  async update(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult> {
    const inputs = declared(news);
    const plan = rotationBetween(olds, news);
    const reasons = [...putReasons(olds, news), ...(plan?.put_fields.map((f) => `new ${f}`) ?? [])];
    const kept: Props = {};
    for (const [k, v] of Object.entries(olds))
      if (!(INPUT_KEYS as readonly string[]).includes(k)) kept[k] = v;
    const params = await paramsFor(inputs);
    const material = await materialOutputs(parseRegistrationParams(params));
    // A new signing key must be the one the directory publishes under its kid: checked before
    // anything is sent (a PUT would check it again while building the request).
    if (plan?.verify_signing_key)
      await checkSigningKeyPublished(params, ctx, {
        software_jwks_endpoint:
          typeof olds.softwareJwksEndpoint === "string" ? olds.softwareJwksEndpoint : undefined,
      }).catch((e) => {
        throw e instanceof InvalidInputError
          ? new InvalidInputError("signingKey", e.message.replace(/^signing_key: /, ""), { cause: e })
          : e;
      });
    // The bank holds nothing that changed: record the new inputs and fingerprints, send nothing.
    if (reasons.length === 0) return { outs: { ...kept, ...inputs, ...material } };
    if (!capabilitiesOf(news).supportsUpdate)
      throw new NotSupportedError(
        `${describe(inputs)}: this bank offers no PUT, so ${reasons.join(", ")} cannot be applied to registration ${id}. ` +
          "Update the client in the bank's developer portal (or delete it there and remove it from state with `pulumi state delete <urn>`, then `pulumi up` registers anew), then run `pulumi refresh`.",
      );
    let r: RegistrationOutcome;
    try {
      r = await updateRegistration(params, stateOf(olds), ctx, {
        software_jwks_endpoint:
          typeof olds.softwareJwksEndpoint === "string" ? olds.softwareJwksEndpoint : undefined,
      });
    } catch (e) {
      if (e instanceof GoneUnconfirmedError) throw goneUnconfirmed("update", e);
      throw e;
    }
    if (r.client_id !== id) {
      throw new InvalidInputError(
        "clientId",
        `the bank answered the update of ${id} with client_id ${r.client_id}; refusing to change identity`,
      );
    }
    const outs = computed(r, undefined);
    warnSubstitutions(describe(inputs), outs.substitutions);
    return { outs: { ...kept, ...outputsOf(inputs, material, outs) } };
  },

  async delete(id: string, props: Props): Promise<void> {
    const inputs = declared(props);
    const params = await paramsFor(inputs);
    try {
      const result = await deleteRegistration(params, stateOf(props), ctx, {
        confirm_gone: confirmedGone(id),
        software_jwks_endpoint:
          typeof props.softwareJwksEndpoint === "string" ? props.softwareJwksEndpoint : undefined,
      });
      if (result === "gone") log(`registration ${id} was already gone at the bank`);
    } catch (e) {
      if (e instanceof ObDcrError && e.code === OBDCR_NOT_SUPPORTED) {
        throw new ObDcrError(
          OBDCR_NOT_SUPPORTED,
          `the bank does not let ob-dcr delete registration ${id} (${describe(inputs)}). ` +
            "Revoke the client in the bank's developer portal, then either set `retainOnDelete: true` on this " +
            "resource and run `pulumi destroy` again, or remove it from state with `pulumi state delete <urn>`.",
          { cause: e },
        );
      }
      if (e instanceof GoneUnconfirmedError) throw goneUnconfirmed("destroy", e);
      throw e;
    }
  },
});

export type RegistrationProvider = typeof registrationProvider;

/** For tests: the snake_case core parameters a set of inputs maps to (files not read). */
export const _internal = { snakeKeys, declared, drifted };
