/**
 * ObClientRegistration: one client registration at one bank, as a Pulumi resource.
 * create = DCR POST (or adoption by GET), read = GET, update = PUT, delete = DELETE.
 * Type token: `pulumi-nodejs:dynamic/ob-dcr:ObClientRegistration`.
 */
import * as pulumi from "@pulumi/pulumi";
import { InvalidInputError } from "../core/errors.js";
import { PLAINTEXT_REFUSED_KEYS } from "../lifecycle/config_secrets.js";
import type { MaterialOutputs } from "../lifecycle/material.js";
import type { ObClientRegistrationArgs, SigningKeyArgs, TransportArgs } from "./args_doc.js";
import type { Substitution } from "./provider.js";
import { SECRET_OUTPUTS } from "./secret_outputs.js";
import * as stubModule from "./stub.js";

export type { ObClientRegistrationArgs } from "./args_doc.js";
/** Outputs that hold credentials (stored encrypted, masked in the CLI): `secret_outputs.ts`. */
export { SECRET_OUTPUTS };

/** An object input without one member (kept readable), and that member alone (made secret). */
function split<T extends object, K extends keyof T>(
  v: pulumi.Input<T> | undefined,
  k: K,
): [pulumi.Input<Omit<T, K>> | undefined, pulumi.Output<T[K]> | undefined] {
  if (v === undefined) return [undefined, undefined];
  if (!pulumi.Output.isInstance(v) && !(v instanceof Promise)) {
    const { [k]: member, ...rest } = v as T;
    return [
      rest as Omit<T, K>,
      member === undefined ? undefined : (pulumi.secret(member) as pulumi.Output<T[K]>),
    ];
  }
  // A whole object given as an Output: split it as the engine resolves it.
  const o = pulumi.output(v as pulumi.Input<T>) as unknown as pulumi.Output<T>;
  return [
    o.apply((x) => {
      const { [k]: _m, ...rest } = x;
      return rest as Omit<T, K>;
    }) as unknown as pulumi.Input<Omit<T, K>>,
    pulumi.secret(o.apply((x) => x[k])) as pulumi.Output<T[K]>,
  ];
}

// The serialized provider: a stub that loads this package by name in every method, so state
// holds no protocol code and no captured values, and `read`/`delete` of old resources run
// the installed version. Only `require` is referenced (never captured by the serializer).
const stub: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    return require("ob-dcr/resource-provider").registrationProvider.configure(req);
  },
  async check(olds, news) {
    return require("ob-dcr/resource-provider").registrationProvider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("ob-dcr/resource-provider").registrationProvider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("ob-dcr/resource-provider").registrationProvider.create(inputs);
  },
  async read(id, props) {
    return require("ob-dcr/resource-provider").registrationProvider.read(id, props);
  },
  async update(id, olds, news) {
    return require("ob-dcr/resource-provider").registrationProvider.update(id, olds, news);
  },
  async delete(id, props) {
    return require("ob-dcr/resource-provider").registrationProvider.delete(id, props);
  },
};

/**
 * The provider the SDK serializes into each resource's state. Installed under node_modules, the
 * stub module: the serializer stores a reference to a module found there (`require` of
 * `ob-dcr/resource-provider/stub`, about 250 bytes) instead of the methods' code (2.6 KB, in the
 * inputs and again in the outputs). From a checkout or a link it would serialize that module by
 * value instead (all of its code), so there the inline stub above is serialized.
 */
let serialized: pulumi.dynamic.ResourceProvider | undefined;
function serializedProvider(): pulumi.dynamic.ResourceProvider {
  if (serialized) return serialized;
  const cache = typeof require === "undefined" ? {} : require.cache;
  const file = Object.keys(cache).find((f) => cache[f]?.exports === stubModule);
  serialized = file !== undefined && /[\\/]node_modules[\\/]/.test(file) ? stubModule : stub;
  return serialized;
}

const secret = <T>(v: T | undefined) => (v === undefined ? undefined : pulumi.secret(v));

/**
 * The engine records a dynamic provider's configuration (the whole stack config) in the state of
 * its provider resource, as given: a PIN or private key set without `--secret` was stored there in
 * plaintext, readable by `pulumi stack export`. Refused before any resource is registered; also
 * the keys programs read (`ob-dcr:adoptRegistrationAccessToken`, examples/adopt-existing), which
 * the engine records the same way whatever the program does with them (getSecret included).
 */
function refusePlaintextConfigSecrets(): void {
  const secretNoun = (k: string) =>
    k.endsWith("pkcs11Pin")
      ? "PIN"
      : k.endsWith("adoptRegistrationAccessToken")
        ? "registration access token"
        : "key";
  // @internal in @pulumi/pulumi (no public form); where it is missing there is nothing to ask.
  const isSecret = (pulumi.runtime as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  if (typeof isSecret !== "function") return;
  const plain = PLAINTEXT_REFUSED_KEYS.map((k) => `ob-dcr:${k}`).filter(
    (k) => pulumi.runtime.getConfig(k) !== undefined && !isSecret(k),
  );
  if (plain.length === 0) return;
  const err = new InvalidInputError(
    plain[0]!,
    `${plain.join(", ")} ${plain.length > 1 ? "are" : "is"} set in plain text, and Pulumi would record it unencrypted in the stack's state (the dynamic provider's configuration): set it again with \`pulumi config set --secret ${plain[0]}\` (its value from a file or stdin, never an argument), and change the ${secretNoun(plain[0]!)} if a state with it in plain text was ever written`,
  );
  // RunError: the program stops with this message, without the engine's stack trace.
  throw new pulumi.RunError(`${err.code}: ${err.message}`);
}

export class ObClientRegistration extends pulumi.dynamic.Resource {
  /** The client_id the bank issued (also the resource id). */
  declare readonly clientId: pulumi.Output<string>;
  declare readonly clientIdIssuedAt: pulumi.Output<number | undefined>;
  /** Secret. Issued for client_secret_* auth methods. */
  declare readonly clientSecret: pulumi.Output<string | undefined>;
  declare readonly clientSecretExpiresAt: pulumi.Output<number | undefined>;
  /** Secret. RFC 7592 management credential (kept current when the bank rotates it). */
  declare readonly registrationAccessToken: pulumi.Output<string | undefined>;
  declare readonly registrationClientUri: pulumi.Output<string | undefined>;
  /** Where GET/PUT/DELETE of this registration go. */
  declare readonly managementUri: pulumi.Output<string>;
  /** The bank's view of the client (non-secret members; the SSA is left out). */
  declare readonly registeredMetadata: pulumi.Output<Record<string, unknown>>;
  /** Values the bank registered instead of the ones requested (also printed as warnings). */
  declare readonly substitutions: pulumi.Output<Substitution[]>;
  /** What it was applied with (docs/rotation.md): kid, alg and RFC 7638 thumbprint of the signing key. */
  declare readonly signingKeyIdentity: pulumi.Output<MaterialOutputs["signingKeyIdentity"]>;
  /** SHA-256, subject DN, issuer and validity of the transport certificate. */
  declare readonly transportCertificate: pulumi.Output<MaterialOutputs["transportCertificate"]>;
  /** SHA-256 of each CA certificate trusted for the servers. */
  declare readonly caFingerprints: pulumi.Output<string[]>;
  /** The SSA's `software_jwks_endpoint`: where the directory publishes our keys. */
  declare readonly softwareJwksEndpoint: pulumi.Output<string | undefined>;

  constructor(name: string, args: ObClientRegistrationArgs, opts?: pulumi.CustomResourceOptions) {
    refusePlaintextConfigSecrets();
    // Private keys and management credentials are secrets however the user passed them.
    const [signingKey, signingPrivateKey] = split<SigningKeyArgs, "privateKey">(
      args.signingKey,
      "privateKey",
    );
    const [transport, transportPrivateKey] = split<TransportArgs, "key">(args.transport, "key");
    const props = {
      ...args,
      signingKey,
      signingPrivateKey,
      transport,
      transportPrivateKey,
      adopt: secret(args.adopt),
      // Seeds the client_id a create proposes to banks that honour the hint (see bankProfile.clientIdHint).
      clientIdHintSeed: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}/${name}`,
      clientId: undefined,
      clientIdIssuedAt: undefined,
      clientSecret: undefined,
      clientSecretExpiresAt: undefined,
      registrationAccessToken: undefined,
      registrationClientUri: undefined,
      managementUri: undefined,
      registeredMetadata: undefined,
      appliedMetadata: undefined,
      substitutions: undefined,
      // Output-only: without a key here the engine's value is not exposed on the resource.
      signingKeyIdentity: undefined,
      transportCertificate: undefined,
      caFingerprints: undefined,
      softwareJwksEndpoint: undefined,
    };
    super(
      serializedProvider(),
      name,
      props,
      pulumi.mergeOptions(opts, { additionalSecretOutputs: [...SECRET_OUTPUTS] }),
      "ob-dcr",
      "ObClientRegistration",
    );
  }
}
