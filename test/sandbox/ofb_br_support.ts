// Raw HTTP helpers for the BR emulator tests: undici with the sandbox CA and a manifest client
// certificate, JSON bodies built by hand. No ob-dcr client code.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as jose from "jose";
import { Agent, request } from "undici";
import {
  type OfbBrManifest,
  type OfbBrManifestSoftware,
  type OfbBrSandbox,
  type OfbBrSandboxOptionsInput,
  ofbSsaUrl,
  startOfbBrSandbox,
} from "../../sandbox/ofb_br/index.js";

export interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience
  json: any;
}

export interface BrHarness {
  sb: OfbBrSandbox;
  m: OfbBrManifest;
  dataDir: string;
  /** An mTLS agent presenting this software's transport certificate (or none, or the untrusted one). */
  agent(sw?: OfbBrManifestSoftware | "none" | "untrusted"): Agent;
  close(): Promise<void>;
}

export async function startBr(opts: Partial<OfbBrSandboxOptionsInput> = {}): Promise<BrHarness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ofb-br-"));
  const sb = await startOfbBrSandbox({ dataDir, ...opts });
  const m = sb.manifest;
  const agents: Agent[] = [];
  const read = (f: string) => fs.readFileSync(f, "utf8");
  return {
    sb,
    m,
    dataDir,
    agent(sw = m.orgs[0]!.softwares[0]!) {
      const ca = read(m.ca_cert_file);
      const connect =
        sw === "none"
          ? { ca }
          : sw === "untrusted"
            ? { ca, cert: read(m.untrusted!.client_cert_file), key: read(m.untrusted!.client_key_file) }
            : { ca, cert: read(sw.transport.cert_file), key: read(sw.transport.key_file) };
      const a = new Agent({ connect, keepAliveTimeout: 10 });
      agents.push(a);
      return a;
    },
    async close() {
      await Promise.all(agents.map((a) => a.close()));
      await sb.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function call(
  agent: Agent,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Res> {
  const res = await request(url, {
    dispatcher: agent,
    method: (init.method ?? "GET") as "GET",
    headers: init.headers,
    body: init.body,
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

/** A TLS-level refusal (handshake failure) or an HTTP answer: what a call without a good certificate gets. */
export async function callOrTlsError(
  agent: Agent,
  url: string,
  init: Parameters<typeof call>[2] = {},
): Promise<Res | "tls-error"> {
  try {
    return await call(agent, url, init);
  } catch {
    return "tls-error";
  }
}

export const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** POST the directory token endpoint for a software (tls_client_auth). */
export function tokenRequest(h: BrHarness, agent: Agent, fields: Record<string, string>): Promise<Res> {
  return call(agent, h.m.directory.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form(fields),
  });
}

export async function directoryToken(h: BrHarness, sw: OfbBrManifestSoftware): Promise<string> {
  const res = await tokenRequest(h, h.agent(sw), {
    grant_type: "client_credentials",
    client_id: sw.software_client_id,
    scope: "directory:software",
  });
  if (res.status !== 200) throw new Error(`directory token: ${res.status} ${res.text}`);
  return res.json.access_token;
}

export function ssaGet(
  h: BrHarness,
  agent: Agent,
  orgId: string,
  softwareId: string,
  token: string | undefined,
  accept = "application/jwt",
): Promise<Res> {
  return call(agent, ofbSsaUrl(h.m, orgId, softwareId), {
    headers: { accept, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
}

export function orgOf(h: BrHarness, sw: OfbBrManifestSoftware) {
  return h.m.orgs.find((o) => o.softwares.some((s) => s.software_id === sw.software_id))!;
}

/** Directory token → SSA (raw JWS) for a software. */
export async function fetchSsa(h: BrHarness, sw: OfbBrManifestSoftware): Promise<string> {
  const token = await directoryToken(h, sw);
  const res = await ssaGet(h, h.agent(sw), orgOf(h, sw).org_id, sw.software_id, token);
  if (res.status !== 200) throw new Error(`ssa: ${res.status} ${res.text}`);
  return res.text;
}

/** A registration body as a client would write it (private_key_jwt unless overridden). */
export function registrationBody(
  sw: OfbBrManifestSoftware,
  ssa: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    software_statement: ssa,
    redirect_uris: [sw.software_redirect_uris[0]],
    jwks_uri: sw.software_jwks_uri,
    token_endpoint_auth_method: "private_key_jwt",
    token_endpoint_auth_signing_alg: "PS256",
    id_token_signed_response_alg: "PS256",
    request_object_signing_alg: "PS256",
    grant_types: ["authorization_code", "client_credentials", "refresh_token"],
    response_types: ["code id_token"],
    webhook_uris: sw.software_api_webhook_uris,
    ...overrides,
  };
}

export function postJson(
  agent: Agent,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Res> {
  return call(agent, url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export function dcm(
  agent: Agent,
  method: "GET" | "PUT" | "DELETE",
  rcu: string,
  rat: string | undefined,
  body?: unknown,
): Promise<Res> {
  return call(agent, rcu, {
    method,
    headers: {
      ...(rat !== undefined ? { authorization: `Bearer ${rat}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/**
 * Signs SSAs with the directory's key (read from the sandbox's PKI folder): a real SSA's claims with
 * changes, to provoke one AS check at a time.
 */
export async function ssaCrafter(
  h: BrHarness,
  sw: OfbBrManifestSoftware,
): Promise<(change: Record<string, unknown>, alg?: string) => Promise<string>> {
  const real = await fetchSsa(h, sw);
  const base = jose.decodeJwt(real);
  const kid = jose.decodeProtectedHeader(real).kid!;
  const key = crypto.createPrivateKey(
    fs.readFileSync(path.join(h.dataDir, "pki", "directory-signing.key.pem")),
  );
  return (change, alg = "PS256") =>
    new jose.CompactSign(
      new TextEncoder().encode(JSON.stringify({ ...base, iat: Math.floor(Date.now() / 1000), ...change })),
    )
      .setProtectedHeader({ alg, kid, typ: "JWT" })
      .sign(key);
}
