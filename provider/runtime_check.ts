/**
 * The Node and package checks every entry point makes before loading anything else: undici 8 (the
 * HTTP edge) needs Node >= 22.19 and fails on older Nodes inside itself with an unrelated
 * `TypeError`; the plugin needs `@pulumi/pulumi`, an optional peer of the package. Each face
 * words the fix for where its user is. No imports: this runs first, on any Node.
 */

/** The oldest Node every dependency supports (undici 8: `engines.node` `>=22.19.0`). */
export const MIN_NODE = "22.19.0";

/** Where the check runs: the fix differs. */
export type Face = "cli" | "plugin" | "dynamic" | "sandbox" | "library";

export const OBDCR_UNSUPPORTED_RUNTIME = "OBDCR_UNSUPPORTED_RUNTIME";

/** The Node or a package the entry point needs is missing; the message says how to get it. */
export class UnsupportedRuntimeError extends Error {
  readonly code = OBDCR_UNSUPPORTED_RUNTIME;
  constructor(message: string) {
    super(`${OBDCR_UNSUPPORTED_RUNTIME}: ${message}`);
    this.name = "UnsupportedRuntimeError";
  }
}

/** True when `version` (`process.versions.node`) is older than MIN_NODE. */
export function nodeTooOld(version: string): boolean {
  const have = version.split(".").map(Number);
  const need = MIN_NODE.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    if ((have[i] ?? 0) !== (need[i] ?? 0)) return (have[i] ?? 0) < (need[i] ?? 0);
  }
  return false;
}

const INSTALL_NODE =
  "`npm install node@24` in the project (a Node 24 binary in node_modules/.bin), or install Node >= 22.19 from nodejs.org";

/** What to do, for a user of this face, when the Node is too old. */
export function nodeTooOldMessage(face: Face, version: string): string {
  const head = `ob-dcr needs Node.js >= ${MIN_NODE} (undici 8); this is ${version}.`;
  switch (face) {
    case "cli":
      return `${head} Fix: ${INSTALL_NODE}; \`npx ob-dcr\` then runs on node_modules/.bin/node (npx puts it first on PATH).`;
    case "plugin":
      return `${head} The plugin pulumi-resource-obdcr runs on OBDCR_NODE, else node_modules/.bin/node, else \`node\` on PATH. Fix: ${INSTALL_NODE}, or set OBDCR_NODE to a Node >= ${MIN_NODE}.`;
    case "dynamic":
      return `${head} The Pulumi program and the dynamic provider run on the \`node\` first on PATH. Fix: ${INSTALL_NODE}, then \`export PATH="$PWD/node_modules/.bin:$PATH"\` before \`pulumi up\`.`;
    case "sandbox":
      return `${head} Fix: ${INSTALL_NODE}; \`npx ob-dcr-sandbox\` then runs on node_modules/.bin/node (npx puts it first on PATH; in a clone, \`npm run sandbox\` does the same).`;
    case "library":
      return `${head} Fix: ${INSTALL_NODE}, then run your program on it (\`export PATH="$PWD/node_modules/.bin:$PATH"\`).`;
  }
}

/** The plugin's other half: the SDK's provider server, an optional peer of ob-dcr. */
export const PLUGIN_PEER_MISSING =
  "the obdcr plugin needs @pulumi/pulumi (the gRPC provider server), which is not installed beside ob-dcr. Fix: `npm install @pulumi/pulumi` in the project that holds node_modules/ob-dcr (the documented set-up: `npm install ob-dcr @pulumi/pulumi node@24`).";

/** The sandbox's optional peers (ob-dcr/sandbox makes its PKI with them); a user installs them. */
export const SANDBOX_PEERS = [
  "@peculiar/x509",
  "@peculiar/asn1-schema",
  "@peculiar/asn1-x509",
  "reflect-metadata",
];

/** The peer of the sandbox a failed load names (undefined: another failure). */
export function missingSandboxPeer(err: unknown): string | undefined {
  const e = err as { code?: unknown; message?: unknown };
  if (e?.code !== "MODULE_NOT_FOUND" && e?.code !== "ERR_MODULE_NOT_FOUND") return undefined;
  const m = /Cannot find (?:module|package) '([^']+)'/.exec(String(e.message));
  return SANDBOX_PEERS.find((p) => m?.[1] === p || m?.[1]?.startsWith(`${p}/`));
}

export const sandboxPeerMissing = (peer: string) =>
  `the sandbox needs ${peer}, one of its optional peers, which is not installed beside ob-dcr. Fix: \`npm install -D ${SANDBOX_PEERS.join(" ")}\` in the project that holds node_modules/ob-dcr (README, "Install").`;

/** Throws UnsupportedRuntimeError when this Node is too old for `face`. */
export function assertSupportedNode(face: Face, version: string = process.versions.node): void {
  if (nodeTooOld(version)) throw new UnsupportedRuntimeError(nodeTooOldMessage(face, `v${version}`));
}
