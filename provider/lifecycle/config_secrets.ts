/**
 * The `ob-dcr:` stack config keys that hold secrets (`ConfigSecrets` in inputs.ts, pinned there):
 * no imports, so the Pulumi program side can check them without loading the lifecycle.
 */
export const CONFIG_SECRET_KEYS = ["signingPrivateKey", "transportKey", "pkcs11Pin"] as const;

/**
 * `ob-dcr:` keys that hold secrets a program reads, not the provider (examples/adopt-existing:
 * the bank's registration access token of the client to adopt). The engine records the whole stack
 * config as the dynamic provider's configuration all the same, so they too must be set as secrets.
 */
export const PROGRAM_SECRET_KEYS = ["adoptRegistrationAccessToken"] as const;

/** Every `ob-dcr:` key the dynamic resource refuses when it is set in plain text. */
export const PLAINTEXT_REFUSED_KEYS = [...CONFIG_SECRET_KEYS, ...PROGRAM_SECRET_KEYS] as const;
