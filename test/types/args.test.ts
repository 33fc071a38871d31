// The Pulumi args: an explicit, documented interface (what an editor shows on hover) that accepts
// exactly what the zod schemas accept, in camelCase. Checked by the compiler (`npm run check`
// typechecks this file); both directions of assignability are pinned per section, so neither the
// interface nor the schemas can drift.
import type * as pulumi from "@pulumi/pulumi";
import { describe, expectTypeOf, it } from "vitest";
import type { RegistrationParamsInput } from "../../provider/core/schemas/params.js";
import type { Camelize, RegistrationInputs } from "../../provider/lifecycle/inputs.js";
import type { ObClientRegistrationArgs } from "../../provider/pulumi.js";

/**
 * The interface with every Input unwrapped: what the provider receives. (pulumi.Unwrap would also
 * rewrite opaque maps such as `extraClaims` and JWKs, whose values are `unknown`.)
 */
type Unwrapped<T> =
  T extends pulumi.OutputInstance<infer U>
    ? Unwrapped<U>
    : T extends Promise<infer U>
      ? Unwrapped<U>
      : T extends readonly (infer E)[]
        ? Unwrapped<E>[]
        : T extends object
          ? unknown extends T[keyof T]
            ? T
            : { [K in keyof T]: Unwrapped<T[K]> }
          : T;
type Plain = Unwrapped<ObClientRegistrationArgs>;
/** The schemas' camelCase type, less what the resource splits off itself. */
type Schema = Omit<RegistrationInputs, "signingPrivateKey" | "transportPrivateKey">;
type Section<T, K extends keyof T> = NonNullable<T[K]>;
/** Plain TypeScript assignability (what a caller's code meets), both ways = the same values. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : "B does not fit A") : "A does not fit B";

describe("types: schema ↔ documented args", () => {
  it("camelCases field names, keeps claim maps and JWKs as they are", () => {
    type C = Camelize<{
      redirect_uris: string[];
      extra_claims: Record<string, unknown>;
      nested: { org_id: string };
    }>;
    expectTypeOf<C>().toEqualTypeOf<{
      redirectUris: string[];
      extraClaims: Record<string, unknown>;
      nested: { orgId: string };
    }>();
  });

  it("every section accepts the same values as the schema, both ways", () => {
    expectTypeOf<Plain["profile"]>().toEqualTypeOf<Schema["profile"]>();
    expectTypeOf<Same<Section<Plain, "bank">, Section<Schema, "bank">>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Section<Plain, "directory">, Section<Schema, "directory">>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Section<Plain, "software">, Section<Schema, "software">>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Section<Plain, "signingKey">, Section<Schema, "signingKey">>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Section<Plain, "transport">, Section<Schema, "transport">>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Section<Plain, "client">, Section<Schema, "client">>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Section<Plain, "bankProfile">, Section<Schema, "bankProfile">>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Section<Plain, "adopt">, Section<Schema, "adopt">>>().toEqualTypeOf<true>();
    expectTypeOf<Plain["rotationTrigger"]>().toEqualTypeOf<Schema["rotationTrigger"]>();
    expectTypeOf<Plain["expiryWarningDays"]>().toEqualTypeOf<Schema["expiryWarningDays"]>();
  });

  it("names every schema field (a new one must be documented)", () => {
    type Missing<A, B> = Exclude<keyof A, keyof B>;
    expectTypeOf<Missing<Schema, Plain>>().toEqualTypeOf<never>();
    expectTypeOf<Missing<Section<Schema, "client">, Section<Plain, "client">>>().toEqualTypeOf<never>();
    expectTypeOf<Missing<Section<Schema, "directory">, Section<Plain, "directory">>>().toEqualTypeOf<never>();
    // bank: only the settings that moved to bankProfile are left out (refused with the new name).
    expectTypeOf<Missing<Section<Schema, "bank">, Section<Plain, "bank">>>().toEqualTypeOf<
      keyof Camelize<{
        aud: 1;
        content_type: 1;
        scope_format: 1;
        jti_case: 1;
        dn_format: 1;
        extra_claims: 1;
        management: 1;
        request_ttl_seconds: 1;
        skip_discovery_checks: 1;
        client_id_hint: 1;
      }>
    >();
    expectTypeOf<RegistrationInputs["profile"]>().toEqualTypeOf<RegistrationParamsInput["profile"]>();
  });

  it("accepts Outputs at any depth and refuses misspelt or mistyped fields", () => {
    const secretKey = {} as pulumi.Output<string>;
    const args: ObClientRegistrationArgs = {
      profile: "obie-3.2",
      bank: { discoveryUrl: {} as pulumi.Output<string>, orgId: "o" },
      directory: { softwareStatement: "a.b.c" },
      software: { softwareId: "s", orgId: "o" },
      signingKey: { kid: "k", privateKey: secretKey },
      transport: { certFile: "c.pem", keyFile: "k.pem" },
      client: { redirectUris: ["https://tpp.example/cb"], scope: "openid accounts" },
      bankProfile: { preset: "hsbc", management: { style: "rfc7592" }, clientIdHint: true },
    };
    expectTypeOf(args).toMatchTypeOf<ObClientRegistrationArgs>();
    // @ts-expect-error: not a profile
    const badProfile: ObClientRegistrationArgs["profile"] = "obie-9";
    // @ts-expect-error: snake_case is the wire format, not the Pulumi args
    const snake: NonNullable<Plain["client"]> = { redirect_uris: [] };
    // @ts-expect-error: an unknown auth method
    const method: NonNullable<Plain["client"]>["tokenEndpointAuthMethod"] = "magic";
    // @ts-expect-error: a bank behaviour belongs in bankProfile
    const moved: NonNullable<Plain["bank"]> = { orgId: "o", contentType: "application/jose" };
    void [badProfile, snake, method, moved];
  });
});
