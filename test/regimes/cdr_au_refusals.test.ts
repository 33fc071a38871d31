// Every AU checklist refusal (regimes-au-br.md §4 AU 1-18) that a configuration can provoke, once,
// against the strict CDR emulator over real mTLS: each is a typed error naming the input to fix
// (or, for a status at the Register, saying so). Refusals the client can make itself are made
// before anything reaches the data holder (its POST count does not move).
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext } from "../../provider/http/context.js";
import {
  createRegistration,
  deleteRegistration,
  readRegistration,
} from "../../provider/lifecycle/registration.js";
import {
  type CdrAuSandbox,
  DEFAULT_BRAND_ID,
  DEFAULT_LEGAL_ENTITY_ID,
  DEFAULT_PRODUCT_ID,
  DEFAULT_PRODUCT_ID_2,
} from "../../sandbox/cdr_au/index.js";
import type { Json } from "../support/params.js";
import { cdrParams, cdrProduct, regimeCoreParams, startCdrAu } from "../support/regimes.js";

const SECTOR_PRODUCT = "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f";

interface Case {
  item: string;
  name: string;
  over?: (sb: CdrAuSandbox) => Json;
  holder?: string;
  product?: string;
  /** Before / after the call (admin actions). */
  before?: (sb: CdrAuSandbox) => Promise<void> | void;
  after?: (sb: CdrAuSandbox) => Promise<void> | void;
  code: string;
  /** The input named (undefined: a status, no input of ours). */
  field: string | RegExp | undefined;
  message?: RegExp;
  /** Refused by the client: the holder saw no POST. */
  local?: boolean;
}

const p2 = (sb: CdrAuSandbox) => cdrProduct(sb.manifest, DEFAULT_PRODUCT_ID_2).product;

const CASES: Case[] = [
  {
    item: "AU 2",
    name: "Register token scope other than cdr-register:read",
    over: () => ({ directory: { scope: "cdr-register:bank:read" } }),
    code: "OBDCR_REGISTRATION_REJECTED",
    field: "directory.scope",
  },
  {
    item: "AU 3",
    name: "unknown software product",
    over: () => ({
      software: { software_id: "0f0f0f0f-1111-4222-8333-444444444444" },
      client: { redirect_uris: undefined },
    }),
    code: "OBDCR_REGISTRATION_REJECTED",
    field: "software.software_id",
  },
  {
    item: "AU 3",
    name: "assertion signed by another product's key",
    over: (sb) => ({
      signing_key: {
        kid: p2(sb).signing.kid,
        private_key: readFileSync(p2(sb).signing.private_key_file, "utf8"),
      },
    }),
    code: "OBDCR_REGISTRATION_REJECTED",
    field: "signing_key",
  },
  {
    item: "AU 3",
    name: "certificate of another product",
    over: (sb) => ({
      transport: {
        cert: readFileSync(p2(sb).transport.cert_file, "utf8"),
        key: readFileSync(p2(sb).transport.key_file, "utf8"),
      },
    }),
    code: "OBDCR_REGISTRATION_REJECTED",
    field: "transport.cert",
  },
  {
    item: "AU 5",
    name: "x-v non-integer (refused by the schema)",
    over: () => ({ directory: { ssa_version: 4.5 } }),
    code: "OBDCR_INVALID_INPUT",
    field: "directory.ssa_version",
    local: true,
  },
  {
    item: "AU 5",
    name: "only unsupported x-v versions (406)",
    over: () => ({ directory: { ssa_version: 9, ssa_min_version: 9 } }),
    code: "OBDCR_REGISTRATION_REJECTED",
    field: "directory.ssa_version",
    message: /UnsupportedVersion/,
  },
  {
    item: "AU 6",
    name: "industry other than all (v4)",
    over: (sb) => ({
      directory: { ssa_endpoint: sb.manifest.register.ssa_endpoint_template.replace("/all/", "/banking/") },
    }),
    code: "OBDCR_REGISTRATION_REJECTED",
    field: "directory.ssa_endpoint",
  },
  {
    item: "AU 6",
    name: "token client other than the product in the path (404)",
    over: (sb) => ({
      directory: { client_id: DEFAULT_PRODUCT_ID_2 },
      signing_key: {
        kid: p2(sb).signing.kid,
        private_key: readFileSync(p2(sb).signing.private_key_file, "utf8"),
      },
      transport: {
        cert: readFileSync(p2(sb).transport.cert_file, "utf8"),
        key: readFileSync(p2(sb).transport.key_file, "utf8"),
      },
    }),
    code: "OBDCR_REGISTRATION_REJECTED",
    field: "software.software_id",
    message: /InvalidSoftwareProduct/,
  },
  {
    item: "AU 6",
    name: "another brand (403)",
    over: () => ({ software: { org_id: "9a9a9a9a-1111-4222-8333-444444444444" } }),
    code: "OBDCR_REGISTRATION_REJECTED",
    field: "software.org_id",
    message: /InvalidBrand/,
  },
  {
    item: "AU 6",
    name: "product inactive at the Register (403)",
    before: (sb) => sb.admin.setProductStatus(DEFAULT_PRODUCT_ID, "INACTIVE"),
    after: (sb) => sb.admin.setProductStatus(DEFAULT_PRODUCT_ID, "ACTIVE"),
    code: "OBDCR_REGISTRATION_REJECTED",
    field: undefined,
    message: /AdrStatusNotActive.*not active/,
  },
  {
    item: "AU 7",
    name: "request as application/jose (415)",
    over: () => ({ bank_profile: { content_type: "application/jose" } }),
    code: "OBDCR_REGISTRATION_REJECTED",
    field: "bank_profile.content_type",
  },
  {
    item: "AU 7",
    name: "request as JSON (not a cdr-au body)",
    over: () => ({ bank_profile: { content_type: "application/json" } }),
    code: "OBDCR_INVALID_INPUT",
    field: "bank_profile.content_type",
    local: true,
  },
  {
    item: "AU 8",
    name: "SSA from another issuer than expected",
    over: () => ({ directory: { issuer: "not-the-register" } }),
    code: "OBDCR_SSA_INVALID",
    field: undefined,
    message: /directory\.issuer/,
    local: true,
  },
  {
    item: "AU 8",
    name: "SSA with a broken signature",
    over: () => ({
      directory: { software_statement: "eyJhbGciOiJQUzI1NiJ9.eyJpc3MiOiJjZHItcmVnaXN0ZXIifQ.AAAA" },
    }),
    code: "OBDCR_SSA_INVALID",
    field: undefined,
    local: true,
  },
  {
    item: "AU 8",
    name: "SSA checked against the IdP's jwks_uri instead of the Register's SSA JWKS",
    over: (sb) => ({
      directory: {
        jwks_uri: sb.manifest.register.token_endpoint.replace(
          /connect\/token$/,
          ".well-known/openid-configuration/jwks",
        ),
      },
    }),
    code: "OBDCR_SSA_INVALID",
    field: undefined,
    message: /directory\.jwks_uri must be the Register's SSA JWKS/,
    local: true,
  },
  {
    item: "AU 10",
    name: "request aud other than the holder's issuer",
    over: () => ({ bank_profile: { aud: { literal: "https://elsewhere.example" } } }),
    code: "OBDCR_REGISTRATION_REJECTED",
    field: "bank_profile.aud",
  },
  {
    item: "AU 10",
    name: "request iss other than the software product id",
    over: () => ({ bank_profile: { iss: { literal: "someone-else" } } }),
    code: "OBDCR_REGISTRATION_REJECTED",
    field: "bank_profile.iss",
  },
  {
    item: "AU 10",
    name: "signing kid not published at the SSA's jwks_uri",
    over: () => ({ signing_key: { kid: "not-published" } }),
    code: /OBDCR_(INVALID_INPUT|REGISTRATION_REJECTED)/ as unknown as string,
    field: /^signing_key/,
  },
  {
    item: "AU 11",
    name: "redirect URI not in the SSA",
    over: () => ({ client: { redirect_uris: ["https://adr.example.com/elsewhere"] } }),
    code: "OBDCR_INVALID_INPUT",
    field: "client.redirect_uris.0",
    local: true,
  },
  {
    item: "AU 11",
    name: "redirect URI not https",
    over: () => ({ client: { redirect_uris: ["http://adr.example.com/callback"] } }),
    code: "OBDCR_INVALID_INPUT",
    field: "client.redirect_uris.0",
    local: true,
  },
  {
    item: "AU 12",
    name: "auth method other than private_key_jwt",
    over: () => ({ client: { token_endpoint_auth_method: "tls_client_auth" } }),
    code: "OBDCR_INVALID_INPUT",
    field: "client.token_endpoint_auth_method",
    local: true,
  },
  {
    item: "AU 12",
    name: "signing alg outside PS256/ES256",
    over: () => ({ client: { token_endpoint_auth_signing_alg: "RS256" } }),
    code: "OBDCR_INVALID_INPUT",
    field: "client.token_endpoint_auth_signing_alg",
    local: true,
  },
  {
    item: "AU 12",
    name: "a grant type outside the three",
    over: () => ({ client: { grant_types: ["authorization_code", "client_credentials", "implicit"] } }),
    code: "OBDCR_INVALID_INPUT",
    field: /grant_types/,
    local: true,
  },
  {
    item: "AU 12",
    name: "grant_types without authorization_code (mock holder)",
    over: () => ({ client: { grant_types: ["client_credentials"] } }),
    holder: "cdr-mock",
    code: "OBDCR_INVALID_INPUT",
    field: "client.grant_types",
    local: true,
  },
  {
    item: "AU 13",
    name: "an unsupported response type",
    over: () => ({ client: { response_types: ["token"] } }),
    code: "OBDCR_INVALID_INPUT",
    field: "client.response_types.0",
    local: true,
  },
  {
    item: "AU 13",
    name: "hybrid without id_token encryption",
    over: () => ({ client: { response_types: ["code id_token"] } }),
    code: "OBDCR_INVALID_INPUT",
    field: "client.id_token_encrypted_response_alg",
    local: true,
  },
  {
    item: "AU 13",
    name: "id_token encryption with code only",
    over: () => ({
      client: { id_token_encrypted_response_alg: "RSA-OAEP", id_token_encrypted_response_enc: "A256GCM" },
    }),
    code: "OBDCR_INVALID_INPUT",
    field: "client.id_token_encrypted_response_alg",
    local: true,
  },
  {
    item: "AU 14",
    name: "JARM enc without alg",
    over: () => ({ client: { authorization_encrypted_response_enc: "A256GCM" } }),
    code: "OBDCR_INVALID_INPUT",
    field: "client.authorization_encrypted_response_alg",
    local: true,
  },
  {
    item: "AU 14",
    name: "an unsupported JWE alg",
    over: () => ({ client: { authorization_encrypted_response_alg: "RSA1_5" } }),
    code: "OBDCR_INVALID_INPUT",
    field: "client.authorization_encrypted_response_alg",
    local: true,
  },
  {
    item: "AU 14",
    name: "application_type other than web",
    over: () => ({ client: { application_type: "native" } }),
    code: "OBDCR_INVALID_INPUT",
    field: "client.application_type",
    local: true,
  },
  {
    item: "AU 15",
    name: "the SSA's sector_identifier_uri unreachable",
    product: SECTOR_PRODUCT,
    code: "OBDCR_REGISTRATION_REJECTED",
    field: "directory",
    message: /sector_identifier_uri/,
  },
];

describe("cdr-au: every checklist refusal, named", () => {
  let sb: CdrAuSandbox;
  beforeAll(async () => {
    sb = await startCdrAu({
      holders: [
        { name: "cdr-holder-a" },
        { name: "cdr-mock", require_authorization_code_grant: true },
        { name: "cdr-no-delete", delete_supported: false },
      ],
      brands: [
        {
          brand_id: DEFAULT_BRAND_ID,
          legal_entity_id: DEFAULT_LEGAL_ENTITY_ID,
          software_products: [
            { software_product_id: DEFAULT_PRODUCT_ID },
            { software_product_id: DEFAULT_PRODUCT_ID_2 },
            { software_product_id: SECTOR_PRODUCT, sector_identifier_uri: "https://127.0.0.1:9/sector.json" },
          ],
        },
      ],
    });
  });
  afterAll(async () => {
    await sb?.close();
  });
  const params = (holder = "cdr-holder-a", product?: string, over: Json = {}) =>
    regimeCoreParams(cdrParams(sb.manifest, { holder, product }), over);

  it.each(CASES.map((c) => [`${c.item}: ${c.name}`, c] as const))("%s", async (_n, c) => {
    await c.before?.(sb);
    const holder = c.holder ?? "cdr-holder-a";
    const posts = sb.admin.stats().holders[holder]!.registrations;
    const err = await createRegistration(params(holder, c.product, c.over?.(sb) ?? {}), createContext()).then(
      (r) => r,
      (e: unknown) => e,
    );
    await c.after?.(sb);
    expect(err).toBeInstanceOf(Error);
    const e = err as Error & { code: string; field?: string };
    if (process.env.DEBUG_REFUSALS) console.log(c.name, e.code, e.field, e.message);
    if (typeof c.code === "string") expect(e.code).toBe(c.code);
    else expect(e.code).toMatch(c.code as RegExp);
    if (c.field === undefined) expect(e.field).toBeUndefined();
    else if (typeof c.field === "string") expect(e.field).toBe(c.field);
    else expect(e.field).toMatch(c.field);
    if (e.field) expect(e.message).toContain(e.field.split(".")[0]);
    if (c.message) expect(e.message).toMatch(c.message);
    if (c.local) expect(sb.admin.stats().holders[holder]!.registrations).toBe(posts);
    expect(sb.admin.clients(holder)).toEqual([]);
  });

  it("AU 9 + 16: a product made inactive after its SSA was issued (unapproved_software_statement), and a second registration", async () => {
    const ctx = createContext();
    const first = await createRegistration(params(), ctx);
    // The holder echoes the SSA unmodified: register with it at another holder while inactive.
    const ssa = sb.admin.clients("cdr-holder-a")[0]!.metadata.software_statement as string;
    sb.admin.setProductStatus(DEFAULT_PRODUCT_ID, "INACTIVE");
    const inactive = await createRegistration(
      params("cdr-no-delete", undefined, { directory: { software_statement: ssa } }),
      createContext(),
    ).catch((e: unknown) => e);
    sb.admin.setProductStatus(DEFAULT_PRODUCT_ID, "ACTIVE");
    expect(inactive).toMatchObject({
      code: "OBDCR_REGISTRATION_REJECTED",
      error: "unapproved_software_statement",
      field: undefined,
    });
    // A second registration of the product at the same holder: refused, explained.
    const dup = await createRegistration(params(), ctx).catch((e: unknown) => e);
    expect(dup).toMatchObject({
      code: "OBDCR_REGISTRATION_REJECTED",
      status: 400,
      error: "invalid_client_metadata",
    });
    expect((dup as Error).message).toMatch(
      /allows one registration per software \(cdr-au\).*adopt that registration or delete it/,
    );
    expect(sb.admin.clients("cdr-holder-a").map((c) => c.client_id)).toEqual([first.client_id]);
    expect(await deleteRegistration(params(), { client_id: first.client_id }, ctx)).toBe("deleted");
  });

  it("AU 17: a management token without cdr:registration is refused (invalid_scope), naming the setting", async () => {
    const ctx = createContext();
    const r = await createRegistration(params(), ctx);
    const err = await readRegistration(
      params(undefined, undefined, { bank_profile: { management: { scope: "openid" } } }),
      { client_id: r.client_id },
      createContext(),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ field: "bank_profile.management.scope" });
    // A client deleted at the holder: the token endpoint no longer knows it (ambiguous, never dropped).
    sb.admin.deleteClient("cdr-holder-a", r.client_id);
    const gone = await readRegistration(params(), { client_id: r.client_id }, createContext()).catch(
      (e: unknown) => e,
    );
    expect(gone).toMatchObject({ code: "OBDCR_GONE_UNCONFIRMED", client_id: r.client_id });
    expect(
      await readRegistration(params(), { client_id: r.client_id }, createContext(), {
        confirm_gone: true,
      }).catch((e: unknown) => e),
    ).toMatchObject({ code: "OBDCR_REGISTRATION_GONE" });
  });

  it("AU 18: DELETE where the holder offers none (405) is OBDCR_NOT_SUPPORTED, with the portal remedy at the resource", async () => {
    const ctx = createContext();
    const r = await createRegistration(params("cdr-no-delete"), ctx);
    const err = await deleteRegistration(params("cdr-no-delete"), { client_id: r.client_id }, ctx).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "OBDCR_NOT_SUPPORTED" });
    expect((err as Error).message).toMatch(/HTTP 405/);
    // Declared in the bank profile instead: refused before anything is sent.
    const deletes = sb.admin.stats().holders["cdr-no-delete"]!.deletes;
    const declared = await deleteRegistration(
      params("cdr-no-delete", undefined, { bank_profile: "cdr-no-delete" }),
      { client_id: r.client_id },
      ctx,
    ).catch((e: unknown) => e);
    expect(declared).toMatchObject({ code: "OBDCR_NOT_SUPPORTED" });
    expect((declared as Error).message).toMatch(/supports\.delete = false from preset cdr-no-delete/);
    expect(sb.admin.stats().holders["cdr-no-delete"]!.deletes).toBe(deletes);
    sb.admin.deleteClient("cdr-no-delete", r.client_id);
  });
});
