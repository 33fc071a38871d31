/**
 * Outputs that hold credentials: stored encrypted, masked in the CLI. Only these: the kid, the
 * certificate and the CA stay readable in diffs (the private keys travel apart). A module of its
 * own, without @pulumi/pulumi, so that the native plugin can use the list without loading the
 * whole SDK (only its provider server: about 60 MB less resident memory).
 */
export const SECRET_OUTPUTS = [
  "clientSecret",
  "registrationAccessToken",
  "signingPrivateKey",
  "transportPrivateKey",
  "adopt",
] as const;
