// Bad input: keys, certificates, SSAs, client metadata. Each case must end in a typed ob-dcr
// error whose message names the field and says what to do, and (where ob-dcr can know) before
// anything reaches the bank: the sandbox bank's request counter for POST /register must not move.
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ObDcrError } from "../../provider/core/errors.js";
import { createContext } from "../../provider/http/context.js";
import { closeAgents } from "../../provider/http/transport.js";
import { createRegistration } from "../../provider/lifecycle/registration.js";
import { worded } from "../../provider/resource/messages.js";
import type { Sandbox } from "../../sandbox/index.js";
import { coreParams, read, software } from "../support/params.js";
import { startTestSandbox } from "../support/sandbox.js";
import { expectNoSecrets, issueClientCert, signSsa, softwareSecrets } from "./helpers.js";

type Over = Parameters<typeof coreParams>[2];
interface Case {
  name: string;
  /** Overrides of the core parameters (may be async: certificates and SSAs are made per case). */
  over: (sb: Sandbox) => Over | Promise<Over>;
  code: string;
  /** The field (or claim) the message must name. */
  field: RegExp;
  /** What the message must say to do / what is wrong. */
  fix: RegExp;
  /** Where ob-dcr cannot know before asking (the directory or the bank decides). */
  reachesBank?: boolean;
}

const HOUR = 3600_000;
const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
const otherRsa = () =>
  generateKeyPairSync("rsa", { modulusLength: 2048 })
    .privateKey.export({ format: "pem", type: "pkcs8" })
    .toString();
const otherEc = () =>
  generateKeyPairSync("ec", { namedCurve: "P-256" })
    .privateKey.export({ format: "pem", type: "pkcs8" })
    .toString();

const KEYS: Case[] = [
  {
    name: "signing key is not PEM",
    over: () => ({ signing_key: { private_key: "not a key at all" } }),
    code: "OBDCR_INVALID_INPUT",
    field: /signing_key\.private_key/,
    fix: /PKCS#8 PEM/,
  },
  {
    name: "signing key PEM is truncated",
    over: (sb) => ({
      signing_key: { private_key: read(software(sb).sw.signing.private_key_file).slice(0, 300) },
    }),
    code: "OBDCR_INVALID_INPUT",
    field: /signing_key\.private_key/,
    fix: /PKCS#8 PEM/,
  },
  {
    name: "signing key is a certificate",
    over: (sb) => ({ signing_key: { private_key: read(software(sb).sw.transport.cert_file) } }),
    code: "OBDCR_INVALID_INPUT",
    field: /signing_key\.private_key/,
    fix: /private key/,
  },
  {
    name: "signing key is a public key",
    over: () => ({
      signing_key: {
        private_key: generateKeyPairSync("rsa", { modulusLength: 2048 })
          .publicKey.export({ format: "pem", type: "spki" })
          .toString(),
      },
    }),
    code: "OBDCR_INVALID_INPUT",
    field: /signing_key\.private_key/,
    fix: /private key/,
  },
  {
    name: "signing key is PKCS#1, not PKCS#8",
    over: () => ({
      signing_key: {
        private_key: generateKeyPairSync("rsa", { modulusLength: 2048 })
          .privateKey.export({ format: "pem", type: "pkcs1" })
          .toString(),
      },
    }),
    code: "OBDCR_INVALID_INPUT",
    field: /signing_key\.private_key/,
    fix: /PKCS#8/,
  },
  {
    name: "EC key declared PS256 (wrong algorithm)",
    over: () => ({ signing_key: { private_key: otherEc() } }),
    code: "OBDCR_INVALID_INPUT",
    field: /signing_key\.private_key/,
    fix: /PS256/,
  },
  {
    name: "RSA key declared ES256 (wrong algorithm)",
    over: () => ({ signing_key: { alg: "ES256" } }),
    code: "OBDCR_INVALID_INPUT",
    field: /signing_key/,
    fix: /ES256/,
  },
  {
    name: "alg HS256 is not allowed",
    over: () => ({ signing_key: { alg: "HS256" } }),
    code: "OBDCR_INVALID_INPUT",
    field: /signing_key\.alg/,
    fix: /PS256|ES256/,
  },
  {
    name: "alg none is not allowed",
    over: () => ({ signing_key: { alg: "none" } }),
    code: "OBDCR_INVALID_INPUT",
    field: /signing_key\.alg/,
    fix: /PS256|ES256/,
  },
  {
    name: "kid missing from the software JWKS",
    over: () => ({ signing_key: { kid: "no-such-kid" } }),
    // the directory token request is the first call: the directory refuses the assertion
    code: "OBDCR_REGISTRATION_REJECTED",
    field: /check signing_key \(kid in the software's JWKS/,
    fix: /no-such-kid is not in the JWKS/,
  },
  {
    name: "kid missing from the software JWKS (inline SSA: checked before the POST)",
    over: async (sb) => ({
      signing_key: { kid: "no-such-kid" },
      directory: {
        software_statement: await signSsa(sb),
        token_endpoint: undefined,
        ssa_endpoint: undefined,
      },
    }),
    code: "OBDCR_INVALID_INPUT",
    field: /signing_key\.kid/,
    fix: /JWKS/,
  },
  {
    name: "kid of a revoked key",
    over: (sb) => {
      const r = software(sb).sw.revoked_signing!;
      return { signing_key: { kid: r.kid, private_key: read(r.private_key_file) } };
    },
    code: "OBDCR_REGISTRATION_REJECTED",
    field: /check signing_key/,
    fix: /is revoked/,
  },
  {
    name: "empty kid",
    over: () => ({ signing_key: { kid: "" } }),
    code: "OBDCR_INVALID_INPUT",
    field: /signing_key\.kid/,
    fix: /./,
  },
  {
    name: "a right kid with another key",
    over: () => ({ signing_key: { private_key: otherRsa() } }),
    code: "OBDCR_REGISTRATION_REJECTED",
    field: /token|assertion|signature|invalid_client/i,
    fix: /invalid_client|signature/i,
    reachesBank: true,
  },
  {
    name: "transport key does not match the certificate",
    over: () => ({ transport: { key: otherEc() } }),
    code: "OBDCR_INVALID_INPUT",
    field: /transport\.key/,
    fix: /does not belong to transport\.cert/,
  },
  {
    name: "transport certificate is not PEM",
    over: () => ({ transport: { cert: "garbage" } }),
    code: "OBDCR_INVALID_INPUT",
    field: /transport\.cert/,
    fix: /BEGIN CERTIFICATE/,
  },
  {
    name: "transport certificate PEM is corrupt",
    over: () => ({ transport: { cert: pem("CERTIFICATE", "MIIBkjCCATigAwIBAgIUZm9vYmFy") } }),
    code: "OBDCR_INVALID_INPUT",
    field: /transport\.cert/,
    fix: /BEGIN CERTIFICATE/,
  },
  {
    name: "transport key is not PEM",
    over: () => ({ transport: { key: "garbage" } }),
    code: "OBDCR_INVALID_INPUT",
    field: /transport\.key/,
    fix: /BEGIN PRIVATE KEY/,
  },
  {
    name: "transport certificate without its key",
    over: () => ({ transport: { key: undefined } }),
    code: "OBDCR_INVALID_INPUT",
    field: /transport\.cert/,
    fix: /cert and key are required/,
  },
  {
    name: "expired transport certificate",
    over: async (sb) => ({
      transport: await issueClientCert(sb, {
        notBefore: new Date(Date.now() - 48 * HOUR),
        notAfter: new Date(Date.now() - 24 * HOUR),
      }),
    }),
    code: "OBDCR_INVALID_INPUT",
    field: /transport\.cert/,
    fix: /expired at .*renew/,
  },
  {
    name: "not-yet-valid transport certificate",
    over: async (sb) => ({
      transport: await issueClientCert(sb, {
        notBefore: new Date(Date.now() + 24 * HOUR),
        notAfter: new Date(Date.now() + 48 * HOUR),
      }),
    }),
    code: "OBDCR_INVALID_INPUT",
    field: /transport\.cert/,
    fix: /not valid before/,
  },
  {
    // A new user's slip: the key file where the CA goes. No bank could be verified with it.
    name: "transport CA holds no certificate (a key given as the CA)",
    over: (sb) => ({ transport: { ca: read(software(sb).sw.signing.private_key_file) } }),
    code: "OBDCR_INVALID_INPUT",
    field: /transport\.ca/,
    fix: /holds no PEM certificate .*issued the bank's and the directory's server certificates/,
  },
  {
    name: "transport CA expired",
    over: async (sb) => ({
      transport: {
        ca: (
          await issueClientCert(sb, {
            notBefore: new Date(Date.now() - 48 * HOUR),
            notAfter: new Date(Date.now() - 24 * HOUR),
          })
        ).cert,
      },
    }),
    code: "OBDCR_INVALID_INPUT",
    field: /transport\.ca/,
    fix: /every certificate in it has expired .*give the CA/,
  },
  {
    name: "transport certificate from another CA",
    over: async (sb) => ({
      transport: await issueClientCert(sb, {
        notBefore: new Date(Date.now() - HOUR),
        notAfter: new Date(Date.now() + HOUR),
        untrusted: true,
      }),
    }),
    code: "OBDCR_REGISTRATION_REJECTED",
    field: /token/,
    fix: /client certificate is not issued by a trusted CA/,
    reachesBank: true,
  },
];

const SSA: Case[] = [
  {
    name: "SSA tampered (payload edited)",
    over: async (sb) => {
      const [h, p, s] = (await signSsa(sb)).split(".");
      const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
      claims.software_roles = ["AISP", "PISP", "CBPII"];
      return {
        directory: {
          software_statement: [h, Buffer.from(JSON.stringify(claims)).toString("base64url"), s].join("."),
        },
      };
    },
    code: "OBDCR_SSA_INVALID",
    field: /SSA/,
    fix: /signature|verif/i,
  },
  {
    name: "SSA signature stripped",
    over: async (sb) => {
      const [h, p] = (await signSsa(sb)).split(".");
      return { directory: { software_statement: `${h}.${p}.` } };
    },
    code: "OBDCR_SSA_INVALID",
    field: /SSA/,
    fix: /signature|verif|JWS/i,
  },
  {
    name: "SSA alg none",
    over: async (sb) => {
      const p = (await signSsa(sb)).split(".")[1];
      const h = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
      return { directory: { software_statement: `${h}.${p}.` } };
    },
    code: "OBDCR_SSA_INVALID",
    field: /SSA alg/,
    fix: /PS256/,
  },
  {
    name: "SSA not a JWS",
    over: () => ({ directory: { software_statement: "hello" } }),
    code: "OBDCR_SSA_INVALID",
    field: /SSA/,
    fix: /compact JWS/,
  },
  {
    name: "SSA expired",
    over: async (sb) => ({
      directory: {
        software_statement: await signSsa(sb, {
          exp: Math.floor(Date.now() / 1000) - 600,
          iat: Math.floor(Date.now() / 1000) - 1200,
        }),
      },
    }),
    code: "OBDCR_SSA_INVALID",
    field: /SSA/,
    fix: /expired; fetch a fresh one/,
  },
  {
    name: "SSA too old (iat beyond the max age)",
    over: async (sb) => ({
      directory: { software_statement: await signSsa(sb, { iat: Math.floor(Date.now() / 1000) - 7200 }) },
    }),
    // only the bank knows its window for an SSA given inline: its refusal is passed on
    code: "OBDCR_REGISTRATION_REJECTED",
    field: /invalid_software_statement/,
    fix: /SSA is too old/,
    reachesBank: true,
  },
  {
    name: "SSA issued in the future",
    over: async (sb) => ({
      directory: { software_statement: await signSsa(sb, { iat: Math.floor(Date.now() / 1000) + 3600 }) },
    }),
    code: "OBDCR_SSA_INVALID",
    field: /SSA/,
    fix: /future|clock/i,
  },
  {
    name: "SSA from the wrong issuer",
    over: async (sb) => ({
      directory: { software_statement: await signSsa(sb, { iss: "Some Other Directory" }) },
    }),
    code: "OBDCR_SSA_INVALID",
    field: /iss/,
    fix: /directory\.issuer/,
  },
  {
    name: "directory.issuer set to another issuer",
    over: () => ({ directory: { issuer: "Elsewhere Ltd" } }),
    code: "OBDCR_SSA_INVALID",
    field: /iss/,
    fix: /directory\.issuer/,
  },
  {
    name: "SSA of another software",
    over: async (sb) => ({
      directory: { software_statement: await signSsa(sb, { software_id: "AnotherSoftware000001" }) },
    }),
    code: "OBDCR_SSA_INVALID",
    field: /software_id/,
    fix: /software\.software_id/,
  },
  {
    name: "SSA of another org",
    over: async (sb) => ({
      directory: { software_statement: await signSsa(sb, { org_id: "0015800001ZZZZZZZZ" }) },
    }),
    code: "OBDCR_SSA_INVALID",
    field: /org_id/,
    fix: /software\.org_id/,
  },
  {
    name: "SSA of a revoked org",
    over: async (sb) => ({ directory: { software_statement: await signSsa(sb, { org_status: "Revoked" }) } }),
    code: "OBDCR_SSA_INVALID",
    field: /org_status/,
    fix: /Active/,
  },
  {
    name: "SSA signed by an unknown key",
    over: async (sb) => {
      const jose = await import("jose");
      const { privateKey } = await jose.generateKeyPair("PS256");
      const p = JSON.parse(Buffer.from((await signSsa(sb)).split(".")[1]!, "base64url").toString());
      return {
        directory: {
          software_statement: await new jose.SignJWT(p)
            .setProtectedHeader({ alg: "PS256", kid: "rogue" })
            .sign(privateKey),
        },
      };
    },
    code: "OBDCR_SSA_INVALID",
    field: /SSA/,
    fix: /kid|JWKS|verif/i,
  },
  {
    name: "redirect URI not covered by the SSA",
    over: () => ({ client: { redirect_uris: ["https://evil.example.com/cb"] } }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.redirect_uris/,
    fix: /not one of the SSA's software_redirect_uris \("https:\/\/tpp\.example\.com\/callback", "https:\/\/tpp\.example\.com\/callback2"\): use one of them, or have it added to the software in the directory/,
  },
  {
    name: "SSA redirect URIs no longer cover ours",
    over: async (sb) => ({
      directory: {
        software_statement: await signSsa(sb, { software_redirect_uris: ["https://other.example.com/cb"] }),
      },
    }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.redirect_uris/,
    fix: /software_redirect_uris/,
  },
];

const METADATA: Case[] = [
  {
    name: "redirect URI over http",
    over: () => ({ client: { redirect_uris: ["http://tpp.example.com/cb"] } }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.redirect_uris/,
    fix: /https/,
  },
  {
    name: "redirect URI on localhost",
    over: () => ({ client: { redirect_uris: ["https://localhost/cb"] } }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.redirect_uris/,
    fix: /localhost/,
  },
  {
    name: "redirect URI with a fragment",
    over: (sb) => ({ client: { redirect_uris: [`${software(sb).sw.software_redirect_uris[0]}#x`] } }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.redirect_uris/,
    fix: /fragment/,
  },
  {
    name: "redirect URI not a URL",
    over: () => ({ client: { redirect_uris: ["not a url"] } }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.redirect_uris/,
    fix: /absolute URL/,
  },
  {
    name: "redirect URI longer than 256",
    over: () => ({ client: { redirect_uris: [`https://tpp.example.com/${"a".repeat(260)}`] } }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.redirect_uris/,
    fix: /256/,
  },
  {
    name: "empty redirect URIs",
    over: () => ({ client: { redirect_uris: [] } }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.redirect_uris/,
    fix: /empty/,
  },
  {
    name: "unknown auth method",
    over: () => ({ client: { token_endpoint_auth_method: "magic_auth" } }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.token_endpoint_auth_method/,
    fix: /private_key_jwt/,
  },
  {
    name: "auth method the bank does not support",
    over: () => ({ client: { token_endpoint_auth_method: "client_secret_post" } }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.token_endpoint_auth_method/,
    fix: /not in the bank's/,
  },
  {
    name: "subject DN without tls_client_auth",
    over: () => ({ client: { tls_client_auth_subject_dn: "CN=x" } }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.tls_client_auth_subject_dn/,
    fix: /only allowed with tls_client_auth/,
  },
  {
    name: "response type token (implicit)",
    over: () => ({ client: { response_types: ["token"] } }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.response_types/,
    fix: /code/,
  },
  {
    name: "grant type implicit",
    over: () => ({ client: { grant_types: ["implicit"] } }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.grant_types/,
    fix: /authorization_code|client_credentials/,
  },
  {
    name: "response type code without the authorization_code grant",
    over: () => ({ client: { response_types: ["code"], grant_types: ["client_credentials"] } }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.(grant|response)_types/,
    fix: /authorization_code/,
  },
  {
    name: "no client_credentials grant (UK management needs it)",
    over: () => ({ client: { grant_types: ["authorization_code"] } }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.grant_types/,
    fix: /client_credentials/,
  },
  {
    name: "unknown application type",
    over: () => ({ client: { application_type: "desktop" } }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.application_type/,
    fix: /web/,
  },
  {
    name: "id token alg HS256",
    over: () => ({ client: { id_token_signed_response_alg: "HS256" } }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.id_token_signed_response_alg/,
    fix: /PS256|ES256/,
  },
  {
    name: "scope over 256 characters",
    over: () => ({
      client: { scope: `openid ${Array.from({ length: 40 }, (_, i) => `accounts${i}`).join(" ")}` },
    }),
    code: "OBDCR_INVALID_INPUT",
    field: /client\.scope/,
    fix: /256/,
  },
  {
    name: "bank discovery URL not a URL",
    over: () => ({ bank: { discovery_url: "bank" } }),
    code: "OBDCR_INVALID_INPUT",
    field: /bank\.discovery_url/,
    fix: /URL/,
  },
  {
    name: "bank discovery URL over http",
    over: () => ({ bank: { discovery_url: "http://localhost:1/.well-known/openid-configuration" } }),
    code: "OBDCR_INVALID_INPUT",
    field: /bank\.discovery_url/,
    fix: /https/,
  },
  {
    name: "directory token endpoint not a URL",
    over: () => ({ directory: { token_endpoint: "::" } }),
    code: "OBDCR_INVALID_INPUT",
    field: /directory\.token_endpoint/,
    fix: /URL/,
  },
  {
    // The request's aud is the bank's org id: a typo there is refused by the bank, named as bank.org_id.
    name: "the bank's org id mistyped",
    over: () => ({ bank: { org_id: "0015800000jfQ9aAAX" } }),
    code: "OBDCR_REGISTRATION_REJECTED",
    field: /fix bank\.org_id, which the request sends as aud/,
    fix: /or bank_profile\.aud if this bank expects another/,
    reachesBank: true,
  },
  {
    name: "unknown profile",
    over: () => ({ profile: "obie-9.9" }),
    code: "OBDCR_INVALID_INPUT",
    field: /profile/,
    fix: /obie-3\.2/,
  },
];

describe("bad input is refused with a typed error naming the field and the fix", () => {
  let sb: Sandbox;
  let secrets: string[];
  const posts = async () => (await sb.admin.requests("sandbox-bank"))["POST /register"] ?? 0;

  beforeAll(async () => {
    sb = await startTestSandbox({ prefix: "rel-input" });
    secrets = softwareSecrets(sb);
  });
  afterAll(async () => {
    await closeAgents();
    await sb?.close();
  });

  const all = [
    ...KEYS.map((c) => ["keys", c] as const),
    ...SSA.map((c) => ["ssa", c] as const),
    ...METADATA.map((c) => ["metadata", c] as const),
  ];
  it("has at least 40 cases", () => expect(all.length).toBeGreaterThanOrEqual(40));

  it.each(all.map(([g, c]) => [g, c.name, c] as const))("%s: %s", async (_group, _name, c) => {
    const before = await posts();
    const held = (await sb.admin.registrations("sandbox-bank")).length;
    const params = coreParams(sb, "sandbox-bank", await c.over(sb));
    const err = await createRegistration(params, createContext()).then(
      (r) => new Error(`unexpectedly registered ${r.client_id}`),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ObDcrError);
    const e = err as ObDcrError;
    expect(e.code, e.message).toBe(c.code);
    expect(e.message).toMatch(c.field);
    expect(e.message).toMatch(c.fix);
    expectNoSecrets(`${e.message}\n${e.stack}\n${JSON.stringify(e)}`, secrets, "the error");
    if (!c.reachesBank) expect(await posts(), "no registration POST may be sent").toBe(before);
    expect((await sb.admin.registrations("sandbox-bank")).length, "nothing registered").toBe(held);
  });

  // What a Pulumi program's author reads (both faces word errors with `worded`): the inputs in the
  // program's spelling, the code first.
  it.each([
    [
      "the bank's org id",
      { bank: { org_id: "0015800000jfQ9aAAX" } },
      /fix bank\.orgId, .* or bankProfile\.aud /,
    ],
    [
      "the software's org id",
      { software: { org_id: "0015800001041RHAAX" } },
      /SSA download .*\(fix software\.orgId and software\.softwareId: they fill the SSA path/,
    ],
  ] as const)("%s mistyped, in the resource's words", async (_name, over, words) => {
    const e = await createRegistration(coreParams(sb, "sandbox-bank", over), createContext()).then(
      (r) => new Error(`unexpectedly registered ${r.client_id}`),
      (x: unknown) => x,
    );
    const msg = (worded(e, "create") as Error).message;
    expect(msg).toMatch(/^OBDCR_REGISTRATION_REJECTED: /);
    expect(msg).toMatch(words);
    expect(msg).not.toMatch(/org_id|software_id|bank_profile/);
  });
});
