// The raw reference client: a minimal DCR client written with plain undici and jose, without
// any of ob-dcr's code. The sandbox tests drive the sandbox with it (any claim, header or key can
// be bent), and the benchmark measures the floor with it (bench/flows.ts).
import crypto from "node:crypto";
import fs from "node:fs";
import * as jose from "jose";
import { Agent, request as undiciRequest } from "undici";
import { ssaUrl } from "../../sandbox/index.js";
import type { ManifestBank, ManifestSoftware, SandboxManifest } from "../../sandbox/manifest.js";

/** Who the reference client acts for: the software, its org, a default bank and an mTLS agent (a TestSandbox is one). */
export interface Party {
  manifest: SandboxManifest;
  sw: ManifestSoftware;
  orgId: string;
  bank: ManifestBank;
  agent: Agent;
}

const agents: Agent[] = [];

/** Closes every agent `mtlsAgent`/`mtlsAgentFiles` made (a TestSandbox's close does). */
export async function closeReferenceAgents(): Promise<void> {
  await Promise.all(agents.splice(0).map((a) => a.close()));
}

/** TLS options trusting the sandbox CA, presenting the software's transport certificate (or none, or the untrusted one). */
export function tlsOptions(
  m: SandboxManifest,
  sw?: ManifestSoftware,
  mode: "cert" | "none" | "untrusted" = "cert",
): { ca: string; cert?: string; key?: string } {
  const read = (f: string) => fs.readFileSync(f, "utf8");
  if (mode === "cert" && sw)
    return { ca: read(m.ca_cert_file), cert: read(sw.transport.cert_file), key: read(sw.transport.key_file) };
  if (mode === "untrusted")
    return {
      ca: read(m.ca_cert_file),
      cert: read(m.untrusted.client_cert_file),
      key: read(m.untrusted.client_key_file),
    };
  return { ca: read(m.ca_cert_file) };
}

/** An undici Agent with `tlsOptions` (closed by `closeReferenceAgents`). */
export function mtlsAgent(
  m: SandboxManifest,
  sw?: ManifestSoftware,
  mode: "cert" | "none" | "untrusted" = "cert",
): Agent {
  const agent = new Agent({ connect: tlsOptions(m, sw, mode), keepAliveTimeout: 10 });
  agents.push(agent);
  return agent;
}

/** An mTLS Agent presenting any certificate/key files (e.g. a renewed transport certificate). */
export function mtlsAgentFiles(m: SandboxManifest, certFile: string, keyFile: string): Agent {
  const agent = new Agent({
    connect: {
      ca: fs.readFileSync(m.ca_cert_file, "utf8"),
      cert: fs.readFileSync(certFile, "utf8"),
      key: fs.readFileSync(keyFile, "utf8"),
    },
    keepAliveTimeout: 10,
  });
  agents.push(agent);
  return agent;
}

export interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience
  json: any;
}

export async function call(
  agent: Agent,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<Res> {
  const res = await undiciRequest(url, {
    dispatcher: agent,
    method: (init.method ?? "GET") as "GET",
    headers: init.headers,
    body: init.body,
    headersTimeout: init.timeoutMs ?? 10_000,
    bodyTimeout: init.timeoutMs ?? 10_000,
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

export function privateKey(file: string): crypto.KeyObject {
  return crypto.createPrivateKey(fs.readFileSync(file));
}

const now = () => Math.floor(Date.now() / 1000);

/** A private_key_jwt client assertion for the directory token endpoint. */
export async function directoryAssertion(
  m: SandboxManifest,
  sw: ManifestSoftware,
  over: {
    claims?: Record<string, unknown>;
    header?: Record<string, unknown>;
    key?: crypto.KeyObject | Uint8Array;
  } = {},
): Promise<string> {
  const claims = {
    iss: sw.software_id,
    sub: sw.software_id,
    aud: m.directory.token_endpoint,
    iat: now(),
    exp: now() + 300,
    jti: crypto.randomUUID(),
    ...over.claims,
  };
  const header = { alg: "PS256", kid: sw.signing.kid, typ: "JWT", ...over.header };
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader(header as jose.CompactJWSHeaderParameters)
    .sign(over.key ?? privateKey(sw.signing.private_key_file));
}

export function form(values: Record<string, string>): { headers: Record<string, string>; body: string } {
  return {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(values).toString(),
  };
}

export async function directoryToken(sb: Party, sw = sb.sw, agent = sb.agent): Promise<string> {
  const res = await call(agent, sb.manifest.directory.token_endpoint, {
    method: "POST",
    ...form({
      grant_type: "client_credentials",
      client_id: sw.software_id,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: await directoryAssertion(sb.manifest, sw),
      scope: sb.manifest.directory.scope,
    }),
  });
  if (res.status !== 200) throw new Error(`directory token: ${res.status} ${res.text}`);
  return res.json.access_token;
}

/** The software statement, with a directory token in hand. */
export async function downloadSsa(
  sb: Party,
  token: string,
  sw = sb.sw,
  orgId = sb.orgId,
  agent = sb.agent,
): Promise<string> {
  const res = await call(agent, ssaUrl(sb.manifest, orgId, sw.software_id), {
    headers: { authorization: `Bearer ${token}`, accept: "application/jws" },
  });
  if (res.status !== 200) throw new Error(`SSA: ${res.status} ${res.text}`);
  return res.text;
}

/** A directory token, then the software statement, on the same agent. */
export async function fetchSsa(sb: Party, sw = sb.sw, orgId = sb.orgId, agent = sb.agent): Promise<string> {
  return downloadSsa(sb, await directoryToken(sb, sw, agent), sw, orgId, agent);
}

/** Registration claims that a strict UK bank accepts (private_key_jwt). */
export function registrationClaims(
  sb: Party,
  ssa: string,
  bank = sb.bank,
  sw = sb.sw,
): Record<string, unknown> {
  return {
    iss: sw.software_id,
    aud: bank.org_id,
    iat: now(),
    exp: now() + 300,
    jti: crypto.randomUUID(),
    software_statement: ssa,
    software_id: sw.software_id,
    redirect_uris: sw.software_redirect_uris,
    token_endpoint_auth_method: "private_key_jwt",
    token_endpoint_auth_signing_alg: "PS256",
    grant_types: ["authorization_code", "client_credentials", "refresh_token"],
    response_types: ["code id_token"],
    application_type: "web",
    id_token_signed_response_alg: "PS256",
    request_object_signing_alg: "PS256",
    scope: "openid accounts payments",
  };
}

export async function signJwt(
  claims: Record<string, unknown>,
  header: Record<string, unknown>,
  key: crypto.KeyObject | Uint8Array,
): Promise<string> {
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader(header as jose.CompactJWSHeaderParameters)
    .sign(key);
}

export async function signRegistration(
  sb: Party,
  claims: Record<string, unknown>,
  over: { header?: Record<string, unknown>; key?: crypto.KeyObject | Uint8Array; sw?: ManifestSoftware } = {},
): Promise<string> {
  const sw = over.sw ?? sb.sw;
  return signJwt(
    claims,
    { alg: "PS256", kid: sw.signing.kid, typ: "JWT", ...over.header },
    over.key ?? privateKey(sw.signing.private_key_file),
  );
}

export async function postRegister(
  sb: Party,
  jwt: string,
  opts: { bank?: ManifestBank; contentType?: string; agent?: Agent } = {},
): Promise<Res> {
  const bank = opts.bank ?? sb.bank;
  return call(opts.agent ?? sb.agent, bank.registration_endpoint, {
    method: "POST",
    headers: { "content-type": opts.contentType ?? bank.quirks.content_type, accept: "application/json" },
    body: jwt,
  });
}

/** Registers with default claims (+ overrides) and returns the 201 response. */
export async function register(
  sb: Party,
  overrides: Record<string, unknown> = {},
  opts: { bank?: ManifestBank; ssa?: string } = {},
): Promise<Res> {
  const bank = opts.bank ?? sb.bank;
  const ssa = opts.ssa ?? (await fetchSsa(sb));
  const jwt = await signRegistration(sb, { ...registrationClaims(sb, ssa, bank), ...overrides });
  return postRegister(sb, jwt, { bank });
}

/** A key that signs client assertions (default: the software's `signing` key). */
export interface Signer {
  kid: string;
  key: crypto.KeyObject;
  alg?: "PS256" | "ES256";
}

/** A client_credentials token at the bank for a private_key_jwt client. */
export async function bankToken(
  sb: Party,
  clientId: string,
  opts: { bank?: ManifestBank; scope?: string; aud?: string; signer?: Signer; agent?: Agent } = {},
): Promise<Res> {
  const bank = opts.bank ?? sb.bank;
  const signer = opts.signer ?? { kid: sb.sw.signing.kid, key: privateKey(sb.sw.signing.private_key_file) };
  const assertion = await signJwt(
    {
      iss: clientId,
      sub: clientId,
      aud: opts.aud ?? bank.token_endpoint,
      iat: now(),
      exp: now() + 300,
      jti: crypto.randomUUID(),
    },
    { alg: signer.alg ?? "PS256", kid: signer.kid },
    signer.key,
  );
  const values: Record<string, string> = {
    grant_type: "client_credentials",
    client_id: clientId,
    client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    client_assertion: assertion,
  };
  if (opts.scope !== undefined) values.scope = opts.scope;
  return call(opts.agent ?? sb.agent, bank.token_endpoint, { method: "POST", ...form(values) });
}

export async function managementToken(
  sb: Party,
  clientId: string,
  bank = sb.bank,
  scope?: string,
): Promise<string> {
  const res = await bankToken(sb, clientId, { bank, scope });
  if (res.status !== 200) throw new Error(`bank token: ${res.status} ${res.text}`);
  return res.json.access_token;
}

export function b64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** A client_credentials token request with HTTP Basic client_secret authentication. */
export async function basicToken(
  agent: Agent,
  bank: ManifestBank,
  clientId: string,
  secret: string,
): Promise<Res> {
  const basic = Buffer.from(`${clientId}:${secret}`).toString("base64");
  return call(agent, bank.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${basic}` },
    body: "grant_type=client_credentials",
  });
}

/** An RFC 7591 JSON request (POST /register or PUT /register/{id}) to a `request_format: "json"` bank. */
export async function sendJson(
  agent: Agent,
  url: string,
  body: Record<string, unknown>,
  opts: { method?: "POST" | "PUT"; token?: string } = {},
): Promise<Res> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  return call(agent, url, { method: opts.method ?? "POST", headers, body: JSON.stringify(body) });
}
