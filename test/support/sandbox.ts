// The one sandbox starter of the tests and the benchmark: `startSandbox` in a fresh temp data dir
// (or a given one, to restart on the same state), banks named from a small catalogue, and the
// first org, software and bank with an mTLS agent for the raw reference client.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Agent } from "undici";
import {
  type BankConfigInput,
  type Sandbox,
  type SandboxOptions,
  startSandbox,
} from "../../sandbox/index.js";
import type { ManifestBank, ManifestOrg, ManifestSoftware } from "../../sandbox/manifest.js";
import { software } from "./params.js";
import { closeReferenceAgents, mtlsAgent } from "./reference_client.js";

/** Banks several suites use, by name: `banks: ["sandbox-bank", "rat-bank"]`. */
export const BANKS = {
  "sandbox-bank": { name: "sandbox-bank" },
  /** RFC 7592: a registration access token manages the client. */
  "rat-bank": { name: "rat-bank", management: "registration_access_token" },
  /** The demo sandbox's RFC 7592 bank (`npm run sandbox`, `examples/*`), named as there. */
  "rfc7592-bank": { name: "rfc7592-bank", management: "registration_access_token" },
  /** RFC 7591 JSON requests, RFC 7592 management. */
  "json-bank": { name: "json-bank", management: "registration_access_token", request_format: "json" },
  /** Every client authentication method, client secrets included. */
  "secret-bank": {
    name: "secret-bank",
    token_endpoint_auth_methods_supported: [
      "private_key_jwt",
      "tls_client_auth",
      "client_secret_basic",
      "client_secret_post",
    ],
  },
  /** What an HSBC-like bank asks for (the `hsbc` preset). */
  "hsbc-like": {
    name: "hsbc-like",
    quirks: {
      content_type: "application/jose",
      aud: "issuer",
      client_id_issued_at_unit: "ms",
      management_scope_required: "accounts",
    },
  },
} satisfies Record<string, BankConfigInput>;

export interface TestSandboxOptions extends Omit<SandboxOptions, "banks"> {
  /**
   * The banks: a name from `BANKS` takes that configuration, any other name a default bank, an
   * object is a bank configuration as it is (default: one default bank, `sandbox-bank`).
   */
  banks?: (string | BankConfigInput)[];
  /** Prefix of the temp data dir (`obdcr-<prefix>-…`) when no `dataDir` is given. */
  prefix?: string;
  /** An existing data dir: restart on its state (registrations, PKI). */
  dataDir?: string;
  /** A PKI cache dir to share between sandboxes (skips key generation); default `<dataDir>/pki`. */
  pkiDir?: string;
}

export interface TestSandbox extends Sandbox {
  dataDir: string;
  /** The first org, its first software and the first bank of the manifest. */
  org: ManifestOrg;
  sw: ManifestSoftware;
  orgId: string;
  bank: ManifestBank;
  /** An undici Agent trusting the sandbox CA and presenting `sw`'s transport certificate. */
  agent: Agent;
}

export function bankConfig(bank: string | BankConfigInput): BankConfigInput {
  if (typeof bank !== "string") return bank;
  return (BANKS as Record<string, BankConfigInput>)[bank] ?? { name: bank };
}

/** Starts a sandbox on ephemeral ports; `close()` also closes the reference client's agents. */
export async function startTestSandbox(opts: TestSandboxOptions = {}): Promise<TestSandbox> {
  const { banks, prefix = "test", dataDir, ...rest } = opts;
  const dir = dataDir ?? mkdtempSync(path.join(os.tmpdir(), `obdcr-${prefix}-`));
  const sb = await startSandbox({
    ...rest,
    dataDir: dir,
    ...(banks ? { banks: banks.map(bankConfig) } : {}),
  });
  const { org, sw } = software(sb);
  return {
    ...sb,
    dataDir: dir,
    org,
    sw,
    orgId: org.org_id,
    bank: sb.manifest.banks[0]!,
    agent: mtlsAgent(sb.manifest, sw),
    close: async () => {
      await sb.close();
      await closeReferenceAgents();
    },
  };
}
