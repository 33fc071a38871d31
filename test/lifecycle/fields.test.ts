// The lifecycle's field lists against the zod schemas: a new schema field is echoed, diffed and
// (for client metadata) drift-checked without a list to edit; the pinned identity paths exist.
import { describe, expect, it } from "vitest";
import { ClientParams, RegistrationParams } from "../../provider/core/schemas/params.js";
import {
  IDENTITY_PATHS,
  MANAGED_METADATA,
  UNMANAGED_CLIENT_FIELDS,
} from "../../provider/lifecycle/fields.js";
import { ResourceOnlyInputs, SECRET_MATERIAL_INPUTS, snakeToCamel } from "../../provider/lifecycle/inputs.js";
import { INPUT_KEYS, migrated } from "../../provider/lifecycle/props.js";

/** The zod object behind a (possibly wrapped) schema. */
function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  let s = schema as {
    shape?: Record<string, unknown>;
    unwrap?: () => unknown;
    _zod?: { def?: { innerType?: unknown } };
  };
  for (let i = 0; i < 5 && s && !s.shape; i++) s = (s.unwrap?.() ?? s._zod?.def?.innerType) as typeof s;
  return s?.shape;
}

describe("lifecycle field lists", () => {
  it("every input key is a schema field (core, resource-only, or a split-off private key), and every schema field is one", () => {
    const expected = [
      ...Object.keys(RegistrationParams.shape).map(snakeToCamel),
      ...Object.keys(ResourceOnlyInputs.shape),
      ...SECRET_MATERIAL_INPUTS,
    ].sort();
    expect([...INPUT_KEYS].sort()).toEqual(expected);
    expect(INPUT_KEYS).toContain("client");
    expect(INPUT_KEYS).toContain("rotationTrigger");
  });

  it("each identity path names a field of the schema", () => {
    for (const path of IDENTITY_PATHS) {
      let shape: Record<string, unknown> | undefined = Object.fromEntries(
        Object.entries(RegistrationParams.shape).map(([k, v]) => [snakeToCamel(k), v]),
      );
      for (const [i, p] of path.entries()) {
        expect(shape, `${path.join(".")} at ${p}`).toBeDefined();
        const fields: [string, unknown][] = Object.entries(shape ?? {});
        const entry = fields.find(([k]) => snakeToCamel(k) === p);
        expect(entry, `${path.join(".")}: no field ${p}`).toBeDefined();
        shape = i < path.length - 1 ? shapeOf(entry![1]) : undefined;
      }
    }
  });

  it("managed metadata is every client field but how-to-send settings", () => {
    const all = Object.keys(ClientParams.shape);
    expect([...MANAGED_METADATA, ...UNMANAGED_CLIENT_FIELDS].sort()).toEqual(all.sort());
    expect(MANAGED_METADATA).toContain("redirect_uris");
    expect(MANAGED_METADATA).toContain("tls_client_auth_subject_dn");
  });
});

describe("state written by an older version", () => {
  it("moves bank behaviours and refusesDuplicates to bankProfile, keeping a preset", () => {
    const old = {
      profile: "obie-3.2",
      bankProfile: "hsbc",
      bank: {
        discoveryUrl: "https://b/.well-known/openid-configuration",
        orgId: "o",
        clientIdHint: true,
        aud: "lit",
        management: { style: "rfc7592", supportsDelete: false },
      },
      refusesDuplicates: true,
    };
    expect(migrated(old)).toEqual({
      profile: "obie-3.2",
      bank: { discoveryUrl: "https://b/.well-known/openid-configuration", orgId: "o" },
      bankProfile: {
        preset: "hsbc",
        clientIdHint: true,
        aud: { literal: "lit" },
        management: { style: "rfc7592" },
        supports: { delete: false },
        refusesDuplicateRegistration: true,
      },
    });
    // An inline private key kept inside signingKey / transport moves to the secret members.
    const keys = { signingKey: { kid: "k", privateKey: "PEM" }, transport: { certFile: "c", key: "K" } };
    expect(migrated(keys)).toEqual({
      signingKey: { kid: "k" },
      signingPrivateKey: "PEM",
      transport: { certFile: "c" },
      transportPrivateKey: "K",
    });
    const current = { profile: "obie-3.2", bank: { orgId: "o" }, bankProfile: { clientIdHint: true } };
    expect(migrated(current)).toBe(current);
  });
});
