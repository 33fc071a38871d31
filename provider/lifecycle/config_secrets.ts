/**
 * The `ob-dcr:` stack config keys that hold secrets (`ConfigSecrets` in inputs.ts, pinned there):
 * no imports, so the Pulumi program side can check them without loading the lifecycle.
 */
export const CONFIG_SECRET_KEYS = ["signingPrivateKey", "transportKey", "pkcs11Pin"] as const;
