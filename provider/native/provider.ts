/**
 * The native provider behind `obdcr:index:ClientRegistration`: a thin adapter over the same
 * lifecycle as the dynamic resource (`provider/lifecycle/`), with the same camelCase inputs and
 * outputs and the same words (`provider/resource/messages.ts`). It adds only what a native plugin
 * has and a dynamic one lacks: provider configuration, secret markers on what it returns,
 * `pulumi import` (read with no recorded state: the inputs come from provider config), and the
 * engine's Cancel (the dynamic provider's host answers it without telling the provider).
 */

import type * as pulumi from "@pulumi/pulumi";
import { cancelContext, createContext, isCancelled, type ObDcrContext } from "../http/context.js";
import { DERIVED_KEYS, withDerived } from "../lifecycle/check.js";
import { capabilitiesOf, diffRegistration } from "../lifecycle/diff.js";
import { nextClientIdHint } from "../lifecycle/hint.js";
import { importRegistration } from "../lifecycle/import.js";
import type { ConfigSecrets } from "../lifecycle/inputs.js";
import * as lifecycle from "../lifecycle/operations.js";
import { declared, INPUT_KEYS, type Props, recordedInputs, splitPrivateKeys } from "../lifecycle/props.js";
import {
  confirmedGone,
  noteWords,
  partialCreateMessage,
  partialUpdateMessage,
  rotationLines,
  worded,
} from "../resource/messages.js";
import { PartialCreateError } from "../resource/partial.js";
import { transportFromEnv } from "../resource/provider.js";
import { SECRET_OUTPUTS } from "../resource/secret_outputs.js";
import { checkConfig, configFrom, type ImportConfig, resolveConfig } from "./config.js";
import { tell } from "./engine_log.js";
import schema from "./schema.json";
import { type Path, unwrap, wrap } from "./secrets.js";

export const TYPE = "obdcr:index:ClientRegistration";

// In the engine's output (provider stderr is not shown), under the resource where known.
const say = (notes: readonly lifecycle.Note[], urn?: string) => tell("obdcr", notes.map(noteWords), urn);

/** Top-level properties that are secret whatever the program passed. */
const SECRET_KEYS: Path[] = SECRET_OUTPUTS.map((k) => [k]);

/** One per provider process, made in `configure`: one directory token and SSA serve every registration. */
interface State {
  ctx: ObDcrContext;
  secrets: ConfigSecrets;
  import: ImportConfig;
}
let state: State | undefined;

function lc(): lifecycle.Lifecycle {
  state ??= { ctx: createContext({ transport: transportFromEnv() }), secrets: {}, import: {} };
  return {
    ctx: state.ctx,
    secrets: state.secrets,
    confirmedGone: (id) => confirmedGone(id),
    configKey: (key) => `obdcr:${key}`,
    now: () => Math.floor(Date.now() / 1000),
  };
}

/** Plain props and where their secrets were. */
function plain(v: unknown): { props: Props; paths: Path[] } {
  const { value, paths } = unwrap(v ?? {});
  return { props: (value ?? {}) as Props, paths };
}

/** Outputs with the secret keys and the inputs' secret paths marked. */
const sealed = (props: Props, paths: readonly Path[]) => wrap(props, [...SECRET_KEYS, ...paths]);

/**
 * State is rewritten after every step of an `up`, so a registration keeps each fact once. The
 * inputs hold what was declared and the client_id hint; main.ts hands them to Read, Diff, Update
 * and Delete under the outputs. The outputs hold the registration and the identity of the material
 * it was applied with. What `check` derives (capabilities, the identity of the material declared
 * now) is derived again by diff and update, not recorded.
 */
const NOT_OUTPUTS = new Set<string>([...INPUT_KEYS, "bankCapabilities", "clientIdHint", "clientIdHintSeed"]);

const outputsOf = (props: Props): Props =>
  Object.fromEntries(Object.entries(props).filter(([k]) => !NOT_OUTPUTS.has(k)));

const inputsOf = (props: Props): Props =>
  Object.fromEntries(Object.entries(props).filter(([k]) => !(DERIVED_KEYS as readonly string[]).includes(k)));

/** `project/stack/name` from a URN: seeds the client_id hint (stable for the resource). */
function seedOf(urn: string): string {
  const [, stackPart = "", project = "", , name = ""] = urn.split("::");
  return `${project}/${stackPart.replace(/^urn:pulumi:/, "")}/${name}`;
}

/** `pulumi import <id>`: the inputs come from provider config, the registration from the bank. */
async function importFromConfig(id: string, urn: string): Promise<pulumi.provider.ReadResult> {
  const r = await importRegistration(lc(), id, state?.import ?? {}).catch((e) =>
    Promise.reject(worded(e, "create")),
  );
  await say(r.notes, urn);
  // The bookkeeping stays in the outputs here: the generated code takes the inputs as they are.
  const outs = Object.fromEntries(Object.entries(r.props).filter(([k]) => !INPUT_KEYS.includes(k)));
  return { id, props: sealed(outs, []), inputs: sealed(declared(r.props) as Props, []) };
}

export class ObDcrProvider implements pulumi.provider.Provider {
  readonly version: string;
  constructor(version: string) {
    this.version = version;
  }

  async getSchema(): Promise<string> {
    return JSON.stringify({ ...schema, version: this.version });
  }

  /** Called by the CheckConfig hook (main.ts): validated config, credentials marked secret. */
  async checkConfig(news: unknown): Promise<pulumi.provider.CheckResult> {
    const { props, paths } = plain(news);
    const r = checkConfig(props);
    return { inputs: wrap(props, [...paths, ...r.secretKeys.map((k) => [k])]), failures: r.failures };
  }

  /** Called by the Configure hook (main.ts) with the request's args (wrapped) and variables. */
  async configure(args: unknown, variables: Map<string, string>): Promise<void> {
    const cfg = resolveConfig(configFrom(plain(args).props, variables));
    const cancelled = state !== undefined && isCancelled(state.ctx);
    state = {
      ctx: createContext({
        transport: { ...transportFromEnv(), ...cfg.transport },
        signer_secrets: { pkcs11_pin: cfg.secrets.pkcs11Pin },
      }),
      secrets: cfg.secrets,
      import: cfg.import,
    };
    // A Cancel that came first still holds.
    if (cancelled) cancelContext(state.ctx);
  }

  /**
   * The engine's Cancel (its first Ctrl-C or SIGTERM): requests in flight are aborted at once and
   * no operation starts after it (`OBDCR_INTERRUPTED`). A create, update or delete whose request
   * was aborted after it was sent settles it as after a lost answer, within OBDCR_CANCEL_GRACE_MS
   * (3 s): the engine waits for those steps, and a pipeline kills the run a few seconds later.
   */
  async cancel(): Promise<void> {
    lc();
    if (state) cancelContext(state.ctx);
  }

  async check(urn: string, olds: unknown, news: unknown): Promise<pulumi.provider.CheckResult> {
    const o = plain(olds).props;
    const { props: n, paths } = plain(news);
    // Private keys travel apart (secret), as in the dynamic resource: kid, cert and CA stay readable.
    const split = splitPrivateKeys(n) ?? n;
    const r = await lifecycle
      .check(lc(), split, { prefetch: Object.keys(o).length === 0 })
      .catch((e) => Promise.reject(worded(e, "create")));
    await say(r.notes, urn);
    const hint = nextClientIdHint(o, { ...r.inputs, clientIdHintSeed: seedOf(urn) });
    const inputs = hint ? { ...r.inputs, clientIdHint: hint } : r.inputs;
    return { inputs: sealed(inputsOf(inputs), paths), failures: r.failures };
  }

  async diff(_id: string, urn: string, olds: unknown, news: unknown): Promise<pulumi.provider.DiffResult> {
    const o = plain(olds).props;
    const n = await withDerived(lc(), plain(news).props);
    const d = diffRegistration(o, n);
    await tell("obdcr", rotationLines(n, d), urn);
    return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: d.deleteBeforeReplace };
  }

  async create(urn: string, inputs: unknown): Promise<pulumi.provider.CreateResult> {
    const { props, paths } = plain(inputs);
    try {
      const r = await lifecycle.create(lc(), props);
      await say(r.notes, urn);
      return { id: r.id, outs: sealed(outputsOf(r.outs), paths) };
    } catch (e) {
      if (e instanceof lifecycle.PartiallyCreated) {
        const msg = partialCreateMessage(e.client_id, worded(e.error, "create"));
        throw new PartialCreateError(msg, e.client_id, sealed(e.outputs, paths), [msg]);
      }
      throw worded(e, "create");
    }
  }

  async read(id: string, urn: string, recorded?: unknown): Promise<pulumi.provider.ReadResult> {
    const { props, paths } = plain(recorded);
    if (Object.keys(props).length === 0) return importFromConfig(id, urn);
    const r = await lifecycle.read(lc(), id, props).catch((e) => Promise.reject(worded(e, "refresh")));
    await say(r.notes, urn);
    if (r.kind === "gone") return { id: "" };
    return {
      id,
      props: sealed(outputsOf(r.props), paths),
      inputs: sealed(inputsOf(recordedInputs(r.props)), paths),
    };
  }

  async update(id: string, urn: string, olds: unknown, news: unknown): Promise<pulumi.provider.UpdateResult> {
    const o = plain(olds).props;
    const { props: checked, paths } = plain(news);
    const n = await withDerived(lc(), checked);
    const r = await lifecycle.update(lc(), id, o, n, capabilitiesOf(n)).catch((e) => {
      if (e instanceof lifecycle.PartiallyUpdated) {
        // The engine keeps a failed update's outputs as given (the new token, sealed) and fails the step.
        const msg = partialUpdateMessage(id, worded(e.error, "update"), e.why);
        throw new PartialCreateError(msg, id, sealed(outputsOf(e.outputs), paths), [msg]);
      }
      return Promise.reject(worded(e, "update"));
    });
    await say(r.notes, urn);
    return { outs: sealed(outputsOf(r.outs), paths) };
  }

  /** `obdcr:index:getBanks` (provider/native/banks.ts). */
  async invoke(token: string, args: unknown): Promise<pulumi.provider.InvokeResult> {
    const banks = await import("./banks.js");
    if (token !== banks.GET_BANKS) throw new Error(`unknown function ${token}`);
    return banks.invokeGetBanks(this.banksHost(), args).catch((e) => Promise.reject(worded(e, "create")));
  }

  /** `obdcr:index:BankRegistrations` (provider/native/banks.ts). */
  async construct(
    name: string,
    type: string,
    inputs: pulumi.Inputs,
    options: pulumi.ComponentResourceOptions,
  ): Promise<pulumi.provider.ConstructResult> {
    const banks = await import("./banks.js");
    if (type !== banks.BANK_REGISTRATIONS) throw new Error(`unknown resource type ${type}`);
    return banks
      .constructBankRegistrations(this.banksHost(), name, inputs, options)
      .catch((e) => Promise.reject(worded(e, "create")));
  }

  private banksHost() {
    const l = lc();
    return { ctx: l.ctx, secrets: l.secrets, version: this.version };
  }

  async delete(id: string, urn: string, props: unknown): Promise<void> {
    const r = await lifecycle
      .remove(lc(), id, plain(props).props)
      .catch((e) => Promise.reject(worded(e, "destroy")));
    await say(r.notes, urn);
  }
}
