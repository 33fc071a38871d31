/**
 * The URL policy at connect (provider/http/reach.ts): a host a bank names is judged by the address
 * it resolves to, in the lookup the connection itself makes. There is no public DNS in a test:
 * the transport's `lookup` answers public-looking names (the only stand-in); the servers are real
 * TLS listeners on 127.0.0.1, and each counts the TCP connections that reach it.
 */
import "reflect-metadata";
import type { webcrypto } from "node:crypto";
import type { LookupAddress } from "node:dns";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo, LookupFunction } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import * as x509 from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DirectoryBank } from "../../provider/core/directory/listing.js";
import { signingKeyIdentity } from "../../provider/core/material.js";
import { sourceOf } from "../../provider/core/validate/url_policy.js";
import { checkRegistrationEndpoints } from "../../provider/http/directory_list.js";
import { runDoctor } from "../../provider/http/doctor.js";
import { checkClientKeys } from "../../provider/http/doctor_client_keys.js";
import type { DoctorCheck } from "../../provider/http/doctor_lines.js";
import { checkOwnSide } from "../../provider/http/own_side.js";
import {
  closeAgents,
  createContext,
  createRegistration,
  type ObDcrContext,
  type RegistrationOutcome,
  type RegistrationParamsInput,
  readRegistration,
} from "../../provider/index.js";
import {
  checkSoftwareKey,
  type Prepared,
  parseRegistrationParams,
} from "../../provider/lifecycle/prepare.js";
import { checkSigningKeyPublished } from "../../provider/lifecycle/registration.js";
import { type Ca, ensureCa, newEcKeys } from "../../sandbox/pki.js";
import { testKey } from "../core/helpers.js";

const EC = { name: "ECDSA", hash: "SHA-256", namedCurve: "P-256" };
const work = mkdtempSync(path.join(tmpdir(), "obdcr-url-dns-"));

/** A server certificate from `ca` for these DNS names (and 127.0.0.1). */
async function serverCert(ca: Ca, names: string[]): Promise<{ cert: string; key: string }> {
  const { keys, pem } = newEcKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `01${Math.floor(Math.random() * 1e12).toString(16)}`,
    subject: "CN=url-dns test",
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 24 * 3600_000),
    publicKey: keys.publicKey as webcrypto.CryptoKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.map((value) => ({ type: "dns" as const, value })),
        { type: "ip", value: "127.0.0.1" },
      ]),
    ],
  });
  return { cert: cert.toString("pem"), key: pem };
}

interface Listener {
  server: Server;
  port: number;
  /** TCP connections accepted. */
  connections: number;
  requests: string[];
}

let ca: Ca;
let caPem: string;
/** Serves each bank's discovery document: `/<case>/.well-known/openid-configuration`. */
let discovery: Listener;
/** What a bank's endpoints would reach on this machine (registration POST, JWKS). */
let local: Listener;
/** The discovery document of each case, by path. */
const documents = new Map<string, Record<string, unknown>>();

async function listen(
  tls: { cert: string; key: string },
  answer: (l: Listener, path: string) => [number, unknown],
) {
  const l = { connections: 0, requests: [] as string[] } as Listener;
  l.server = createServer(tls, (req, res) => {
    l.requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on("end", () => {
      const [status, body] = answer(l, req.url ?? "/");
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
  });
  l.server.on("connection", () => l.connections++);
  await new Promise<void>((r) => l.server.listen(0, "127.0.0.1", r));
  l.port = (l.server.address() as AddressInfo).port;
  return l;
}

const NAMES = ["bank.example.com", "reg.example.net", "localhost"];

beforeAll(async () => {
  ca = await ensureCa(work, "ca", "CN=url-dns test CA");
  caPem = ca.cert.toString("pem");
  const tls = await serverCert(ca, NAMES);
  const created: [number, unknown] = [
    201,
    { client_id: "c-1", client_secret: "s-1", client_secret_expires_at: 0 },
  ];
  discovery = await listen(tls, (_l, p) => {
    const doc = documents.get(p);
    if (p.endsWith("/register")) return created;
    return doc ? [200, doc] : [404, {}];
  });
  local = await listen(tls, () => created);
});

afterAll(async () => {
  await closeAgents();
  await Promise.all([discovery, local].map((l) => new Promise((r) => l?.server.close(r))));
  rmSync(work, { recursive: true, force: true });
});

/** A resolver that knows these names (and records each question), as DNS would answer them. */
function resolver(answers: Record<string, string>): { lookup: LookupFunction; asked: string[] } {
  const asked: string[] = [];
  const lookup: LookupFunction = (hostname, options, callback) => {
    asked.push(hostname);
    const address = answers[hostname];
    if (!address) {
      const e = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
      return callback(e, "", 4);
    }
    const family = address.includes(":") ? 6 : 4;
    if (options.all) return callback(null, [{ address, family } satisfies LookupAddress] as never);
    callback(null, address, family);
  };
  return { lookup, asked };
}

/**
 * A bank whose discovery document is served at `https://<party>:<port>/<id>/…` and names
 * `registration_endpoint`, and the parameters that register there with the rfc7591 profile (no
 * directory, a JSON POST).
 */
async function bankParams(id: string, party: string, registration_endpoint: string) {
  const issuer = `https://${party}:${discovery.port}/${id}`;
  documents.set(`/${id}/.well-known/openid-configuration`, {
    issuer,
    registration_endpoint,
    token_endpoint: `${issuer}/token`,
    response_types_supported: ["code"],
    grant_types_supported: ["authorization_code"],
    token_endpoint_auth_methods_supported: ["client_secret_basic"],
  });
  const k = await testKey("PS256");
  const params: RegistrationParamsInput = {
    profile: "rfc7591",
    bank: { discovery_url: `${issuer}/.well-known/openid-configuration` },
    signing_key: { kid: "kid-1", alg: "PS256", private_key: k.pem },
    transport: { ca: caPem },
    client: {
      redirect_uris: ["https://tpp.example.com/cb"],
      response_types: ["code"],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
      scope: [],
      send_software_id: false,
    },
  };
  return { issuer, params };
}

/** What a test does with the bank: register (the default), or read a registration it holds. */
type Operation<T = RegistrationOutcome> = (params: RegistrationParamsInput, ctx: ObDcrContext) => Promise<T>;

/** The bank of `bankParams`, registered (or what `op` does), its DNS answered by `answers`. */
async function register<T = RegistrationOutcome>(
  id: string,
  party: string,
  registration_endpoint: string,
  answers: Record<string, string>,
  op: Operation<T> = createRegistration as Operation<never>,
  /** The directory list the bank was picked from (`--bank`), as the CLI records it. */
  list_url?: string,
) {
  const { issuer, params } = await bankParams(id, party, registration_endpoint);
  const dns = resolver(answers);
  const ctx = createContext({
    transport: { lookup: dns.lookup, connect_timeout_ms: 500, operation_budget_ms: 2000, max_retries: 0 },
  });
  if (list_url) {
    const url = `${issuer}/.well-known/openid-configuration`;
    const source = sourceOf(url, "discovery_url", list_url);
    if (source) ctx.given.set(url, source);
  }
  const before = { discovery: discovery.connections, local: local.connections };
  type Failure = Error & { code?: string; field?: string };
  const result: { ok?: T; error?: Failure } = await op(params, ctx).then(
    (ok) => ({ ok }),
    (e: unknown) => ({ error: e as Failure }),
  );
  await closeAgents();
  return {
    ...result,
    asked: dns.asked,
    connections: {
      discovery: discovery.connections - before.discovery,
      local: local.connections - before.local,
    },
  };
}

describe("a bank's endpoint is judged by the address its name resolves to", () => {
  const reg = () => `https://reg.example.net:${local.port}/register`;

  it("a public bank's registration_endpoint whose name resolves to 127.0.0.1: refused before any connection", async () => {
    const r = await register("loopback", "bank.example.com", reg(), {
      "bank.example.com": "127.0.0.1",
      "reg.example.net": "127.0.0.1",
    });
    expect(r.error?.code).toBe("OBDCR_UNEXPECTED_RESPONSE");
    expect(r.error?.field).toBe("discovery.registration_endpoint");
    expect(r.error?.message).toMatch(
      /^discovery\.registration_endpoint: .*reg\.example\.net resolves to 127\.0\.0\.1 \(this host\), though it came from a server on the internet \(bank\.example\.com:\d+\).*public address/,
    );
    expect(r.asked).toContain("reg.example.net");
    // The configured discovery URL was fetched (the user's name, resolved as the user's); nothing
    // reached the local listener the bank's name pointed at.
    expect(r.connections.discovery).toBe(1);
    expect(r.connections.local).toBe(0);
    expect(local.requests).toEqual([]);
  });

  it.each([
    ["10.0.0.5", "a private network"],
    ["169.254.169.254", "a link-local network"],
    ["fd00:ec2::254", "a cloud metadata service"],
    ["::ffff:169.254.169.254", "a link-local network"],
    ["64:ff9b::a9fe:a9fe", "a link-local network"],
  ])("resolving to %s (%s): refused, the field, host and address named", async (address, where) => {
    const r = await register(`to-${address.replace(/[^0-9a-f]/g, "-")}`, "bank.example.com", reg(), {
      "bank.example.com": "127.0.0.1",
      "reg.example.net": address,
    });
    expect(r.error?.code).toBe("OBDCR_UNEXPECTED_RESPONSE");
    expect(r.error?.field).toBe("discovery.registration_endpoint");
    expect(r.error?.message).toContain(`reg.example.net resolves to ${address} (${where})`);
    expect(r.error?.message).toContain("nothing was sent");
    expect(r.connections.local).toBe(0);
  });

  it("a local bank (its own URL on this machine) may name a host that resolves here: the POST is made", async () => {
    const r = await register("local-party", "localhost", reg(), {
      localhost: "127.0.0.1",
      "reg.example.net": "127.0.0.1",
    });
    expect(r.error).toBeUndefined();
    expect(r.ok?.client_id).toBe("c-1");
    expect(r.connections.local).toBe(1);
  });

  it("day 2: a registration_client_uri on the host the bank named is checked at connect too", async () => {
    const held =
      (uri: string): Operation =>
      (params, ctx) =>
        readRegistration(
          params,
          { client_id: "c-1", registration_client_uri: uri, secrets: { registration_access_token: "rat-1" } },
          ctx,
        );
    const r = await register(
      "read",
      "bank.example.com",
      reg(),
      { "bank.example.com": "127.0.0.1", "reg.example.net": "10.0.0.5" },
      held(`https://reg.example.net:${local.port}/register/c-1`),
    );
    expect(r.error?.code).toBe("OBDCR_UNEXPECTED_RESPONSE");
    expect(r.error?.field).toBe("registration_client_uri");
    expect(r.error?.message).toContain("reg.example.net resolves to 10.0.0.5 (a private network)");
    expect(r.error?.message).not.toContain("rat-1");
    expect(r.connections.local).toBe(0);
  });

  it("a bank picked from a public directory's list (--bank) is the directory's say: its name is checked too", async () => {
    const answers = { "bank.example.com": "127.0.0.1" };
    const endpoint = () => `https://bank.example.com:${discovery.port}/picked/register`;
    const r = await register(
      "picked",
      "bank.example.com",
      endpoint(),
      answers,
      undefined,
      "https://dir.example.org/banks",
    );
    expect(r.error?.code).toBe("OBDCR_UNEXPECTED_RESPONSE");
    expect(r.error?.field).toBe("discovery_url");
    expect(r.error?.message).toContain("bank.example.com resolves to 127.0.0.1 (this host)");
    expect(r.error?.message).toContain("(dir.example.org)");
    expect(r.connections.discovery).toBe(0);
    // From a directory list on this machine (a test directory), as today: allowed.
    const l = await register(
      "picked-local",
      "bank.example.com",
      endpoint(),
      answers,
      undefined,
      "https://localhost:1/banks",
    );
    expect(l.error).toBeUndefined();
    expect(l.ok?.client_id).toBe("c-1");
  });

  it("doctor's mTLS probe of the registration_endpoint a public bank named is held to the same rule", async () => {
    const doctor: Operation<DoctorCheck[]> = (params, ctx) =>
      runDoctor(params, ctx, { expiry_warning_days: 30 });
    const r = await register(
      "doctor",
      "bank.example.com",
      reg(),
      { "bank.example.com": "127.0.0.1", "reg.example.net": "127.0.0.1" },
      doctor,
    );
    const probe = r.ok?.find((c) => c.check === "bank reachable over mTLS");
    expect(probe?.result).toBe("fail");
    expect(probe?.detail).toMatch(
      /discovery\.registration_endpoint: .*reg\.example\.net resolves to 127\.0\.0\.1 \(this host\)/,
    );
    expect(r.connections.local).toBe(0);
  });

  it("two banks of a platform (one registration host named by two discovery URLs) share its pooled connection", async () => {
    // Two parties of one kind (here: on this machine, whose hosts may resolve here) get one
    // Agent for the host they both name, as before the check at connect: one TLS connection.
    const ctx = createContext({
      transport: {
        lookup: resolver({ localhost: "127.0.0.1", "reg.example.net": "127.0.0.1" }).lookup,
        max_retries: 0,
      },
    });
    const before = local.connections;
    await createRegistration((await bankParams("platform-a", "localhost", reg())).params, ctx);
    await createRegistration((await bankParams("platform-b", "127.0.0.1", reg())).params, ctx);
    await closeAgents();
    expect(local.connections - before).toBe(1);
  });

  it("a local bank may not name a host that resolves to the metadata service", async () => {
    const r = await register("local-party-metadata", "localhost", reg(), {
      localhost: "127.0.0.1",
      "reg.example.net": "169.254.169.254",
    });
    expect(r.error?.field).toBe("discovery.registration_endpoint");
    expect(r.error?.message).toContain("reg.example.net resolves to 169.254.169.254 (a link-local network)");
    expect(r.connections.local).toBe(0);
  });

  it("a public name resolving to a public address is let through to the connect", async () => {
    // 203.0.113.7 (TEST-NET-3) stands for a public address: no route here, so the connect itself
    // fails, as a transport error, not as the URL policy.
    const r = await register("public", "bank.example.com", reg(), {
      "bank.example.com": "127.0.0.1",
      "reg.example.net": "203.0.113.7",
    });
    expect(r.asked).toContain("reg.example.net");
    expect(["OBDCR_TRANSPORT", "OBDCR_TIMEOUT", "OBDCR_OUTCOME_UNKNOWN"]).toContain(r.error?.code);
    expect(r.error?.message).not.toMatch(/resolves to/);
  });

  it("an endpoint on the configured bank's own host is the user's name: allowed, as the discovery URL was", async () => {
    const r = await register(
      "same-host",
      "bank.example.com",
      `https://bank.example.com:${discovery.port}/same-host/register`,
      { "bank.example.com": "127.0.0.1" },
    );
    expect(r.error).toBeUndefined();
    expect(r.ok?.client_id).toBe("c-1");
    expect(new Set(r.asked)).toEqual(new Set(["bank.example.com"]));
    expect(r.connections.local).toBe(0);
  });
});

describe("a directory's list: each bank's discovery URL is judged by the address its name resolves to", () => {
  const entry = (id: string, party: string): DirectoryBank => {
    documents.set(`/${id}/.well-known/openid-configuration`, {
      issuer: `https://${party}:${discovery.port}/${id}`,
      registration_endpoint: `https://${party}:${discovery.port}/${id}/register`,
    });
    return {
      directory: "ob-directory",
      id,
      org_id: "org",
      org_name: "Org",
      name: id,
      status: "active",
      status_detail: "Active",
      discovery_url: `https://${party}:${discovery.port}/${id}/.well-known/openid-configuration`,
      api_families: [],
      industries: [],
      roles: [],
      excluded: [],
    };
  };

  it("from a public directory, a bank whose name resolves to 127.0.0.1 is excluded unfetched, the field named", async () => {
    const dns = resolver({ "bank.example.com": "127.0.0.1", localhost: "127.0.0.1" });
    const ctx = createContext({ transport: { lookup: dns.lookup, max_retries: 0 } });
    const before = discovery.connections;
    const banks = [entry("listed", "bank.example.com")];
    const [publicList] = await checkRegistrationEndpoints(
      ctx,
      banks,
      { ca: caPem },
      4,
      undefined,
      undefined,
      undefined,
      "https://dir.example.org/banks",
    );
    expect(publicList?.excluded).toEqual([
      {
        code: "discovery_failed",
        detail: expect.stringMatching(
          /discovery_url: .*bank\.example\.com resolves to 127\.0\.0\.1 \(this host\)/,
        ),
      },
    ]);
    expect(discovery.connections - before).toBe(0);
    // The same list served from this machine (a test directory): fetched and kept, as before.
    const [localList] = await checkRegistrationEndpoints(
      ctx,
      banks,
      { ca: caPem },
      4,
      undefined,
      undefined,
      undefined,
      "https://localhost:1/banks",
    );
    expect(localList?.excluded).toEqual([]);
    expect(discovery.connections - before).toBe(1);
    await closeAgents();
  });
});

describe("the SSA's software_jwks_endpoint is judged by the address its name resolves to", () => {
  /** What checkSoftwareKey reads of a prepared registration: the directory, the TLS material, our kid. */
  const prepared = (ssa_endpoint: string) =>
    ({
      params: {
        profile: "obie-3.2",
        directory: { token_endpoint: ssa_endpoint.replace(/\/ssa$/, "/token"), ssa_endpoint },
        software: { software_id: "sw-1", org_id: "org-1" },
      },
      tls: { ca: caPem },
      key: { kid: "kid-1" },
    }) as unknown as Prepared;

  it("from a public directory, a JWKS host that resolves to 10.0.0.5 is refused, naming ssa.software_jwks_endpoint", async () => {
    const dns = resolver({ "keys.example.net": "10.0.0.5" });
    const ctx = createContext({ transport: { lookup: dns.lookup, max_retries: 0, connect_timeout_ms: 500 } });
    const jwks_uri = `https://keys.example.net:${local.port}/jwks`;
    const e = await checkSoftwareKey(
      prepared("https://dir.example.org/ssa"),
      { jwks_uri } as never,
      ctx,
    ).then(
      () => undefined,
      (x: unknown) => x as Error & { code?: string; field?: string },
    );
    await closeAgents();
    expect(e?.code).toBe("OBDCR_UNEXPECTED_RESPONSE");
    expect(e?.field).toBe("ssa.software_jwks_endpoint");
    expect(e?.message).toContain("keys.example.net resolves to 10.0.0.5 (a private network)");
    expect(e?.message).toContain("(dir.example.org)");
    expect(dns.asked).toEqual(["keys.example.net"]);
  });
});

describe("the SSA's software_jwks_endpoint recorded in state is the directory's say at connect too", () => {
  /** A registration at a public directory whose SSA named keys.example.net (recorded, as state keeps it). */
  const recorded = async () => {
    const k = await testKey("PS256");
    const params: RegistrationParamsInput = {
      profile: "obie-3.2",
      bank: { registration_endpoint: "https://bank.example.com/register" },
      directory: {
        token_endpoint: "https://dir.example.org/token",
        ssa_endpoint: "https://dir.example.org/ssa",
        jwks_uri: "https://dir.example.org/jwks",
      },
      software: { software_id: "sw-1", org_id: "org-1" },
      signing_key: { kid: "kid-1", alg: "PS256", private_key: k.pem },
      transport: { ...(await serverCert(ca, ["tpp.example.com"])), ca: caPem },
      client: { redirect_uris: ["https://tpp.example.com/cb"] },
    };
    return { params, key: await signingKeyIdentity({ kid: "kid-1", alg: "PS256", private_key: k.pem }) };
  };
  const jwks_uri = () => `https://keys.example.net:${local.port}/jwks`;
  const REFUSED = "keys.example.net resolves to 10.0.0.5 (a private network)";

  it("a key rotation's publication check (checkSigningKeyPublished) refuses it, naming ssa.software_jwks_endpoint", async () => {
    const { params } = await recorded();
    const dns = resolver({ "keys.example.net": "10.0.0.5" });
    const ctx = createContext({ transport: { lookup: dns.lookup, max_retries: 0, connect_timeout_ms: 500 } });
    const e = await checkSigningKeyPublished(params, ctx, { software_jwks_endpoint: jwks_uri() }).then(
      () => undefined,
      (x: unknown) => x as Error & { code?: string; field?: string },
    );
    await closeAgents();
    expect(e?.code).toBe("OBDCR_UNEXPECTED_RESPONSE");
    expect(e?.field).toBe("ssa.software_jwks_endpoint");
    expect(e?.message).toContain(REFUSED);
    expect(e?.message).toContain("(dir.example.org)");
  });

  it("the own-side check after an ambiguous invalid_client (refresh, destroy) names the refusal, not a read failure", async () => {
    const { key } = await recorded();
    const dns = resolver({ "keys.example.net": "10.0.0.5" });
    const ctx = createContext({ transport: { lookup: dns.lookup, max_retries: 0, connect_timeout_ms: 500 } });
    const checks = await checkOwnSide(ctx, {
      key,
      tls: { ca: caPem },
      software_jwks_endpoint: jwks_uri(),
      jwks_from: () => "https://dir.example.org/ssa",
      now: Date.now() / 1000,
    });
    await closeAgents();
    const signing = checks.find((c) => c.field === "signing_key");
    expect(signing?.detail).toContain(REFUSED);
  });

  it("doctor's client keys check (rfc7591 private_key_jwt, jwks_uri = the SSA's) refuses it too", async () => {
    const k = await testKey("PS256");
    const params = parseRegistrationParams({
      profile: "rfc7591",
      bank: { registration_endpoint: "https://bank.example.com/register" },
      directory: {
        token_endpoint: "https://dir.example.org/token",
        ssa_endpoint: "https://dir.example.org/ssa",
        client_id: "dir-client",
      },
      software: { software_id: "sw-1", org_id: "org-1" },
      signing_key: { kid: "kid-1", alg: "PS256", private_key: k.pem },
      transport: { ca: caPem },
      client: {
        redirect_uris: ["https://tpp.example.com/cb"],
        token_endpoint_auth_method: "private_key_jwt",
      },
    });
    const dns = resolver({ "keys.example.net": "10.0.0.5" });
    const ctx = createContext({ transport: { lookup: dns.lookup, max_retries: 0, connect_timeout_ms: 500 } });
    const check = await checkClientKeys(ctx, params, { ca: caPem }, jwks_uri());
    await closeAgents();
    expect(check?.result).toBe("fail");
    expect(check?.detail).toContain(REFUSED);
  });
});
