// Property tests (fast-check, bounded runs, fixed seed) of the parsers and validators that see
// what banks and users send: whatever comes in, the outcome is a result or a typed ob-dcr error
// (never a TypeError or an unhandled crash), and a secret in the input never reaches a message.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ObDcrError } from "../../provider/core/errors.js";
import {
  normalizeScope,
  normalizeTimestamp,
  parseRegistrationResponse,
} from "../../provider/core/parse/registration_response.js";
import { getProfile } from "../../provider/core/profiles/index.js";
import { validateRedirectUris } from "../../provider/core/validate/client.js";
import { validateTransportMaterial } from "../../provider/core/validate/transport_material.js";
import {
  processDeleteRegistrationResponse,
  processReadRegistrationResponse,
  processRegistrationResponse,
  processUpdateRegistrationResponse,
} from "../../provider/http/dcr.js";
import { processTokenResponse } from "../../provider/http/directory.js";
import type { HttpResponse } from "../../provider/http/transport_types.js";

const RUNS = { numRuns: 300, seed: 20261125 };

const typedOrOk = async (f: () => unknown) => {
  try {
    await f();
  } catch (e) {
    if (!(e instanceof ObDcrError))
      throw new Error(`untyped error: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    return e;
  }
  return undefined;
};

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const registrationish = fc.record(
  {
    client_id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    client_id_issued_at: fc.oneof(fc.integer(), fc.string(), fc.double()),
    client_secret: fc.string(),
    client_secret_expires_at: fc.oneof(fc.integer(), fc.string()),
    registration_access_token: fc.string(),
    registration_client_uri: fc.oneof(fc.webUrl(), fc.string()),
    scope: fc.oneof(fc.string(), fc.array(fc.string())),
    redirect_uris: fc.oneof(fc.array(fc.webUrl()), fc.string()),
    token_endpoint_auth_method: fc.string(),
    extra: jsonValue,
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  registrationish.map((o) => JSON.stringify(o)),
  jsonValue.map((v) => JSON.stringify(v)),
  fc.string(),
  registrationish.map((o) => JSON.stringify(o).slice(0, Math.floor(JSON.stringify(o).length / 2))),
  fc.tuple(fc.base64String(), fc.base64String()).map(([a, b]) => `${a}.${b}.sig`),
);
const response = fc.record({
  status: fc.oneof(
    fc.constantFrom(200, 201, 204, 301, 400, 401, 403, 404, 405, 429, 500, 503),
    fc.integer({ min: 100, max: 599 }),
  ),
  headers: fc.record(
    {
      "content-type": fc.constantFrom(
        "application/json",
        "application/jwt",
        "text/html",
        "",
        "application/json; charset=utf-8",
      ),
      "retry-after": fc.string(),
    },
    { requiredKeys: [] },
  ),
  body: body.map((b) => Buffer.from(b)),
  url: fc.constant("https://bank.example/register"),
}) as fc.Arbitrary<HttpResponse>;

describe("fuzz: response processors", () => {
  it("registration POST: a result with a string client_id, or a typed error", async () => {
    await fc.assert(
      fc.asyncProperty(response, async (res) => {
        let out: Awaited<ReturnType<typeof processRegistrationResponse>> | undefined;
        const e = await typedOrOk(async () => {
          out = await processRegistrationResponse(res);
        });
        if (!e) {
          expect([200, 201]).toContain(res.status);
          expect(typeof out?.client_id).toBe("string");
          expect(out!.client_id.length).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });

  it("GET / PUT / DELETE and token responses: result or typed error", async () => {
    await fc.assert(
      fc.asyncProperty(response, async (res) => {
        await typedOrOk(() => processReadRegistrationResponse(res, { gone_statuses: [401, 404] }));
        await typedOrOk(() => processUpdateRegistrationResponse(res, { gone_statuses: [401] }));
        await typedOrOk(() => processDeleteRegistrationResponse(res, { gone_statuses: [401] }));
        await typedOrOk(() => processTokenResponse(res));
      }),
      RUNS,
    );
  });

  it("a secret in a response never appears in the error message", async () => {
    const secret = fc.string({
      minLength: 16,
      maxLength: 40,
      unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
    });
    await fc.assert(
      fc.asyncProperty(secret, registrationish, fc.constantFrom(200, 201, 400, 500), async (s, o, status) => {
        const res: HttpResponse = {
          status,
          headers: { "content-type": "application/json" },
          body: Buffer.from(JSON.stringify({ ...o, client_secret: s, registration_access_token: s })),
          url: "https://bank.example/register",
        };
        const e = await typedOrOk(() => processRegistrationResponse(res));
        if (e) expect(`${e.message} ${JSON.stringify(e)}`).not.toContain(s);
      }),
      RUNS,
    );
  });
});

describe("fuzz: parsers and validators", () => {
  it("parseRegistrationResponse on any JSON value: result or typed error", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(jsonValue, registrationish), async (v) => {
        await typedOrOk(() => parseRegistrationResponse(v));
      }),
      RUNS,
    );
  });

  it("timestamps and scopes normalise without throwing", () => {
    fc.assert(
      fc.property(jsonValue, (v) => {
        const t = normalizeTimestamp(v);
        expect(t === undefined || Number.isFinite(t)).toBe(true);
        const s = normalizeScope(v);
        expect(s === undefined || typeof s === "string").toBe(true);
      }),
      RUNS,
    );
  });

  it("redirect URIs: accepted ones are https, non-local, fragment-free and in the SSA; refusals name the field", () => {
    const profile = getProfile("obie-3.2");
    const uri = fc.oneof(fc.webUrl({ withFragments: true, withQueryParameters: true }), fc.string());
    fc.assert(
      fc.property(fc.array(uri, { maxLength: 4 }), fc.array(uri, { maxLength: 4 }), (uris, ssa) => {
        try {
          validateRedirectUris(profile, uris, ssa);
        } catch (e) {
          expect(e).toBeInstanceOf(ObDcrError);
          expect((e as { field: string }).field).toMatch(/^client\.redirect_uris/);
          return;
        }
        for (const u of uris) {
          const url = new URL(u);
          expect(url.protocol).toBe("https:");
          expect(url.hash).toBe("");
          expect(ssa).toContain(u);
        }
      }),
      RUNS,
    );
  });

  it("transport material: any text is refused with transport.cert / transport.key, never a crash", () => {
    const pemish = fc.oneof(
      fc.string(),
      fc.base64String().map((b) => `-----BEGIN CERTIFICATE-----\n${b}\n-----END CERTIFICATE-----\n`),
      fc.base64String().map((b) => `-----BEGIN PRIVATE KEY-----\n${b}\n-----END PRIVATE KEY-----\n`),
    );
    fc.assert(
      fc.property(pemish, pemish, (cert, key) => {
        try {
          validateTransportMaterial({ cert, key }, Math.floor(Date.now() / 1000));
        } catch (e) {
          expect(e).toBeInstanceOf(ObDcrError);
          expect((e as { field: string }).field).toMatch(/^transport\.(cert|key)$/);
          expect((e as Error).message).not.toContain(key.length > 30 ? key.slice(28, 60) : "\u0000");
          return;
        }
        throw new Error("random material was accepted");
      }),
      { ...RUNS, numRuns: 150 },
    );
  });
});
