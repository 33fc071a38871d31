// Raw test client for the AU CDR emulator: plain undici + jose (no ob-dcr client code), so the
// emulator and the client stay independent. Every request, claim, header and key can be bent.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as jose from "jose";
import { Agent, request } from "undici";
import {
  type CdrAuManifest,
  type CdrAuManifestHolder,
  type CdrAuManifestProduct,
  type CdrAuSandbox,
  type CdrAuSandboxOptionsInput,
  cdrSsaUrl,
  startCdrAuSandbox,
} from "../../sandbox/cdr_au/index.js";

export const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
export const now = () => Math.floor(Date.now() / 1000);

export interface Au {
  sb: CdrAuSandbox;
  m: CdrAuManifest;
  dataDir: string;
  brandId: string;
  p1: CdrAuManifestProduct;
  p2: CdrAuManifestProduct;
  /** mTLS agents: product 1's certificate, product 2's, and none. */
  a1: Agent;
  a2: Agent;
  anon: Agent;
  holder(name: string): CdrAuManifestHolder;
  close(): Promise<void>;
}

export async function startAu(options: Omit<CdrAuSandboxOptionsInput, "dataDir"> = {}): Promise<Au> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cdr-au-"));
  const sb = await startCdrAuSandbox({ dataDir, ...options });
  const m = sb.manifest;
  const brand = m.brands[0]!;
  const ca = fs.readFileSync(m.ca_cert_file, "utf8");
  const agentFor = (p?: CdrAuManifestProduct) =>
    new Agent({
      connect: p
        ? { ca, cert: fs.readFileSync(p.transport.cert_file), key: fs.readFileSync(p.transport.key_file) }
        : { ca },
      keepAliveTimeout: 10,
    });
  const [p1, p2] = brand.software_products as [CdrAuManifestProduct, CdrAuManifestProduct];
  const a1 = agentFor(p1);
  const a2 = agentFor(p2);
  const anon = agentFor();
  return {
    sb,
    m,
    dataDir,
    brandId: brand.brand_id,
    p1,
    p2,
    a1,
    a2,
    anon,
    holder: (name) => m.holders.find((h) => h.name === name)!,
    close: async () => {
      await Promise.all([a1.close(), a2.close(), anon.close()]);
      await sb.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
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

export const keyOf = (file: string) => crypto.createPrivateKey(fs.readFileSync(file));

/** Signs any claims with any header (alg PS256 and the product's kid by default). */
export function sign(
  claims: Record<string, unknown>,
  key: crypto.KeyObject,
  header: Record<string, unknown>,
): Promise<string> {
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader(header as jose.CompactJWSHeaderParameters)
    .sign(key);
}

/** Drops claims whose override is `undefined` (so a test can remove a required claim). */
function merge(base: Record<string, unknown>, over: Record<string, unknown> = {}): Record<string, unknown> {
  const out = { ...base, ...over };
  for (const [k, v] of Object.entries(over)) if (v === undefined) delete out[k];
  return out;
}

export interface JwtOver {
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  key?: crypto.KeyObject;
}

/** A private_key_jwt assertion (iss = sub = clientId) for `aud`, signed with the product's PS256 key. */
export function assertion(p: CdrAuManifestProduct, clientId: string, aud: string, over: JwtOver = {}) {
  const claims = merge(
    { iss: clientId, sub: clientId, aud, iat: now(), exp: now() + 300, jti: crypto.randomUUID() },
    over.claims,
  );
  return sign(claims, over.key ?? keyOf(p.signing.private_key_file), {
    alg: "PS256",
    kid: p.signing.kid,
    typ: "JWT",
    ...over.header,
  });
}

export function form(values: Record<string, string | undefined>) {
  const v: Record<string, string> = {};
  for (const [k, x] of Object.entries(values)) if (x !== undefined) v[k] = x;
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(v).toString(),
  };
}

export async function registerTokenRes(
  au: Au,
  p = au.p1,
  agent = au.a1,
  over: { form?: Record<string, string | undefined>; jwt?: JwtOver } = {},
): Promise<Res> {
  return call(
    agent,
    au.m.register.token_endpoint,
    form({
      grant_type: "client_credentials",
      client_id: p.software_product_id,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(p, p.software_product_id, au.m.register.token_endpoint, over.jwt),
      scope: "cdr-register:read",
      ...over.form,
    }),
  );
}

export async function registerToken(au: Au, p = au.p1, agent = au.a1): Promise<string> {
  const res = await registerTokenRes(au, p, agent);
  if (res.status !== 200) throw new Error(`register token: ${res.status} ${res.text}`);
  return res.json.access_token as string;
}

export async function ssaRes(
  au: Au,
  token: string,
  opts: {
    p?: CdrAuManifestProduct;
    agent?: Agent;
    brand?: string;
    industry?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Res> {
  const p = opts.p ?? au.p1;
  return call(
    opts.agent ?? au.a1,
    cdrSsaUrl(au.m, opts.brand ?? au.brandId, p.software_product_id, opts.industry),
    {
      headers: { authorization: `Bearer ${token}`, "x-v": "4", ...opts.headers },
    },
  );
}

export async function fetchSsa(au: Au, p = au.p1, agent = au.a1): Promise<string> {
  const res = await ssaRes(au, await registerToken(au, p, agent), { p, agent });
  if (res.status !== 200) throw new Error(`ssa: ${res.status} ${res.text}`);
  return res.text;
}

/** Valid CDR registration metadata (authorization code flow with JARM). */
export function metadata(p: CdrAuManifestProduct): Record<string, unknown> {
  return {
    redirect_uris: p.redirect_uris,
    token_endpoint_auth_method: "private_key_jwt",
    token_endpoint_auth_signing_alg: "PS256",
    grant_types: ["client_credentials", "authorization_code", "refresh_token"],
    response_types: ["code"],
    application_type: "web",
    id_token_signed_response_alg: "PS256",
    authorization_signed_response_alg: "PS256",
    request_object_signing_alg: "PS256",
  };
}

/** A registration request JWT for `holder` (aud = issuer, iss = product id). */
export function registrationJwt(
  h: CdrAuManifestHolder,
  p: CdrAuManifestProduct,
  ssa: string | undefined,
  over: JwtOver = {},
): Promise<string> {
  const claims = merge(
    {
      iss: p.software_product_id,
      aud: h.issuer,
      iat: now(),
      exp: now() + 300,
      jti: crypto.randomUUID(),
      ...metadata(p),
      software_statement: ssa,
    },
    over.claims,
  );
  return sign(claims, over.key ?? keyOf(p.signing.private_key_file), {
    alg: "PS256",
    kid: p.signing.kid,
    typ: "JWT",
    ...over.header,
  });
}

export function postRegistration(
  agent: Agent,
  h: CdrAuManifestHolder,
  jwt: string,
  contentType = "application/jwt",
  url = h.registration_endpoint,
  method = "POST",
  token?: string,
): Promise<Res> {
  const headers: Record<string, string> = { "content-type": contentType, accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  return call(agent, url, { method, headers, body: jwt });
}

/** Registers product `p` at `h` (fresh SSA) and returns the 201 body. */
// biome-ignore lint/suspicious/noExplicitAny: test convenience
export async function registerAt(au: Au, h: CdrAuManifestHolder, p = au.p1, agent = au.a1): Promise<any> {
  const res = await postRegistration(agent, h, await registrationJwt(h, p, await fetchSsa(au, p, agent)));
  if (res.status !== 201) throw new Error(`register: ${res.status} ${res.text}`);
  return res.json;
}

export async function holderTokenRes(
  au: Au,
  h: CdrAuManifestHolder,
  clientId: string,
  opts: {
    p?: CdrAuManifestProduct;
    agent?: Agent;
    scope?: string;
    jwt?: JwtOver;
    form?: Record<string, string | undefined>;
  } = {},
): Promise<Res> {
  const p = opts.p ?? au.p1;
  return call(
    opts.agent ?? au.a1,
    h.token_endpoint,
    form({
      grant_type: "client_credentials",
      client_id: clientId,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(p, clientId, h.token_endpoint, opts.jwt),
      scope: opts.scope ?? "cdr:registration",
      ...opts.form,
    }),
  );
}

export async function holderToken(
  au: Au,
  h: CdrAuManifestHolder,
  clientId: string,
  opts: { p?: CdrAuManifestProduct; agent?: Agent; scope?: string } = {},
): Promise<string> {
  const res = await holderTokenRes(au, h, clientId, opts);
  if (res.status !== 200) throw new Error(`holder token: ${res.status} ${res.text}`);
  return res.json.access_token as string;
}

export const clientUrl = (h: CdrAuManifestHolder, clientId: string) =>
  `${h.registration_endpoint}/${clientId}`;
