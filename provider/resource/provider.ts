/**
 * The dynamic provider behind ObClientRegistration: a thin adapter over the lifecycle
 * (`provider/lifecycle/`). It maps the engine's calls to lifecycle operations, logs their notes and
 * words their remedies for a Pulumi user. The serialized provider in state is a stub that
 * `require`s this module by package name inside each method, so no protocol logic is frozen into
 * state and old resources run current code. The shared context (one directory token and one SSA
 * download for every registration of a software in one `pulumi up`) is made in `configure`.
 */

// First: on a Node too old for undici, stop with the fix.
import "./runtime_guard.js";

import type * as pulumi from "@pulumi/pulumi";
import { printable } from "../core/untrusted.js";
import { exitWithEngine } from "../engine_watch.js";
import { createContext, type ObDcrContext } from "../http/context.js";
import { transportFromEnv } from "../http/transport_env.js";
import { capabilitiesOf, diffRegistration } from "../lifecycle/diff.js";
import { nextClientIdHint } from "../lifecycle/hint.js";
import type { ConfigSecrets } from "../lifecycle/inputs.js";
import * as lifecycle from "../lifecycle/operations.js";
import { type Props, recordedInputs, withoutUndefined } from "../lifecycle/props.js";
import {
  confirmedGone,
  noteWords,
  partialCreateMessage,
  partialUpdateMessage,
  rotationLines,
  worded,
} from "./messages.js";
import { PartialCreateError } from "./partial.js";
import { SECRET_OUTPUTS } from "./secret_outputs.js";

export type { RegistrationComputed, RegistrationOutputs, Substitution } from "../lifecycle/outputs.js";
export { UNKNOWN } from "../lifecycle/props.js";

export { transportFromEnv };

/** Secret outputs that are inputs too (keys, adopt): present in every create, not salvaged. */
const INPUT_SECRETS = new Set<string>(["signingPrivateKey", "transportPrivateKey", "adopt"]);

const log = (msg: string) => process.stderr.write(`ob-dcr: ${printable(msg)}\n`);

/** Made once per provider host process, in `configure` (or on first use when the engine skips it). */
let state: { ctx: ObDcrContext; secrets: ConfigSecrets } | undefined;

function lc(): lifecycle.Lifecycle {
  // Only provider methods call this, and they run only in the engine's provider host.
  exitWithEngine();
  state ??= { ctx: createContext({ transport: transportFromEnv() }), secrets: {} };
  return {
    ...state,
    confirmedGone: (id) => confirmedGone(id),
    configKey: (key) => `ob-dcr:${key}`,
    now: () => Math.floor(Date.now() / 1000),
  };
}

const say = (notes: readonly lifecycle.Note[]) => {
  for (const n of notes) log(noteWords(n));
};

export const registrationProvider = {
  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    const secrets: ConfigSecrets = withoutUndefined({
      signingPrivateKey: req.config.get("ob-dcr:signingPrivateKey"),
      transportKey: req.config.get("ob-dcr:transportKey"),
      pkcs11Pin: req.config.get("ob-dcr:pkcs11Pin"),
    });
    state = {
      // The PIN lives in the context only (never an input, never in state).
      ctx: createContext({
        transport: transportFromEnv(),
        signer_secrets: { pkcs11_pin: secrets.pkcs11Pin },
      }),
      secrets,
    };
  },

  async check(olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    const r = await lifecycle
      .check(lc(), news, { prefetch: Object.keys(olds ?? {}).length === 0 })
      .catch((e) => Promise.reject(worded(e, "create")));
    say(r.notes);
    const hint = nextClientIdHint(olds, { ...news, ...r.inputs });
    return { inputs: hint ? { ...r.inputs, clientIdHint: hint } : r.inputs, failures: r.failures };
  },

  async diff(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    const d = diffRegistration(olds, news);
    for (const line of rotationLines(news, d)) log(line);
    return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: d.deleteBeforeReplace };
  },

  async create(props: Props): Promise<pulumi.dynamic.CreateResult> {
    try {
      const r = await lifecycle.create(lc(), props);
      say(r.notes);
      return { id: r.id, outs: r.outs };
    } catch (e) {
      if (e instanceof lifecycle.PartiallyCreated) {
        // The engine shows the reasons, not the message: both say everything.
        const msg = partialCreateMessage(e.client_id, worded(e.error, "create"));
        // The engine stores a failed create's outputs as given: a dynamic provider cannot mark
        // them secret (it does not accept secrets). A client whose credentials were salvaged is
        // kept as a created resource instead, so that additionalSecretOutputs seal them; a
        // warning says what happened, and `pulumi refresh` reads the rest from the bank.
        if (SECRET_OUTPUTS.some((k) => e.outputs[k] !== undefined && !INPUT_SECRETS.has(k))) {
          log(
            `warning: ${msg.replace(/; it is kept in state \(fix the cause[^)]*\)/, "; it is kept in state with its credentials (encrypted); run `pulumi refresh` to read it from the bank")}`,
          );
          return { id: e.client_id, outs: e.outputs };
        }
        // Nor the secret inputs (inline keys, adopt): the next update is given them again.
        const outs = Object.fromEntries(Object.entries(e.outputs).filter(([k]) => !INPUT_SECRETS.has(k)));
        throw new PartialCreateError(msg, e.client_id, { ...outs, __provider: props.__provider }, [msg]);
      }
      throw worded(e, "create");
    }
  },

  async read(id: string, props: Props): Promise<pulumi.dynamic.ReadResult> {
    const r = await lifecycle.read(lc(), id, props).catch((e) => Promise.reject(worded(e, "refresh")));
    say(r.notes);
    if (r.kind === "gone") return {};
    return { id, props: r.props, inputs: recordedInputs(r.props) };
  },

  async update(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult> {
    let r: Awaited<ReturnType<typeof lifecycle.update>>;
    try {
      r = await lifecycle.update(lc(), id, olds, news, capabilitiesOf(news));
    } catch (e) {
      if (!(e instanceof lifecycle.PartiallyUpdated)) throw worded(e, "update");
      // As a create with salvaged credentials: a failed update's outputs would be stored as given,
      // the token in plaintext (a dynamic provider cannot mark them secret). Kept as an update of
      // the token alone instead (additionalSecretOutputs seal it), the change said to be pending.
      log(`warning: ${partialUpdateMessage(id, worded(e.error, "update"), e.why)}`);
      return { outs: e.outputs };
    }
    say(r.notes);
    return { outs: r.outs };
  },

  async delete(id: string, props: Props): Promise<void> {
    const r = await lifecycle.remove(lc(), id, props).catch((e) => Promise.reject(worded(e, "destroy")));
    say(r.notes);
  },
};

export type RegistrationProvider = typeof registrationProvider;
